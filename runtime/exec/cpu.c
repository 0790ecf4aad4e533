/* cpu.c: the two CPU backends, "cpu" and "ref" (backend.h).
 *
 * Both run an instruction the same way: its op's entry in the op table
 * (ir/ops.h) picks a function here, run_<entry>, which turns the node's
 * shapes and attributes into a kernel call. They differ only in the
 * kernels they call: genc's optimized kernels, or the naive references of
 * kernels/ref.c, through a table of function pointers (Kernels). So a new
 * op whose entry exists (a unary op: run_unary) needs nothing here, and a
 * new entry does not compile until it is written. */
#include "exec/backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "kernels/kernels.h"

/* The kernels a backend calls, with the optimized kernels' signatures. */
typedef struct Kernels {
    void (*unary)(KUnaryOp op, real *y, const real *x, int n, real param);
    void (*binary)(KBinaryOp op, real *c, const real *a, const int *ashape, int arank,
                   const real *b, const int *bshape, int brank);
    void (*fill)(real *y, int n, real v);
    void (*copy)(real *y, const real *x, int n);
    void (*scale)(real *y, const real *x, int n, real s);
    void (*sum_rows)(real *y, const real *x, int B, int n);
    void (*mean_batch)(real *y, const real *x, int B);
    void (*sum_to)(real *y, const int *yshape, int yrank, const real *x, const int *xshape,
                   int xrank);
    void (*expand)(real *y, const int *yshape, int yrank, const real *x, const int *xshape,
                   int xrank, real scale);
    void (*matmul)(real *C, const real *A, const real *B, int M, int N, int K, bool ta, bool tb);
    void (*batch_matmul)(real *C, const real *A, const real *B, int L, int M, int N, int K,
                         bool ta, bool tb, const bool shared[3]);
    void (*conv2d_forward)(real *y, const real *x, const real *w, real *work, const KConv *g);
    void (*deconv2d_forward)(real *y, const real *x, const real *w, real *work, const KConv *g);
    void (*conv2d_bwd_filter)(real *dw, const real *x, const real *dy, real *work,
                              const KConv *g);
    void (*bn_forward_train)(real *y, real *invstd, real *running_mean, real *running_var,
                             const real *x, int B, int C, int S, real eps, real momentum);
    void (*bn_forward_eval)(real *y, const real *x, const real *running_mean,
                            const real *running_var, int B, int C, int S, real eps);
    void (*bn_backward)(real *dx, const real *dy, const real *xhat, const real *invstd, int B,
                        int C, int S);
    void (*ln_forward)(real *y, real *invstd, const real *x, int B, int n, real eps);
    void (*ln_backward)(real *dx, const real *dy, const real *xhat, const real *invstd, int B,
                        int n);
    void (*dropout)(real *y, const real *x, int n, real p, uint64_t seed, uint64_t stream);
    void (*maxpool_forward)(real *y, const real *x, const KPool *g);
    void (*maxpool_backward)(real *dx, const real *dy, const real *x, const KPool *g);
    void (*maxpool_pick)(real *y, const real *gx, const real *x, const KPool *g);
    void (*avgpool_forward)(real *y, const real *x, const KPool *g);
    void (*avgpool_backward)(real *dx, const real *dy, const KPool *g);
    void (*upsample_forward)(real *y, const real *x, int planes, int H, int W, int f);
    void (*upsample_backward)(real *dx, const real *dy, int planes, int H, int W, int f);
    void (*upsample_bilinear_forward)(real *y, const real *x, int planes, int H, int W, int f);
    void (*upsample_bilinear_backward)(real *dx, const real *dy, int planes, int H, int W, int f);
    void (*concat)(real *y, const real *const *xs, const int *sizes, int nx, int outer,
                   int inner);
    void (*slice)(real *y, const real *x, int outer, int total, int start, int len, int inner);
    void (*permute)(real *y, const real *x, int B, int nd, const int *dims, const int *perm);
    void (*max_last)(real *y, const real *x, int rows, int n);
    void (*max_last_backward)(real *dx, const real *dy, const real *x, int rows, int n);
    void (*max_last_pick)(real *y, const real *g, const real *x, int rows, int n);
    void (*tril)(real *y, const real *x, int outer, int r, int c, real value);
    int (*embedding)(real *y, const real *ids, const real *table, int n, int V, int D);
    int (*embedding_backward)(real *dtable, const real *dy, const real *ids, int n, int V,
                              int D);
    int (*onehot)(real *y, const real *ids, int n, int classes);
    void (*softmax)(real *y, const real *x, int rows, int n);
    void (*log_softmax)(real *y, const real *x, int rows, int n);
    void (*softmax_backward)(real *dx, const real *dy, const real *y, int rows, int n);
    void (*log_softmax_backward)(real *dx, const real *dy, const real *y, int rows, int n);
    void (*relu_grad)(real *dx, const real *dy, const real *y, int n);
    void (*leaky_relu_grad)(real *dx, const real *dy, const real *y, int n, real slope);
    void (*elu_grad)(real *dx, const real *dy, const real *x, int n, real alpha);
    void (*tanh_grad)(real *dx, const real *dy, const real *y, int n);
    void (*sigmoid_grad)(real *dx, const real *dy, const real *y, int n);
    void (*gelu_grad)(real *dx, const real *dy, const real *x, int n);
    void (*bce)(real *l, const real *p, const real *t, int n);
    void (*bce_grad)(real *dp, const real *dy, const real *p, const real *t, int n);
    void (*bce_logits)(real *l, const real *a, const real *t, int n);
    void (*bce_logits_grad)(real *da, const real *dy, const real *a, const real *t, int n);
    void (*kl_normal)(real *l, const real *mu, const real *logvar, int n);
    real (*spectral_sigma)(const real *w, int d0, int rows, int rest, real *uv, bool train);
    void (*spectral_sigma_backward)(real *dw, real dy, int d0, int rows, int rest, const real *uv);
} Kernels;

