/* sema.c: names, constants, expressions, nets, blocks and declarations:
 * Program -> Model (sema_impl.h says how sema is split). */
#include "grammar/sema_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- values ------------------------------------------------------------ */

const char *sema_str(Sema *s, const char *str)
{
    Model *m = s->m;
    m->strs = xgrow(m->strs, sizeof *m->strs, (size_t)m->nstrs);
    return m->strs[m->nstrs++] = xstrdup(str);
}

/* GENC_MAX_OPERATIONS reached: evaluation stops, before the passes after
 * sema run out of time or stack. */
static void too_big(Sema *s, SrcLoc loc)
{
    diag_error(s->diag, loc, "the model is too large: more than %d operations", GENC_MAX_OPERATIONS);
    s->too_big = true;
}

TExpr *sema_tx_new(Sema *s, TxKind kind, SrcLoc loc, Shape shape)
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

void sema_tx_kid(TExpr *t, TExpr *k)
{
    t->kids = xgrow(t->kids, sizeof *t->kids, (size_t)t->nkids);
    t->kids[t->nkids++] = k;
}

TExpr *sema_tx_op(Sema *s, Op op, SrcLoc loc, Shape shape, TExpr *a, TExpr *b)
{
    TExpr *t = sema_tx_new(s, TX_OP, loc, shape);
    t->op = op;
    if (a) sema_tx_kid(t, a);
    if (b) sema_tx_kid(t, b);
    return t;
}

/* A number used where a tensor is expected becomes a scalar constant. */
TExpr *sema_as_tensor(Sema *s, Val v)
{
    if (v.kind == V_TENSOR) return v.t;
    GENC_ASSERT(v.kind == V_NUM);
    TExpr *t = sema_tx_new(s, TX_NUM, v.loc, scalar);
    t->attr.value = v.num;
    return t;
}

const char *sema_vkind_name(VKind k)
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

Binding *sema_lookup(Binding *b, const char *name)
{
    for (; b; b = b->next)
        if (strcmp(b->name, name) == 0) return b;
    return NULL;
}

int sema_find_net(Sema *s, const char *name)
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
    n = sema_builtin_names(cand, n, 500);
    cand[n++] = "E";
    return diag_suggest(word, cand, n);
}

/* "x, z, G, D": the names the file defines that are visible here (a net
 * body's first, each scope in the order written), at most a dozen, into
 * buf; "" when there are none. */
static const char *defined_names(Sema *s, char *buf, size_t len)
{
    const char *seen[13];
    int n = 0;
    buf[0] = 0;
    Binding *scopes[2] = {s->locals, s->globals};
    for (int k = 0; k < 2; k++) {
        const char *in_scope[512]; /* a scope's bindings come newest first */
        int m = 0;
        for (Binding *b = scopes[k]; b && m < 512; b = b->next) in_scope[m++] = b->name;
        for (int j = m - 1; j >= 0 && n < 13; j--) {
            int i = 0;
            while (i < n && strcmp(seen[i], in_scope[j])) i++;
            if (i == n) seen[n++] = in_scope[j];
        }
    }
    for (int i = 0; i < s->m->nnets && n < 13; i++) seen[n++] = s->m->nets[i].name;
    for (int i = 0; i < n && i < 12; i++) {
        strncat(buf, i ? ", " : "", len - strlen(buf) - 1);
        strncat(buf, seen[i], len - strlen(buf) - 1);
    }
    if (n > 12) strncat(buf, ", ...", len - strlen(buf) - 1);
    return buf;
}

void sema_unknown_name(Sema *s, const char *name, SrcLoc loc, const char *what)
{
    const char *hint = suggest_name(s, name);
    char names[256];
    if (hint)
        diag_error(s->diag, loc, "unknown %s '%s'; did you mean '%s'?", what, name, hint);
    else if (defined_names(s, names, sizeof names)[0])
        diag_error(s->diag, loc, "unknown %s '%s' (defined here: %s)", what, name, names);
    else
        diag_error(s->diag, loc, "unknown %s '%s'", what, name);
}

/* Where only a net can stand (players, per-player settings): the hint is
 * a net's name, not any name in scope. */
