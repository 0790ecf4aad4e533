/* sema_builtins.c: the builtins (layers, functions, sources, settings)
 * and the matching of a call's arguments to a builtin's options. */
#include "grammar/sema_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const Builtin builtins[B_COUNT] = {
    [B_DENSE] = {"dense", BK_LAYER, 1, "units bias=1 init=- spectral_norm=0"},
    [B_CONV] = {"conv", BK_LAYER, 1,
                "filters kernel stride=1 padding=same dilation=1 bias=1 init=- spectral_norm=0"},
    [B_DECONV] = {"deconv", BK_LAYER, 1,
                  "filters kernel stride=1 padding=same output_padding=- dilation=1 bias=1 "
                  "init=- spectral_norm=0"},
    [B_BATCHNORM] = {"batchnorm", BK_LAYER, 1, "momentum=0.1 eps=1e-5"},
    [B_LAYERNORM] = {"layernorm", BK_LAYER, 1, "eps=1e-5 axis=0"},
    [B_EMBEDDING] = {"embedding", BK_LAYER, 1, "vocabulary dimension init=-"},
    [B_DROPOUT] = {"dropout", BK_LAYER, 1, "p=0.5"},
    [B_RESHAPE] = {"reshape", BK_LAYER, 1, "..."},
    [B_FLATTEN] = {"flatten", BK_LAYER, 1, ""},
    [B_UPSAMPLE] = {"upsample", BK_LAYER, 1, "factor=2 mode=nearest"},
    [B_MAXPOOL] = {"maxpool", BK_LAYER, 1, "kernel=2 stride=-"},
    [B_AVGPOOL] = {"avgpool", BK_LAYER, 1, "kernel=2 stride=-"},
    [B_CONCAT] = {"concat", BK_LAYER, -1, "axis=0"},
    [B_MATMUL] = {"matmul", BK_LAYER, 2, ""},
    [B_TRANSPOSE] = {"transpose", BK_LAYER, 1, "axis1=-2 axis2=-1"},
    [B_PERMUTE] = {"permute", BK_LAYER, 1, "..."},
    [B_SUM] = {"sum", BK_FUNC, 1, "axis=- keep=0"},
    [B_MEAN] = {"mean", BK_FUNC, 1, "axis=- keep=0"},
    [B_SOFTMAX] = {"softmax", BK_FUNC, 1, "axis=-1"},
    [B_LOG_SOFTMAX] = {"log_softmax", BK_FUNC, 1, "axis=-1"},
    [B_SIZE] = {"size", BK_FUNC, 1, "axis"},
    [B_WHERE] = {"where", BK_FUNC, 3, ""},
    [B_MAX] = {"max", BK_FUNC, 1, "axis=- keep=0"},
    [B_MIN] = {"min", BK_FUNC, 1, "axis=- keep=0"},
    [B_SLICE] = {"slice", BK_LAYER, 1, "axis from to=-"},
    [B_INDEX] = {"index", BK_LAYER, 1, "axis at"},
    [B_SPLIT] = {"split", BK_LAYER, 1, "axis parts"},
    [B_STACK] = {"stack", BK_LAYER, -1, "axis=0"},
    [B_PAD] = {"pad", BK_LAYER, 1, "axis before after=- value=0"},
    [B_TRIL] = {"tril", BK_LAYER, 1, "fill=0"},
    [B_SCALE] = {"scale", BK_LAYER, 1, "init=-"},
    [B_GROUPNORM] = {"groupnorm", BK_LAYER, 1, "groups eps=1e-5"},
    [B_INSTANCENORM] = {"instancenorm", BK_LAYER, 1, "eps=1e-5 affine=0"},
    [B_CONV1D] = {"conv1d", BK_LAYER, 1,
                  "filters kernel stride=1 padding=same dilation=1 bias=1 init=- "
                  "spectral_norm=0"},
    [B_DECONV1D] = {"deconv1d", BK_LAYER, 1,
                    "filters kernel stride=1 padding=same output_padding=- dilation=1 bias=1 "
                    "init=- spectral_norm=0"},
    [B_BCE] = {"bce", BK_FUNC, 2, ""},
    [B_MSE] = {"mse", BK_FUNC, 2, ""},
    [B_L1] = {"l1", BK_FUNC, 2, ""},
    [B_CROSS_ENTROPY] = {"cross_entropy", BK_FUNC, 2, ""},
    [B_KL_NORMAL] = {"kl_normal", BK_FUNC, 2, ""},
    [B_GRAD] = {"grad", BK_FUNC, 2, ""},
    [B_NORM] = {"norm", BK_FUNC, 1, ""},
    [B_MNIST] = {"mnist", BK_SOURCE, 0, "split=train range=- classes=10 flip=0 shift=0"},
    [B_FASHION_MNIST] = {"fashion_mnist", BK_SOURCE, 0,
                         "split=train range=- classes=10 flip=0 shift=0"},
    [B_IDX] = {"idx", BK_SOURCE, 0, "dir split=train range=- shape=- classes=10 flip=0 shift=0"},
    [B_IMAGES] = {"images", BK_SOURCE, 0,
                  "dir shape split=train range=- classes=- holdout=0.1 flip=0 shift=0"},
    [B_TEXT] = {"text", BK_SOURCE, 0, "file context vocabulary split=train holdout=0.1"},
    [B_WAV] = {"wav", BK_SOURCE, 0, "dir rate length split=train classes=- holdout=0.1"},
    [B_NORMAL] = {"normal", BK_SOURCE, 0, "shape mean=0 std=1"},
    [B_UNIFORM] = {"uniform", BK_SOURCE, 0, "shape low=-1 high=1"},
    [B_CATEGORICAL] = {"categorical", BK_SOURCE, 0, "classes"},
    [B_XAVIER] = {"xavier", BK_SETTING, 0, "gain=1"},
    [B_XAVIER_NORMAL] = {"xavier_normal", BK_SETTING, 0, "gain=1"},
    [B_KAIMING] = {"kaiming", BK_SETTING, 0, "slope=0"},
    [B_KAIMING_NORMAL] = {"kaiming_normal", BK_SETTING, 0, "slope=0"},
    [B_ZEROS] = {"zeros", BK_SETTING, 0, ""},
    [B_ONES] = {"ones", BK_SETTING, 0, ""},
    [B_SGD] = {"sgd", BK_SETTING, 0, "lr=0.001 momentum=0 dampening=0 nesterov=0 weight_decay=0"},
    [B_ADAM] = {"adam", BK_SETTING, 0, "lr=0.001 beta1=0.9 beta2=0.999 eps=1e-8 weight_decay=0"},
    [B_ADAMW] = {"adamw", BK_SETTING, 0, "lr=0.001 beta1=0.9 beta2=0.999 eps=1e-8 weight_decay=0.01"},
    [B_RMSPROP] = {"rmsprop", BK_SETTING, 0,
                   "lr=0.01 alpha=0.99 eps=1e-8 momentum=0 centered=0 weight_decay=0"},
    [B_LINEAR] = {"linear", BK_SCHEDULE, 0, "from to steps=- epochs=- warmup=0"},
    [B_COSINE] = {"cosine", BK_SCHEDULE, 0, "from to steps=- epochs=- warmup=0"},
    [B_WARMUP] = {"warmup", BK_SCHEDULE, 0, "value steps=- epochs=-"},
    [B_STEP_DECAY] = {"step_decay", BK_SCHEDULE, 0, "value factor steps=- epochs=- warmup=0"},
};

