/* exec.c: buffers, parameter initialisation, and the kernel dispatch. */
#include "exec/exec.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/kernels.h"
#include "core/pool.h"

/* Input and noise buffers hold at least this many examples, so that a
 * 10x10 sample grid can be drawn whatever the training batch. */
#define EXEC_MIN_ROWS 100

/* Zeroed, on a cache line: the plan puts values at multiples of 64 bytes
 * (plan.c), and a vector load across two lines costs twice. */
static void *try_alloc(int64_t reals, char err[EXEC_ERR_LEN], const char *what)
{
    size_t bytes = ((size_t)(reals > 0 ? reals : 1) * sizeof(real) + 63) / 64 * 64;
    void *p = aligned_alloc(64, bytes);
    if (p) memset(p, 0, bytes);
    if (!p)
        snprintf(err, EXEC_ERR_LEN, "not enough memory for the %s: %.1f MB needed", what,
                 (double)bytes / 1e6);
    return p;
}

/* ---- initialisation ---------------------------------------------------- */

static void init_param(const Param *p, real *x, int64_t n, Rng *r)
{
    double fi = p->fan_in > 0 ? p->fan_in : 1, fo = p->fan_out > 0 ? p->fan_out : 1;
    Init in = p->init;
    switch (in.kind) {
    case INIT_NORMAL: rng_fill_normal(r, x, (size_t)n, (real)in.a, (real)in.b); return;
    case INIT_UNIFORM: rng_fill_uniform(r, x, (size_t)n, (real)in.a, (real)in.b); return;
    case INIT_XAVIER_UNIFORM: {
        double bound = in.a * sqrt(6.0 / (fi + fo));
        rng_fill_uniform(r, x, (size_t)n, (real)-bound, (real)bound);
        return;
    }
    case INIT_XAVIER_NORMAL:
        rng_fill_normal(r, x, (size_t)n, 0, (real)(in.a * sqrt(2.0 / (fi + fo))));
        return;
    case INIT_KAIMING_UNIFORM: {
        /* torch.nn.init.kaiming_uniform_: gain sqrt(2 / (1 + a^2)) */
        double bound = sqrt(2.0 / (1 + in.a * in.a)) * sqrt(3.0 / fi);
        rng_fill_uniform(r, x, (size_t)n, (real)-bound, (real)bound);
        return;
    }
    case INIT_KAIMING_NORMAL:
        rng_fill_normal(r, x, (size_t)n, 0, (real)(sqrt(2.0 / (1 + in.a * in.a)) / sqrt(fi)));
        return;
    case INIT_ONES: k_fill(x, (int)n, 1); return;
    case INIT_ZEROS:
    case INIT_DEFAULT:
    case INIT_COUNT: k_fill(x, (int)n, 0); return;
    }
}

/* ---- construction ------------------------------------------------------ */

static int make_optim(Exec *e, int p, char err[EXEC_ERR_LEN])
{
    const Phase *ph = &e->g->phases[p];
    OptimKind kind;
    char oerr[OPTIM_ERR_LEN];
    if (optim_kind_from_name(ph->optim.name, &kind, oerr)) {
        snprintf(err, EXEC_ERR_LEN, "phase %s: %s", ph->name, oerr);
        return -1;
    }
    OptimSettings s = optim_defaults(kind);
    for (int i = 0; i < ph->optim.nkw; i++) {
        const char *k = ph->optim.kw[i];
        double v = ph->optim.val[i];
        if (!strcmp(k, "lr")) s.lr = v;
        else if (!strcmp(k, "beta1")) s.beta1 = v;
        else if (!strcmp(k, "beta2")) s.beta2 = v;
        else if (!strcmp(k, "eps")) s.eps = v;
        else if (!strcmp(k, "weight_decay")) s.weight_decay = v;
        else if (!strcmp(k, "momentum")) s.momentum = v;
        else if (!strcmp(k, "dampening")) s.dampening = v;
        else if (!strcmp(k, "nesterov")) s.nesterov = v != 0;
        else if (!strcmp(k, "alpha")) s.alpha = v;
        else if (!strcmp(k, "centered")) s.centered = v != 0;
        else GENC_ASSERT(!"optimizer option unknown to exec");
    }
    s.clip_weight = ph->clip;
    s.clip_grad_norm = ph->grad_clip;
    if (optim_init(&e->optim[p], &s, (size_t)e->plen[p], oerr)) {
        snprintf(err, EXEC_ERR_LEN, "phase %s: %s", ph->name, oerr);
        return -1;
    }
    return 0;
}