void sema_unknown_net(Sema *s, const char *name, SrcLoc loc)
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
bool sema_kind_reported(Sema *s, Val v)
{
    if (v.kind == V_WORD) sema_unknown_name(s, v.str, v.loc, "name");
    return v.kind == V_ERR || v.kind == V_WORD;
}

/* Resolves a name to a value; words (train, same, true) stay words. */
static Val resolve(Sema *s, const char *name, SrcLoc loc)
{
    Binding *b = sema_lookup(s->locals, name);
    if (!b) b = sema_lookup(s->globals, name);
    if (b) {
        Val v = b->val;
        v.loc = loc;
        return v;
    }
    int i;
    if ((i = sema_find_net(s, name)) >= 0) return (Val){.kind = V_NET, .index = i, .loc = loc};
    if ((i = find_block(s, name)) >= 0) return (Val){.kind = V_BLOCK, .index = i, .loc = loc};
    if ((i = sema_find_builtin(name)) >= 0) return (Val){.kind = V_BUILTIN, .index = i, .loc = loc};
    return (Val){.kind = V_WORD, .str = name, .loc = loc};
}

/* ---- shapes ------------------------------------------------------------ */

bool sema_size_ok(Sema *s, Val v, const char *what, SrcLoc loc, int *out, bool zero_ok)
{
    int64_t n;
    if (!sema_whole_ok(s, v, what, loc, zero_ok, GENC_MAX_SIZE, &n)) return false;
    *out = (int)n;
    return true;
}

bool sema_is_schedule(Val v)
{
    return v.kind == V_TENSOR && v.t->kind == TX_OP && v.t->op == OP_scheduled;
}