/* A builtin's row: builtins[] or, for an op, made from its op_info. */
Builtin sema_builtin(int id)
{
    if (id < B_COUNT) return builtins[id];
    const OpInfo *oi = &op_info[id - B_COUNT];
    return (Builtin){oi->lang, BK_FUNC, oi->arity, oi->options};
}

int sema_find_builtin(const char *name)
{
    for (int i = 0; i < B_COUNT; i++)
        if (strcmp(builtins[i].name, name) == 0) return i;
    for (int op = 0; op < OP_COUNT; op++)
        if (op_info[op].lang && strcmp(op_info[op].lang, name) == 0) return B_COUNT + op;
    return -1;
}

/* Every builtin's name, appended to cand[0..n) up to cap, for "did you
 * mean" hints; the new count. */
int sema_builtin_names(const char **cand, int n, int cap)
{
    for (int i = 0; i < B_COUNT && n < cap; i++) cand[n++] = builtins[i].name;
    for (int op = 0; op < OP_COUNT && n < cap; op++)
        if (op_info[op].lang) cand[n++] = op_info[op].lang;
    return n;
}

static bool bool_val(Val v, double *out)
{
    if (v.kind == V_WORD && (strcmp(v.str, "true") == 0 || strcmp(v.str, "false") == 0)) {
        *out = v.str[0] == 't';
        return true;
    }
    return false;
}