/* Grows the arena to fit plan p; only when a plan is new. */
static int fit(Exec *e, const Plan *p, char err[EXEC_ERR_LEN])
{
    if (p->arena > e->arena_size) {
        free(e->arena);
        e->arena_size = 0;
        if (!(e->arena = try_alloc(p->arena, err, "arena"))) return -1;
        e->arena_size = p->arena;
    }
    return 0;
}

Exec *exec_new(Graph *g, int B, uint64_t seed, char err[EXEC_ERR_LEN])
{
    Exec *e = xcalloc(1, sizeof *e);
    e->g = g;
    e->B = B;
    e->seed = seed;
    e->poff = xcalloc((size_t)g->nparams + 1, sizeof *e->poff);
    e->pstart = xcalloc((size_t)g->nphases + 1, sizeof *e->pstart);
    e->plen = xcalloc((size_t)g->nphases + 1, sizeof *e->plen);
    e->nparams = plan_param_layout(g, e->poff, e->pstart, e->plen);
    e->bnoff = xcalloc((size_t)g->nbn + 1, sizeof *e->bnoff);
    for (int i = 0; i < g->nbn; i++) e->bnoff[i] = e->nbn, e->nbn += 2 * g->bn[i].channels;
    int rows = B > EXEC_MIN_ROWS ? B : EXEC_MIN_ROWS;
    e->noise = xcalloc((size_t)g->nnoise + 1, sizeof *e->noise);
    e->optim = xcalloc((size_t)g->nphases + 1, sizeof *e->optim);
    e->loss = xcalloc((size_t)g->nphases + 1, sizeof *e->loss);
    /* every value must be addressable by the kernels' int sizes */
    for (int n = 0; n < g->nnodes; n++)
        if (plan_count(g, n, B) > INT32_MAX) {
            const Node *nd = &g->nodes[n];
            snprintf(err, EXEC_ERR_LEN, "the value at %s:%d:%d has %lld elements at batch %d, "
                     "more than genc's limit of %d; use a smaller batch",
                     nd->loc.file ? nd->loc.file : g->file, nd->loc.line, nd->loc.col,
                     (long long)plan_count(g, n, B), B, INT32_MAX);
            exec_free(e);
            return NULL;
        }
    /* the step of every phase, the largest: its memory is taken now, so a
     * model too large for the machine is refused before training starts */
    unsigned all = g->nphases ? (1u << g->nphases) - 1 : 0;
    if (g->nphases) e->plans[all] = plan_step(g, B, all);
    int64_t state = 3 * e->nparams + e->nbn, arena = all ? e->plans[all]->arena : 0;
    bool ok = (e->params = try_alloc(e->nparams, err, "parameters")) &&
              (e->bn = try_alloc(e->nbn, err, "batchnorm statistics"));
    if (ok && g->data) {
        ok = (e->input[0] = try_alloc(rows * shape_count(g->data->shape), err, "data batch")) &&
             (e->input[1] = try_alloc(rows, err, "labels"));
    }
    for (int i = 0; ok && i < g->nnoise; i++)
        ok = (e->noise[i] = try_alloc(rows * shape_count(g->noise[i].shape), err, "noise")) != NULL;
    for (int p = 0; ok && p < g->nphases; p++) ok = make_optim(e, p, err) == 0;
    if (ok && all) ok = fit(e, e->plans[all], err) == 0;
    if (ok && !(pool_blas_reserve() && base_room(k_conv_room()))) {
        ok = false;
        snprintf(err, EXEC_ERR_LEN, "not enough memory");
    }
    if (!ok) {
        char dnnl[64] = "";
        if (k_conv_room())
            snprintf(dnnl, sizeof dnnl, ", and oneDNN %.0f MB for its kernels",
                     (double)k_conv_room() / 1e6);
        if (strncmp(err, "not enough memory", 17) == 0)
            snprintf(err, EXEC_ERR_LEN, "not enough memory: training needs about %.1f MB at "
                     "batch %d (parameters and optimizer state %.1f MB, intermediate values, "
                     "gradients and kernel scratch %.1f MB), OpenBLAS %.0f MB of address "
                     "space for its buffers (138 MB per thread)%s",
                     (double)(state + arena) * sizeof(real) / 1e6, B,
                     (double)state * sizeof(real) / 1e6, (double)arena * sizeof(real) / 1e6,
                     (double)pool_blas_bytes() / 1e6, dnnl);
        exec_free(e);
        return NULL;
    }
    /* parameters in graph order, each from its own stream of the seed */
    for (int i = 0; i < g->nparams; i++) {
        Rng r = rng_stream(seed, 1000 + (uint64_t)i);
        init_param(&g->params[i], e->params + e->poff[i], shape_count(g->params[i].shape), &r);
    }
    for (int i = 0; i < g->nbn; i++)
        k_fill(e->bn + e->bnoff[i] + g->bn[i].channels, g->bn[i].channels, 1); /* var 1 */
    return e;
}

