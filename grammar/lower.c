/* lower.c: Model -> graph IR.
 *
 * Every layer becomes graph ops and parameters (a dense layer is a matmul
 * and a bias add; batchnorm is normalisation, a scale and a shift), net
 * calls are inlined, and each side of each objective becomes a phase.
 * Nothing here can fail: sema has checked everything. */
#include "grammar/lower.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The parameters of one layer, created the first time any call of its
 * net is lowered, so that every call shares them. */
typedef struct LayerNodes {
    bool made;
    int w, b; /* weight (or gamma) and bias (or beta); -1 if none */
    int state; /* batchnorm's running statistics, spectral norm's u and v: layer state */
} LayerNodes;

/* A net call already lowered: the same net on the same inputs is the same
 * values (rewrite's CSE would merge them anyway; this keeps the graph
 * small from the start). */
typedef struct CallMemo {
    int net, nargs;
    int args[16];
    int *outs;
} CallMemo;

typedef struct Lower {
    Model *m;
    Graph *g;
    LayerNodes *layers;
    int data[2];
    int *noise;
    CallMemo *calls;
    int ncalls;
    const int *args; /* the inputs of the net being inlined */
    const bool *nonsat; /* per net: rewrite log(1 - X(net)) as -log X */
    /* Each typed node is lowered once per context (a net call being
     * inlined, or one phase's loss), not once per use: a value used twice
     * (h = a + a; h + h ...) would otherwise double the graph at each use. */
    int *memo, *memo_ctx; /* per TExpr id: its node, and the context it belongs to */
    int ctx, nctx;
} Lower;

static int lower_expr(Lower *L, const TExpr *t);

static int node(Lower *L, Op op, const TExpr *t, int a, int b, Shape shape)
{
    int in[2] = {a, b};
    int n = graph_add(L->g, op, (a >= 0) + (b >= 0), in, t->loc, t->path);
    L->g->nodes[n].shape = shape;
    return n;
}

/* PyTorch's default for weights and biases of dense and conv layers:
 * kaiming_uniform(a = sqrt(5)), i.e. uniform(+-1/sqrt(fan_in)). */
static Init default_init(int fan_in)
{
    double bound = 1.0 / sqrt((double)fan_in);
    return (Init){INIT_UNIFORM, -bound, bound};
}

/* The decay of the average of a layer's weights: its net's player's `ema`. */
static double layer_ema(Lower *L, const TExpr *t)
{
    const Net *net = &L->m->nets[L->m->layers[t->layer_id].net];
    return net->player >= 0 ? L->m->players[net->player].ema : 0;
}

static int param(Lower *L, const TExpr *t, const char *suffix, Shape s, Init init, int fan_in,
                 int fan_out)
{
    char path[256];
    snprintf(path, sizeof path, "%s.%s", t->path, suffix);
    const Layer *ly = &L->m->layers[t->layer_id];
    int n = graph_param(L->g, path, L->m->nets[ly->net].name, s, init, fan_in, fan_out, t->loc);
    L->g->params[L->g->nodes[n].attr.param].ema = layer_ema(L, t);
    return n;
}

/* weight init: the layer's init: option, else the model's, else PyTorch's */
static Init weight_init(Lower *L, const TExpr *t, int fan_in)
{
    if (t->init.kind != INIT_DEFAULT) return t->init;
    if (L->m->init.kind != INIT_DEFAULT) return L->m->init;
    return default_init(fan_in);
}

/* The weight of a layer with spectral_norm: w / sigma(w), sigma from one
 * power iteration per run (Miyato et al. 2018). u and v are layer state,
 * u from ones; the matrix's rows are w's first axis, a deconv's second
 * (as PyTorch's spectral_norm). */