/* ---- shapes as the kernels take them ------------------------------------ */

static const Shape *shape_of(const KernelCall *c, int j)
{
    return &c->g->nodes[c->n->in[j]].shape;
}

/* elements of the node's value */
static int count(const KernelCall *c)
{
    return (int)(shape_count(c->n->shape) * (c->n->shape.batch ? c->B : 1));
}

/* A shape for the broadcasting kernels, as graph.h defines broadcasting: a
 * batch dimension first when any operand has one (1 for an unbatched
 * operand), then the per-example dims right-aligned to nd. */
static int full_shape(const Shape *s, int B, bool batch, int nd, int *d)
{
    int r = 0;
    if (batch) d[r++] = s->batch ? B : 1;
    for (int i = s->nd; i < nd; i++) d[r++] = 1;
    for (int i = 0; i < s->nd; i++) d[r++] = s->d[i];
    return r;
}

/* The node's shape and its first (and second) input's, for broadcasting. */
typedef struct Shapes {
    int y[K_MAXRANK], x[K_MAXRANK], z[K_MAXRANK];
    int yr, xr, zr;
} Shapes;

static Shapes broadcast_shapes(const KernelCall *c)
{
    const Node *n = c->n;
    bool batch = n->shape.batch;
    int nd = n->shape.nd;
    for (int j = 0; j < n->nin && j < 2; j++) {
        batch |= shape_of(c, j)->batch;
        if (shape_of(c, j)->nd > nd) nd = shape_of(c, j)->nd;
    }
    Shapes s = {0};
    s.yr = full_shape(&n->shape, c->B, batch, nd, s.y);
    s.xr = full_shape(shape_of(c, 0), c->B, batch, nd, s.x);
    if (n->nin > 1) s.zr = full_shape(shape_of(c, 1), c->B, batch, nd, s.z);
    return s;
}

/* A tensor as a matrix for matmul: batched [n...] is B x n; unbatched
 * [m, n...] is m x n. */
static void as_matrix(const Shape *s, int B, int *rows, int *cols)
{
    int64_t n = shape_count(*s);
    if (s->batch) *rows = B, *cols = (int)n;
    else *rows = s->nd ? s->d[0] : 1, *cols = (int)(n / (*rows ? *rows : 1));
}

