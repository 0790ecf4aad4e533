/* sema.c: names, arguments, constants, blocks and shapes: Program -> Model.
 *
 * Sema evaluates the program abstractly: every expression becomes a Val
 * (a number, a word, a list of numbers, a tensor with a known shape, or a
 * reference to a net, block or builtin). Tensors are TExpr trees, the
 * output of this pass. Errors are reported and evaluation goes on with an
 * error value (V_ERR), which never causes a second message. */
#include "grammar/sema.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum { V_ERR, V_NUM, V_STR, V_WORD, V_LIST, V_TENSOR, V_NET, V_BLOCK, V_BUILTIN } VKind;

typedef struct Val {
    VKind kind;
    double num;
    bool is_int;
    const char *str; /* V_STR, V_WORD */
    int index;       /* V_NET, V_BLOCK, V_BUILTIN */
    int nitems;      /* V_LIST of numbers */
    double items[GENC_MAX_LIST];
    TExpr *t;        /* V_TENSOR */
    SrcLoc loc;
} Val;

static const Val val_err = {.kind = V_ERR};

typedef struct Binding {
    const char *name;
    Val val;
    SrcLoc loc;
    struct Binding *next;
} Binding;

/* How a call relates to the value flowing in from the left of '->' or
 * from the line above: after '->' it is always the first input; at the
 * start of a line in a net body, it is the first input when the call
 * leaves that input out; inside an expression it never is. */
typedef enum { FLOW_NONE, FLOW_MAYBE, FLOW_MUST } Flow;

/* A layer counter per kind, for paths like G.deconv2 */
typedef struct PathCtx {
    const char *prefix;
    const char *names[32];
    int counts[32];
    int nnames;
} PathCtx;

typedef struct Sema {
    Diag *diag;
    Model *m;
    Program *prog;
    Binding *globals;
    Binding *locals;
    int net;            /* the net being elaborated, -1 at top level */
    PathCtx *path;
    int block_depth;
    bool *block_active; /* per block: being instantiated (a use inside it is a loop) */
    bool *block_bad;    /* per block: a use of it had errors; later uses fail quietly */
    bool block_loop;    /* a loop was reported: the enclosing uses fail quietly */
    bool too_big;       /* GENC_MAX_OPERATIONS reached: evaluation stops */
    bool too_many_phases; /* GENC_MAX_PHASES passed, and said */
    int block_uses;     /* block instantiations so far, bounded like the nodes */
    Decl **netdecl;     /* per net */
    int *sig_state;     /* per net: 0 not yet, 1 in progress, 2 done, 3 failed */
    bool *net_bad;      /* per net: errors reported in its signature or body */
    bool **calls;       /* calls[a][b]: net a calls net b */
    Decl **blocks;
    int nblocks;
    int dropouts; /* dropout sites so far */
    bool *skip;         /* per declaration: a duplicate name, already reported */
} Sema;

/* ---- builtins ---------------------------------------------------------- */

typedef enum {
    BK_LAYER,   /* tensor inputs must be tensors; the rest are options */
    BK_FUNC,    /* inputs may be numbers, which broadcast */
    BK_SOURCE,  /* datasets and noise distributions */
    BK_SETTING, /* initialisers and optimizers, in the train block */
} BuiltinKind;

typedef enum {
    B_DENSE, B_CONV, B_DECONV, B_BATCHNORM, B_LAYERNORM, B_EMBEDDING,
    B_DROPOUT, B_RESHAPE, B_FLATTEN, B_UPSAMPLE, B_MAXPOOL, B_AVGPOOL, B_CONCAT,
    B_RELU, B_LEAKY_RELU, B_ELU, B_TANH, B_SIGMOID, B_SOFTPLUS, B_GELU, B_SOFTMAX,
    B_LOG_SOFTMAX, B_LOG_SIGMOID,
    B_LOG, B_EXP, B_SQRT, B_ABS, B_SUM, B_MEAN, B_ONEHOT,
    B_BCE, B_MSE, B_L1, B_CROSS_ENTROPY, B_KL_NORMAL,
    B_MNIST, B_FASHION_MNIST, B_IDX, B_NORMAL, B_UNIFORM, B_CATEGORICAL,
    B_XAVIER, B_XAVIER_NORMAL, B_KAIMING, B_KAIMING_NORMAL, B_ZEROS, B_ONES,
    B_SGD, B_ADAM, B_ADAMW, B_RMSPROP,
    B_COUNT
} BuiltinId;

/* params: the options in positional order, "name" required, "name=default"
 * optional; a default of "-" means "not given" (the code decides). */
typedef struct Builtin {
    const char *name;
    BuiltinKind kind;
    int tensors; /* tensor inputs; -1: two or more */
    const char *params;
} Builtin;

static const Builtin builtins[B_COUNT] = {
    [B_DENSE] = {"dense", BK_LAYER, 1, "units bias=1 init=-"},
    [B_CONV] = {"conv", BK_LAYER, 1, "filters kernel stride=1 padding=same bias=1 init=-"},
    [B_DECONV] = {"deconv", BK_LAYER, 1,
                  "filters kernel stride=1 padding=same output_padding=- bias=1 init=-"},
    [B_BATCHNORM] = {"batchnorm", BK_LAYER, 1, "momentum=0.1 eps=1e-5"},
    [B_LAYERNORM] = {"layernorm", BK_LAYER, 1, "eps=1e-5"},
    [B_EMBEDDING] = {"embedding", BK_LAYER, 1, "vocabulary dimension init=-"},
    [B_DROPOUT] = {"dropout", BK_LAYER, 1, "p=0.5"},
    [B_RESHAPE] = {"reshape", BK_LAYER, 1, "..."},
    [B_FLATTEN] = {"flatten", BK_LAYER, 1, ""},
    [B_UPSAMPLE] = {"upsample", BK_LAYER, 1, "factor=2"},
    [B_MAXPOOL] = {"maxpool", BK_LAYER, 1, "kernel=2 stride=-"},
    [B_AVGPOOL] = {"avgpool", BK_LAYER, 1, "kernel=2 stride=-"},
    [B_CONCAT] = {"concat", BK_LAYER, -1, "axis=0"},
    [B_RELU] = {"relu", BK_FUNC, 1, ""},
    [B_LEAKY_RELU] = {"leaky_relu", BK_FUNC, 1, "slope=0.01"},
    [B_ELU] = {"elu", BK_FUNC, 1, "alpha=1"},
    [B_TANH] = {"tanh", BK_FUNC, 1, ""},
    [B_SIGMOID] = {"sigmoid", BK_FUNC, 1, ""},
    [B_SOFTPLUS] = {"softplus", BK_FUNC, 1, ""},
    [B_GELU] = {"gelu", BK_FUNC, 1, ""},
    [B_SOFTMAX] = {"softmax", BK_FUNC, 1, ""},
    [B_LOG_SOFTMAX] = {"log_softmax", BK_FUNC, 1, ""},
    [B_LOG_SIGMOID] = {"log_sigmoid", BK_FUNC, 1, ""},
    [B_LOG] = {"log", BK_FUNC, 1, ""},
    [B_EXP] = {"exp", BK_FUNC, 1, ""},
    [B_SQRT] = {"sqrt", BK_FUNC, 1, ""},
    [B_ABS] = {"abs", BK_FUNC, 1, ""},
    [B_SUM] = {"sum", BK_FUNC, 1, ""},
    [B_MEAN] = {"mean", BK_FUNC, 1, ""},
    [B_ONEHOT] = {"onehot", BK_FUNC, 1, "classes"},
    [B_BCE] = {"bce", BK_FUNC, 2, ""},
    [B_MSE] = {"mse", BK_FUNC, 2, ""},
    [B_L1] = {"l1", BK_FUNC, 2, ""},
    [B_CROSS_ENTROPY] = {"cross_entropy", BK_FUNC, 2, ""},
    [B_KL_NORMAL] = {"kl_normal", BK_FUNC, 2, ""},
    [B_MNIST] = {"mnist", BK_SOURCE, 0, "split=train range=- classes=10"},
    [B_FASHION_MNIST] = {"fashion_mnist", BK_SOURCE, 0, "split=train range=- classes=10"},
    [B_IDX] = {"idx", BK_SOURCE, 0, "dir split=train range=- shape=- classes=10"},
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
};

/* Names the init: option and the train block's init setting accept. */
static const struct {
    const char *name;
    InitKind kind;
} init_words[] = {
    {"normal", INIT_NORMAL}, {"uniform", INIT_UNIFORM}, {"xavier", INIT_XAVIER_UNIFORM},
    {"xavier_normal", INIT_XAVIER_NORMAL}, {"kaiming", INIT_KAIMING_UNIFORM},
    {"kaiming_normal", INIT_KAIMING_NORMAL}, {"zeros", INIT_ZEROS}, {"ones", INIT_ONES},
};

#define MAXPARAMS 8
/* A builtin's options after matching a call's arguments. */
typedef struct Args {
    int n;
    const char *name[MAXPARAMS];
    const char *defval[MAXPARAMS]; /* NULL: required */
    Val v[MAXPARAMS];
    bool given[MAXPARAMS];
    int ntensors;
    Val tensors[8];
    /* reshape: the dimensions */
    int nrest;
    Val rest[GENC_MAX_DIMS + 1];
} Args;

/* ---- helpers ----------------------------------------------------------- */

static const char *sema_str(Sema *s, const char *str)
{
    Model *m = s->m;
    m->strs = xgrow(m->strs, sizeof *m->strs, (size_t)m->nstrs);
    return m->strs[m->nstrs++] = xstrdup(str);
}

/* The most typed nodes a model may have (GENC_MAX_OPERATIONS): lowering
 * recurses along chains of them, so this also bounds its stack depth.
 * Blocks that use blocks several times grow exponentially: evaluation
 * stops before the passes after sema run out of time or stack. */
static void too_big(Sema *s, SrcLoc loc)
{
    diag_error(s->diag, loc, "the model is too large: more than %d operations", GENC_MAX_OPERATIONS);
    s->too_big = true;
}

static TExpr *tx_new(Sema *s, TxKind kind, SrcLoc loc, Shape shape)
{
    Model *m = s->m;
    TExpr *t = xcalloc(1, sizeof *t);
    t->kind = kind;
    t->loc = loc;
    t->shape = shape;
    t->layer_id = -1;
    t->path = s->path ? s->path->prefix : "";
    t->id = m->nall;
    if (m->nall == GENC_MAX_OPERATIONS) too_big(s, loc);
    m->all = xgrow(m->all, sizeof *m->all, (size_t)m->nall);
    m->all[m->nall++] = t;
    return t;
}

static void tx_kid(TExpr *t, TExpr *k)
{
    t->kids = xgrow(t->kids, sizeof *t->kids, (size_t)t->nkids);
    t->kids[t->nkids++] = k;
}

static TExpr *tx_op(Sema *s, Op op, SrcLoc loc, Shape shape, TExpr *a, TExpr *b)
{
    TExpr *t = tx_new(s, TX_OP, loc, shape);
    t->op = op;
    if (a) tx_kid(t, a);
    if (b) tx_kid(t, b);
    return t;
}

static Val val_tensor(TExpr *t, SrcLoc loc) { return (Val){.kind = V_TENSOR, .t = t, .loc = loc}; }

static Val val_num(double v, bool is_int, SrcLoc loc)
{
    return (Val){.kind = V_NUM, .num = v, .is_int = is_int, .loc = loc};
}

static const Shape scalar = {0};

/* A number used where a tensor is expected becomes a scalar constant. */
static TExpr *as_tensor(Sema *s, Val v)
{
    if (v.kind == V_TENSOR) return v.t;
    GENC_ASSERT(v.kind == V_NUM);
    TExpr *t = tx_new(s, TX_NUM, v.loc, scalar);
    t->attr.value = v.num;
    return t;
}

static const char *vkind_name(VKind k)
{
    switch (k) {
    case V_ERR: return "an error";
    case V_NUM: return "a number";
    case V_STR: return "a string";
    case V_WORD: return "a word";
    case V_LIST: return "a list";
    case V_TENSOR: return "a tensor";
    case V_NET: return "a net";
    case V_BLOCK: return "a block";
    case V_BUILTIN: return "a builtin";
    }
    return "?";
}

static const char *shp(Shape sh, char buf[64]) { return shape_str(sh, buf, 64); }

/* ---- names ------------------------------------------------------------- */

static Binding *bind(Binding **scope, const char *name, Val v, SrcLoc loc)
{
    Binding *b = xcalloc(1, sizeof *b);
    b->name = name;
    b->val = v;
    b->loc = loc;
    b->next = *scope;
    *scope = b;
    return b;
}

static void unbind_all(Binding **scope)
{
    while (*scope) {
        Binding *n = (*scope)->next;
        free(*scope);
        *scope = n;
    }
}

static Binding *lookup_in(Binding *b, const char *name)
{
    for (; b; b = b->next)
        if (strcmp(b->name, name) == 0) return b;
    return NULL;
}

static int find_builtin(const char *name)
{
    for (int i = 0; i < B_COUNT; i++)
        if (strcmp(builtins[i].name, name) == 0) return i;
    return -1;
}