static void spectral_norm(Lower *L, const TExpr *t, LayerNodes *ln)
{
    Graph *g = L->g;
    Shape ws = g->nodes[ln->w].shape;
    int axis = t->layer == LAYER_DECONV, rows = ws.d[axis];
    int64_t cols = shape_count(ws) / rows;
    ln->state = graph_state(g, t->path, "spectral norm's u and v",
                            (Shape){.nd = 1, .d = {rows + (int)cols}}, 1, (double[]){1});
    g->states[ln->state].ema = layer_ema(L, t);
    int sigma = node(L, OP_spectral_sigma, t, ln->w, -1, (Shape){0});
    g->nodes[sigma].attr.state = ln->state;
    g->nodes[sigma].attr.axis = axis;
    ln->w = node(L, OP_div, t, ln->w, sigma, ws);
}

static void make_layer(Lower *L, const TExpr *t)
{
    LayerNodes *ln = &L->layers[t->layer_id];
    if (ln->made) return;
    ln->made = true;
    ln->w = ln->b = ln->state = -1;
    Shape in = t->kids[0]->shape;
    Shape bias1 = {.nd = 1, .d = {t->spec.units}};
    switch (t->layer) {
    case LAYER_DENSE: {
        int fi = in.d[in.nd - 1], fo = t->spec.units;
        ln->w = param(L, t, "w", (Shape){.nd = 2, .d = {fo, fi}}, weight_init(L, t, fi), fi, fo);
        if (t->spec.bias) ln->b = param(L, t, "b", bias1, default_init(fi), fi, fo);
        if (t->spec.spectral_norm) spectral_norm(L, t, ln);
        break;
    }
    case LAYER_CONV:
    case LAYER_DECONV: {
        int c = in.d[0], f = t->spec.units, kh = t->spec.kernel[0], kw = t->spec.kernel[1];
        bool conv = t->layer == LAYER_CONV;
        /* PyTorch layouts: conv [out, in, kh, kw], deconv [in, out, kh,
         * kw], a 1-D one's without kh; fan_in follows PyTorch's rule
         * (dimension 1 times the kernel) */
        Shape ws = {.nd = 4, .d = {conv ? f : c, conv ? c : f, kh, kw}};
        if (t->spec.one_d) ws = (Shape){.nd = 3, .d = {ws.d[0], ws.d[1], kw}};
        int fi = ws.d[1] * kh * kw, fo = ws.d[0] * kh * kw;
        ln->w = param(L, t, "w", ws, weight_init(L, t, fi), fi, fo);
        if (t->spec.bias)
            ln->b = param(L, t, "b", t->spec.one_d ? (Shape){.nd = 2, .d = {f, 1}}
                                                   : (Shape){.nd = 3, .d = {f, 1, 1}},
                          default_init(fi), fi, fo);
        if (t->spec.spectral_norm) spectral_norm(L, t, ln);
        break;
    }
    case LAYER_BATCHNORM:
    case LAYER_LAYERNORM: {
        /* batchnorm: one scale per channel, broadcast over the rest;
         * layernorm: one per element of the axes it normalises over */
        Shape s = in;
        s.batch = false;
        for (int rows = t->spec.groups; t->layer == LAYER_LAYERNORM && rows > 1; s.nd--) {
            rows /= s.d[0];
            memmove(s.d, s.d + 1, sizeof(int) * (size_t)(s.nd - 1));
        }
        if (t->layer == LAYER_BATCHNORM) {
            for (int i = 1; i < s.nd; i++) s.d[i] = 1;
            /* running mean (from 0) and variance (from 1), as PyTorch */
            ln->state = graph_state(L->g, t->path, "running mean and variance",
                                    (Shape){.nd = 1, .d = {in.d[0]}}, 2, (double[]){0, 1});
            L->g->states[ln->state].ema = layer_ema(L, t);
        }
        ln->w = param(L, t, "gamma", s, (Init){INIT_ONES, 0, 0}, 0, 0);
        ln->b = param(L, t, "beta", s, (Init){INIT_ZEROS, 0, 0}, 0, 0);
        break;
    }
    case LAYER_GROUPNORM: {
        Shape s = {.nd = in.nd, .d = {in.d[0]}};
        for (int i = 1; i < s.nd; i++) s.d[i] = 1;
        if (t->spec.affine) {
            ln->w = param(L, t, "gamma", s, (Init){INIT_ONES, 0, 0}, 0, 0);
            ln->b = param(L, t, "beta", s, (Init){INIT_ZEROS, 0, 0}, 0, 0);
        }
        break;
    }
    case LAYER_SCALE: {
        Init init = t->init.kind != INIT_DEFAULT ? t->init : (Init){INIT_ONES, 0, 0};
        ln->w = param(L, t, "g", (Shape){.nd = 1, .d = {1}}, init, 1, 1);
        break;
    }
    case LAYER_EMBEDDING: {
        Init init = t->init.kind != INIT_DEFAULT ? t->init : (Init){INIT_NORMAL, 0, 1};
        int v = t->spec.vocabulary, d = t->spec.dimension;
        ln->w = param(L, t, "table", (Shape){.nd = 2, .d = {v, d}}, init, v, d);
        break;
    }
    }
}