/* outer and inner sizes around a per-example axis of shape s */
static void around_axis(const Shape *s, int B, int axis, int *outer, int *len, int *inner)
{
    int64_t o = B, in = 1;
    for (int i = 0; i < axis; i++) o *= s->d[i];
    for (int i = axis + 1; i < s->nd; i++) in *= s->d[i];
    *outer = (int)o;
    *len = s->d[axis];
    *inner = (int)in;
}

/* The geometry of a convolution node (conv2d, deconv2d, conv2d_wgrad) at
 * batch B, and which of the three convolution kernels computes it. */
static KConv conv_geom(const Graph *g, const Node *n, int B, KConvKind *kind)
{
    const Shape *x = &g->nodes[n->in[0]].shape, *w = &g->nodes[n->in[1]].shape;
    const Attrs *a = &n->attr;
    if (n->op == OP_deconv2d) {
        *kind = K_CONV_BWD_DATA;
        return k_deconv_geom(B, x->d[0], x->d[1], x->d[2], w->d[1], w->d[2], w->d[3],
                             a->stride[0], a->stride[1], a->pad[0], a->pad[1], a->outpad[0],
                             a->outpad[1], a->dilation[0], a->dilation[1]);
    }
    if (n->op == OP_conv2d_wgrad) { /* in[0] the conv's input, in[1] its output's gradient */
        *kind = K_CONV_BWD_FILTER;
        return k_conv_geom(B, x->d[0], x->d[1], x->d[2], n->shape.d[0], n->shape.d[2],
                           n->shape.d[3], a->stride[0], a->stride[1], a->pad[0], a->pad[1],
                           a->dilation[0], a->dilation[1]);
    }
    GENC_ASSERT(n->op == OP_conv2d);
    *kind = K_CONV_FORWARD;
    return k_conv_geom(B, x->d[0], x->d[1], x->d[2], w->d[0], w->d[2], w->d[3], a->stride[0],
                       a->stride[1], a->pad[0], a->pad[1], a->dilation[0], a->dilation[1]);
}

/* The pooling window of a pooling node or its gradient (x: the pooled input). */
static KPool pool_geom(const KernelCall *c)
{
    /* the input image's shape: maxpool_pick's second input, a forward's
     * first, a gradient's own */
    bool fwd = c->n->op == OP_maxpool || c->n->op == OP_avgpool;
    const Shape *x = c->n->op == OP_maxpool_pick ? shape_of(c, 1) : fwd ? shape_of(c, 0) : &c->n->shape;
    return k_pool_geom(c->B, x->d[0], x->d[1], x->d[2], c->n->attr.kernel, c->n->attr.stride[0], 0);
}

static int bad_ids(const KernelCall *c, int bad, int limit, char err[EXEC_ERR_LEN])
{
    const Node *n = c->n;
    snprintf(err, EXEC_ERR_LEN, "%s:%d:%d: %d class indices in the batch are not whole numbers "
             "in [0, %d) (%s)",
             n->loc.file ? n->loc.file : c->g->file, n->loc.line, n->loc.col, bad, limit,
             op_info[n->op].name);
    return -1;
}

/* The value of the op's one real attribute (the unary kernels' parameter). */
static real scalar_attr(const Node *n)
{
    for (int a = 0; a < ATTR_COUNT; a++)
        if (node_has(n, (AttrId)a) && attr_info[a].real) return (real)attr_get(&n->attr, (AttrId)a, 0);
    return 0;
}

/* ---- one function per entry of the op table ------------------------------- */

#define RUN(entry) \
    static int run_##entry(const Kernels *k, const KernelCall *c, char err[EXEC_ERR_LEN])
#define Y c->y
#define X0 c->x[0]
#define X1 c->x[1]
#define X2 c->x[2]

RUN(leaf)
{
    (void)k, (void)err;
    GENC_ASSERT(!"a leaf is not an instruction");
}

RUN(grad)
{
    (void)k, (void)err;
    GENC_ASSERT(!"autodiff replaces grad before anything is planned");
}

RUN(constant)
{
    k->fill(Y, 1, (real)c->n->attr.value);
    return 0;
}