void exec_free(Exec *e)
{
    if (!e) return;
    for (int i = 0; i < 64; i++) plan_free(e->plans[i]);
    for (int p = 0; p < e->g->nphases; p++) optim_free(&e->optim[p]);
    for (int i = 0; i < e->g->nnoise; i++) free(e->noise[i]);
    free(e->noise);
    free(e->input[0]);
    free(e->input[1]);
    free(e->optim);
    free(e->loss);
    free(e->params);
    free(e->bn);
    free(e->bnoff);
    free(e->poff);
    free(e->pstart);
    free(e->plen);
    free(e->arena);
    free(e->prof);
    free(e);
}

int64_t exec_bytes(const Exec *e)
{
    int64_t r = e->nparams + e->nbn + e->arena_size;
    for (int p = 0; p < e->g->nphases; p++) r += (int64_t)e->optim[p].nslabs * e->plen[p];
    return r * (int64_t)sizeof(real);
}

void exec_draw_noise(Exec *e, Rng *rng, int rows)
{
    const Graph *g = e->g;
    GENC_ASSERT(rows <= (e->B > EXEC_MIN_ROWS ? e->B : EXEC_MIN_ROWS));
    for (int i = 0; i < g->nnoise; i++) {
        const Noise *nz = &g->noise[i];
        size_t n = (size_t)(rows * shape_count(nz->shape));
        if (nz->kind == NOISE_NORMAL) rng_fill_normal(rng, e->noise[i], n, (real)nz->a, (real)nz->b);
        else if (nz->kind == NOISE_UNIFORM) rng_fill_uniform(rng, e->noise[i], n, (real)nz->a, (real)nz->b);
        else
            for (size_t k = 0; k < n; k++)
                e->noise[i][k] = (real)rng_categorical(rng, (uint64_t)nz->classes);
    }
}

/* ---- the kernels ------------------------------------------------------- */

static real *slot_ptr(Exec *e, const Plan *p, Slot s)
{
    switch (s.kind) {
    case SLOT_ARENA: return e->arena + s.off;
    case SLOT_PARAM: return e->params + e->poff[s.off];
    case SLOT_GRAD: return e->arena + p->goff[s.off];
    case SLOT_INPUT: return e->input[s.off];
    case SLOT_NOISE: return e->noise[s.off];
    }
    return NULL;
}

/* The shape of node n for the broadcasting kernels, as graph.h defines
 * broadcasting: a batch dimension first when any operand has one (1 for
 * an unbatched operand), then the per-example dims right-aligned to nd. */
static int full_shape(const Graph *g, int n, int B, bool batch, int nd, int *d)
{
    const Shape *s = &g->nodes[n].shape;
    int r = 0;
    if (batch) d[r++] = s->batch ? B : 1;
    for (int i = s->nd; i < nd; i++) d[r++] = 1;
    for (int i = 0; i < s->nd; i++) d[r++] = s->d[i];
    return r;
}

/* A tensor as a matrix for matmul: batched [n...] is B x n; unbatched
 * [m, n...] is m x n. */
static void as_matrix(const Graph *g, int n, int B, int *rows, int *cols)
{
    const Shape *s = &g->nodes[n].shape;
    int64_t c = shape_count(*s);
    if (s->batch) *rows = B, *cols = (int)c;
    else *rows = s->nd ? s->d[0] : 1, *cols = (int)(c / (*rows ? *rows : 1));
}