/* groupnorm from the ops of the graph: each group [n] of an example's
 * values less its mean, over sqrt(its variance + eps), then the channels'
 * scale (their shift is the layer's bias); also layernorm over the last
 * axes, whose groups are the rows before them */
static int group_norm(Lower *L, const TExpr *t, int x, const LayerNodes *ln)
{
    int G = t->spec.groups, n = (int)(shape_count(t->shape) / G);
    Shape rows = {.nd = 2, .d = {G, n}, .batch = true}, col = {.nd = 2, .d = {G, 1}, .batch = true};
    int r = node(L, OP_reshape, t, x, -1, rows), inv_n = graph_const(L->g, 1.0 / n, t->loc, t->path);
    int mean = node(L, OP_mul, t, node(L, OP_sum_to, t, r, -1, col), inv_n, col);
    int c = node(L, OP_sub, t, r, mean, rows);
    int sq = node(L, OP_powc, t, c, -1, rows);
    L->g->nodes[sq].attr.exponent = 2;
    int var = node(L, OP_mul, t, node(L, OP_sum_to, t, sq, -1, col), inv_n, col);
    int sd = node(L, OP_add, t, var, graph_const(L->g, t->attr.eps, t->loc, t->path), col);
    sd = node(L, OP_sqrt, t, sd, -1, col);
    int y = node(L, OP_reshape, t, node(L, OP_div, t, c, sd, rows), -1, t->shape);
    return ln->w >= 0 ? node(L, OP_mul, t, y, ln->w, t->shape) : y;
}

static int lower_layer(Lower *L, const TExpr *t)
{
    int x = lower_expr(L, t->kids[0]), y = -1;
    make_layer(L, t); /* after its input, so parameters come in layer order */
    LayerNodes *ln = &L->layers[t->layer_id];
    Graph *g = L->g;
    switch (t->layer) {
    case LAYER_DENSE:
        /* x w^T; on a sequence, each vector's: w shared by the batch and
         * the positions */
        y = node(L, t->shape.nd == 1 ? OP_matmul : OP_batch_matmul, t, x, ln->w, t->shape);
        g->nodes[y].attr.tb = 1;
        break;
    case LAYER_CONV:
    case LAYER_DECONV: {
        /* a 1-D convolution is the 2-D one of [C, 1, L] with a kernel of
         * height 1 */
        int w = ln->w;
        Shape ys = t->shape;
        if (t->spec.one_d) {
            Shape xs = g->nodes[x].shape, ws = g->nodes[w].shape;
            x = node(L, OP_reshape, t, x, -1, (Shape){.nd = 3, .d = {xs.d[0], 1, xs.d[1]}, .batch = true});
            w = node(L, OP_reshape, t, w, -1, (Shape){.nd = 4, .d = {ws.d[0], ws.d[1], 1, ws.d[2]}});
            ys = (Shape){.nd = 3, .d = {ys.d[0], 1, ys.d[1]}, .batch = true};
        }
        y = node(L, t->layer == LAYER_CONV ? OP_conv2d : OP_deconv2d, t, x, w, ys);
        g->nodes[y].attr = t->attr; /* stride, padding; a deconv's output padding */
        if (t->spec.one_d) y = node(L, OP_reshape, t, y, -1, t->shape);
        break;
    }
    case LAYER_BATCHNORM:
    case LAYER_LAYERNORM:
        if (t->layer == LAYER_LAYERNORM && t->spec.groups > 1) {
            y = group_norm(L, t, x, ln); /* over the last axes: each row alone */
            break;
        }
        y = node(L, t->layer == LAYER_BATCHNORM ? OP_batchnorm : OP_layernorm, t, x, -1, t->shape);
        g->nodes[y].attr = t->attr; /* eps; batchnorm's momentum */
        g->nodes[y].attr.state = ln->state;
        y = node(L, OP_mul, t, y, ln->w, t->shape);
        break;
    case LAYER_EMBEDDING: y = node(L, OP_embedding, t, x, ln->w, t->shape); break;
    case LAYER_SCALE: y = node(L, OP_mul, t, x, ln->w, t->shape); break;
    case LAYER_GROUPNORM: y = group_norm(L, t, x, ln); break;
    }
    if (ln->b >= 0) y = node(L, OP_add, t, y, ln->b, t->shape);
    return y;
}