RUN(scheduled)
{
    k->fill(Y, 1, (real)c->sched[c->n->attr.sched]);
    return 0;
}

static const KUnaryOp unary_kernel[OP_COUNT] = {
#define UNARY_KERNEL(name, arity, attrs, entry, lang, doc) [OP_##name] = K_##name,
    GENC_UNARY_OPS(UNARY_KERNEL)
#undef UNARY_KERNEL
};

RUN(unary)
{
    k->unary(unary_kernel[c->n->op], Y, X0, count(c), scalar_attr(c->n));
    return 0;
}

static const KBinaryOp binary_kernel[OP_COUNT] = {
#define BINARY_KERNEL(name, arity, attrs, entry, lang, doc) [OP_##name] = K_##name,
    GENC_BINARY_OPS(BINARY_KERNEL)
#undef BINARY_KERNEL
};

RUN(binary)
{
    Shapes s = broadcast_shapes(c);
    k->binary(binary_kernel[c->n->op], Y, X0, s.x, s.xr, X1, s.z, s.zr);
    return 0;
}

RUN(bce) { k->bce(Y, X0, X1, count(c)); return 0; }
RUN(bce_logits) { k->bce_logits(Y, X0, X1, count(c)); return 0; }
RUN(kl_normal) { k->kl_normal(Y, X0, X1, count(c)); return 0; }

RUN(sum)
{
    int rows = c->n->shape.batch ? c->B : 1;
    k->sum_rows(Y, X0, rows, (int)(shape_count(*shape_of(c, 0)) * (shape_of(c, 0)->batch ? c->B : 1) / rows));
    return 0;
}

RUN(mean)
{
    int rows = c->n->shape.batch ? c->B : 1;
    int per = (int)(shape_count(*shape_of(c, 0)) * (shape_of(c, 0)->batch ? c->B : 1) / rows);
    k->sum_rows(Y, X0, rows, per);
    k->scale(Y, Y, rows, (real)(1.0 / per));
    return 0;
}

RUN(batch_mean) { k->mean_batch(Y, X0, c->B); return 0; }

RUN(sum_to)
{
    Shapes s = broadcast_shapes(c);
    k->sum_to(Y, s.y, s.yr, X0, s.x, s.xr);
    return 0;
}

RUN(expand)
{
    Shapes s = broadcast_shapes(c);
    const Attrs *a = &c->n->attr;
    k->expand(Y, s.y, s.yr, X0, s.x, s.xr, (real)(a->scale / (a->per_batch ? c->B : 1)));
    return 0;
}

RUN(matmul)
{
    int ar, ac, br, bc;
    as_matrix(shape_of(c, 0), c->B, &ar, &ac);
    as_matrix(shape_of(c, 1), c->B, &br, &bc);
    bool ta = c->n->attr.ta, tb = c->n->attr.tb;
    int M = ta ? ac : ar, K = ta ? ar : ac, N = tb ? br : bc;
    k->matmul(Y, X0, X1, M, N, K, ta, tb);
    return 0;
}

/* the matrices of a batch_matmul operand: its batch and every axis before
 * its last two */
static int64_t leads_of(const Shape *s, int B)
{
    int64_t l = s->batch ? B : 1;
    for (int i = 0; i + 2 < s->nd; i++) l *= s->d[i];
    return l;
}

RUN(batch_matmul)
{
    const Shape *a = shape_of(c, 0), *y = &c->n->shape;
    bool ta = c->n->attr.ta, tb = c->n->attr.tb;
    int64_t la = leads_of(a, c->B), lb = leads_of(shape_of(c, 1), c->B), ly = leads_of(y, c->B);
    int64_t L = la > lb ? la : lb;
    if (ly > L) L = ly;
    bool shared[3] = {la != L, lb != L, ly != L};
    int M = y->d[y->nd - 2], N = y->d[y->nd - 1], K = a->d[a->nd - (ta ? 2 : 1)];
    k->batch_matmul(Y, X0, X1, (int)L, M, N, K, ta, tb, shared);
    return 0;
}