/* "units, bias, init": the option names, for messages */
static const char *option_list(Args *ar, char *buf, size_t len)
{
    buf[0] = 0;
    for (int i = 0; i < ar->n; i++) {
        if (i) strncat(buf, ", ", len - strlen(buf) - 1);
        strncat(buf, ar->name[i], len - strlen(buf) - 1);
    }
    return buf;
}

/* Option names users bring from Keras and PyTorch, and genc's names for
 * them: the hint for an unknown option when the builtin has the latter. */
static const struct {
    const char *theirs, *ours;
} option_aliases[] = {
    {"kernel_size", "kernel"},   {"pool_size", "kernel"},      {"strides", "stride"},
    {"use_bias", "bias"},        {"negative_slope", "slope"},  {"alpha", "slope"},
    {"rate", "p"},               {"units", "filters"},         {"out_channels", "filters"},
    {"filters", "units"},        {"out_features", "units"},    {"epsilon", "eps"},
    {"num_embeddings", "vocabulary"}, {"input_dim", "vocabulary"},
    {"embedding_dim", "dimension"},   {"output_dim", "dimension"},
    {"scale_factor", "factor"},  {"size", "factor"},           {"dim", "axis"},
    {"kernel_initializer", "init"}, {"learning_rate", "lr"},   {"weight_init", "init"},
};

/* genc's name for an option a user wrote in another library's spelling,
 * if builtin ar has it; NULL if none. */
static const char *option_alias(const Args *ar, const char *name)
{
    for (size_t i = 0; i < GENC_COUNT(option_aliases); i++)
        if (strcmp(option_aliases[i].theirs, name) == 0)
            for (int j = 0; j < ar->n; j++)
                if (strcmp(ar->name[j], option_aliases[i].ours) == 0) return ar->name[j];
    return NULL;
}