static int lower_call(Lower *L, const TExpr *t)
{
    int args[16];
    GENC_ASSERT(t->nkids <= 16);
    for (int i = 0; i < t->nkids; i++) args[i] = lower_expr(L, t->kids[i]);
    for (int i = 0; i < L->ncalls; i++) {
        CallMemo *c = &L->calls[i];
        if (c->net == t->ival && memcmp(c->args, args, sizeof *args * (size_t)t->nkids) == 0)
            return c->outs[t->out];
    }
    const Net *net = &L->m->nets[t->ival];
    const int *saved = L->args;
    int saved_ctx = L->ctx;
    L->args = args;
    L->ctx = ++L->nctx;
    int *outs = xcalloc((size_t)net->nouts, sizeof *outs);
    for (int i = 0; i < net->nouts; i++) outs[i] = lower_expr(L, net->outs[i]);
    L->args = saved;
    L->ctx = saved_ctx;
    L->calls = xgrow(L->calls, sizeof *L->calls, (size_t)L->ncalls);
    CallMemo *c = &L->calls[L->ncalls++];
    c->net = t->ival;
    c->nargs = t->nkids;
    memcpy(c->args, args, sizeof *args * (size_t)t->nkids);
    c->outs = outs;
    return outs[t->out];
}

/* log(1 - X), X computed by a net being made nonsaturating */
static bool saturating(Lower *L, const TExpr *t)
{
    if (!L->nonsat || t->op != OP_log) return false;
    const TExpr *k = t->kids[0];
    if (k->kind != TX_OP || k->op != OP_sub || k->kids[0]->kind != TX_NUM ||
        k->kids[0]->attr.value != 1)
        return false;
    for (int n = 0; n < L->m->nnets; n++)
        if (L->nonsat[n] && texpr_uses_net(L->m, k->kids[1], n)) return true;
    return false;
}

static int lower_expr(Lower *L, const TExpr *t)
{
    Graph *g = L->g;
    if (L->memo_ctx[t->id] == L->ctx) return L->memo[t->id];
    int n = -1;
    switch (t->kind) {
    case TX_ARG: n = L->args[t->ival]; break;
    case TX_NUM: n = graph_const(g, t->attr.value, t->loc, t->path); break;
    case TX_DATA:
        if (L->data[t->ival] < 0) {
            L->data[t->ival] = node(L, OP_input, t, -1, -1, t->shape);
            g->nodes[L->data[t->ival]].attr.data = t->ival;
        }
        n = L->data[t->ival];
        break;
    case TX_NOISE:
        if (L->noise[t->ival] < 0) {
            L->noise[t->ival] = node(L, OP_noise, t, -1, -1, t->shape);
            g->nodes[L->noise[t->ival]].attr.noise = t->ival;
        }
        n = L->noise[t->ival];
        break;
    case TX_LAYER: n = lower_layer(L, t); break;
    case TX_CALL: n = lower_call(L, t); break;
    case TX_OP:
        if (saturating(L, t)) {
            /* log(1 - D(G(z))) -> -log D(G(z)): the generator's loss of the
             * nonsaturating game (Goodfellow et al. 2014, section 3) */
            int x = lower_expr(L, t->kids[0]->kids[1]);
            int y = node(L, OP_log, t, x, -1, t->shape);
            n = node(L, OP_neg, t, y, -1, t->shape);
            break;
        }
        int a = t->nkids > 0 ? lower_expr(L, t->kids[0]) : -1;
        int b = t->nkids > 1 ? lower_expr(L, t->kids[1]) : -1;
        n = node(L, t->op, t, a, b, t->shape);
        g->nodes[n].attr = t->attr;
        break;
    }
    L->memo_ctx[t->id] = L->ctx;
    L->memo[t->id] = n;
    return n;
}