static KUnaryOp unary_kernel(Op op)
{
    switch (op) {
    case OP_neg: return K_NEG;
    case OP_exp: return K_EXP;
    case OP_log: return K_LOG;
    case OP_sqrt: return K_SQRT;
    case OP_abs: return K_ABS;
    case OP_sign: return K_SIGN;
    case OP_powc: return K_POWC;
    case OP_relu: return K_RELU;
    case OP_leaky_relu: return K_LEAKY_RELU;
    case OP_elu: return K_ELU;
    case OP_tanh: return K_TANH;
    case OP_sigmoid: return K_SIGMOID;
    case OP_softplus: return K_SOFTPLUS;
    case OP_gelu: return K_GELU;
    case OP_log_sigmoid: return K_LOG_SIGMOID;
    default: GENC_ASSERT(!"not a unary op");
    }
}

/* outer and inner sizes around a per-example axis of node n */
static void around_axis(const Graph *g, int n, int B, int axis, int *outer, int *len, int *inner)
{
    const Shape *s = &g->nodes[n].shape;
    int64_t o = B, in = 1;
    for (int i = 0; i < axis; i++) o *= s->d[i];
    for (int i = axis + 1; i < s->nd; i++) in *= s->d[i];
    *outer = (int)o;
    *len = s->d[axis];
    *inner = (int)in;
}

static int bad_ids(Exec *e, const Node *n, int bad, int limit, char err[EXEC_ERR_LEN])
{
    snprintf(err, EXEC_ERR_LEN, "%s:%d:%d: %d class indices in the batch are not whole numbers "
             "in [0, %d) (%s)",
             n->loc.file ? n->loc.file : e->g->file, n->loc.line, n->loc.col, bad, limit,
             op_info[n->op].name);
    return -1;
}