/* conv2d, deconv2d (a conv's backward data pass) and conv2d_wgrad */
RUN(conv)
{
    KConvKind kind;
    KConv g = conv_geom(c->g, c->n, c->B, &kind);
    if (kind == K_CONV_FORWARD) k->conv2d_forward(Y, X0, X1, c->work, &g);
    else if (kind == K_CONV_BWD_DATA) k->deconv2d_forward(Y, X0, X1, c->work, &g);
    else k->conv2d_bwd_filter(Y, X0, X1, c->work, &g);
    return 0;
}

/* batchnorm's value, then its inverse standard deviations (plan_aux) */
RUN(batchnorm)
{
    const Shape *s = &c->n->shape;
    int C = s->d[0], S = (int)(shape_count(*s) / C), n = count(c);
    real *mean = c->state, *var = mean + C;
    const Attrs *a = &c->n->attr;
    real momentum = (real)(c->momentum > 0 ? c->momentum : a->momentum);
    if (c->train) k->bn_forward_train(Y, Y + n, mean, var, X0, c->B, C, S, (real)a->eps, momentum);
    else k->bn_forward_eval(Y, X0, mean, var, c->B, C, S, (real)a->eps);
    return 0;
}

RUN(batchnorm_grad)
{
    const Shape *s = &c->n->shape;
    int C = s->d[0], S = (int)(shape_count(*s) / C), n = count(c);
    k->bn_backward(Y, X0, X1, X1 + n, c->B, C, S);
    return 0;
}

RUN(layernorm)
{
    int n = count(c);
    k->ln_forward(Y, Y + n, X0, c->B, n / c->B, (real)c->n->attr.eps);
    return 0;
}

RUN(layernorm_grad)
{
    int n = count(c);
    k->ln_backward(Y, X0, X1, X1 + n, c->B, n / c->B);
    return 0;
}

/* w [d0, rows, rest] of a spectral_sigma node or its gradient: axis 0, the
 * rows first (d0 = 1); axis 1, the second axis (a deconv's [in, out, k, k]) */
static void sn_geom(const KernelCall *c, int *d0, int *rows, int *rest)
{
    const Shape *w = &c->g->nodes[c->n->in[c->n->op == OP_spectral_sigma ? 0 : 1]].shape;
    *d0 = c->n->attr.axis ? w->d[0] : 1;
    *rows = w->d[c->n->attr.axis];
    *rest = (int)(shape_count(*w) / *d0 / *rows);
}

RUN(spectral_sigma)
{
    int d0, rows, rest;
    sn_geom(c, &d0, &rows, &rest);
    Y[0] = k->spectral_sigma(X0, d0, rows, rest, c->state, c->train);
    return 0;
}

RUN(spectral_sigma_grad)
{
    int d0, rows, rest;
    sn_geom(c, &d0, &rows, &rest);
    k->spectral_sigma_backward(Y, X0[0], d0, rows, rest, c->state);
    return 0;
}

RUN(dropout)
{
    if (c->train) k->dropout(Y, X0, count(c), (real)c->n->attr.p, c->seed,
                             (c->step << 24) ^ (uint64_t)c->n->attr.stream);
    else k->copy(Y, X0, count(c));
    return 0;
}

RUN(maxpool) { KPool g = pool_geom(c); k->maxpool_forward(Y, X0, &g); return 0; }
RUN(avgpool) { KPool g = pool_geom(c); k->avgpool_forward(Y, X0, &g); return 0; }
RUN(maxpool_grad) { KPool g = pool_geom(c); k->maxpool_backward(Y, X0, X1, &g); return 0; }
RUN(maxpool_pick) { KPool g = pool_geom(c); k->maxpool_pick(Y, X0, X1, &g); return 0; }
RUN(avgpool_grad) { KPool g = pool_geom(c); k->avgpool_backward(Y, X0, &g); return 0; }

/* nearest and bilinear upsampling, and their adjoints */
RUN(upsample)
{
    const Shape *x = shape_of(c, 0);
    (c->n->op == OP_upsample ? k->upsample_forward : k->upsample_bilinear_forward)(
        Y, X0, c->B * x->d[0], x->d[1], x->d[2], c->n->attr.factor);
    return 0;
}