static bool uses_any(Lower *L, const TExpr *t, const int *nets, int n)
{
    for (int i = 0; i < n; i++)
        if (texpr_uses_net(L->m, t, nets[i])) return true;
    return false;
}

/* A phase's loss without the additive terms its nets cannot change
 * (E[log D(x)] in the generator's phase): they add nothing to its
 * gradient, and leaving them out saves their forward pass every step. */
static int lower_loss(Lower *L, const TExpr *t, const int *nets, int n)
{
    if (t->kind == TX_OP && (t->op == OP_add || t->op == OP_sub)) {
        bool l = uses_any(L, t->kids[0], nets, n), r = uses_any(L, t->kids[1], nets, n);
        if (l && !r) return lower_loss(L, t->kids[0], nets, n);
        if (r && !l) {
            int y = lower_loss(L, t->kids[1], nets, n);
            if (t->op == OP_add) return y;
            return node(L, OP_neg, t, y, -1, t->shape);
        }
        if (l && r) { /* both sides may hold terms to drop, deeper down */
            int a = lower_loss(L, t->kids[0], nets, n); /* left first: node order */
            int b = lower_loss(L, t->kids[1], nets, n);
            return node(L, t->op, t, a, b, t->shape);
        }
    }
    return lower_expr(L, t);
}

static char *setting_name(const Setting *s) { return xstrdup(s->name); }

/* One phase: the nets of one side of an objective, minimising `loss`. */
static void add_phase(Lower *L, const Objective *o, const int *nets, int n, int loss)
{
    Graph *g = L->g;
    Model *m = L->m;
    g->phases = xgrow(g->phases, sizeof *g->phases, (size_t)g->nphases);
    Phase *p = &g->phases[g->nphases++];
    memset(p, 0, sizeof *p);
    char name[256] = "";
    for (int i = 0; i < n; i++) {
        if (i) strncat(name, "+", sizeof name - strlen(name) - 1);
        strncat(name, m->nets[nets[i]].name, sizeof name - strlen(name) - 1);
    }
    p->name = xstrdup(name);
    p->loss = loss;
    p->loc = o->loc;
    p->params = xcalloc((size_t)g->nparams + 1, sizeof *p->params);
    for (int j = 0; j < g->nparams; j++)
        for (int i = 0; i < n; i++)
            if (strcmp(g->params[j].owner, m->nets[nets[i]].name) == 0) p->params[p->nparams++] = j;
    /* the first net's settings speak for its side (docs/language.md) */
    const Player *pl = &m->players[m->nets[nets[0]].player];
    p->optim = pl->optim;
    p->optim.name = setting_name(&pl->optim);
    for (int i = 0; i < pl->optim.nkw; i++) p->optim.kw[i] = xstrdup(pl->optim.kw[i]);
    p->every = pl->every;
    p->lr_sched = pl->lr_scheduled ? pl->lr_sched : -1;
    p->clip = pl->clip;
    p->grad_clip = pl->grad_clip;
}