static int run_ins(Exec *e, const Plan *p, const Ins *ins, char err[EXEC_ERR_LEN])
{
    const Graph *g = e->g;
    const Node *n = &g->nodes[ins->node];
    int B = p->B;
    real *y = slot_ptr(e, p, ins->out);
    real *scratch = ins->work >= 0 ? e->arena + ins->work : NULL; /* a convolution's */
    const real *x = n->nin > 0 ? slot_ptr(e, p, ins->in[0]) : NULL;
    const real *x1 = n->nin > 1 ? slot_ptr(e, p, ins->in[1]) : NULL;
    const real *x2 = n->nin > 2 ? slot_ptr(e, p, ins->in[2]) : NULL;
    int cnt = (int)plan_count(g, ins->node, B);
    int xd[K_MAXRANK], yd[K_MAXRANK], zd[K_MAXRANK], xr = 0, yr, zr = 0;
    const Shape *s = &n->shape;
    {
        bool bat = s->batch;
        int nd = s->nd;
        for (int j = 0; j < n->nin && j < 2; j++) {
            const Shape *in = &g->nodes[n->in[j]].shape;
            bat |= in->batch;
            if (in->nd > nd) nd = in->nd;
        }
        yr = full_shape(g, ins->node, B, bat, nd, yd);
        if (n->nin > 0) xr = full_shape(g, n->in[0], B, bat, nd, xd);
        if (n->nin > 1) zr = full_shape(g, n->in[1], B, bat, nd, zd);
    }
    switch (n->op) {
    case OP_input:
    case OP_noise:
    case OP_param:
    case OP_COUNT: GENC_ASSERT(!"not an instruction");
    case OP_const: k_fill(y, 1, (real)n->fa[0]); break;
    case OP_neg: case OP_exp: case OP_log: case OP_sqrt: case OP_abs: case OP_sign:
    case OP_powc: case OP_relu: case OP_leaky_relu: case OP_elu: case OP_tanh:
    case OP_sigmoid: case OP_softplus: case OP_gelu: case OP_log_sigmoid:
        k_unary(unary_kernel(n->op), y, x, cnt, (real)n->fa[0]);
        break;
    case OP_add: k_binary(K_ADD, y, x, xd, xr, x1, zd, zr); break;
    case OP_sub: k_binary(K_SUB, y, x, xd, xr, x1, zd, zr); break;
    case OP_mul: k_binary(K_MUL, y, x, xd, xr, x1, zd, zr); break;
    case OP_div: k_binary(K_DIV, y, x, xd, xr, x1, zd, zr); break;
    case OP_bce: k_bce(y, x, x1, cnt); break;
    case OP_bce_logits: k_bce_logits(y, x, x1, cnt); break;
    case OP_kl_normal: k_kl_normal(y, x, x1, cnt); break;
    case OP_sum:
    case OP_mean: {
        int rows = s->batch ? B : 1;
        int per = (int)(plan_count(g, n->in[0], B) / rows);
        k_sum_rows(y, x, rows, per);
        if (n->op == OP_mean) k_scale(y, y, rows, (real)(1.0 / per));
        break;
    }
    case OP_batch_mean: k_mean_batch(y, x, B); break;
    case OP_sum_to:
        k_sum_to(y, yd, yr, x, xd, xr);
        if (n->fa[0] != 1 || n->ia[0]) k_scale(y, y, cnt, (real)(n->fa[0] / (n->ia[0] ? B : 1)));
        break;
    case OP_expand: k_expand(y, yd, yr, x, xd, xr, (real)(n->fa[0] / (n->ia[0] ? B : 1))); break;
    case OP_matmul: {
        int ar, ac, br, bc;
        as_matrix(g, n->in[0], B, &ar, &ac);
        as_matrix(g, n->in[1], B, &br, &bc);
        int M = n->ia[0] ? ac : ar, K = n->ia[0] ? ar : ac, N = n->ia[1] ? br : bc;
        k_matmul(y, x, x1, M, N, K, n->ia[0], n->ia[1]);
        break;
    }
    case OP_conv2d:
    case OP_deconv2d:
    case OP_conv2d_wgrad: {
        KConvKind kind; /* the kernel the plan sized scratch for */
        KConv c = plan_conv_geom(g, n, B, &kind);
        if (kind == K_CONV_FORWARD) k_conv2d_forward(y, x, x1, scratch, &c);
        else if (kind == K_CONV_BWD_DATA) k_deconv2d_forward(y, x, x1, scratch, &c);
        else k_conv2d_bwd_filter(y, x, x1, scratch, &c);
        break;
    }
    case OP_batchnorm: {
        int C = s->d[0], S = (int)(shape_count(*s) / C);
        real *rm = e->bn + e->bnoff[n->ia[0]], *rv = rm + C;
        if (p->train) k_bn_forward_train(y, y + cnt, rm, rv, x, B, C, S, (real)n->fa[0], (real)n->fa[1]);
        else k_bn_forward_eval(y, x, rm, rv, B, C, S, (real)n->fa[0]);
        break;
    }
    case OP_batchnorm_grad: {
        int C = s->d[0], S = (int)(shape_count(*s) / C);
        k_bn_backward(y, x, x1, x1 + cnt, B, C, S);
        break;
    }
    case OP_layernorm: k_ln_forward(y, y + cnt, x, B, cnt / B, (real)n->fa[0]); break;
    case OP_layernorm_grad: k_ln_backward(y, x, x1, x1 + cnt, B, cnt / B); break;
    case OP_dropout:
        if (p->train) k_dropout(y, x, cnt, (real)n->fa[0], e->seed, (e->step << 24) ^ (uint64_t)n->ia[0]);
        else k_copy(y, x, cnt);
        break;
    case OP_maxpool:
    case OP_avgpool:
    case OP_maxpool_grad:
    case OP_avgpool_grad: {
        /* the geometry is the forward's: x is the pooled input */
        const Shape *in = n->op == OP_maxpool || n->op == OP_avgpool ? &g->nodes[n->in[0]].shape : s;
        KPool pg = k_pool_geom(B, in->d[0], in->d[1], in->d[2], n->ia[0], n->ia[1], 0);
        if (n->op == OP_maxpool) k_maxpool2d_forward(y, x, &pg);
        else if (n->op == OP_avgpool) k_avgpool2d_forward(y, x, &pg);
        else if (n->op == OP_maxpool_grad) k_maxpool2d_backward(y, x, x1, &pg);
        else k_avgpool2d_backward(y, x, &pg);
        (void)x2;
        break;
    }
    case OP_upsample: {
        const Shape *in = &g->nodes[n->in[0]].shape;
        k_upsample_nearest_forward(y, x, B * in->d[0], in->d[1], in->d[2], n->ia[0]);
        break;
    }
    case OP_upsample_grad:
        k_upsample_nearest_backward(y, x, B * s->d[0], s->d[1], s->d[2], n->ia[0]);
        break;
    case OP_reshape: k_copy(y, x, cnt); break;
    case OP_concat: {
        int outer, total, inner, la, lb, o2, i2;
        around_axis(g, ins->node, B, n->ia[0], &outer, &total, &inner);
        around_axis(g, n->in[0], B, n->ia[0], &o2, &la, &i2);
        around_axis(g, n->in[1], B, n->ia[0], &o2, &lb, &i2);
        const real *xs[2] = {x, x1};
        int sizes[2] = {la, lb};
        k_concat(y, xs, sizes, 2, outer, inner);
        break;
    }
    case OP_slice: {
        int outer, total, inner, len, o2, i2;
        around_axis(g, n->in[0], B, n->ia[0], &outer, &total, &inner);
        around_axis(g, ins->node, B, n->ia[0], &o2, &len, &i2);
        k_slice(y, x, outer, total, n->ia[1], len, inner);
        break;
    }
    case OP_embedding: {
        const Shape *t = &g->nodes[n->in[1]].shape;
        int bad = k_embedding(y, x, x1, B, t->d[0], t->d[1]);
        if (bad) return bad_ids(e, n, bad, t->d[0], err);
        break;
    }
    case OP_embedding_grad: {
        int bad = k_embedding_backward(y, x, x1, B, s->d[0], s->d[1]);
        if (bad) return bad_ids(e, n, bad, s->d[0], err);
        break;
    }
    case OP_onehot: {
        int bad = k_onehot(y, x, B, n->ia[0]);
        if (bad) return bad_ids(e, n, bad, n->ia[0], err);
        break;
    }
    case OP_softmax:
    case OP_log_softmax:
    case OP_softmax_grad:
    case OP_log_softmax_grad: {
        int last = s->d[s->nd - 1], rows = cnt / last;
        if (n->op == OP_softmax) k_softmax(y, x, rows, last);
        else if (n->op == OP_log_softmax) k_log_softmax(y, x, rows, last);
        else if (n->op == OP_softmax_grad) k_softmax_backward(y, x, x1, rows, last);
        else k_log_softmax_backward(y, x, x1, rows, last);
        break;
    }
    case OP_relu_grad: k_relu_grad(y, x, x1, cnt); break;
    case OP_leaky_relu_grad: k_leaky_relu_grad(y, x, x1, cnt, (real)n->fa[0]); break;
    case OP_elu_grad: k_elu_grad(y, x, x1, cnt, (real)n->fa[0]); break;
    case OP_tanh_grad: k_tanh_grad(y, x, x1, cnt); break;
    case OP_sigmoid_grad: k_sigmoid_grad(y, x, x1, cnt); break;
    case OP_gelu_grad: k_gelu_grad(y, x, x1, cnt); break;
    case OP_bce_grad: k_bce_grad(y, x, x1, x2, cnt); break;
    case OP_bce_logits_grad: k_bce_logits_grad(y, x, x1, x2, cnt); break;
    }
    return 0;
}