RUN(upsample_grad)
{
    const Shape *s = &c->n->shape;
    (c->n->op == OP_upsample_grad ? k->upsample_backward : k->upsample_bilinear_backward)(
        Y, X0, c->B * s->d[0], s->d[1], s->d[2], c->n->attr.factor);
    return 0;
}

RUN(reshape) { k->copy(Y, X0, count(c)); return 0; }

RUN(concat)
{
    int axis = c->n->attr.axis, outer, total, inner, sizes[GRAPH_MAXIN];
    around_axis(&c->n->shape, c->B, axis, &outer, &total, &inner);
    for (int j = 0; j < c->n->nin; j++) {
        int o, i;
        around_axis(shape_of(c, j), c->B, axis, &o, &sizes[j], &i);
    }
    k->concat(Y, c->x, sizes, c->n->nin, outer, inner);
    return 0;
}

RUN(slice)
{
    int axis = c->n->attr.axis, outer, total, inner, len, o, i;
    around_axis(shape_of(c, 0), c->B, axis, &outer, &total, &inner);
    around_axis(&c->n->shape, c->B, axis, &o, &len, &i);
    k->slice(Y, X0, outer, total, c->n->attr.from, len, inner);
    return 0;
}

RUN(permute)
{
    const Shape *x = shape_of(c, 0);
    k->permute(Y, X0, x->batch ? c->B : 1, x->nd, x->d, c->n->attr.perm);
    return 0;
}

/* the ids of an embedding or a one-hot: input j's values, one per example
 * or a sequence of them */
static int ids_of(const KernelCall *c, int j)
{
    const Shape *s = shape_of(c, j);
    return (int)(shape_count(*s) * (s->batch ? c->B : 1));
}

RUN(embedding)
{
    const Shape *t = shape_of(c, 1);
    int bad = k->embedding(Y, X0, X1, ids_of(c, 0), t->d[0], t->d[1]);
    return bad ? bad_ids(c, bad, t->d[0], err) : 0;
}

RUN(embedding_grad)
{
    const Shape *s = &c->n->shape;
    int bad = k->embedding_backward(Y, X0, X1, ids_of(c, 1), s->d[0], s->d[1]);
    return bad ? bad_ids(c, bad, s->d[0], err) : 0;
}

RUN(onehot)
{
    int bad = k->onehot(Y, X0, ids_of(c, 0), c->n->attr.classes);
    return bad ? bad_ids(c, bad, c->n->attr.classes, err) : 0;
}

/* rows of the last axis */
static int rows_of(const KernelCall *c, int *last)
{
    *last = c->n->shape.d[c->n->shape.nd - 1];
    return count(c) / *last;
}

/* rows of the last axis of input j */
static int rows_of_input(const KernelCall *c, int j, int *last)
{
    const Shape *s = shape_of(c, j);
    *last = s->d[s->nd - 1];
    return (int)(shape_count(*s) * (s->batch ? c->B : 1) / *last);
}

RUN(softmax) { int n, r = rows_of(c, &n); k->softmax(Y, X0, r, n); return 0; }
RUN(log_softmax) { int n, r = rows_of(c, &n); k->log_softmax(Y, X0, r, n); return 0; }
RUN(softmax_grad) { int n, r = rows_of(c, &n); k->softmax_backward(Y, X0, X1, r, n); return 0; }
RUN(log_softmax_grad)
{
    int n, r = rows_of(c, &n);
    k->log_softmax_backward(Y, X0, X1, r, n);
    return 0;
}

RUN(max_last) { int n, r = rows_of_input(c, 0, &n); k->max_last(Y, X0, r, n); return 0; }
RUN(max_last_grad) { int n, r = rows_of_input(c, 1, &n); k->max_last_backward(Y, X0, X1, r, n); return 0; }
RUN(max_last_pick) { int n, r = rows_of_input(c, 1, &n); k->max_last_pick(Y, X0, X1, r, n); return 0; }

RUN(tril)
{
    const Shape *s = &c->n->shape;
    int r = s->d[s->nd - 2], cols = s->d[s->nd - 1];
    k->tril(Y, X0, count(c) / (r * cols), r, cols, (real)c->n->attr.value);
    return 0;
}