static void copy_sources(Graph *g, const Model *m)
{
    g->batch = m->batch;
    g->epochs = m->epochs;
    g->seed = m->seed;
    g->ema_start = m->ema_start;
    g->scheds = xcalloc((size_t)m->nscheds + 1, sizeof *g->scheds);
    for (int i = 0; i < m->nscheds; i++) {
        g->scheds[i] = m->scheds[i];
        /* a schedule written in place, not named by a let: where it is */
        char at[32];
        snprintf(at, sizeof at, "schedule_%d_%d", m->scheds[i].loc.line, m->scheds[i].loc.col);
        g->scheds[i].name = xstrdup(m->scheds[i].name ? m->scheds[i].name : at);
    }
    g->nscheds = m->nscheds;
    g->init = m->init;
    g->noise = xcalloc((size_t)m->nnoise + 1, sizeof *g->noise);
    for (int i = 0; i < m->nnoise; i++) {
        g->noise[i] = m->noise[i];
        g->noise[i].name = xstrdup(m->noise[i].name);
    }
    g->nnoise = m->nnoise;
    if (m->data) {
        DataSrc *d = xcalloc(1, sizeof *d);
        *d = *m->data;
        d->name = xstrdup(d->name);
        d->label_name = d->label_name ? xstrdup(d->label_name) : NULL;
        d->dataset = xstrdup(d->dataset);
        d->dir = d->dir ? xstrdup(d->dir) : NULL;
        d->split = xstrdup(d->split);
        g->data = d;
    }
}

Graph *lower_model(Model *m)
{
    Graph *g = graph_new(m->file);
    copy_sources(g, m);
    Lower L = {.m = m, .g = g, .data = {-1, -1}};
    L.layers = xcalloc((size_t)m->nlayers + 1, sizeof *L.layers);
    L.memo = xcalloc((size_t)m->nall + 1, sizeof *L.memo);
    L.memo_ctx = xcalloc((size_t)m->nall + 1, sizeof *L.memo_ctx);
    for (int i = 0; i < m->nall; i++) L.memo_ctx[i] = -1;
    L.noise = xcalloc((size_t)m->nnoise + 1, sizeof *L.noise);
    for (int i = 0; i < m->nnoise; i++) L.noise[i] = -1;
    bool *nonsat = xcalloc((size_t)m->nnets + 1, sizeof *nonsat);
    for (int i = 0; i < m->nobjs; i++) {
        const Objective *o = &m->objs[i];
        if (o->nmax) {
            /* max D: V is min D: -V */
            L.ctx = ++L.nctx;
            int v = lower_loss(&L, o->value, o->max, o->nmax);
            int neg = graph_add(g, OP_neg, 1, &v, o->loc, "");
            g->nodes[neg].shape = g->nodes[v].shape;
            add_phase(&L, o, o->max, o->nmax, neg);
        }
        if (o->nmin) {
            if (o->nonsaturating) {
                for (int j = 0; j < o->nmin; j++) nonsat[o->min[j]] = true;
                L.nonsat = nonsat;
            }
            L.ctx = ++L.nctx; /* nonsat changes how this side lowers */
            add_phase(&L, o, o->min, o->nmin, lower_loss(&L, o->value, o->min, o->nmin));
            L.nonsat = NULL;
            memset(nonsat, 0, sizeof *nonsat * (size_t)m->nnets);
        }
    }
    L.ctx = ++L.nctx;
    if (m->sample) g->sample = lower_expr(&L, m->sample);
    if (m->encode) g->encode = lower_expr(&L, m->encode);
    if (m->judge) {
        /* the classifier's probabilities and, for the Frechet distance of
         * `genc eval --judge`, the features its last dense layer reads:
         * softmax(h w^T + b) */
        g->judge = lower_expr(&L, m->judge);
        int n = g->judge;
        if (g->nodes[n].op == OP_softmax) n = g->nodes[n].in[0];
        if (g->nodes[n].op == OP_add) n = g->nodes[n].in[0];
        if (g->nodes[n].op == OP_matmul) g->features = g->nodes[n].in[0];
    }
    for (int i = 0; i < L.ncalls; i++) free(L.calls[i].outs);
    free(L.calls);
    free(L.layers);
    free(L.memo);
    free(L.memo_ctx);
    free(L.noise);
    free(nonsat);
    g->after = "lower";
    return g;
}