/* loc: where the builtin is named, for errors about the call as a whole */
bool sema_match_args(Sema *s, int id, Ast *call, Flow flow, Val *in, Args *ar, SrcLoc loc)
{
    Builtin this = sema_builtin(id), *bi = &this;
    memset(ar, 0, sizeof *ar);
    /* split the option list */
    char spec[160];
    GENC_ASSERT(strlen(bi->params) < sizeof spec);
    snprintf(spec, sizeof spec, "%s", bi->params);
    bool variadic = strcmp(spec, "...") == 0;
    for (char *save, *tok = variadic ? NULL : strtok_r(spec, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        if (eq) *eq = 0;
        GENC_ASSERT(ar->n < MAXPARAMS);
        ar->name[ar->n] = sema_str(s, tok);
        ar->defval[ar->n] = eq ? sema_str(s, eq + 1) : NULL;
        ar->n++;
    }
    int nargs = call ? call->nkids : 0;
    Val pos[GENC_MAX_ARGS];
    int npos = 0;
    bool ok = true, seen_kw = false;
    for (int i = 0; i < nargs; i++) {
        Ast *k = call->kids[i];
        if (k->kind == AST_KW) {
            seen_kw = true;
            continue;
        }
        if (seen_kw) {
            diag_error(s->diag, k->loc, "a positional argument cannot follow a keyword argument");
            ok = false;
            continue;
        }
        if (npos == GENC_MAX_ARGS) {
            diag_error(s->diag, k->loc, "'%s' takes at most %d arguments", bi->name, GENC_MAX_ARGS);
            return false;
        }
        Val v = sema_eval(s, k, FLOW_NONE, NULL);
        if (v.kind == V_ERR) ok = false;
        pos[npos++] = v;
    }
    if (!ok) return false;
    /* tensor inputs: leading positional arguments, plus the flowing value */
    int want = bi->tensors;
    int have = 0; /* leading tensor arguments */
    while (have < npos && pos[have].kind == V_TENSOR) have++;
    bool prepend = false;
    if (in && flow == FLOW_MUST) prepend = true;
    else if (in && flow == FLOW_MAYBE) {
        /* leaky_relu(0.2) and bce(1) at the start of a line take the line
         * above as their first input; relu(h) and bce(p, 1) do not */
        if (want == 1) prepend = have == 0;
        else if (bi->kind == BK_FUNC) prepend = have < want && npos < want;
        else prepend = have < (want == -1 ? 2 : want);
    }
    if (prepend) ar->tensors[ar->ntensors++] = *in;
    if (want == -1) {
        while (ar->ntensors < 8 && have > 0 && pos[0].kind == V_TENSOR) {
            ar->tensors[ar->ntensors++] = pos[0];
            memmove(pos, pos + 1, sizeof *pos * (size_t)--npos);
            have--;
        }
        if (ar->ntensors < 2) {
            diag_error(s->diag, loc, "'%s' joins two or more tensors, got %d", bi->name,
                       ar->ntensors);
            return false;
        }
    } else {
        int need = want - ar->ntensors;
        for (int i = 0; i < need; i++) {
            if (npos == 0 || (pos[0].kind != V_TENSOR &&
                              !(bi->kind == BK_FUNC && pos[0].kind == V_NUM))) {
                SrcLoc l = npos ? pos[0].loc : loc;
                if (npos && sema_kind_reported(s, pos[0])) return false; /* an unknown name */
                if (want == 1)
                    diag_error(s->diag, l, "'%s' needs an input tensor%s", bi->name,
                               s->net < 0 && !in ? " (layers take their input from '->' inside a net)" : "");
                else
                    diag_error(s->diag, l, "'%s' takes %d tensors, got %d", bi->name, want,
                               ar->ntensors);
                return false;
            }
            ar->tensors[ar->ntensors++] = pos[0];
            memmove(pos, pos + 1, sizeof *pos * (size_t)--npos);
        }
    }
    if (variadic) {
        for (int i = 0; i < npos; i++) {
            if (ar->nrest == GENC_MAX_DIMS) {
                diag_error(s->diag, pos[i].loc, "'%s' takes at most %d sizes", bi->name,
                           GENC_MAX_DIMS);
                return false;
            }
            ar->rest[ar->nrest++] = pos[i];
        }
        npos = 0;
    }
    char names[160];
    if (npos > ar->n) {
        if (ar->n == 0)
            diag_error(s->diag, pos[ar->n].loc, "'%s' takes no options", bi->name);
        else
            diag_error(s->diag, pos[ar->n].loc, "'%s' takes at most %d option%s (%s), got %d",
                       bi->name, ar->n, ar->n == 1 ? "" : "s", option_list(ar, names, sizeof names),
                       npos);
        return false;
    }
    for (int i = 0; i < npos; i++) {
        if (strcmp(ar->name[i], "init") == 0) {
            diag_error(s->diag, pos[i].loc, "give '%s' its initialiser by name, like init: xavier",
                       bi->name);
            return false;
        }
        ar->v[i] = pos[i], ar->given[i] = true;
    }
    for (int i = 0; i < nargs; i++) {
        Ast *k = call->kids[i];
        char *end;
        if (k->kind != AST_KW) continue;
        int j = 0;
        while (j < ar->n && strcmp(ar->name[j], k->name) != 0) j++;
        if (j == ar->n) {
            const char *alias = option_alias(ar, k->name);
            const char *hint = diag_suggest(k->name, ar->name, ar->n);
            if (alias)
                diag_error(s->diag, k->loc, "'%s' has no option '%s'; genc calls it '%s'",
                           bi->name, k->name, alias);
            else if (hint)
                diag_error(s->diag, k->loc, "'%s' has no option '%s'; did you mean '%s'?",
                           bi->name, k->name, hint);
            else if (ar->n)
                diag_error(s->diag, k->loc, "'%s' has no option '%s' (it has: %s)", bi->name,
                           k->name, option_list(ar, names, sizeof names));
            else
                diag_error(s->diag, k->loc, "'%s' has no option '%s'", bi->name, k->name);
            ok = false;
            continue;
        }
        if (ar->given[j]) {
            diag_error(s->diag, k->loc, "option '%s' of '%s' is given twice", k->name, bi->name);
            ok = false;
            continue;
        }
        ar->given[j] = true;
        if (strcmp(k->name, "init") == 0) continue; /* an initialiser: init_of reads it */
        /* an option whose values are words (padding: same, mode: nearest)
         * takes a bare name that names no value as a word, even a
         * builtin's (mode: linear) */
        const char *dv = ar->defval[j], *word = k->kids[0]->name;
        if (dv && *dv && strcmp(dv, "-") != 0 && strtod(dv, &end) == 0 && end == dv &&
            k->kids[0]->kind == AST_NAME && !sema_lookup(s->locals, word) &&
            !sema_lookup(s->globals, word)) {
            ar->v[j] = (Val){.kind = V_WORD, .str = k->kids[0]->name, .loc = k->kids[0]->loc};
            continue;
        }
        ar->v[j] = sema_eval(s, k->kids[0], FLOW_NONE, NULL);
        if (ar->v[j].kind == V_ERR) ok = false;
    }
    for (int j = 0; j < ar->n && ok; j++) {
        if (ar->given[j]) {
            double b;
            if (bool_val(ar->v[j], &b)) ar->v[j] = val_num(b, true, ar->v[j].loc);
            continue;
        }
        if (!ar->defval[j]) {
            diag_error(s->diag, loc, "'%s' needs '%s'", bi->name, ar->name[j]);
            ok = false;
        } else if (strcmp(ar->defval[j], "-") != 0) {
            char *end;
            double d = strtod(ar->defval[j], &end);
            ar->v[j] = *end ? (Val){.kind = V_WORD, .str = ar->defval[j]}
                            : val_num(d, !strchr(ar->defval[j], '.') && !strchr(ar->defval[j], 'e'),
                                      loc);
        }
    }
    return ok;
}

Val *sema_opt(Args *ar, const char *name)
{
    for (int i = 0; i < ar->n; i++)
        if (strcmp(ar->name[i], name) == 0) return &ar->v[i];
    GENC_ASSERT(!"unknown option name");
}

bool sema_given(Args *ar, const char *name)
{
    for (int i = 0; i < ar->n; i++)
        if (strcmp(ar->name[i], name) == 0) return ar->given[i];
    return false;
}

bool sema_opt_int(Sema *s, Args *ar, const char *name, int *out, bool zero_ok)
{
    Val *v = sema_opt(ar, name);
    char what[64];
    snprintf(what, sizeof what, "'%s'", name);
    return sema_size_ok(s, *v, what, v->loc, out, zero_ok);
}

bool sema_opt_real(Sema *s, Args *ar, const char *name, double lo, double hi, double *out)
{
    Val *v = sema_opt(ar, name);
    if (v->kind == V_WORD) {
        sema_unknown_name(s, v->str, v->loc, "name");
        return false;
    }
    if (sema_is_schedule(*v)) {
        char b[128];
        diag_error(s->diag, v->loc, "'%s' must be a number, not a schedule; a schedule is a "
                   "learning rate as its own train setting ('lr %s'), or a value in an objective",
                   name, sched_str(&s->m->scheds[v->t->attr.sched], b, sizeof b));
        return false;
    }
    if (v->kind != V_NUM) {
        diag_error(s->diag, v->loc, "'%s' must be a number, not %s", name, sema_vkind_name(v->kind));
        return false;
    }
    if (!(v->num >= lo && v->num <= hi)) {
        diag_error(s->diag, v->loc, "'%s' must be between %g and %g, got %g", name, lo, hi, v->num);
        return false;
    }
    *out = v->num;
    return true;
}

Val sema_call_builtin(Sema *s, int id, Ast *call, Flow flow, Val *in, SrcLoc loc)
{
    Builtin this = sema_builtin(id), *bi = &this;
    if (bi->kind == BK_SETTING && id < B_SGD) {
        diag_error(s->diag, loc, "'%s' is an initialiser: give it to a layer as init: %s, or to "
                   "the model in the train block", bi->name, bi->name);
        return val_err;
    }
    if (bi->kind == BK_SOURCE || bi->kind == BK_SETTING) {
        diag_error(s->diag, loc, "'%s' is only allowed %s", bi->name,
                   bi->kind == BK_SOURCE ? "after '~' in a data or noise declaration"
                                         : "in the train block");
        return val_err;
    }
    Args ar;
    if (!sema_match_args(s, id, call, flow, in, &ar, loc)) return val_err;
    for (int i = 0; i < ar.ntensors; i++)
        if (ar.tensors[i].kind == V_ERR) return val_err; /* reported where it arose */
    if (id >= B_COUNT) return sema_apply_op(s, (Op)(id - B_COUNT), &ar, loc);
    if (bi->kind == BK_SCHEDULE) return sema_schedule(s, id, &ar, loc);
    return bi->kind == BK_LAYER ? sema_apply_layer(s, id, &ar, loc, call) : sema_apply_func(s, id, &ar, loc);
}