RUN(relu_grad) { k->relu_grad(Y, X0, X1, count(c)); return 0; }
RUN(leaky_relu_grad) { k->leaky_relu_grad(Y, X0, X1, count(c), (real)c->n->attr.slope); return 0; }
RUN(elu_grad) { k->elu_grad(Y, X0, X1, count(c), (real)c->n->attr.alpha); return 0; }
RUN(tanh_grad) { k->tanh_grad(Y, X0, X1, count(c)); return 0; }
RUN(sigmoid_grad) { k->sigmoid_grad(Y, X0, X1, count(c)); return 0; }
RUN(gelu_grad) { k->gelu_grad(Y, X0, X1, count(c)); return 0; }
RUN(bce_grad) { k->bce_grad(Y, X0, X1, X2, count(c)); return 0; }
RUN(bce_logits_grad) { k->bce_logits_grad(Y, X0, X1, X2, count(c)); return 0; }

#undef RUN
#undef Y
#undef X0
#undef X1
#undef X2

typedef int (*RunFn)(const Kernels *k, const KernelCall *c, char err[EXEC_ERR_LEN]);

static const RunFn run_op[OP_COUNT] = {
#define RUN_ENTRY(name, arity, attrs, entry, lang, doc) [OP_##name] = run_##entry,
    GENC_OPS(RUN_ENTRY)
#undef RUN_ENTRY
};

/* ---- the optimized kernels ------------------------------------------------ */

static const Kernels fast = {
    k_unary, k_binary, k_fill, k_copy, k_scale, k_sum_rows, k_mean_batch, k_sum_to, k_expand,
    k_matmul, k_batch_matmul, k_conv2d_forward, k_deconv2d_forward, k_conv2d_bwd_filter, k_bn_forward_train,
    k_bn_forward_eval, k_bn_backward, k_ln_forward, k_ln_backward, k_dropout,
    k_maxpool2d_forward, k_maxpool2d_backward, k_maxpool2d_pick, k_avgpool2d_forward,
    k_avgpool2d_backward,
    k_upsample_nearest_forward, k_upsample_nearest_backward, k_upsample_bilinear_forward,
    k_upsample_bilinear_backward, k_concat, k_slice, k_permute, k_max_last, k_max_last_backward,
    k_max_last_pick, k_tril, k_embedding,
    k_embedding_backward, k_onehot, k_softmax, k_log_softmax, k_softmax_backward,
    k_log_softmax_backward, k_relu_grad, k_leaky_relu_grad, k_elu_grad, k_tanh_grad,
    k_sigmoid_grad, k_gelu_grad, k_bce, k_bce_grad, k_bce_logits, k_bce_logits_grad,
    k_kl_normal, k_spectral_sigma, k_spectral_sigma_backward,
};

static int cpu_run(const KernelCall *c, char err[EXEC_ERR_LEN])
{
    return run_op[c->n->op](&fast, c, err);
}

/* Zeroed, on a cache line: the plan puts values at multiples of 64 bytes
 * (plan.c), and a vector load across two lines costs twice. */