bool sema_whole_ok(Sema *s, Val v, const char *what, SrcLoc loc, bool zero_ok, int64_t max,
                   int64_t *out)
{
    if (v.kind == V_ERR) return false;
    if (v.kind == V_WORD) {
        sema_unknown_name(s, v.str, v.loc, "name");
        return false;
    }
    if (sema_is_schedule(v)) {
        diag_error(s->diag, loc, "%s must be a number, not a schedule: it cannot change during "
                   "training", what);
        return false;
    }
    if (v.kind != V_NUM) {
        diag_error(s->diag, loc, "%s must be a number, not %s", what, sema_vkind_name(v.kind));
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
    if (v.num > (double)max) {
        diag_error(s->diag, loc, "%s is too large: %.15g (the limit is %lld)", what, v.num,
                   (long long)max);
        return false;
    }
    *out = (int64_t)v.num;
    return true;
}

bool sema_shape_fits(Sema *s, Shape sh, SrcLoc loc)
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
bool sema_weights_fit(Sema *s, const char *layer, SrcLoc loc, int n, const int *dims)
{
    double count = 1;
    for (int i = 0; i < n; i++) count *= dims[i];
    if (count <= GENC_MAX_COUNT) return true;
    diag_error(s->diag, loc, "the weights of this '%s' would hold %.*g values, more than the "
               "limit of %d", layer, count < 1e15 ? 15 : 3, count, GENC_MAX_COUNT);
    return false;
}

/* A shape written as [a, b, c] (or a single number for a vector). */
bool sema_shape_of(Sema *s, Val v, Shape *out, bool batch)
{
    Shape sh = {.batch = batch};
    if (v.kind == V_ERR) return false;
    if (v.kind == V_NUM) {
        if (!sema_size_ok(s, v, "a size", v.loc, &sh.d[0], false)) return false;
        sh.nd = 1;
    } else if (v.kind == V_LIST) {
        if (v.nitems > GENC_MAX_DIMS) {
            diag_error(s->diag, v.loc, "a shape has at most %d dimensions, this one has %d",
                       GENC_MAX_DIMS, v.nitems);
            return false;
        }
        for (int i = 0; i < v.nitems; i++)
            if (!sema_size_ok(s, val_num(v.items[i], true, v.loc), "a size", v.loc, &sh.d[i], false))
                return false;
        sh.nd = v.nitems;
    } else {
        if (!sema_kind_reported(s, v))
            diag_error(s->diag, v.loc, "expected a shape like [1, 28, 28], not %s",
                       sema_vkind_name(v.kind));
        return false;
    }
    if (!sema_shape_fits(s, sh, v.loc)) return false;
    *out = sh;
    return true;
}

bool sema_broadcast(Sema *s, Shape a, Shape b, Shape *out, SrcLoc loc)
{
    if (shape_broadcast(a, b, out)) return true;
    char b1[64], b2[64];
    diag_error(s->diag, loc, "shapes %s and %s do not broadcast", shp(a, b1), shp(b, b2));
    return false;
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
        Val v = sema_eval(s, call->kids[i], FLOW_NONE, NULL);
        if (v.kind == V_ERR) return val_err;
        args[nargs++] = v;
    }
    TExpr *t = sema_tx_new(s, TX_CALL, loc, net->outshape[0]);
    t->ival = n;
    for (int i = 0; i < nargs; i++) {
        char b1[64], b2[64];
        Shape want = net->argshape[i];
        if (args[i].kind != V_TENSOR) {
            if (!sema_kind_reported(s, args[i]))
                diag_error(s->diag, args[i].loc, "input '%s' of net '%s' must be a tensor, not %s",
                           net->argname[i], net->name, sema_vkind_name(args[i].kind));
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
        sema_tx_kid(t, args[i].t);
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
        Val v = sema_eval(s, call->kids[i], FLOW_NONE, NULL);
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
    /* the block sees its arguments, its input by the name it gives it, and
     * the globals, not the caller's locals */
    for (int i = 0; i < d->ins.n; i++) {
        if (sema_lookup(scope, d->ins.v[i].name)) {
            diag_error(s->diag, d->ins.v[i].loc, "block '%s' names its input '%s', which is "
                       "already one of its parameters", d->name.name, d->ins.v[i].name);
            s->block_bad[b] = true;
            unbind_all(&scope);
            return val_err;
        }
        bind(&scope, d->ins.v[i].name, *in, d->ins.v[i].loc);
    }
    s->locals = scope;
    PathCtx ctx = {.prefix = sema_layer_path(s, d->name.name)}, *outer = s->path;
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

/* name or name(args) in stage position or as an expression */
static Val eval_call(Sema *s, Ast *a, Flow flow, Val *in)
{
    Ast *call = a->kind == AST_CALL ? a : NULL;
    Val f = resolve(s, a->name, a->loc);
    switch (f.kind) {
    case V_NET: return call_net(s, f.index, call, flow, in, a->loc);
    case V_BLOCK: return call_block(s, f.index, call, in, a->loc);
    case V_BUILTIN: return sema_call_builtin(s, f.index, call, flow, in, a->loc);
    case V_WORD:
        if (call || flow != FLOW_NONE) {
            sema_unknown_name(s, a->name, a->loc, call ? "layer or function" : "name");
            return val_err;
        }
        return f; /* a word argument like `train` or `same` */
    default:
        if (call) {
            diag_error(s->diag, a->loc, "'%s' is %s, not a layer or function", a->name,
                       sema_vkind_name(f.kind));
            return val_err;
        }
        if (flow == FLOW_MUST) {
            diag_error(s->diag, a->loc, "'%s' is %s, not a layer; it cannot follow '->'", a->name,
                       sema_vkind_name(f.kind));
            return val_err;
        }
        return f;
    }
}

static Val eval_bin(Sema *s, Ast *a)
{
    Val x = sema_eval(s, a->kids[0], FLOW_NONE, NULL), y = sema_eval(s, a->kids[1], FLOW_NONE, NULL);
    if (x.kind == V_ERR || y.kind == V_ERR) return val_err;
    char opname[2] = {(char)a->op, 0};
    for (int i = 0; i < 2; i++) {
        Val v = i ? y : x;
        if (v.kind != V_NUM && v.kind != V_TENSOR) {
            if (v.kind == V_WORD) sema_unknown_name(s, v.str, v.loc, "name");
            else
                diag_error(s->diag, v.loc, "'%s' needs numbers or tensors, not %s", opname,
                           sema_vkind_name(v.kind));
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
        TExpr *t = sema_tx_op(s, OP_powc, a->loc, x.t->shape, x.t, NULL);
        t->attr.exponent = y.num;
        return val_tensor(t, a->loc);
    }
    Op op = a->op == '+' ? OP_add : a->op == '-' ? OP_sub : a->op == '*' ? OP_mul : OP_div;
    TExpr *t = sema_binop(s, op, sema_as_tensor(s, x), sema_as_tensor(s, y), a->loc);
    return t ? val_tensor(t, a->loc) : val_err;
}

/* E[x]: the mean over the batch of one value per example; inside a net,
 * of any value */
static Val eval_expect(Sema *s, Ast *a)
{
    if (strcmp(a->name, "E") != 0) {
        diag_error(s->diag, a->loc, "only E[...] takes square brackets; did you mean %s(...)?",
                   a->name);
        return val_err;
    }
    Val v = sema_eval(s, a->kids[0], FLOW_NONE, NULL);
    if (sema_kind_reported(s, v)) return val_err;
    char b1[64];
    if (v.kind != V_TENSOR && v.kind != V_NUM) {
        diag_error(s->diag, a->loc, "E[...] averages a value per example, not %s",
                   sema_vkind_name(v.kind));
        return val_err;
    }
    if (v.kind != V_TENSOR || !v.t->shape.batch) {
        diag_error(s->diag, a->loc, "E[...] averages over the batch, but its argument does not "
                   "depend on the data or the noise");
        return val_err;
    }
    if (shape_count(v.t->shape) != 1) {
        if (s->net >= 0) {
            /* inside a net, a statistic of the batch (minibatch standard
             * deviation): the mean of each value over the batch */
            Shape each = v.t->shape;
            each.batch = false;
            TExpr *t = sema_tx_op(s, OP_sum_to, a->loc, each, v.t, NULL);
            t = sema_tx_op(s, OP_expand, a->loc, each, t, NULL);
            t->attr.scale = 1;
            t->attr.per_batch = 1;
            return val_tensor(t, a->loc);
        }
        diag_error(s->diag, a->loc, "E[...] needs one value per example, got %s; reduce it "
                   "first, e.g. E[sum(...)]", shp(v.t->shape, b1));
        return val_err;
    }
    return val_tensor(sema_tx_op(s, OP_batch_mean, a->loc, scalar, v.t, NULL), a->loc);
}

static Val eval_list(Sema *s, Ast *a)
{
    Val r = {.kind = V_LIST, .loc = a->loc};
    for (int i = 0; i < a->nkids; i++) {
        if (a->kids[i]->kind == AST_KW) {
            diag_error(s->diag, a->kids[i]->loc, "a list holds values, not options");
            return val_err;
        }
        Val v = sema_eval(s, a->kids[i], FLOW_NONE, NULL);
        if (v.kind == V_ERR) return v;
        if (v.kind != V_NUM) {
            if (!sema_kind_reported(s, v))
                diag_error(s->diag, v.loc, "a list holds numbers, not %s", sema_vkind_name(v.kind));
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
    Val cur = sema_eval(s, a->kids[0], flow, in);
    /* after an error the chain goes on with it as input, quietly, so that
     * a mistake of its own further on (an unknown option) is reported too */
    for (int i = 1; i < a->nkids; i++) {
        Ast *k = a->kids[i];
        if (cur.kind != V_TENSOR && cur.kind != V_ERR) {
            diag_error(s->diag, a->kids[i - 1]->loc, "'->' needs a tensor on its left, not %s",
                       sema_vkind_name(cur.kind));
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

Val sema_eval(Sema *s, Ast *a, Flow flow, Val *in)
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
        Val v = sema_eval(s, a->kids[0], FLOW_NONE, NULL);
        if (v.kind == V_NUM) return val_num(-v.num, v.is_int, a->loc);
        if (v.kind == V_TENSOR)
            return val_tensor(sema_tx_op(s, OP_neg, a->loc, v.t->shape, v.t, NULL), a->loc);
        if (!sema_kind_reported(s, v)) diag_error(s->diag, a->loc, "'-' needs a number or a tensor");
        return val_err;
    }
    case AST_PIPE: return eval_pipe(s, a, flow, in);
    case AST_KW:
        diag_error(s->diag, a->loc, "an option (%s: ...) is only allowed inside a call", a->name);
        return val_err;
    }
    return val_err;
}

/* a, b = Net(x): one name per named output of the net; a, b = split(...):
 * one per part. flow and in: as for sema_eval of value. */
static void unpack(Sema *s, Ast *value, Flow flow, Val *in, IdentList *names, Binding **scope)
{
    SrcLoc loc = loc_span(names->v[0].loc, names->v[names->n - 1].loc);
    if (value->kind == AST_CALL) {
        Val f = resolve(s, value->name, value->loc);
        if (f.kind == V_BUILTIN && f.index == B_SPLIT) {
            Val *parts = xcalloc((size_t)names->n, sizeof *parts);
            bool ok = sema_split(s, value, flow, in, value->loc, names->n, parts);
            for (int i = 0; i < names->n; i++)
                bind(scope, names->v[i].name, ok ? parts[i] : val_err, names->v[i].loc);
            free(parts);
            return;
        }
    }
    Val v = sema_eval(s, value, flow, in);
    if (v.kind == V_TENSOR && v.t->kind == TX_CALL) {
        Net *net = &s->m->nets[v.t->ival];
        if (net->nouts == names->n) {
            for (int i = 0; i < names->n; i++) {
                TExpr *t = sema_tx_new(s, TX_CALL, v.t->loc, net->outshape[i]);
                t->ival = v.t->ival;
                t->out = i;
                for (int k = 0; k < v.t->nkids; k++) sema_tx_kid(t, v.t->kids[k]);
                bind(scope, names->v[i].name, val_tensor(t, names->v[i].loc), names->v[i].loc);
            }
            return;
        }
        diag_error(s->diag, loc, "net '%s' has %d output%s, but %d names are given", net->name,
                   net->nouts, net->nouts == 1 ? "" : "s", names->n);
    } else if (!sema_kind_reported(s, v)) {
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
        if (st->names.n > 1) {
            unpack(s, st->value, flows ? FLOW_MAYBE : FLOW_NONE, flows ? &cur : NULL, &st->names,
                   &s->locals);
            continue;
        }
        Val v = sema_eval(s, st->value, flows ? FLOW_MAYBE : FLOW_NONE, flows ? &cur : NULL);
        if (st->names.n == 0) {
            if (v.kind != V_TENSOR && v.kind != V_ERR) {
                diag_error(s->diag, st->loc, "this line computes %s, not a tensor",
                           sema_vkind_name(v.kind));
                v = val_err;
            }
            cur = v;
            continue;
        }
        Binding *old = sema_lookup(s->locals, st->names.v[0].name);
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
        Val v = sema_eval(s, d->shapes[i], FLOW_NONE, NULL);
        ok &= sema_shape_of(s, v, &net->argshape[i], true);
    }
    net->nouts = d->nouts;
    net->outname = xcalloc((size_t)d->nouts, sizeof *net->outname);
    net->outshape = xcalloc((size_t)d->nouts, sizeof *net->outshape);
    net->outs = xcalloc((size_t)d->nouts, sizeof *net->outs);
    for (int i = 0; i < d->nouts; i++) {
        if (d->named_outs) net->outname[i] = xstrdup(d->outs.v[i].name);
        Val v = sema_eval(s, d->oshapes[i], FLOW_NONE, NULL);
        ok &= sema_shape_of(s, v, &net->outshape[i], true);
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
        TExpr *t = sema_tx_new(s, TX_ARG, d->names.v[i].loc, net->argshape[i]);
        t->ival = i;
        bind(&s->locals, net->argname[i], val_tensor(t, t->loc), t->loc);
    }
    Val first = net->nargs ? sema_lookup(s->locals, net->argname[0])->val : val_err;
    if (d->body.n == 0) diag_error(s->diag, d->name.loc, "net '%s' has an empty body", net->name);
    Val cur = eval_body(s, &d->body, first);
    char b1[64], b2[64];
    for (int i = 0; i < net->nouts; i++) {
        Val v = cur;
        SrcLoc where = d->body.n ? d->body.v[d->body.n - 1].loc : d->name.loc;
        if (net->outname[i]) {
            Binding *b = sema_lookup(s->locals, net->outname[i]);
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
                       net->outname[i], net->name, sema_vkind_name(v.kind));
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
        if (!sema_lookup(s->globals, names[i].name))
            bind(&s->globals, names[i].name, val_err, names[i].loc);
}

/* Declares the data or noise of d and binds its names; false, with nothing
 * bound, when it failed. */
/* The model's data source ds, declared: its names bound to its images
 * (or windows) and labels, if ok. */
static bool bind_data(Sema *s, Decl *d, DataSrc *ds, bool ok)
{
    s->m->data = ds;
    if (!ok) return false;
    TExpr *t = sema_tx_new(s, TX_DATA, d->names.v[0].loc, ds->shape);
    bind(&s->globals, ds->name, val_tensor(t, t->loc), d->names.v[0].loc);
    if (ds->label_name) {
        t = sema_tx_new(s, TX_DATA, d->names.v[1].loc, ds->label_shape);
        t->ival = 1;
        bind(&s->globals, ds->label_name, val_tensor(t, t->loc), d->names.v[1].loc);
    }
    return true;
}

/* ds->split from the split option, train or test */
static bool split_of(Sema *s, Args *ar, DataSrc *ds)
{
    Val *split = sema_opt(ar, "split");
    if (split->kind != V_WORD || (strcmp(split->str, "train") && strcmp(split->str, "test"))) {
        diag_error(s->diag, split->loc, "the split must be train or test");
        return false;
    }
    ds->split = xstrdup(split->str);
    return true;
}

/* text("file", context: N, vocabulary: V): windows of N character indices
 * and the N characters that follow them */
static bool declare_text(Sema *s, Decl *d, Args *ar, DataSrc *ds)
{
    int context = 0, vocabulary = 0;
    bool ok = sema_opt_int(s, ar, "context", &context, false) &&
              sema_opt_int(s, ar, "vocabulary", &vocabulary, false) &&
              sema_opt_real(s, ar, "holdout", 0, 0.9, &ds->holdout);
    Val *file = sema_opt(ar, "file");
    if (file->kind != V_STR) {
        diag_error(s->diag, file->loc, "text needs a file name in quotes, like text(\"data/my.txt\")");
        ok = false;
    } else {
        ds->dir = xstrdup(file->str);
    }
    if (ok && vocabulary > GENC_MAX_VOCABULARY) {
        diag_error(s->diag, sema_opt(ar, "vocabulary")->loc, "'vocabulary' is at most %d "
                   "characters, got %d", GENC_MAX_VOCABULARY, vocabulary);
        ok = false;
    }
    ok = split_of(s, ar, ds) && ok;
    ds->classes = vocabulary;
    ds->shape = ds->label_shape = (Shape){.nd = 1, .d = {context}, .batch = true};
    return bind_data(s, d, ds, ok);
}

static bool declare_source(Sema *s, Decl *d)
{
    Ast *a = d->value;
    if (a->kind != AST_CALL && a->kind != AST_NAME) {
        diag_error(s->diag, a->loc, "expected a distribution or dataset after '~', like "
                   "normal(100) or mnist(train)");
        return false;
    }
    int id = sema_find_builtin(a->name);
    if (id < 0 || sema_builtin(id).kind != BK_SOURCE) {
        static const char *const sources[] = {"mnist", "fashion_mnist", "idx", "images", "text",
                                              "wav", "normal", "uniform", "categorical"};
        const char *hint = diag_suggest(a->name, sources, (int)GENC_COUNT(sources));
        if (hint)
            diag_error(s->diag, a->loc, "unknown %s '%s'; did you mean '%s'?",
                       d->kind == DECL_DATA ? "dataset" : "distribution", a->name, hint);
        else
            diag_error(s->diag, a->loc, "unknown %s '%s' (%s)",
                       d->kind == DECL_DATA ? "dataset" : "distribution", a->name,
                       d->kind == DECL_DATA ? "datasets: mnist, fashion_mnist, idx(\"dir\"), "
                                                                   "images(\"dir\"), text(\"file\"), wav(\"dir\")"
                                            : "distributions: normal, uniform, categorical");
        return false;
    }
    bool is_data = id == B_MNIST || id == B_FASHION_MNIST || id == B_IDX || id == B_IMAGES ||
                   id == B_TEXT || id == B_WAV;
    if (is_data != (d->kind == DECL_DATA)) {
        diag_error(s->diag, a->loc, is_data ? "'%s' is a dataset: declare it with 'data', e.g. "
                                              "data x ~ mnist(train)"
                                            : "'%s' is noise, not data: drop the word 'data'",
                   a->name);
        return false;
    }
    Args ar;
    if (!sema_match_args(s, id, a->kind == AST_CALL ? a : NULL, FLOW_NONE, NULL, &ar, a->loc)) {
        return false;
    }
    Model *m = s->m;
    if (!is_data) {
        Noise nz = {.name = xstrdup(d->name.name), .loc = d->name.loc};
        bool ok = true;
        if (id == B_CATEGORICAL) {
            nz.kind = NOISE_CATEGORICAL;
            ok = sema_opt_int(s, &ar, "classes", &nz.classes, false);
            nz.shape = (Shape){.batch = true};
        } else {
            ok = sema_shape_of(s, *sema_opt(&ar, "shape"), &nz.shape, true);
            nz.kind = id == B_NORMAL ? NOISE_NORMAL : NOISE_UNIFORM;
            const char *p1 = id == B_NORMAL ? "mean" : "low", *p2 = id == B_NORMAL ? "std" : "high";
            ok = ok && sema_opt_real(s, &ar, p1, -1e9, 1e9, &nz.a) && sema_opt_real(s, &ar, p2, -1e9, 1e9, &nz.b);
            if (ok && id == B_NORMAL && nz.b <= 0) {
                diag_error(s->diag, sema_opt(&ar, "std")->loc, "'std' must be positive");
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
        TExpr *t = sema_tx_new(s, TX_NOISE, d->name.loc, nz.shape);
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
    ds->dataset = xstrdup(sema_builtin(id).name);
    ds->loc = d->loc;
    ds->lo = 0, ds->hi = 1;
    ds->shape = (Shape){.nd = 3, .d = {1, 28, 28}, .batch = true};
    ds->label_shape = (Shape){.batch = true};
    if (id == B_TEXT) return declare_text(s, d, &ar, ds);
    bool ok = true;
    if ((id != B_IMAGES && id != B_WAV) || sema_given(&ar, "classes")) {
        ok = sema_opt_int(s, &ar, "classes", &ds->classes, false);
    } else if (ds->label_name) {
        diag_error(s->diag, d->names.v[1].loc, "'%s' with labels needs their number: "
                   "classes: N, one per class folder", a->name);
        ok = false;
    } else {
        ds->classes = 1;
    }
    ok = split_of(s, &ar, ds) && ok;
    if (sema_given(&ar, "range")) {
        Val *r = sema_opt(&ar, "range");
        if (r->kind != V_LIST || r->nitems != 2 || !(r->items[0] < r->items[1])) {
            diag_error(s->diag, r->loc, "'range' must be [low, high] with low < high, like [-1, 1]");
            ok = false;
        } else {
            ds->lo = r->items[0], ds->hi = r->items[1];
        }
    }
    if (id == B_IDX || id == B_IMAGES || id == B_WAV) {
        Val *dir = sema_opt(&ar, "dir");
        if (dir->kind != V_STR) {
            diag_error(s->diag, dir->loc, "%s needs a directory in quotes, like %s(\"data/my/\")",
                       a->name, a->name);
            ok = false;
        } else {
            ds->dir = xstrdup(dir->str);
        }
        if (sema_given(&ar, "shape")) ok = ok && sema_shape_of(s, *sema_opt(&ar, "shape"), &ds->shape, true);
    }
    if (id == B_IMAGES && ok && (ds->shape.nd != 3 || (ds->shape.d[0] != 1 && ds->shape.d[0] != 3))) {
        char b[64];
        Shape example = ds->shape;
        example.batch = false;
        diag_error(s->diag, sema_opt(&ar, "shape")->loc, "'images' makes [channels, height, "
                   "width] with 1 channel (grey) or 3 (colour), not %s",
                   shape_str(example, b, sizeof b));
        ok = false;
    }
    if (id == B_IMAGES || id == B_WAV) ok = ok && sema_opt_real(s, &ar, "holdout", 0, 0.9, &ds->holdout);
    if (id == B_WAV) {
        /* [1, length] samples in [-1, 1): one channel, for conv1d */
        int length = 0;
        ok = ok && sema_opt_int(s, &ar, "rate", &ds->rate, false) &&
             sema_opt_int(s, &ar, "length", &length, false);
        ds->shape = (Shape){.nd = 2, .d = {1, length}, .batch = true};
        ds->lo = -1, ds->hi = 1;
        return bind_data(s, d, ds, ok);
    }
    /* augmentation: a random horizontal flip, a random shift of up to
     * `shift` pixels each way */
    ds->flip = sema_opt(&ar, "flip")->num != 0;
    ok = ok && sema_opt_int(s, &ar, "shift", &ds->shift, true);
    if (ok && ds->shift && (ds->shape.nd != 3 || ds->shift >= ds->shape.d[1] || ds->shift >= ds->shape.d[2])) {
        if (ds->shape.nd != 3)
            diag_error(s->diag, sema_opt(&ar, "shift")->loc, "'shift' needs images, [channels, "
                       "height, width]");
        else
            diag_error(s->diag, sema_opt(&ar, "shift")->loc, "'shift' must be smaller than the "
                       "images' height and width (%dx%d), got %d", ds->shape.d[1],
                       ds->shape.d[2], ds->shift);
        ok = false;
    }
    if (ok && ds->flip && ds->shape.nd != 3) {
        diag_error(s->diag, sema_opt(&ar, "flip")->loc, "'flip' needs images, [channels, height, "
                   "width]");
        ok = false;
    }
    return bind_data(s, d, ds, ok);
}

static void check_source(Sema *s, Decl *d)
{
    if (!declare_source(s, d)) bind_failed_source(s, d);
}

static void check_let(Sema *s, Decl *d)
{
    if (d->names.n > 1) {
        unpack(s, d->value, FLOW_NONE, NULL, &d->names, &s->globals);
        return;
    }
    Val v = sema_eval(s, d->value, FLOW_NONE, NULL);
    if (v.kind == V_WORD) {
        sema_unknown_name(s, v.str, v.loc, "name");
        v = val_err;
    }
    /* let beta = linear(0, 1, epochs: 10): log.csv's column is beta */
    if (sema_is_schedule(v) && d->names.n == 1 &&
        !s->m->scheds[v.t->attr.sched].name)
        s->m->scheds[v.t->attr.sched].name = (char *)sema_str(s, d->names.v[0].name);
    bind(&s->globals, d->names.v[0].name, v, d->names.v[0].loc);
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
            if (!dup && sema_find_builtin(id->name) >= 0 && d->kind != DECL_LET) {
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

/* At most GENC_MAX_STATEMENTS declarations and statements. */
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
        if (prog->v[i]->kind == DECL_OBJ) sema_check_objective(&s, prog->v[i]);
    if (train) sema_check_train(&s, train);
    for (int p = 0; p < m->nplayers; p++)
        if (!m->players[p].optim.name) {
            m->players[p].optim.name = xstrdup("adam");
            m->players[p].optim.loc = m->nets[m->players[p].net].loc;
        }
    for (int n = 0; n < m->nnets; n++) {
        if (m->nets[n].player >= 0 || m->nets[n].nlayers == 0) continue;
        int o = 0;
        while (o < m->nobjs && !texpr_uses_net(m, m->objs[o].value, n)) o++;
        if (o == m->nobjs) continue;
        /* a body shared by heads (InfoGAN's Q on D's body): its weights
         * train with one player's */
        int caller = 0;
        while (caller < m->nnets && !(s.calls[caller][n] && m->nets[caller].player >= 0)) caller++;
        if (caller < m->nnets)
            diag_error(diag, m->nets[n].loc, "net '%s' has weights and is used by the objective on "
                       "line %d (through %s), but is no player's: name it beside the player "
                       "whose update trains it, like 'min %s, %s: ...'",
                       m->nets[n].name, m->objs[o].loc.line, m->nets[caller].name,
                       m->nets[caller].name, m->nets[n].name);
        else
            diag_error(diag, m->nets[n].loc, "net '%s' has weights and is used by the objective on "
                       "line %d, but is not a player of it", m->nets[n].name, m->objs[o].loc.line);
    }
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

/* ---- what depends on what ---------------------------------------------- */

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

bool texpr_uses_weights(const Model *m, const TExpr *t, int n)
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
    for (int i = 0; i < m->nplayers; i++) sema_setting_free(&m->players[i].optim);
    free(m->players);
    free(m->scheds); /* their names are in strs */
    for (int i = 0; i < m->nall; i++) {
        free(m->all[i]->kids);
        free(m->all[i]);
    }
    free(m->all);
    for (int i = 0; i < m->nstrs; i++) free(m->strs[i]);
    free(m->strs);
    free(m);
}