/* ---- running ----------------------------------------------------------- */

static bool all_finite(const real *x, int64_t n)
{
    /* one multiply-accumulate pass: NaN or Inf anywhere poisons the sum */
    real acc = 0;
    for (int64_t i = 0; i < n; i++) acc += x[i] * 0;
    return acc == 0;
}

/* After a non-finite loss or gradient in phase ph: recompute the phase's
 * instructions up to `upto`, checking each value, and name the first bad
 * one. */
static void explain_nonfinite(Exec *e, const Plan *p, int upto, int ph, const char *what,
                              char err[EXEC_ERR_LEN])
{
    const Graph *g = e->g;
    char tmp[EXEC_ERR_LEN];
    for (int t = 0; t < upto; t++) {
        const Ins *in = &p->ins[t];
        if (in->kind != INS_COMPUTE || in->phase != ph) continue;
        if (run_ins(e, p, in, tmp)) break;
        if (!all_finite(slot_ptr(e, p, in->out), plan_count(g, in->node, p->B))) {
            const Node *n = &g->nodes[in->node];
            snprintf(err, EXEC_ERR_LEN,
                     "%s:%d:%d: %s of phase %s is not finite at step %llu: the first bad value "
                     "is %%%d = %s%s%s (see genc graph)",
                     n->loc.file ? n->loc.file : g->file, n->loc.line, n->loc.col, what,
                     g->phases[ph].name, (unsigned long long)e->step + 1, in->node,
                     op_info[n->op].name, n->path[0] ? " in " : "", n->path);
            return;
        }
    }
    snprintf(err, EXEC_ERR_LEN, "%s: %s of phase %s is not finite at step %llu", g->file, what,
             g->phases[ph].name, (unsigned long long)e->step + 1);
}