static void *host_alloc(size_t bytes)
{
    bytes = ((bytes ? bytes : 1) + 63) / 64 * 64;
    void *p = aligned_alloc(64, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

/* the convolutions' buffers (entry conv of the op table) */
static int64_t cpu_work_size(const Graph *g, const Node *n, int B)
{
    if (run_op[n->op] != run_conv) return 0;
    KConvKind kind;
    KConv geom = conv_geom(g, n, B, &kind);
    return (int64_t)k_conv_work_size(&geom, kind);
}

/* OpenBLAS's buffers, and room for oneDNN to make its kernels */
static bool cpu_reserve(void) { return pool_blas_reserve() && base_room(k_conv_room()); }

static void cpu_describe_needs(char *buf, size_t len)
{
    char dnnl[64] = "";
    if (k_conv_room())
        snprintf(dnnl, sizeof dnnl, ", and oneDNN %.0f MB for its kernels",
                 (double)k_conv_room() / 1e6);
    snprintf(buf, len, ", OpenBLAS %.0f MB of address space for its buffers (138 MB per "
             "thread)%s", (double)pool_blas_bytes() / 1e6, dnnl);
}

/* The kernels finish before they return. */
static void host_sync(void) {}

const Backend backend_cpu = {"cpu", host_alloc, free, cpu_work_size, cpu_reserve,
                             cpu_describe_needs, cpu_run, host_sync};

/* ---- the naive references ------------------------------------------------- */

/* The references take no scratch; the deconvolution's is written from its
 * own definition, with the plain sizes. */
static void ref_conv_fwd(real *y, const real *x, const real *w, real *work, const KConv *g)
{
    (void)work;
    ref_conv2d_forward(y, x, w, g);
}

static void ref_deconv_fwd(real *y, const real *x, const real *w, real *work, const KConv *g)
{
    (void)work;
    /* g is the convolution from the deconv's output back to its input */
    int oph = g->H - ((g->P - 1) * g->sh - 2 * g->ph + g->dh * (g->R - 1) + 1);
    int opw = g->W - ((g->Q - 1) * g->sw - 2 * g->pw + g->dv * (g->S - 1) + 1);
    ref_deconv2d_forward(y, x, w, g->B, g->K, g->P, g->Q, g->C, g->R, g->S, g->sh, g->sw, g->ph,
                         g->pw, oph, opw, g->dh, g->dv);
}

static void ref_conv_bwd_filter(real *dw, const real *x, const real *dy, real *work,
                                const KConv *g)
{
    (void)work;
    ref_conv2d_bwd_filter(dw, x, dy, g);
}

/* Filling and copying memory have no reference of their own: they are
 * the same loops; nor have spectral normalisation, the maximum along an
 * axis, tril and bilinear upsampling, whose kernels are plain loops
 * already. */
static const Kernels naive = {
    ref_unary, ref_binary, k_fill, k_copy, k_scale, ref_sum_rows, ref_mean_batch, ref_sum_to,
    ref_expand, ref_matmul, ref_batch_matmul, ref_conv_fwd, ref_deconv_fwd, ref_conv_bwd_filter,
    ref_bn_forward_train, ref_bn_forward_eval, ref_bn_backward, ref_ln_forward, ref_ln_backward,
    ref_dropout, ref_maxpool2d_forward, ref_maxpool2d_backward, ref_maxpool2d_pick,
    ref_avgpool2d_forward, ref_avgpool2d_backward, ref_upsample_nearest_forward,
    ref_upsample_nearest_backward, k_upsample_bilinear_forward, k_upsample_bilinear_backward,
    ref_concat, ref_slice, ref_permute, k_max_last, k_max_last_backward, k_max_last_pick, k_tril,
    ref_embedding, ref_embedding_backward, ref_onehot, ref_softmax, ref_log_softmax,
    ref_softmax_backward, ref_log_softmax_backward, ref_relu_grad, ref_leaky_relu_grad,
    ref_elu_grad, ref_tanh_grad, ref_sigmoid_grad, ref_gelu_grad, ref_bce, ref_bce_grad,
    ref_bce_logits, ref_bce_logits_grad, ref_kl_normal, k_spectral_sigma,
    k_spectral_sigma_backward,
};

static int ref_run(const KernelCall *c, char err[EXEC_ERR_LEN])
{
    return run_op[c->n->op](&naive, c, err);
}

static int64_t no_work(const Graph *g, const Node *n, int B)
{
    (void)g, (void)n, (void)B;
    return 0;
}

static bool nothing_to_reserve(void) { return true; }
static void no_needs(char *buf, size_t len) { snprintf(buf, len, "%s", ""); }

const Backend backend_ref = {"ref", host_alloc, free, no_work, nothing_to_reserve, no_needs,
                             ref_run, host_sync};

const char backend_names[] = "cpu, ref";

const Backend *backend_find(const char *name)
{
    const Backend *all[] = {&backend_cpu, &backend_ref};
    for (size_t i = 0; i < GENC_COUNT(all); i++)
        if (strcmp(all[i]->name, name) == 0) return all[i];
    return NULL;
}