static int find_net(Sema *s, const char *name)
{
    for (int i = 0; i < s->m->nnets; i++)
        if (strcmp(s->m->nets[i].name, name) == 0) return i;
    return -1;
}

static int find_block(Sema *s, const char *name)
{
    for (int i = 0; i < s->nblocks; i++)
        if (strcmp(s->blocks[i]->name.name, name) == 0) return i;
    return -1;
}

/* Every name visible here, for "did you mean" hints. */
static const char *suggest_name(Sema *s, const char *word)
{
    const char *cand[512];
    int n = 0;
    for (Binding *b = s->locals; b && n < 500; b = b->next) cand[n++] = b->name;
    for (Binding *b = s->globals; b && n < 500; b = b->next) cand[n++] = b->name;
    for (int i = 0; i < s->m->nnets && n < 500; i++) cand[n++] = s->m->nets[i].name;
    for (int i = 0; i < s->nblocks && n < 500; i++) cand[n++] = s->blocks[i]->name.name;
    for (int i = 0; i < B_COUNT && n < 500; i++) cand[n++] = builtins[i].name;
    cand[n++] = "E";
    return diag_suggest(word, cand, n);
}

static void unknown_name(Sema *s, const char *name, SrcLoc loc, const char *what)
{
    const char *hint = suggest_name(s, name);
    if (hint)
        diag_error(s->diag, loc, "unknown %s '%s'; did you mean '%s'?", what, name, hint);
    else
        diag_error(s->diag, loc, "unknown %s '%s'", what, name);
}

/* Where only a net can stand (players, per-player settings): the hint is
 * a net's name, not any name in scope. */
static void unknown_net(Sema *s, const char *name, SrcLoc loc)
{
    const char *cand[512];
    int n = 0;
    for (int i = 0; i < s->m->nnets && n < 512; i++) cand[n++] = s->m->nets[i].name;
    const char *hint = diag_suggest(name, cand, n);
    if (hint) diag_error(s->diag, loc, "unknown net '%s'; did you mean '%s'?", name, hint);
    else diag_error(s->diag, loc, "unknown net '%s'", name);
}

/* For a value of the wrong kind: true if it needs no message of its own,
 * because it is an error already reported or a word, reported here as an
 * unknown name (a word where a value belongs is almost always a typo). */
static bool kind_reported(Sema *s, Val v)
{
    if (v.kind == V_WORD) unknown_name(s, v.str, v.loc, "name");
    return v.kind == V_ERR || v.kind == V_WORD;
}

/* Resolves a name to a value; words (train, same, true) stay words. */
static Val resolve(Sema *s, const char *name, SrcLoc loc)
{
    Binding *b = lookup_in(s->locals, name);
    if (!b) b = lookup_in(s->globals, name);
    if (b) {
        Val v = b->val;
        v.loc = loc;
        return v;
    }
    int i;
    if ((i = find_net(s, name)) >= 0) return (Val){.kind = V_NET, .index = i, .loc = loc};
    if ((i = find_block(s, name)) >= 0) return (Val){.kind = V_BLOCK, .index = i, .loc = loc};
    if ((i = find_builtin(name)) >= 0) return (Val){.kind = V_BUILTIN, .index = i, .loc = loc};
    return (Val){.kind = V_WORD, .str = name, .loc = loc};
}

/* ---- shapes ------------------------------------------------------------ */

/* Sizes are at most GENC_MAX_SIZE and a shape's values at most
 * GENC_MAX_COUNT: large enough for any model that trains on a CPU, small
 * enough that every product of sizes fits an int64 without overflow. */
static void unknown_name(Sema *s, const char *name, SrcLoc loc, const char *what);

static bool size_ok(Sema *s, Val v, const char *what, SrcLoc loc, int *out, bool zero_ok)
{
    if (v.kind == V_ERR) return false;
    if (v.kind == V_WORD) {
        unknown_name(s, v.str, v.loc, "name");
        return false;
    }
    if (v.kind != V_NUM) {
        diag_error(s->diag, loc, "%s must be a number, not %s", what, vkind_name(v.kind));
        return false;
    }
    if (v.num != floor(v.num)) {
        diag_error(s->diag, loc, "%s must be a whole number, got %.15g", what, v.num);
        return false;
    }
    if (v.num < (zero_ok ? 0 : 1)) {
        diag_error(s->diag, loc, "%s must be %s, got %.15g", what, zero_ok ? "0 or more" : "positive",
                   v.num);
        return false;
    }
    if (v.num > GENC_MAX_SIZE) {
        diag_error(s->diag, loc, "%s is too large: %.15g (the limit is %d)", what, v.num,
                   GENC_MAX_SIZE);
        return false;
    }
    *out = (int)v.num;
    return true;
}

static bool shape_fits(Sema *s, Shape sh, SrcLoc loc)
{
    int64_t n = 1;
    for (int i = 0; i < sh.nd; i++) {
        n *= sh.d[i];
        if (n > GENC_MAX_COUNT) {
            char b[64];
            diag_error(s->diag, loc, "shape %s is too large: more than %d values per example",
                       shp(sh, b), GENC_MAX_COUNT);
            return false;
        }
    }
    return true;
}

/* A layer's weight tensor, as the product of its sizes: within the same
 * limit as a value (lowering computes fans in int; training allocates it). */
static bool weights_fit(Sema *s, const char *layer, SrcLoc loc, int n, const int *dims)
{
    double count = 1;
    for (int i = 0; i < n; i++) count *= dims[i];
    if (count <= GENC_MAX_COUNT) return true;
    diag_error(s->diag, loc, "the weights of this '%s' would hold %.*g values, more than the "
               "limit of %d", layer, count < 1e15 ? 15 : 3, count, GENC_MAX_COUNT);
    return false;
}

/* A shape written as [a, b, c] (or a single number for a vector). */
static bool shape_of(Sema *s, Val v, Shape *out, bool batch)
{
    Shape sh = {.batch = batch};
    if (v.kind == V_ERR) return false;
    if (v.kind == V_NUM) {
        if (!size_ok(s, v, "a size", v.loc, &sh.d[0], false)) return false;
        sh.nd = 1;
    } else if (v.kind == V_LIST) {
        if (v.nitems > GENC_MAX_DIMS) {
            diag_error(s->diag, v.loc, "a shape has at most %d dimensions, this one has %d",
                       GENC_MAX_DIMS, v.nitems);
            return false;
        }
        for (int i = 0; i < v.nitems; i++)
            if (!size_ok(s, val_num(v.items[i], true, v.loc), "a size", v.loc, &sh.d[i], false))
                return false;
        sh.nd = v.nitems;
    } else {
        if (!kind_reported(s, v))
            diag_error(s->diag, v.loc, "expected a shape like [1, 28, 28], not %s",
                       vkind_name(v.kind));
        return false;
    }
    if (!shape_fits(s, sh, v.loc)) return false;
    *out = sh;
    return true;
}

static bool broadcast(Sema *s, Shape a, Shape b, Shape *out, SrcLoc loc)
{
    if (shape_broadcast(a, b, out)) return true;
    char b1[64], b2[64];
    diag_error(s->diag, loc, "shapes %s and %s do not broadcast", shp(a, b1), shp(b, b2));
    return false;
}

/* ---- arguments --------------------------------------------------------- */

/* Matches a call's arguments to builtin `id`: `flowin` is the value coming
 * in (or NULL). Returns false after reporting a mismatch. */
static Val eval(Sema *s, Ast *a, Flow flow, Val *in);

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