static int update(Exec *e, const Plan *p, int t, bool apply, char err[EXEC_ERR_LEN])
{
    const Ins *in = &p->ins[t];
    const Graph *g = e->g;
    const Phase *ph = &g->phases[in->phase];
    real loss = *slot_ptr(e, p, in->loss);
    if (!isfinite(loss)) {
        explain_nonfinite(e, p, t, in->phase, "the loss", err);
        return -1;
    }
    e->loss[in->phase] = loss;
    /* gather the gradients into the phase's block, in its parameters' order */
    for (int j = 0; j < ph->nparams; j++) {
        int i = ph->params[j];
        int64_t n = shape_count(g->params[i].shape);
        real *dst = e->arena + p->goff[i];
        if (in->grads[j].kind == SLOT_GRAD && in->grads[j].off == i) continue; /* already there */
        if (in->grads[j].off < 0) k_fill(dst, (int)n, 0);
        else k_copy(dst, slot_ptr(e, p, in->grads[j]), (int)n);
    }
    real *gp = e->arena + p->gbase[in->phase];
    if (!all_finite(gp, e->plen[in->phase])) {
        explain_nonfinite(e, p, t, in->phase, "a gradient", err);
        return -1;
    }
    if (apply)
        optim_step(&e->optim[in->phase], e->params + e->pstart[in->phase], gp,
                   (size_t)e->plen[in->phase]);
    return 0;
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void exec_profile(Exec *e)
{
    if (!e->prof) e->prof = xcalloc((size_t)(e->g->nnodes + e->g->nphases + 1), sizeof *e->prof);
}

static int run_step(Exec *e, unsigned mask, bool apply, char err[EXEC_ERR_LEN])
{
    GENC_ASSERT(mask < 64);
    if (!e->plans[mask]) {
        e->plans[mask] = plan_step(e->g, e->B, mask);
        if (fit(e, e->plans[mask], err)) return -1;
    }
    const Plan *p = e->plans[mask];
    for (int t = 0; t < p->nins; t++) {
        const Ins *in = &p->ins[t];
        double t0 = e->prof ? seconds() : 0;
        if (in->kind == INS_UPDATE) {
            if (update(e, p, t, apply, err)) return -1;
        } else if (run_ins(e, p, in, err)) {
            return -1;
        }
        if (e->prof)
            e->prof[in->kind == INS_UPDATE ? e->g->nnodes + in->phase : in->node] += seconds() - t0;
    }
    if (apply) e->step++;
    return 0;
}

int exec_step(Exec *e, unsigned mask, char err[EXEC_ERR_LEN])
{
    return run_step(e, mask, true, err);
}

int exec_gradients(Exec *e, unsigned mask, char err[EXEC_ERR_LEN])
{
    return run_step(e, mask, false, err);
}

const real *exec_phase_grads(const Exec *e, int p)
{
    const Plan *pl = e->plans[1u << p];
    GENC_ASSERT(pl && pl->gbase[p] >= 0);
    return e->arena + pl->gbase[p];
}

int exec_eval(Exec *e, Plan *p, char err[EXEC_ERR_LEN])
{
    if (fit(e, p, err)) return -1;
    for (int t = 0; t < p->nins; t++)
        if (run_ins(e, p, &p->ins[t], err)) return -1;
    return 0;
}

const real *exec_value(Exec *e, const Plan *p, int n)
{
    const Node *nd = &e->g->nodes[n];
    if (nd->op == OP_param) return e->params + e->poff[nd->ia[0]];
    if (nd->op == OP_input) return e->input[nd->ia[0]];
    if (nd->op == OP_noise) return e->noise[nd->ia[0]];
    for (int t = p->nins - 1; t >= 0; t--)
        if (p->ins[t].kind == INS_COMPUTE && p->ins[t].node == n) return slot_ptr(e, p, p->ins[t].out);
    if (nd->op == OP_reshape) return exec_value(e, p, nd->in[0]); /* a view */
    return NULL;
}