/* loc: where the builtin is named, for errors about the call as a whole */
static bool match_args(Sema *s, int id, Ast *call, Flow flow, Val *in, Args *ar, SrcLoc loc)
{
    const Builtin *bi = &builtins[id];
    memset(ar, 0, sizeof *ar);
    /* split the option list */
    char spec[160];
    snprintf(spec, sizeof spec, "%s", bi->params);
    bool variadic = strcmp(spec, "...") == 0;
    for (char *save, *tok = variadic ? NULL : strtok_r(spec, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        if (eq) *eq = 0;
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
        Val v = eval(s, k, FLOW_NONE, NULL);
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
        if (k->kind != AST_KW) continue;
        int j = 0;
        while (j < ar->n && strcmp(ar->name[j], k->name) != 0) j++;
        if (j == ar->n) {
            const char *hint = diag_suggest(k->name, ar->name, ar->n);
            if (hint)
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
        ar->v[j] = eval(s, k->kids[0], FLOW_NONE, NULL);
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

static Val *opt(Args *ar, const char *name)
{
    for (int i = 0; i < ar->n; i++)
        if (strcmp(ar->name[i], name) == 0) return &ar->v[i];
    GENC_ASSERT(!"unknown option name");
}

static bool given(Args *ar, const char *name)
{
    for (int i = 0; i < ar->n; i++)
        if (strcmp(ar->name[i], name) == 0) return ar->given[i];
    return false;
}

static bool opt_int(Sema *s, Args *ar, const char *name, int *out, bool zero_ok)
{
    Val *v = opt(ar, name);
    char what[64];
    snprintf(what, sizeof what, "'%s'", name);
    return size_ok(s, *v, what, v->loc, out, zero_ok);
}

static bool opt_real(Sema *s, Args *ar, const char *name, double lo, double hi, double *out)
{
    Val *v = opt(ar, name);
    if (v->kind == V_WORD) {
        unknown_name(s, v->str, v->loc, "name");
        return false;
    }
    if (v->kind != V_NUM) {
        diag_error(s->diag, v->loc, "'%s' must be a number, not %s", name, vkind_name(v->kind));
        return false;
    }
    if (!(v->num >= lo && v->num <= hi)) {
        diag_error(s->diag, v->loc, "'%s' must be between %g and %g, got %g", name, lo, hi, v->num);
        return false;
    }
    *out = v->num;
    return true;
}

/* An init: option or setting, as a Val: a word (xavier) or a call value
 * already parsed by eval_setting into a V_LIST [kind, a, b]. */
static bool init_of(Sema *s, Ast *a, Init *out);

/* ---- layers ------------------------------------------------------------ */

/* "G.deconv2": the next name for a layer of this kind in the current net */
static const char *layer_path(Sema *s, const char *kind)
{
    PathCtx *p = s->path;
    int i = 0;
    while (i < p->nnames && strcmp(p->names[i], kind) != 0) i++;
    if (i == p->nnames && i < 32) p->names[p->nnames++] = kind, p->counts[i] = 0;
    int n = i < 32 ? ++p->counts[i] : 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s.%s%d", p->prefix, kind, n);
    return sema_str(s, buf);
}

static TExpr *new_layer(Sema *s, LayerKind lk, const char *kind, SrcLoc loc, Shape out, TExpr *in)
{
    TExpr *t = tx_new(s, TX_LAYER, loc, out);
    t->layer = lk;
    tx_kid(t, in);
    Model *m = s->m;
    m->layers = xgrow(m->layers, sizeof *m->layers, (size_t)m->nlayers);
    t->path = layer_path(s, kind);
    m->layers[m->nlayers] = (Layer){xstrdup(t->path), s->net};
    t->layer_id = m->nlayers++;
    s->m->nets[s->net].nlayers++;
    return t;
}

/* conv/deconv padding: `same` (the default), `valid`, or a number. */
static bool padding_of(Sema *s, Args *ar, int *pad, bool *same)
{
    Val *v = opt(ar, "padding");
    *same = false;
    if (v->kind == V_WORD && strcmp(v->str, "same") == 0) return *same = true;
    if (v->kind == V_WORD && strcmp(v->str, "valid") == 0) return *pad = 0, true;
    if (v->kind == V_NUM) return size_ok(s, *v, "'padding'", v->loc, pad, true);
    diag_error(s->diag, v->loc, "'padding' must be same, valid or a number");
    return false;
}

static Val apply_layer(Sema *s, int id, Args *ar, SrcLoc loc, Ast *call)
{
    const Builtin *bi = &builtins[id];
    char b1[64], b2[64];
    if (s->net < 0 && (id == B_DENSE || id == B_CONV || id == B_DECONV || id == B_BATCHNORM ||
                       id == B_LAYERNORM || id == B_EMBEDDING)) {
        diag_error(s->diag, loc, "'%s' has weights, so it belongs inside a net", bi->name);
        return val_err;
    }
    TExpr *x = ar->tensors[0].t; /* match_args gives a layer tensors only */
    Shape in = x->shape, out = in;
    Init init = {INIT_DEFAULT, 0, 0};
    Ast *init_ast = NULL;
    for (int i = 0; call && i < call->nkids; i++)
        if (call->kids[i]->kind == AST_KW && strcmp(call->kids[i]->name, "init") == 0)
            init_ast = call->kids[i]->kids[0];
    if (init_ast && !init_of(s, init_ast, &init)) return val_err;
    if (!in.batch && id != B_CONCAT) {
        diag_error(s->diag, loc, "'%s' needs a batched tensor (one value per example), got %s",
                   bi->name, shp(in, b1));
        return val_err;
    }
    switch ((BuiltinId)id) {
    case B_DENSE: {
        int units;
        if (!opt_int(s, ar, "units", &units, false)) return val_err;
        if (in.nd != 1) {
            diag_error(s->diag, loc, "'dense' expects a flat input, got %s; add flatten before it",
                       shp(in, b1));
            return val_err;
        }
        out = (Shape){.nd = 1, .d = {units}, .batch = true};
        if (!weights_fit(s, "dense", loc, 2, (int[]){units, in.d[0]})) return val_err;
        TExpr *t = new_layer(s, LAYER_DENSE, "dense", loc, out, x);
        t->spec.units = units;
        t->spec.bias = opt(ar, "bias")->num != 0;
        t->init = init;
        return val_tensor(t, loc);
    }
    case B_CONV:
    case B_DECONV: {
        int f, k, st, pad = 0, op = 0;
        bool same;
        if (!opt_int(s, ar, "filters", &f, false) || !opt_int(s, ar, "kernel", &k, false) ||
            !opt_int(s, ar, "stride", &st, false) || !padding_of(s, ar, &pad, &same))
            return val_err;
        if (in.nd != 3) {
            diag_error(s->diag, loc, "'%s' expects [channels, height, width], got %s", bi->name,
                       shp(in, b1));
            return val_err;
        }
        int o[2], pads[2] = {pad, pad};
        if (id == B_CONV) {
            for (int i = 0; i < 2 && same; i++) {
                /* output ceil(size / stride), with the same padding on both
                 * sides of each dimension (rounded up; the floor of the
                 * output formula absorbs the extra row when stride > 1) */
                int want = (in.d[1 + i] + st - 1) / st, tot = (want - 1) * st + k - in.d[1 + i];
                pads[i] = tot > 0 ? (tot + 1) / 2 : 0;
                if ((in.d[1 + i] + 2 * pads[i] - k) / st + 1 != want) {
                    diag_error(s->diag, loc, "'conv' cannot keep the size (padding: same) with an "
                               "even kernel (%d) and stride 1: the padding would differ between "
                               "the sides; use an odd kernel or a padding number",
                               k);
                    return val_err;
                }
            }
            for (int i = 0; i < 2; i++) {
                int64_t num = (int64_t)in.d[1 + i] + 2 * (int64_t)pads[i] - k;
                o[i] = num < 0 ? 0 : (int)(num / st + 1);
            }
            pad = pads[0];
            if (o[0] <= 0 || o[1] <= 0) {
                diag_error(s->diag, loc,
                           "'conv' output would be empty: input %dx%d, kernel %d, stride %d, "
                           "padding %d",
                           in.d[1], in.d[2], k, st, pad);
                return val_err;
            }
        } else {
            if (same) {
                /* output H * stride: 2*pad - output_padding = kernel - stride */
                pad = k > st ? (k - st + 1) / 2 : 0;
                op = 2 * pad - (k - st);
            }
            if (given(ar, "output_padding") && !opt_int(s, ar, "output_padding", &op, true))
                return val_err;
            if (op >= st && op > 0) {
                if (given(ar, "output_padding"))
                    diag_error(s->diag, opt(ar, "output_padding")->loc,
                               "'output_padding' must be smaller than the stride (%d), got %d", st,
                               op);
                else /* computed for padding: same, which the user did not write */
                    diag_error(s->diag, loc, "'deconv' cannot keep the size (padding: same) with "
                               "an even kernel (%d) and stride 1; use an odd kernel or a "
                               "padding number", k);
                return val_err;
            }
            for (int i = 0; i < 2; i++) {
                int64_t v = ((int64_t)in.d[1 + i] - 1) * st - 2 * (int64_t)pad + k + op;
                o[i] = v > GENC_MAX_SIZE ? -1 : (int)v;
            }
            if (o[0] <= 0 || o[1] <= 0) {
                diag_error(s->diag, loc,
                           "'deconv' output size is not positive: input %dx%d, kernel %d, "
                           "stride %d, padding %d",
                           in.d[1], in.d[2], k, st, pad);
                return val_err;
            }
        }
        out = (Shape){.nd = 3, .d = {f, o[0], o[1]}, .batch = true};
        if (!shape_fits(s, out, loc)) return val_err;
        if (!weights_fit(s, bi->name, loc, 4, (int[]){f, in.d[0], k, k})) return val_err;
        TExpr *t = new_layer(s, id == B_CONV ? LAYER_CONV : LAYER_DECONV, bi->name, loc, out, x);
        t->spec.units = f;
        t->spec.bias = opt(ar, "bias")->num != 0;
        t->spec.kernel = k;
        t->attr.stride[0] = t->attr.stride[1] = st;
        t->attr.pad[0] = pad;
        t->attr.pad[1] = id == B_CONV ? pads[1] : pad;
        if (id == B_DECONV) t->attr.outpad[0] = t->attr.outpad[1] = op;
        t->init = init;
        return val_tensor(t, loc);
    }
    case B_BATCHNORM:
    case B_LAYERNORM: {
        double eps, mom = 0;
        if (!opt_real(s, ar, "eps", 0, 1, &eps)) return val_err;
        if (id == B_BATCHNORM && !opt_real(s, ar, "momentum", 0, 1, &mom)) return val_err;
        if (in.nd == 0) {
            diag_error(s->diag, loc, "'%s' needs features to normalise, got %s", bi->name,
                       shp(in, b1));
            return val_err;
        }
        bool bn = id == B_BATCHNORM;
        TExpr *t = new_layer(s, bn ? LAYER_BATCHNORM : LAYER_LAYERNORM, bi->name, loc, in, x);
        t->attr.eps = eps;
        t->attr.momentum = mom;
        return val_tensor(t, loc);
    }
    case B_EMBEDDING: {
        int v, d;
        if (!opt_int(s, ar, "vocabulary", &v, false) || !opt_int(s, ar, "dimension", &d, false))
            return val_err;
        if (in.nd != 0) {
            diag_error(s->diag, loc, "'embedding' takes one class index per example, got %s",
                       shp(in, b1));
            return val_err;
        }
        out = (Shape){.nd = 1, .d = {d}, .batch = true};
        if (!weights_fit(s, "embedding", loc, 2, (int[]){v, d})) return val_err;
        TExpr *t = new_layer(s, LAYER_EMBEDDING, "embedding", loc, out, x);
        t->spec.vocabulary = v;
        t->spec.dimension = d;
        t->init = init;
        return val_tensor(t, loc);
    }
    case B_DROPOUT: {
        double p;
        if (!opt_real(s, ar, "p", 0, 0.999, &p)) return val_err;
        TExpr *t = tx_op(s, OP_dropout, loc, in, x, NULL);
        t->attr.p = p;
        /* each dropout written draws its own mask: the site number keeps
         * CSE from merging two of them on the same input (rewrite.c then
         * numbers the masks by node) */
        t->attr.stream = ++s->dropouts;
        return val_tensor(t, loc);
    }
    case B_FLATTEN:
    case B_RESHAPE: {
        out = (Shape){.batch = true};
        if (id == B_FLATTEN) {
            out.nd = 1;
            out.d[0] = (int)shape_count(in);
        } else {
            if (ar->nrest == 1 && ar->rest[0].kind == V_LIST) {
                if (!shape_of(s, ar->rest[0], &out, true)) return val_err;
            } else {
                if (ar->nrest == 0) {
                    diag_error(s->diag, loc, "'reshape' needs the new shape, e.g. reshape(256, 7, 7)");
                    return val_err;
                }
                for (int i = 0; i < ar->nrest; i++)
                    if (!size_ok(s, ar->rest[i], "a size", ar->rest[i].loc, &out.d[out.nd++], false))
                        return val_err;
                if (!shape_fits(s, out, loc)) return val_err;
            }
            if (shape_count(out) != shape_count(in)) {
                diag_error(s->diag, loc, "'reshape' to %s needs %lld values per example, but its "
                           "input %s has %lld",
                           shp(out, b1), (long long)shape_count(out), shp(in, b2),
                           (long long)shape_count(in));
                return val_err;
            }
        }
        return val_tensor(tx_op(s, OP_reshape, loc, out, x, NULL), loc);
    }
    case B_UPSAMPLE: {
        int f;
        if (!opt_int(s, ar, "factor", &f, false)) return val_err;
        if (in.nd != 3) {
            diag_error(s->diag, loc, "'upsample' expects [channels, height, width], got %s",
                       shp(in, b1));
            return val_err;
        }
        out.d[1] = (int)fmin((double)in.d[1] * f, GENC_MAX_SIZE);
        out.d[2] = (int)fmin((double)in.d[2] * f, GENC_MAX_SIZE);
        if (!shape_fits(s, out, loc)) return val_err;
        TExpr *t = tx_op(s, OP_upsample, loc, out, x, NULL);
        t->attr.factor = f;
        return val_tensor(t, loc);
    }
    case B_MAXPOOL:
    case B_AVGPOOL: {
        int k, st;
        if (!opt_int(s, ar, "kernel", &k, false)) return val_err;
        st = k;
        if (given(ar, "stride") && !opt_int(s, ar, "stride", &st, false)) return val_err;
        if (in.nd != 3) {
            diag_error(s->diag, loc, "'%s' expects [channels, height, width], got %s", bi->name,
                       shp(in, b1));
            return val_err;
        }
        if (in.d[1] < k || in.d[2] < k) {
            diag_error(s->diag, loc, "'%s' kernel %d is larger than its input %dx%d", bi->name, k,
                       in.d[1], in.d[2]);
            return val_err;
        }
        out.d[1] = (in.d[1] - k) / st + 1;
        out.d[2] = (in.d[2] - k) / st + 1;
        TExpr *t = tx_op(s, id == B_MAXPOOL ? OP_maxpool : OP_avgpool, loc, out, x, NULL);
        t->attr.kernel = k;
        t->attr.stride[0] = t->attr.stride[1] = st;
        return val_tensor(t, loc);
    }
    case B_CONCAT: {
        int axis;
        if (!opt_int(s, ar, "axis", &axis, true)) return val_err;
        TExpr *acc = x;
        for (int i = 1; i < ar->ntensors; i++) {
            Shape a = acc->shape, b = ar->tensors[i].t->shape;
            bool ok = a.batch && b.batch && a.nd == b.nd && axis < a.nd;
            for (int d = 0; ok && d < a.nd; d++)
                if (d != axis && a.d[d] != b.d[d]) ok = false;
            if (!ok) {
                diag_error(s->diag, ar->tensors[i].loc,
                           "'concat' along axis %d cannot join %s and %s", axis, shp(a, b1),
                           shp(b, b2));
                return val_err;
            }
            Shape o = a;
            int64_t joined = (int64_t)a.d[axis] + b.d[axis];
            if (joined > GENC_MAX_SIZE) {
                diag_error(s->diag, loc, "'concat' would make axis %d %lld long (the limit is %d)",
                           axis, (long long)joined, GENC_MAX_SIZE);
                return val_err;
            }
            o.d[axis] = (int)joined;
            if (!shape_fits(s, o, loc)) return val_err;
            acc = tx_op(s, OP_concat, loc, o, acc, ar->tensors[i].t);
            acc->attr.axis = axis;
        }
        return val_tensor(acc, loc);
    }
    default:
        GENC_ASSERT(!"not a layer");
    }
}

/* ---- functions --------------------------------------------------------- */

/* sum over each example's elements; a batched result has shape [] */
static TExpr *per_example(Sema *s, Op op, TExpr *x, SrcLoc loc)
{
    return tx_op(s, op, loc, (Shape){.batch = x->shape.batch}, x, NULL);
}

static TExpr *binop(Sema *s, Op op, TExpr *a, TExpr *b, SrcLoc loc)
{
    Shape out;
    if (!broadcast(s, a->shape, b->shape, &out, loc)) return NULL;
    return tx_op(s, op, loc, out, a, b);
}

static Val apply_func(Sema *s, int id, Args *ar, SrcLoc loc)
{
    const Builtin *bi = &builtins[id];
    TExpr *t[2]; /* match_args gives a function tensors and numbers only */
    /* a function of numbers only is folded */
    if (ar->ntensors == 1 && ar->tensors[0].kind == V_NUM) {
        double v = ar->tensors[0].num, r;
        switch (id) {
        case B_LOG: r = log(v); break;
        case B_EXP: r = exp(v); break;
        case B_SQRT: r = sqrt(v); break;
        case B_ABS: r = fabs(v); break;
        default: goto tensor;
        }
        if (!isfinite(r)) {
            diag_error(s->diag, loc, "%s(%g) is not a finite number", bi->name, v);
            return val_err;
        }
        return val_num(r, false, loc);
    }
tensor:
    for (int i = 0; i < ar->ntensors; i++) t[i] = as_tensor(s, ar->tensors[i]);
    Shape in = t[0]->shape;
    char b1[64], b2[64];
    Op unary = OP_COUNT;
    switch ((BuiltinId)id) {
    case B_RELU: unary = OP_relu; break;
    case B_TANH: unary = OP_tanh; break;
    case B_SIGMOID: unary = OP_sigmoid; break;
    case B_SOFTPLUS: unary = OP_softplus; break;
    case B_GELU: unary = OP_gelu; break;
    case B_LOG_SIGMOID: unary = OP_log_sigmoid; break;
    case B_LOG: unary = OP_log; break;
    case B_EXP: unary = OP_exp; break;
    case B_SQRT: unary = OP_sqrt; break;
    case B_ABS: unary = OP_abs; break;
    case B_LEAKY_RELU:
    case B_ELU: {
        double a;
        if (!opt_real(s, ar, id == B_ELU ? "alpha" : "slope", 0, 1e6, &a)) return val_err;
        TExpr *r = tx_op(s, id == B_ELU ? OP_elu : OP_leaky_relu, loc, in, t[0], NULL);
        if (id == B_ELU) r->attr.alpha = a;
        else r->attr.slope = a;
        return val_tensor(r, loc);
    }
    case B_SOFTMAX:
    case B_LOG_SOFTMAX:
        if (in.nd == 0) {
            diag_error(s->diag, loc, "'%s' needs a vector per example, got %s", bi->name,
                       shp(in, b1));
            return val_err;
        }
        return val_tensor(tx_op(s, id == B_SOFTMAX ? OP_softmax : OP_log_softmax, loc, in, t[0], NULL),
                          loc);
    case B_SUM: return val_tensor(per_example(s, OP_sum, t[0], loc), loc);
    case B_MEAN: return val_tensor(per_example(s, OP_mean, t[0], loc), loc);
    case B_ONEHOT: {
        int n;
        if (!opt_int(s, ar, "classes", &n, false)) return val_err;
        if (in.nd != 0 || !in.batch) {
            diag_error(s->diag, loc, "'onehot' takes one class index per example, got %s",
                       shp(in, b1));
            return val_err;
        }
        TExpr *r = tx_op(s, OP_onehot, loc, (Shape){.nd = 1, .d = {n}, .batch = true}, t[0], NULL);
        r->attr.classes = n;
        return val_tensor(r, loc);
    }
    case B_BCE:
    case B_MSE:
    case B_L1:
    case B_KL_NORMAL: {
        Op op = id == B_BCE ? OP_bce : id == B_KL_NORMAL ? OP_kl_normal : OP_sub;
        if (op != OP_sub) {
            /* the loss kernels take equal shapes: broadcast explicitly */
            Shape o;
            if (!broadcast(s, t[0]->shape, t[1]->shape, &o, loc)) return val_err;
            for (int i = 0; i < 2; i++)
                if (!shape_eq(t[i]->shape, o)) {
                    t[i] = tx_op(s, OP_expand, loc, o, t[i], NULL);
                    t[i]->attr.scale = 1;
                }
        }
        TExpr *e = binop(s, op, t[0], t[1], loc);
        if (!e) return val_err;
        if (id == B_MSE) {
            e = tx_op(s, OP_powc, loc, e->shape, e, NULL);
            e->attr.exponent = 2;
        } else if (id == B_L1) {
            e = tx_op(s, OP_abs, loc, e->shape, e, NULL);
        }
        return val_tensor(per_example(s, OP_sum, e, loc), loc);
    }
    case B_CROSS_ENTROPY: {
        /* -sum(t * log(p)); class indices become one-hot rows */
        TExpr *p = t[0], *y = t[1];
        if (p->shape.nd != 1 || !p->shape.batch) {
            diag_error(s->diag, loc, "'cross_entropy' needs class probabilities [classes] per "
                       "example, got %s", shp(p->shape, b1));
            return val_err;
        }
        if (y->shape.nd == 0 && y->shape.batch) {
            y = tx_op(s, OP_onehot, loc, p->shape, y, NULL);
            y->attr.classes = p->shape.d[0];
        } else if (!shape_eq(y->shape, p->shape)) {
            diag_error(s->diag, loc, "'cross_entropy' targets must be class indices or %s, got %s",
                       shp(p->shape, b1), shp(y->shape, b2));
            return val_err;
        }
        /* only at the top level: inside a net body p is made of the net's
         * inputs, which have no value outside a call */
        if (!s->m->judge && s->net < 0) s->m->judge = p;
        TExpr *lp = tx_op(s, OP_log, loc, p->shape, p, NULL);
        TExpr *e = tx_op(s, OP_mul, loc, p->shape, y, lp);
        e = per_example(s, OP_sum, e, loc);
        return val_tensor(tx_op(s, OP_neg, loc, e->shape, e, NULL), loc);
    }
    default:
        GENC_ASSERT(!"not a function");
    }
    return val_tensor(tx_op(s, unary, loc, in, t[0], NULL), loc);
}

/* ---- nets and blocks --------------------------------------------------- */

static Val eval_body(Sema *s, StmtList *body, Val cur);

static bool net_signature(Sema *s, int n);

static Val call_net(Sema *s, int n, Ast *call, Flow flow, Val *in, SrcLoc loc)
{
    Net *net = &s->m->nets[n];
    if (!net_signature(s, n)) return val_err;
    Val args[GENC_MAX_NET_INPUTS];
    int nargs = 0;
    int given_n = 0;
    for (int i = 0; call && i < call->nkids; i++) {
        if (call->kids[i]->kind == AST_KW) {
            diag_error(s->diag, call->kids[i]->loc, "net '%s' takes no keyword arguments",
                       net->name);
            return val_err;
        }
        given_n++;
    }
    bool prepend = in && (flow == FLOW_MUST || (flow == FLOW_MAYBE && given_n < net->nargs));
    if (prepend) args[nargs++] = *in;
    if (given_n + nargs != net->nargs) {
        diag_error(s->diag, loc, "net '%s' takes %d input%s, got %d", net->name, net->nargs,
                   net->nargs == 1 ? "" : "s", given_n + nargs);
        return val_err;
    }
    for (int i = 0; call && i < call->nkids; i++) {
        Val v = eval(s, call->kids[i], FLOW_NONE, NULL);
        if (v.kind == V_ERR) return val_err;
        args[nargs++] = v;
    }
    TExpr *t = tx_new(s, TX_CALL, loc, net->outshape[0]);
    t->ival = n;
    for (int i = 0; i < nargs; i++) {
        char b1[64], b2[64];
        Shape want = net->argshape[i];
        if (args[i].kind != V_TENSOR) {
            if (!kind_reported(s, args[i]))
                diag_error(s->diag, args[i].loc, "input '%s' of net '%s' must be a tensor, not %s",
                           net->argname[i], net->name, vkind_name(args[i].kind));
            return val_err;
        }
        Shape got = args[i].t->shape;
        if (!shape_eq(want, got)) {
            const char *who = args[i].t->kind == TX_CALL ? s->m->nets[args[i].t->ival].name : NULL;
            if (who)
                diag_error(s->diag, args[i].loc, "%s expects %s but %s returns %s", net->name,
                           shp(want, b1), who, shp(got, b2));
            else
                diag_error(s->diag, args[i].loc, "input '%s' of net '%s' must be %s, got %s",
                           net->argname[i], net->name, shp(want, b1), shp(got, b2));
            return val_err;
        }
        tx_kid(t, args[i].t);
    }
    if (s->net >= 0) s->calls[s->net][n] = true;
    return val_tensor(t, loc);
}

static Val call_block(Sema *s, int b, Ast *call, Val *in, SrcLoc loc)
{
    Decl *d = s->blocks[b];
    if (!in) {
        diag_error(s->diag, loc, "block '%s' needs an input: use it after '->' or at the start "
                   "of a line in a net", d->name.name);
        return val_err;
    }
    /* a block that uses itself never ends: report it once, then unwind
     * quietly (every level of the recursion would repeat the message) */
    if (s->block_loop) return val_err;
    /* a block's errors are reported at its first use that has them (later
     * uses would repeat them), and uses count against the size limit:
     * blocks full of errors make no nodes, and would otherwise be expanded
     * exponentially all the same */
    if (s->too_big || s->block_bad[b]) return val_err;
    if (++s->block_uses > GENC_MAX_OPERATIONS) {
        too_big(s, loc);
        return val_err;
    }
    if (s->block_active[b] || s->block_depth >= GENC_MAX_BLOCK_DEPTH) {
        if (s->block_active[b])
            diag_error(s->diag, loc, "block '%s' uses itself; blocks cannot be recursive",
                       d->name.name);
        else
            diag_error(s->diag, loc, "blocks nested more than %d deep", GENC_MAX_BLOCK_DEPTH);
        s->block_loop = true;
        return val_err;
    }
    int given_n = call ? call->nkids : 0;
    if (given_n != d->names.n) {
        diag_error(s->diag, loc, "block '%s' takes %d argument%s, got %d", d->name.name,
                   d->names.n, d->names.n == 1 ? "" : "s", given_n);
        return val_err;
    }
    Binding *saved = s->locals, *scope = NULL;
    for (int i = 0; i < given_n; i++) {
        if (call->kids[i]->kind == AST_KW) {
            diag_error(s->diag, call->kids[i]->loc, "block '%s' takes no keyword arguments",
                       d->name.name);
            unbind_all(&scope);
            return val_err;
        }
        Val v = eval(s, call->kids[i], FLOW_NONE, NULL);
        if (v.kind == V_ERR) {
            unbind_all(&scope);
            return val_err;
        }
        bind(&scope, d->names.v[i].name, v, d->names.v[i].loc);
    }
    if (in->kind == V_ERR) { /* the line above failed: reported there */
        unbind_all(&scope);
        return val_err;
    }
    /* the block sees its arguments and the globals, not the caller's locals */
    s->locals = scope;
    PathCtx ctx = {.prefix = layer_path(s, d->name.name)}, *outer = s->path;
    s->path = &ctx;
    s->block_depth++;
    s->block_active[b] = true;
    int errors = s->diag->nerrors;
    Val r = eval_body(s, &d->body, *in);
    s->block_active[b] = false;
    if (s->diag->nerrors > errors) s->block_bad[b] = true;
    if (--s->block_depth == 0) s->block_loop = false;
    s->path = outer;
    unbind_all(&s->locals);
    s->locals = saved;
    return r;
}

/* ---- expressions ------------------------------------------------------- */

static Val call_builtin(Sema *s, int id, Ast *call, Flow flow, Val *in, SrcLoc loc)
{
    const Builtin *bi = &builtins[id];
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
    if (!match_args(s, id, call, flow, in, &ar, loc)) return val_err;
    for (int i = 0; i < ar.ntensors; i++)
        if (ar.tensors[i].kind == V_ERR) return val_err; /* reported where it arose */
    return bi->kind == BK_LAYER ? apply_layer(s, id, &ar, loc, call) : apply_func(s, id, &ar, loc);
}

/* name or name(args) in stage position or as an expression */
static Val eval_call(Sema *s, Ast *a, Flow flow, Val *in)
{
    Ast *call = a->kind == AST_CALL ? a : NULL;
    Val f = resolve(s, a->name, a->loc);
    switch (f.kind) {
    case V_NET: return call_net(s, f.index, call, flow, in, a->loc);
    case V_BLOCK: return call_block(s, f.index, call, in, a->loc);
    case V_BUILTIN: return call_builtin(s, f.index, call, flow, in, a->loc);
    case V_WORD:
        if (call || flow != FLOW_NONE) {
            unknown_name(s, a->name, a->loc, call ? "layer or function" : "name");
            return val_err;
        }
        return f; /* a word argument like `train` or `same` */
    default:
        if (call) {
            diag_error(s->diag, a->loc, "'%s' is %s, not a layer or function", a->name,
                       vkind_name(f.kind));
            return val_err;
        }
        if (flow == FLOW_MUST) {
            diag_error(s->diag, a->loc, "'%s' is %s, not a layer; it cannot follow '->'", a->name,
                       vkind_name(f.kind));
            return val_err;
        }
        return f;
    }
}

static Val eval_bin(Sema *s, Ast *a)
{
    Val x = eval(s, a->kids[0], FLOW_NONE, NULL), y = eval(s, a->kids[1], FLOW_NONE, NULL);
    if (x.kind == V_ERR || y.kind == V_ERR) return val_err;
    char opname[2] = {(char)a->op, 0};
    for (int i = 0; i < 2; i++) {
        Val v = i ? y : x;
        if (v.kind != V_NUM && v.kind != V_TENSOR) {
            if (v.kind == V_WORD) unknown_name(s, v.str, v.loc, "name");
            else
                diag_error(s->diag, v.loc, "'%s' needs numbers or tensors, not %s", opname,
                           vkind_name(v.kind));
            return val_err;
        }
    }
    if (x.kind == V_NUM && y.kind == V_NUM) {
        double r = 0;
        switch (a->op) {
        case '+': r = x.num + y.num; break;
        case '-': r = x.num - y.num; break;
        case '*': r = x.num * y.num; break;
        case '/':
            if (y.num == 0) {
                diag_error(s->diag, a->loc, "division by zero");
                return val_err;
            }
            r = x.num / y.num;
            break;
        case '^': r = pow(x.num, y.num); break;
        }
        if (!isfinite(r)) {
            diag_error(s->diag, a->loc, "%g %s %g is not a finite number", x.num, opname, y.num);
            return val_err;
        }
        /* a folded constant stands for all of `100000*100000`, so that an
         * error about its value underlines it whole */
        return val_num(r, x.is_int && y.is_int && a->op != '/' && r == floor(r),
                       loc_span(x.loc, y.loc));
    }
    if (a->op == '^') {
        if (y.kind != V_NUM) {
            diag_error(s->diag, y.loc, "the exponent of '^' must be a number");
            return val_err;
        }
        TExpr *t = tx_op(s, OP_powc, a->loc, x.t->shape, x.t, NULL);
        t->attr.exponent = y.num;
        return val_tensor(t, a->loc);
    }
    Op op = a->op == '+' ? OP_add : a->op == '-' ? OP_sub : a->op == '*' ? OP_mul : OP_div;
    TExpr *t = binop(s, op, as_tensor(s, x), as_tensor(s, y), a->loc);
    return t ? val_tensor(t, a->loc) : val_err;
}

/* E[x]: the mean over the batch of one value per example */
static Val eval_expect(Sema *s, Ast *a)
{
    if (strcmp(a->name, "E") != 0) {
        diag_error(s->diag, a->loc, "only E[...] takes square brackets; did you mean %s(...)?",
                   a->name);
        return val_err;
    }
    Val v = eval(s, a->kids[0], FLOW_NONE, NULL);
    if (kind_reported(s, v)) return val_err;
    char b1[64];
    if (v.kind != V_TENSOR && v.kind != V_NUM) {
        diag_error(s->diag, a->loc, "E[...] averages a value per example, not %s",
                   vkind_name(v.kind));
        return val_err;
    }
    if (v.kind != V_TENSOR || !v.t->shape.batch) {
        diag_error(s->diag, a->loc, "E[...] averages over the batch, but its argument does not "
                   "depend on the data or the noise");
        return val_err;
    }
    if (shape_count(v.t->shape) != 1) {
        diag_error(s->diag, a->loc, "E[...] needs one value per example, got %s; reduce it "
                   "first, e.g. E[sum(...)]", shp(v.t->shape, b1));
        return val_err;
    }
    return val_tensor(tx_op(s, OP_batch_mean, a->loc, scalar, v.t, NULL), a->loc);
}

static Val eval_list(Sema *s, Ast *a)
{
    Val r = {.kind = V_LIST, .loc = a->loc};
    for (int i = 0; i < a->nkids; i++) {
        if (a->kids[i]->kind == AST_KW) {
            diag_error(s->diag, a->kids[i]->loc, "a list holds values, not options");
            return val_err;
        }
        Val v = eval(s, a->kids[i], FLOW_NONE, NULL);
        if (v.kind == V_ERR) return v;
        if (v.kind != V_NUM) {
            if (!kind_reported(s, v))
                diag_error(s->diag, v.loc, "a list holds numbers, not %s", vkind_name(v.kind));
            return val_err;
        }
        if (r.nitems == GENC_MAX_LIST) {
            diag_error(s->diag, a->loc, "a list holds at most %d numbers", GENC_MAX_LIST);
            return val_err;
        }
        r.items[r.nitems++] = v.num;
    }
    return r;
}

static Val eval_pipe(Sema *s, Ast *a, Flow flow, Val *in)
{
    Val cur = eval(s, a->kids[0], flow, in);
    for (int i = 1; i < a->nkids && cur.kind != V_ERR; i++) {
        Ast *k = a->kids[i];
        if (cur.kind != V_TENSOR) {
            diag_error(s->diag, a->kids[i - 1]->loc, "'->' needs a tensor on its left, not %s",
                       vkind_name(cur.kind));
            return val_err;
        }
        if (k->kind != AST_CALL && k->kind != AST_NAME) {
            diag_error(s->diag, k->loc, "after '->' comes a layer, net or block");
            return val_err;
        }
        cur = eval_call(s, k, FLOW_MUST, &cur);
    }
    return cur;
}

static Val eval(Sema *s, Ast *a, Flow flow, Val *in)
{
    if (s->too_big) return val_err;
    if (a->too_deep) {
        diag_error(s->diag, a->loc, "expression too deep: more than %d operations inside each "
                   "other; split it into named parts", GENC_MAX_DEPTH);
        return val_err;
    }
    switch (a->kind) {
    case AST_NUM: return val_num(a->num, a->is_int, a->loc);
    case AST_STR: return (Val){.kind = V_STR, .str = a->name, .loc = a->loc};
    case AST_NAME:
    case AST_CALL: return eval_call(s, a, flow, in);
    case AST_LIST: return eval_list(s, a);
    case AST_INDEX: return eval_expect(s, a);
    case AST_BIN: return eval_bin(s, a);
    case AST_NEG: {
        Val v = eval(s, a->kids[0], FLOW_NONE, NULL);
        if (v.kind == V_NUM) return val_num(-v.num, v.is_int, a->loc);
        if (v.kind == V_TENSOR)
            return val_tensor(tx_op(s, OP_neg, a->loc, v.t->shape, v.t, NULL), a->loc);
        if (!kind_reported(s, v)) diag_error(s->diag, a->loc, "'-' needs a number or a tensor");
        return val_err;
    }
    case AST_PIPE: return eval_pipe(s, a, flow, in);
    case AST_KW:
        diag_error(s->diag, a->loc, "an option (%s: ...) is only allowed inside a call", a->name);
        return val_err;
    }
    return val_err;
}

/* Statements of a net or block body; each bare pipeline takes `cur` as its
 * input when it leaves it out, and its value becomes `cur`. */
/* a, b = Net(x): one name per named output of the net */
static void unpack(Sema *s, Val v, IdentList *names, Binding **scope)
{
    SrcLoc loc = loc_span(names->v[0].loc, names->v[names->n - 1].loc);
    if (v.kind == V_TENSOR && v.t->kind == TX_CALL) {
        Net *net = &s->m->nets[v.t->ival];
        if (net->nouts == names->n) {
            for (int i = 0; i < names->n; i++) {
                TExpr *t = tx_new(s, TX_CALL, v.t->loc, net->outshape[i]);
                t->ival = v.t->ival;
                t->out = i;
                for (int k = 0; k < v.t->nkids; k++) tx_kid(t, v.t->kids[k]);
                bind(scope, names->v[i].name, val_tensor(t, names->v[i].loc), names->v[i].loc);
            }
            return;
        }
        diag_error(s->diag, loc, "net '%s' has %d output%s, but %d names are given", net->name,
                   net->nouts, net->nouts == 1 ? "" : "s", names->n);
    } else if (!kind_reported(s, v)) {
        diag_error(s->diag, loc, "only a net call can be unpacked into several names");
    }
    for (int i = 0; i < names->n; i++) bind(scope, names->v[i].name, val_err, names->v[i].loc);
}

static Val eval_body(Sema *s, StmtList *body, Val cur)
{
    for (int i = 0; i < body->n; i++) {
        Stmt *st = &body->v[i];
        /* after a line with an error, cur is that error: a line that would
         * take it as input fails quietly instead of saying it has none */
        bool flows = cur.kind == V_TENSOR || cur.kind == V_ERR;
        Val v = eval(s, st->value, flows ? FLOW_MAYBE : FLOW_NONE, flows ? &cur : NULL);
        if (st->names.n == 0) {
            if (v.kind != V_TENSOR && v.kind != V_ERR) {
                diag_error(s->diag, st->loc, "this line computes %s, not a tensor",
                           vkind_name(v.kind));
                v = val_err;
            }
            cur = v;
            continue;
        }
        if (st->names.n > 1) {
            unpack(s, v, &st->names, &s->locals);
            continue;
        }
        Binding *old = lookup_in(s->locals, st->names.v[0].name);
        if (old && old->val.kind != V_ERR) {
            diag_error(s->diag, st->names.v[0].loc, "'%s' is already defined on line %d",
                       st->names.v[0].name, old->loc.line);
        }
        bind(&s->locals, st->names.v[0].name, v, st->names.v[0].loc);
        if (v.kind == V_TENSOR) cur = v;
    }
    return cur;
}

/* ---- declarations ------------------------------------------------------ */

/* The input and output shapes of net n, evaluated once (they may use
 * constants); the body is checked separately. */
static bool net_signature(Sema *s, int n)
{
    if (s->sig_state[n] == 2) return true;
    if (s->sig_state[n] != 0) return false; /* in progress, or failed and reported */
    s->sig_state[n] = 1;
    Decl *d = s->netdecl[n];
    Net *net = &s->m->nets[n];
    Binding *saved = s->locals;
    s->locals = NULL;
    bool ok = true;
    if (d->names.n > GENC_MAX_NET_INPUTS) {
        diag_error(s->diag, d->names.v[GENC_MAX_NET_INPUTS].loc, "a net takes at most %d inputs",
                   GENC_MAX_NET_INPUTS);
        ok = false;
    }
    net->nargs = d->names.n;
    net->argname = xcalloc((size_t)net->nargs, sizeof *net->argname);
    net->argshape = xcalloc((size_t)net->nargs, sizeof *net->argshape);
    for (int i = 0; i < d->names.n; i++) {
        net->argname[i] = xstrdup(d->names.v[i].name);
        for (int j = 0; j < i; j++)
            if (strcmp(d->names.v[j].name, d->names.v[i].name) == 0) {
                diag_error(s->diag, d->names.v[i].loc, "net '%s' has two inputs named '%s'",
                           net->name, d->names.v[i].name);
                ok = false;
            }
        Val v = eval(s, d->shapes[i], FLOW_NONE, NULL);
        ok &= shape_of(s, v, &net->argshape[i], true);
    }
    net->nouts = d->nouts;
    net->outname = xcalloc((size_t)d->nouts, sizeof *net->outname);
    net->outshape = xcalloc((size_t)d->nouts, sizeof *net->outshape);
    net->outs = xcalloc((size_t)d->nouts, sizeof *net->outs);
    for (int i = 0; i < d->nouts; i++) {
        if (d->named_outs) net->outname[i] = xstrdup(d->outs.v[i].name);
        Val v = eval(s, d->oshapes[i], FLOW_NONE, NULL);
        ok &= shape_of(s, v, &net->outshape[i], true);
    }
    s->locals = saved;
    s->sig_state[n] = ok ? 2 : 3;
    return ok;
}

static void check_net(Sema *s, int n)
{
    Decl *d = s->netdecl[n];
    Net *net = &s->m->nets[n];
    int errors = s->diag->nerrors;
    if (!net_signature(s, n)) {
        s->net_bad[n] = true;
        return;
    }
    s->net = n;
    PathCtx ctx = {.prefix = net->name};
    s->path = &ctx;
    for (int i = 0; i < net->nargs; i++) {
        TExpr *t = tx_new(s, TX_ARG, d->names.v[i].loc, net->argshape[i]);
        t->ival = i;
        bind(&s->locals, net->argname[i], val_tensor(t, t->loc), t->loc);
    }
    Val first = net->nargs ? lookup_in(s->locals, net->argname[0])->val : val_err;
    if (d->body.n == 0) diag_error(s->diag, d->name.loc, "net '%s' has an empty body", net->name);
    Val cur = eval_body(s, &d->body, first);
    char b1[64], b2[64];
    for (int i = 0; i < net->nouts; i++) {
        Val v = cur;
        SrcLoc where = d->body.n ? d->body.v[d->body.n - 1].loc : d->name.loc;
        if (net->outname[i]) {
            Binding *b = lookup_in(s->locals, net->outname[i]);
            if (!b || (b->val.kind == V_TENSOR && b->val.t->kind == TX_ARG &&
                       strcmp(net->argname[b->val.t->ival], net->outname[i]) == 0)) {
                diag_error(s->diag, d->outs.v[i].loc, "output '%s' of net '%s' is never assigned",
                           net->outname[i], net->name);
                continue;
            }
            v = b->val;
            where = b->loc;
        }
        if (v.kind == V_ERR) continue;
        if (v.kind != V_TENSOR) { /* `b = 1`: a named output bound to a number */
            diag_error(s->diag, where, "output '%s' of net '%s' is %s, not a tensor",
                       net->outname[i], net->name, vkind_name(v.kind));
            continue;
        }
        if (!shape_eq(v.t->shape, net->outshape[i])) {
            diag_error(s->diag, where, "net '%s' is declared to return %s but its body gives %s",
                       net->name, shp(net->outshape[i], b1), shp(v.t->shape, b2));
            continue;
        }
        net->outs[i] = v.t;
    }
    unbind_all(&s->locals);
    s->path = NULL;
    s->net = -1;
    if (s->diag->nerrors != errors) s->net_bad[n] = true;
}

/* A declaration of data or noise that failed still binds its names (those
 * not bound already) to an error value, so that their uses are not
 * reported again as unknown names. */
static void bind_failed_source(Sema *s, Decl *d)
{
    const Ident *names = d->kind == DECL_DATA ? d->names.v : &d->name;
    int n = d->kind == DECL_DATA ? d->names.n : 1;
    for (int i = 0; i < n; i++)
        if (!lookup_in(s->globals, names[i].name))
            bind(&s->globals, names[i].name, val_err, names[i].loc);
}

/* Declares the data or noise of d and binds its names; false, with nothing
 * bound, when it failed. */
static bool declare_source(Sema *s, Decl *d)
{
    Ast *a = d->value;
    if (a->kind != AST_CALL && a->kind != AST_NAME) {
        diag_error(s->diag, a->loc, "expected a distribution or dataset after '~', like "
                   "normal(100) or mnist(train)");
        return false;
    }
    int id = find_builtin(a->name);
    if (id < 0 || builtins[id].kind != BK_SOURCE) {
        static const char *const sources[] = {"mnist", "fashion_mnist", "idx", "normal", "uniform",
                                              "categorical"};
        const char *hint = diag_suggest(a->name, sources, (int)GENC_COUNT(sources));
        if (hint)
            diag_error(s->diag, a->loc, "unknown %s '%s'; did you mean '%s'?",
                       d->kind == DECL_DATA ? "dataset" : "distribution", a->name, hint);
        else
            diag_error(s->diag, a->loc, "unknown %s '%s' (%s)",
                       d->kind == DECL_DATA ? "dataset" : "distribution", a->name,
                       d->kind == DECL_DATA ? "datasets: mnist, fashion_mnist, idx(\"dir\")"
                                            : "distributions: normal, uniform, categorical");
        return false;
    }
    bool is_data = id == B_MNIST || id == B_FASHION_MNIST || id == B_IDX;
    if (is_data != (d->kind == DECL_DATA)) {
        diag_error(s->diag, a->loc, is_data ? "'%s' is a dataset: declare it with 'data', e.g. "
                                              "data x ~ mnist(train)"
                                            : "'%s' is noise, not data: drop the word 'data'",
                   a->name);
        return false;
    }
    Args ar;
    if (!match_args(s, id, a->kind == AST_CALL ? a : NULL, FLOW_NONE, NULL, &ar, a->loc)) {
        return false;
    }
    Model *m = s->m;
    if (!is_data) {
        Noise nz = {.name = xstrdup(d->name.name), .loc = d->name.loc};
        bool ok = true;
        if (id == B_CATEGORICAL) {
            nz.kind = NOISE_CATEGORICAL;
            ok = opt_int(s, &ar, "classes", &nz.classes, false);
            nz.shape = (Shape){.batch = true};
        } else {
            ok = shape_of(s, *opt(&ar, "shape"), &nz.shape, true);
            nz.kind = id == B_NORMAL ? NOISE_NORMAL : NOISE_UNIFORM;
            const char *p1 = id == B_NORMAL ? "mean" : "low", *p2 = id == B_NORMAL ? "std" : "high";
            ok = ok && opt_real(s, &ar, p1, -1e9, 1e9, &nz.a) && opt_real(s, &ar, p2, -1e9, 1e9, &nz.b);
            if (ok && id == B_NORMAL && nz.b <= 0) {
                diag_error(s->diag, opt(&ar, "std")->loc, "'std' must be positive");
                ok = false;
            }
            if (ok && id == B_UNIFORM && nz.b <= nz.a) {
                diag_error(s->diag, a->loc, "'uniform' needs low < high");
                ok = false;
            }
        }
        if (!ok) {
            free(nz.name);
            return false;
        }
        m->noise = xgrow(m->noise, sizeof *m->noise, (size_t)m->nnoise);
        m->noise[m->nnoise] = nz;
        TExpr *t = tx_new(s, TX_NOISE, d->name.loc, nz.shape);
        t->ival = m->nnoise++;
        bind(&s->globals, d->name.name, val_tensor(t, t->loc), d->name.loc);
        return true;
    }
    if (m->data) {
        diag_error(s->diag, d->loc, "a model reads one data source; '%s' is already declared on "
                   "line %d", m->data->name, m->data->loc.line);
        return false;
    }
    if (d->names.n > 2) {
        diag_error(s->diag, d->names.v[2].loc, "data gives at most two names: images and labels");
        return false;
    }
    DataSrc *ds = xcalloc(1, sizeof *ds);
    ds->name = xstrdup(d->names.v[0].name);
    ds->label_name = d->names.n > 1 ? xstrdup(d->names.v[1].name) : NULL;
    ds->dataset = xstrdup(builtins[id].name);
    ds->loc = d->loc;
    ds->lo = 0, ds->hi = 1;
    ds->shape = (Shape){.nd = 3, .d = {1, 28, 28}, .batch = true};
    ds->label_shape = (Shape){.batch = true};
    bool ok = opt_int(s, &ar, "classes", &ds->classes, false);
    Val *split = opt(&ar, "split");
    if (split->kind != V_WORD || (strcmp(split->str, "train") && strcmp(split->str, "test"))) {
        diag_error(s->diag, split->loc, "the split must be train or test");
        ok = false;
    } else {
        ds->split = xstrdup(split->str);
    }
    if (given(&ar, "range")) {
        Val *r = opt(&ar, "range");
        if (r->kind != V_LIST || r->nitems != 2 || !(r->items[0] < r->items[1])) {
            diag_error(s->diag, r->loc, "'range' must be [low, high] with low < high, like [-1, 1]");
            ok = false;
        } else {
            ds->lo = r->items[0], ds->hi = r->items[1];
        }
    }
    if (id == B_IDX) {
        Val *dir = opt(&ar, "dir");
        if (dir->kind != V_STR) {
            diag_error(s->diag, dir->loc, "idx needs a directory in quotes, like idx(\"data/my/\")");
            ok = false;
        } else {
            ds->dir = xstrdup(dir->str);
        }
        if (given(&ar, "shape")) ok = ok && shape_of(s, *opt(&ar, "shape"), &ds->shape, true);
    }
    m->data = ds;
    if (!ok) return false;
    TExpr *t = tx_new(s, TX_DATA, d->names.v[0].loc, ds->shape);
    bind(&s->globals, ds->name, val_tensor(t, t->loc), d->names.v[0].loc);
    if (ds->label_name) {
        t = tx_new(s, TX_DATA, d->names.v[1].loc, ds->label_shape);
        t->ival = 1;
        bind(&s->globals, ds->label_name, val_tensor(t, t->loc), d->names.v[1].loc);
    }
    return true;
}

static void check_source(Sema *s, Decl *d)
{
    if (!declare_source(s, d)) bind_failed_source(s, d);
}

static void check_let(Sema *s, Decl *d)
{
    Val v = eval(s, d->value, FLOW_NONE, NULL);
    if (v.kind == V_WORD) {
        unknown_name(s, v.str, v.loc, "name");
        v = val_err;
    }
    if (d->names.n == 1) bind(&s->globals, d->names.v[0].name, v, d->names.v[0].loc);
    else unpack(s, v, &d->names, &s->globals);
}

static bool net_has_weights(Sema *s, int n) { return s->m->nets[n].nlayers > 0; }

static int player_of(Sema *s, Ident *id)
{
    int n = find_net(s, id->name);
    if (n < 0) {
        Binding *b = lookup_in(s->globals, id->name);
        if (b) diag_error(s->diag, id->loc, "'%s' is not a net; only nets can be players",
                          id->name);
        else unknown_net(s, id->name, id->loc);
        return -1;
    }
    return n;
}

/* log(1 - X) with X depending on a min player: the term nonsaturating
 * replaces. Found here so a missing one is an error at compile time. */
static bool has_saturating_term(Sema *s, TExpr *t, Objective *o, bool *seen)
{
    if (seen[t->id]) return false;
    seen[t->id] = true;
    if (t->kind == TX_OP && t->op == OP_log && t->kids[0]->kind == TX_OP &&
        t->kids[0]->op == OP_sub && t->kids[0]->kids[0]->kind == TX_NUM &&
        t->kids[0]->kids[0]->attr.value == 1) {
        for (int i = 0; i < o->nmin; i++)
            if (texpr_uses_net(s->m, t->kids[0]->kids[1], o->min[i])) return true;
    }
    if (t->kind == TX_CALL) return false;
    for (int i = 0; i < t->nkids; i++)
        if (has_saturating_term(s, t->kids[i], o, seen)) return true;
    return false;
}

static bool texpr_uses_weights(const Model *m, const TExpr *t, int n);

static void check_objective(Sema *s, Decl *d)
{
    Model *m = s->m;
    Objective o = {.loc = d->loc};
    bool ok = true;
    o.min = xcalloc((size_t)d->names.n + 1, sizeof *o.min);
    o.max = xcalloc((size_t)d->maxes.n + 1, sizeof *o.max);
    for (int side = 0; side < 2; side++) {
        IdentList *l = side ? &d->maxes : &d->names;
        for (int i = 0; i < l->n; i++) {
            int n = player_of(s, &l->v[i]);
            if (n < 0) {
                ok = false;
                continue;
            }
            if (!net_has_weights(s, n)) {
                /* a body with errors may have lost its layers: no second error */
                if (!s->net_bad[n])
                    diag_error(s->diag, l->v[i].loc, "net '%s' has no weights to train",
                               l->v[i].name);
                ok = false;
                continue;
            }
            if (m->nets[n].player >= 0) {
                diag_error(s->diag, l->v[i].loc, "net '%s' is already a player (line %d); each "
                           "net's weights belong to one player",
                           l->v[i].name, m->players[m->nets[n].player].optim.loc.line);
                ok = false;
                continue;
            }
            m->players = xgrow(m->players, sizeof *m->players, (size_t)m->nplayers);
            m->players[m->nplayers] = (Player){.net = n, .every = 1, .optim.loc = l->v[i].loc};
            m->nets[n].player = m->nplayers++;
            if (side) o.max[o.nmax++] = n;
            else o.min[o.nmin++] = n;
        }
    }
    for (int i = 0; i < d->flags.n; i++) {
        if (strcmp(d->flags.v[i].name, "nonsaturating") == 0 && d->maxes.n && d->names.n) {
            o.nonsaturating = true;
        } else if (strcmp(d->flags.v[i].name, "nonsaturating") == 0) {
            diag_error(s->diag, d->flags.v[i].loc, "'nonsaturating' applies to a game: min G max D");
            ok = false;
        } else {
            static const char *const words[] = {"nonsaturating"};
            const char *hint = diag_suggest(d->flags.v[i].name, words, 1);
            if (hint)
                diag_error(s->diag, d->flags.v[i].loc,
                           "unknown objective option '%s'; did you mean '%s'?",
                           d->flags.v[i].name, hint);
            else
                diag_error(s->diag, d->flags.v[i].loc, "unknown objective option '%s' (the only "
                           "option is nonsaturating)", d->flags.v[i].name);
            ok = false;
        }
    }
    Val v = eval(s, d->value, FLOW_NONE, NULL);
    char b1[64];
    if (v.kind == V_NUM) {
        diag_error(s->diag, d->value->loc, "the objective is a constant; it must depend on the "
                   "players' nets");
        ok = false;
    } else if (v.kind == V_TENSOR && (v.t->shape.batch || shape_count(v.t->shape) != 1)) {
        diag_error(s->diag, d->value->loc, "the objective must be a single number, but this is "
                   "%s; average over the batch with E[...]",
                   shp(v.t->shape, b1));
        ok = false;
    } else if (v.kind != V_TENSOR) {
        if (v.kind == V_WORD) unknown_name(s, v.str, v.loc, "name");
        else if (v.kind != V_ERR)
            diag_error(s->diag, d->value->loc, "the objective must be a number computed from "
                       "the nets, not %s", vkind_name(v.kind));
        ok = false;
    }
    if (ok) {
        o.value = v.t;
        /* after any error (a net may have lost the layers its output
         * reads) the weights check would only repeat it */
        bool nets_ok = s->diag->nerrors == 0;
        for (int side = 0; side < 2; side++)
            for (int i = 0; i < (side ? o.nmax : o.nmin); i++) {
                int n = side ? o.max[i] : o.min[i];
                if (!texpr_uses_net(m, o.value, n)) {
                    diag_error(s->diag, d->loc, "the objective does not depend on net '%s'",
                               m->nets[n].name);
                    ok = false;
                } else if (nets_ok && !texpr_uses_weights(m, o.value, n)) {
                    diag_error(s->diag, d->loc, "the objective does not depend on the weights "
                               "of net '%s': nothing would train them", m->nets[n].name);
                    ok = false;
                }
            }
        bool *seen = xcalloc((size_t)m->nall + 1, sizeof *seen);
        if (ok && o.nonsaturating && !has_saturating_term(s, o.value, &o, seen)) {
            diag_error(s->diag, d->flags.v[0].loc, "'nonsaturating' needs a term log(1 - D(G(...))) "
                       "in the objective");
            ok = false;
        }
        free(seen);
    }
    if (!ok) {
        free(o.min);
        free(o.max);
        return;
    }
    /* each side of an objective is a phase of training */
    int phases = (o.nmin > 0) + (o.nmax > 0);
    for (int i = 0; i < m->nobjs; i++) phases += (m->objs[i].nmin > 0) + (m->objs[i].nmax > 0);
    if (phases > GENC_MAX_PHASES) {
        if (!s->too_many_phases)
            diag_error(s->diag, d->loc, "too many objectives: genc trains at most %d phases (one "
                       "for each side of an objective), and with this one there are %d",
                       GENC_MAX_PHASES, phases);
        s->too_many_phases = true;
        free(o.min);
        free(o.max);
        return;
    }
    m->objs = xgrow(m->objs, sizeof *m->objs, (size_t)m->nobjs);
    m->objs[m->nobjs++] = o;
}

/* init: normal(0, 0.02), xavier, kaiming(slope: 0.2), zeros ... */
static bool init_of(Sema *s, Ast *a, Init *out)
{
    if (a->kind != AST_CALL && a->kind != AST_NAME) {
        diag_error(s->diag, a->loc, "expected an initialiser like normal(0, 0.02) or xavier");
        return false;
    }
    int k = -1;
    for (int i = 0; i < (int)GENC_COUNT(init_words); i++)
        if (strcmp(init_words[i].name, a->name) == 0) k = i;
    if (k < 0) {
        const char *cand[GENC_COUNT(init_words)];
        for (int i = 0; i < (int)GENC_COUNT(init_words); i++) cand[i] = init_words[i].name;
        const char *hint = diag_suggest(a->name, cand, (int)GENC_COUNT(init_words));
        if (hint)
            diag_error(s->diag, a->loc, "unknown initialiser '%s'; did you mean '%s'?", a->name, hint);
        else
            diag_error(s->diag, a->loc, "unknown initialiser '%s' (normal, uniform, xavier, "
                       "xavier_normal, kaiming, kaiming_normal, zeros, ones)", a->name);
        return false;
    }
    InitKind kind = init_words[k].kind;
    Ast *call = a->kind == AST_CALL ? a : NULL;
    /* normal and uniform are noise builtins; as initialisers they take
     * their two parameters, in order or by name: normal(mean, std),
     * uniform(low, high) */
    if (kind == INIT_NORMAL || kind == INIT_UNIFORM) {
        double v[2] = {kind == INIT_NORMAL ? 0 : -0.1, kind == INIT_NORMAL ? 0.02 : 0.1};
        const char *names[2] = {kind == INIT_NORMAL ? "mean" : "low",
                                kind == INIT_NORMAL ? "std" : "high"};
        int n = call ? call->nkids : 0;
        if (n > 2) {
            diag_error(s->diag, a->loc, "'%s' as an initialiser takes 2 numbers", a->name);
            return false;
        }
        for (int i = 0; i < n; i++) {
            Ast *k2 = call->kids[i];
            int slot = i;
            if (k2->kind == AST_KW) {
                slot = strcmp(k2->name, names[0]) == 0 ? 0 : strcmp(k2->name, names[1]) == 0 ? 1 : -1;
                if (slot < 0) {
                    diag_error(s->diag, k2->loc, "'%s' as an initialiser has no option '%s' (it "
                               "has: %s, %s)",
                               a->name, k2->name, names[0], names[1]);
                    return false;
                }
            }
            Val x = eval(s, k2->kind == AST_KW ? k2->kids[0] : k2, FLOW_NONE, NULL);
            if (x.kind != V_NUM) {
                if (x.kind != V_ERR)
                    diag_error(s->diag, k2->loc, "'%s' takes numbers", a->name);
                return false;
            }
            v[slot] = x.num;
        }
        if ((kind == INIT_NORMAL && v[1] < 0) || (kind == INIT_UNIFORM && v[1] < v[0])) {
            diag_error(s->diag, a->loc, "%s", kind == INIT_NORMAL ? "the std of normal(mean, std) "
                       "cannot be negative" : "uniform(low, high) needs low <= high");
            return false;
        }
        *out = (Init){kind, v[0], v[1]};
        return true;
    }
    int id = find_builtin(a->name);
    Args ar;
    if (!match_args(s, id, call, FLOW_NONE, NULL, &ar, a->loc)) return false;
    *out = (Init){kind, 1, 0};
    if (kind == INIT_XAVIER_UNIFORM || kind == INIT_XAVIER_NORMAL)
        return opt_real(s, &ar, "gain", 0, 1e6, &out->a);
    if (kind == INIT_KAIMING_UNIFORM || kind == INIT_KAIMING_NORMAL)
        return opt_real(s, &ar, "slope", 0, 1e6, &out->a);
    return true;
}

/* optimizer adam(lr: 2e-4, beta1: 0.5) */
static bool optim_of(Sema *s, Ast *a, Setting *out)
{
    static const char *const kinds[] = {"sgd", "adam", "adamw", "rmsprop"};
    int id = a->kind == AST_CALL || a->kind == AST_NAME ? find_builtin(a->name) : -1;
    if (id < B_SGD || id > B_RMSPROP) {
        const char *hint = a->name ? diag_suggest(a->name, kinds, 4) : NULL;
        if (hint)
            diag_error(s->diag, a->loc, "unknown optimizer '%s'; did you mean '%s'?", a->name, hint);
        else if (a->name)
            diag_error(s->diag, a->loc, "unknown optimizer '%s' (sgd, adam, adamw or rmsprop)",
                       a->name);
        else
            diag_error(s->diag, a->loc, "expected an optimizer: sgd, adam, adamw or rmsprop");
        return false;
    }
    Args ar;
    if (!match_args(s, id, a->kind == AST_CALL ? a : NULL, FLOW_NONE, NULL, &ar, a->loc))
        return false;
    Setting st = {.name = xstrdup(builtins[id].name), .loc = a->loc};
    bool ok = true;
    for (int i = 0; i < ar.n; i++) {
        double v;
        const char *n = ar.name[i];
        bool flag = strcmp(n, "nesterov") == 0 || strcmp(n, "centered") == 0;
        if (!opt_real(s, &ar, n, 0, flag ? 1 : 1e9, &v)) {
            ok = false;
            continue;
        }
        if ((strncmp(n, "beta", 4) == 0 || strcmp(n, "alpha") == 0) && v >= 1) {
            diag_error(s->diag, ar.v[i].loc, "'%s' must be below 1, got %g", n, v);
            ok = false;
        }
        if (strcmp(n, "lr") == 0 && v <= 0) {
            diag_error(s->diag, ar.v[i].loc, "'lr' must be positive");
            ok = false;
        }
        st.kw[st.nkw] = xstrdup(n);
        st.val[st.nkw++] = v;
    }
    if (!ok) {
        free(st.name);
        for (int i = 0; i < st.nkw; i++) free(st.kw[i]);
        return false;
    }
    *out = st;
    return true;
}

static void setting_free(Setting *st)
{
    free(st->name);
    for (int i = 0; i < st->nkw; i++) free(st->kw[i]);
    memset(st, 0, sizeof *st);
}

static void set_optim(Player *p, Setting *st)
{
    setting_free(&p->optim);
    p->optim = *st;
    p->optim.name = xstrdup(st->name);
    for (int i = 0; i < st->nkw; i++) p->optim.kw[i] = xstrdup(st->kw[i]);
}

/* For settings given per player (steps D: 5, G: 1): the players named. */
static Player *named_player(Sema *s, Ast *kw)
{
    int n = find_net(s, kw->name);
    if (n < 0 || s->m->nets[n].player < 0) {
        if (n < 0) unknown_net(s, kw->name, kw->loc);
        else diag_error(s->diag, kw->loc, "net '%s' is not a player of any objective", kw->name);
        return NULL;
    }
    return &s->m->players[s->m->nets[n].player];
}

static void check_train(Sema *s, Decl *d)
{
    static const char *const keys[] = {"batch", "epochs", "seed", "optimizer", "init", "steps",
                                       "clip", "grad_clip", "sample", "encode"};
    Model *m = s->m;
    SrcLoc encode_loc = {0};
    if (strcmp(d->name.name, "train") != 0) {
        diag_error(s->diag, d->name.loc, "unknown block '%s {'; the settings block is 'train {'",
                   d->name.name);
        return;
    }
    /* per player: its steps and where they were given */
    int *steps = xcalloc((size_t)m->nplayers + 1, sizeof *steps);
    SrcLoc *steps_loc = xcalloc((size_t)m->nplayers + 1, sizeof *steps_loc);
    bool have_steps = false;
    for (int i = 0; i < d->body.n; i++) {
        Stmt *st = &d->body.v[i];
        const char *key = st->names.v[0].name;
        SrcLoc kl = st->names.v[0].loc;
        Ast *a = st->value;
        bool per_player = a->kind == AST_LIST && a->nkids && a->kids[0]->kind == AST_KW;
        int k = 0;
        while (k < (int)GENC_COUNT(keys) && strcmp(keys[k], key) != 0) k++;
        if (k == (int)GENC_COUNT(keys)) {
            const char *hint = diag_suggest(key, keys, (int)GENC_COUNT(keys));
            if (hint)
                diag_error(s->diag, kl, "unknown train setting '%s'; did you mean '%s'?", key, hint);
            else
                diag_error(s->diag, kl, "unknown train setting '%s'", key);
            continue;
        }
        if (per_player && strcmp(key, "optimizer") && strcmp(key, "steps") &&
            strcmp(key, "clip") && strcmp(key, "grad_clip")) {
            diag_error(s->diag, kl, "'%s' is set for the whole model, not per player", key);
            continue;
        }
        if (strcmp(key, "optimizer") == 0) {
            Setting opt_set;
            if (!per_player) {
                if (optim_of(s, a, &opt_set)) {
                    for (int p = 0; p < m->nplayers; p++) set_optim(&m->players[p], &opt_set);
                    setting_free(&opt_set);
                }
                continue;
            }
            for (int j = 0; j < a->nkids; j++) {
                Player *p = named_player(s, a->kids[j]);
                if (p && optim_of(s, a->kids[j]->kids[0], &opt_set)) {
                    set_optim(p, &opt_set);
                    setting_free(&opt_set);
                }
            }
            continue;
        }
        if (strcmp(key, "init") == 0) {
            init_of(s, a, &m->init);
            continue;
        }
        if (strcmp(key, "sample") == 0 || strcmp(key, "encode") == 0) {
            bool enc = key[0] == 'e';
            Val v = eval(s, a, FLOW_NONE, NULL);
            if (v.kind == V_TENSOR && v.t->shape.batch) {
                if (enc) m->encode = v.t, encode_loc = a->loc;
                else m->sample = v.t;
            } else if (v.kind == V_WORD) {
                unknown_name(s, v.str, v.loc, "name");
            } else if (v.kind != V_ERR) {
                diag_error(s->diag, a->loc, enc ? "'encode' needs a batched tensor, like mu"
                                                : "'sample' needs a batched tensor, like G(z)");
            }
            continue;
        }
        if (per_player) {
            for (int j = 0; j < a->nkids; j++) {
                Player *p = named_player(s, a->kids[j]);
                Val v = eval(s, a->kids[j]->kids[0], FLOW_NONE, NULL);
                if (!p || v.kind == V_ERR) continue;
                int n;
                if (strcmp(key, "steps") == 0) {
                    if (size_ok(s, v, "'steps'", v.loc, &n, false)) {
                        if (n > GENC_MAX_STEPS)
                            diag_error(s->diag, v.loc, "'steps' is at most %d", GENC_MAX_STEPS);
                        else {
                            steps[p - m->players] = n, have_steps = true;
                            steps_loc[p - m->players] = v.loc;
                        }
                    }
                } else if (v.kind != V_NUM || !(v.num > 0)) {
                    diag_error(s->diag, v.loc, "'%s' must be a positive number", key);
                } else {
                    *(strcmp(key, "clip") == 0 ? &p->clip : &p->grad_clip) = v.num;
                }
            }
            continue;
        }
        Val v = eval(s, a, FLOW_NONE, NULL);
        if (v.kind == V_ERR) continue;
        if (strcmp(key, "steps") == 0) {
            diag_error(s->diag, a->loc, "'steps' names the players, like steps D: 5, G: 1");
        } else if (strcmp(key, "clip") == 0 || strcmp(key, "grad_clip") == 0) {
            if (v.kind != V_NUM || !(v.num > 0)) {
                diag_error(s->diag, v.loc, "'%s' must be a positive number", key);
                continue;
            }
            for (int p = 0; p < m->nplayers; p++)
                *(key[0] == 'c' ? &m->players[p].clip : &m->players[p].grad_clip) = v.num;
        } else {
            int n;
            bool seed = strcmp(key, "seed") == 0;
            if (!size_ok(s, v, key[0] == 'b' ? "'batch'" : seed ? "'seed'" : "'epochs'", v.loc, &n,
                         seed))
                continue;
            if (key[0] == 'b') m->batch = n;
            else if (seed) m->seed = (uint64_t)n;
            else m->epochs = n;
        }
    }
    if (m->encode) {
        /* genc sample --interpolate decodes the codes of test images: the
         * code must fit the noise source the sample is drawn from */
        int k = 0;
        while (k < m->nnoise && !shape_eq(m->noise[k].shape, m->encode->shape)) k++;
        char b1[64];
        if (!m->sample) {
            diag_error(s->diag, encode_loc, "'encode' needs a 'sample' setting to decode with");
            m->encode = NULL;
        } else if (k == m->nnoise) {
            diag_error(s->diag, encode_loc, "'encode' gives %s per example, but no noise source "
                       "has that shape for 'sample' to decode",
                       shp(m->encode->shape, b1));
            m->encode = NULL;
        }
    }
    if (have_steps) {
        /* steps D: 5, G: 1: in every 5 steps D updates 5 times, G once; a
         * player not named takes one step per period (steps D: 5 alone
         * means the same) */
        int period = 1;
        for (int p = 0; p < m->nplayers; p++)
            if (steps[p] > period) period = steps[p];
        for (int p = 0; p < m->nplayers; p++) {
            int n = steps[p] ? steps[p] : 1;
            if (period % n) {
                diag_error(s->diag, steps_loc[p], "'steps' must divide evenly: %s's %d is not a "
                           "divisor of %d", m->nets[m->players[p].net].name, n, period);
                break;
            }
            m->players[p].every = period / n;
        }
    }
    free(steps);
    free(steps_loc);
}

/* Nets must not call themselves, directly or through others. */
static void check_cycles(Sema *s)
{
    int n = s->m->nnets;
    int *state = xcalloc((size_t)n, sizeof *state), *stack = xcalloc((size_t)n + 1, sizeof *stack);
    for (int root = 0; root < n; root++) {
        if (state[root]) continue;
        /* iterative DFS; the stack holds the path */
        int *next = xcalloc((size_t)n, sizeof *next), depth = 0;
        stack[depth++] = root;
        state[root] = 1;
        while (depth) {
            int a = stack[depth - 1];
            if (next[a] == n) {
                state[a] = 2;
                depth--;
                continue;
            }
            int b = next[a]++;
            if (!s->calls[a][b]) continue;
            if (state[b] == 1) {
                char path[512] = "";
                int from = 0;
                while (stack[from] != b) from++;
                for (int i = from; i < depth; i++) {
                    strncat(path, s->m->nets[stack[i]].name, sizeof path - strlen(path) - 8);
                    strncat(path, " -> ", sizeof path - strlen(path) - 1);
                }
                strncat(path, s->m->nets[b].name, sizeof path - strlen(path) - 1);
                diag_error(s->diag, s->m->nets[b].loc, "net '%s' calls itself (%s)",
                           s->m->nets[b].name, path);
                s->calls[a][b] = false;
            } else if (state[b] == 0) {
                state[b] = 1;
                stack[depth++] = b;
            }
        }
        free(next);
    }
    free(state);
    free(stack);
}

/* Names are unique across nets, blocks, data, noise and lets. */
static void collect(Sema *s)
{
    Model *m = s->m;
    s->skip = xcalloc((size_t)s->prog->n + 1, sizeof *s->skip);
    const char *seen_name[4096];
    SrcLoc seen_loc[4096];
    int nseen = 0;
    for (int i = 0; i < s->prog->n; i++) {
        Decl *d = s->prog->v[i];
        IdentList one = {1, &d->name};
        IdentList *names = d->kind == DECL_NET || d->kind == DECL_BLOCK || d->kind == DECL_NOISE
                               ? &one
                               : d->kind == DECL_LET || d->kind == DECL_DATA ? &d->names : NULL;
        for (int j = 0; names && j < names->n; j++) {
            Ident *id = &names->v[j];
            bool dup = false;
            for (int k = 0; k < nseen && !dup; k++)
                if (strcmp(seen_name[k], id->name) == 0) {
                    diag_error(s->diag, id->loc, "'%s' is already defined on line %d", id->name,
                               seen_loc[k].line);
                    dup = true;
                }
            if (!dup && find_builtin(id->name) >= 0 && d->kind != DECL_LET) {
                diag_error(s->diag, id->loc, "'%s' is the name of a builtin; choose another name",
                           id->name);
                dup = true;
            }
            if (!dup && nseen < 4096) seen_name[nseen] = id->name, seen_loc[nseen++] = id->loc;
            if (dup) s->skip[i] = true;
        }
        if (s->skip[i]) continue;
        if (d->kind == DECL_NET) {
            m->nets = xgrow(m->nets, sizeof *m->nets, (size_t)m->nnets);
            m->nets[m->nnets] = (Net){.name = xstrdup(d->name.name), .loc = d->name.loc,
                                      .player = -1};
            s->netdecl = xgrow(s->netdecl, sizeof *s->netdecl, (size_t)m->nnets);
            s->netdecl[m->nnets++] = d;
        } else if (d->kind == DECL_BLOCK) {
            s->blocks = xgrow(s->blocks, sizeof *s->blocks, (size_t)s->nblocks);
            s->blocks[s->nblocks++] = d;
        }
    }
    s->sig_state = xcalloc((size_t)m->nnets + 1, sizeof *s->sig_state);
    s->net_bad = xcalloc((size_t)m->nnets + 1, sizeof *s->net_bad);
    s->block_active = xcalloc((size_t)s->nblocks + 1, sizeof *s->block_active);
    s->block_bad = xcalloc((size_t)s->nblocks + 1, sizeof *s->block_bad);
    s->calls = xcalloc((size_t)m->nnets + 1, sizeof *s->calls);
    for (int i = 0; i < m->nnets; i++) s->calls[i] = xcalloc((size_t)m->nnets, sizeof **s->calls);
}

/* Names are looked up in lists, which is quick for any model a person
 * writes; this bounds the time a generated file of a million lines takes. */

static bool program_fits(Diag *diag, Program *prog)
{
    long n = 0;
    for (int i = 0; i < prog->n; i++) {
        Decl *d = prog->v[i];
        n += 1 + d->body.n;
        if (n > GENC_MAX_STATEMENTS) {
            diag_error(diag, d->loc, "the model is too large: more than %d declarations and "
                       "statements", GENC_MAX_STATEMENTS);
            return false;
        }
    }
    return true;
}

Model *sema_check(Diag *diag, Program *prog, const char *file)
{
    if (!program_fits(diag, prog)) return NULL;
    Model *m = xcalloc(1, sizeof *m);
    m->file = file;
    m->batch = 64;
    m->epochs = 10;
    m->seed = 1;
    m->init = (Init){INIT_DEFAULT, 0, 0};
    Sema s = {.diag = diag, .m = m, .prog = prog, .net = -1};
    collect(&s);
    /* objectives and the train block come last: they may name nets and
     * values declared anywhere in the file */
    int nets_done = 0;
    Decl *train = NULL;
    for (int i = 0; i < prog->n; i++) {
        Decl *d = prog->v[i];
        if (s.skip[i]) continue;
        switch (d->kind) {
        case DECL_LET: check_let(&s, d); break;
        case DECL_DATA:
        case DECL_NOISE: check_source(&s, d); break;
        case DECL_NET: check_net(&s, nets_done++); break;
        case DECL_BLOCK:
        case DECL_OBJ: break;
        case DECL_TRAIN:
            if (train)
                diag_error(diag, d->name.loc, "another train block; the first is on line %d",
                           train->loc.line);
            else train = d;
            break;
        }
    }
    check_cycles(&s);
    for (int i = 0; i < prog->n; i++)
        if (prog->v[i]->kind == DECL_OBJ) check_objective(&s, prog->v[i]);
    if (train) check_train(&s, train);
    for (int p = 0; p < m->nplayers; p++)
        if (!m->players[p].optim.name) {
            m->players[p].optim.name = xstrdup("adam");
            m->players[p].optim.loc = m->nets[m->players[p].net].loc;
        }
    for (int n = 0; n < m->nnets; n++)
        if (m->nets[n].player < 0 && m->nets[n].nlayers > 0)
            for (int o = 0; o < m->nobjs; o++)
                if (texpr_uses_net(m, m->objs[o].value, n))
                    diag_error(diag, m->nets[n].loc, "net '%s' has weights and is used by the "
                               "objective on line %d, but is not a player of it",
                               m->nets[n].name, m->objs[o].loc.line);
    if (m->nobjs == 0 && diag->nerrors == 0)
        diag_error(diag, (SrcLoc){0}, "missing objective: say what to train, e.g. "
                   "min G max D: E[log D(x)] + E[log(1 - D(G(z)))]");
    unbind_all(&s.globals);
    for (int i = 0; i < m->nnets; i++) free(s.calls[i]);
    free(s.calls);
    free(s.sig_state);
    free(s.net_bad);
    free(s.block_active);
    free(s.block_bad);
    free(s.netdecl);
    free(s.blocks);
    free(s.skip);
    if (diag->nerrors) {
        sema_free(m);
        return NULL;
    }
    return m;
}

/* seen: one flag per node, so that shared values (h = a + a; h + h ...)
 * are visited once, not once per path */
static bool uses_net(const Model *m, const TExpr *t, int n, bool *seen)
{
    if (!t || seen[t->id]) return false;
    seen[t->id] = true;
    if (t->kind == TX_CALL) {
        if (t->ival == n) return true;
        const Net *net = &m->nets[t->ival];
        for (int i = 0; i < net->nouts; i++)
            if (uses_net(m, net->outs[i], n, seen)) return true;
    }
    for (int i = 0; i < t->nkids; i++)
        if (uses_net(m, t->kids[i], n, seen)) return true;
    return false;
}

/* Does a value depend on the weights of net w (w >= 0), or on argument
 * `arg` of the net whose body it is in (arg >= 0)? A call passes on what
 * an argument depends on only if the callee's output reads that argument,
 * and adds the callee's own dependence on w's weights; so a net whose
 * output ignores its layers (or its input) is seen for what it is.
 * Per net, both answers are cached (-1 while unknown): reads[base[k] + a]
 * whether net k's output reads its argument a, uses[k] whether it depends
 * on w's weights. */
typedef struct Deps {
    const Model *m;
    int w;
    int *base;
    signed char *reads, *uses;
} Deps;

static bool depends(Deps *d, const TExpr *t, int w, int arg, bool *seen);

/* a fresh traversal of net k's outputs */
static bool net_depends(Deps *d, int k, int w, int arg)
{
    const Net *net = &d->m->nets[k];
    bool *seen = xcalloc((size_t)d->m->nall + 1, sizeof *seen);
    bool r = false;
    for (int i = 0; i < net->nouts && !r; i++) r = depends(d, net->outs[i], w, arg, seen);
    free(seen);
    return r;
}

static bool net_reads_arg(Deps *d, int k, int a)
{
    signed char *c = &d->reads[d->base[k] + a];
    if (*c < 0) {
        *c = 0; /* a call cycle (never valid) ends here */
        *c = net_depends(d, k, -1, a);
    }
    return *c;
}

static bool net_uses_weights(Deps *d, int k)
{
    if (d->uses[k] < 0) {
        d->uses[k] = 0;
        d->uses[k] = net_depends(d, k, d->w, -1);
    }
    return d->uses[k];
}

static bool depends(Deps *d, const TExpr *t, int w, int arg, bool *seen)
{
    if (!t || seen[t->id]) return false;
    seen[t->id] = true;
    switch (t->kind) {
    case TX_ARG: return arg >= 0 && t->ival == arg;
    case TX_LAYER:
        if (w >= 0 && d->m->layers[t->layer_id].net == w) return true;
        break;
    case TX_CALL:
        if (w >= 0 && net_uses_weights(d, t->ival)) return true;
        for (int i = 0; i < t->nkids; i++)
            if (net_reads_arg(d, t->ival, i) && depends(d, t->kids[i], w, arg, seen)) return true;
        return false;
    default: break;
    }
    for (int i = 0; i < t->nkids; i++)
        if (depends(d, t->kids[i], w, arg, seen)) return true;
    return false;
}

static bool texpr_uses_weights(const Model *m, const TExpr *t, int n)
{
    Deps d = {m, n, xcalloc((size_t)m->nnets + 1, sizeof *d.base), NULL, NULL};
    int nargs = 0;
    for (int k = 0; k < m->nnets; k++) {
        d.base[k] = nargs;
        nargs += m->nets[k].nargs;
    }
    d.reads = xmalloc((size_t)nargs + 1);
    d.uses = xmalloc((size_t)m->nnets + 1);
    memset(d.reads, -1, (size_t)nargs + 1);
    memset(d.uses, -1, (size_t)m->nnets + 1);
    bool *seen = xcalloc((size_t)m->nall + 1, sizeof *seen);
    bool r = depends(&d, t, n, -1, seen);
    free(seen);
    free(d.base);
    free(d.reads);
    free(d.uses);
    return r;
}

bool texpr_uses_net(const Model *m, const TExpr *t, int n)
{
    bool *seen = xcalloc((size_t)m->nall + 1, sizeof *seen);
    bool r = uses_net(m, t, n, seen);
    free(seen);
    return r;
}

void sema_free(Model *m)
{
    if (!m) return;
    for (int i = 0; i < m->nnets; i++) {
        Net *n = &m->nets[i];
        free(n->name);
        for (int j = 0; j < n->nargs; j++) free(n->argname[j]);
        for (int j = 0; j < n->nouts; j++) free(n->outname[j]);
        free(n->argname);
        free(n->argshape);
        free(n->outname);
        free(n->outshape);
        free(n->outs);
    }
    free(m->nets);
    for (int i = 0; i < m->nlayers; i++) free(m->layers[i].path);
    free(m->layers);
    for (int i = 0; i < m->nnoise; i++) free(m->noise[i].name);
    free(m->noise);
    if (m->data) {
        free(m->data->name);
        free(m->data->label_name);
        free(m->data->dataset);
        free(m->data->dir);
        free(m->data->split);
        free(m->data);
    }
    for (int i = 0; i < m->nobjs; i++) {
        free(m->objs[i].min);
        free(m->objs[i].max);
    }
    free(m->objs);
    for (int i = 0; i < m->nplayers; i++) setting_free(&m->players[i].optim);
    free(m->players);
    for (int i = 0; i < m->nall; i++) {
        free(m->all[i]->kids);
        free(m->all[i]);
    }
    free(m->all);
    for (int i = 0; i < m->nstrs; i++) free(m->strs[i]);
    free(m->strs);
    free(m);
}
