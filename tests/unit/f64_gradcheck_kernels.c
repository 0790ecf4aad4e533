/* f64_gradcheck_kernels.c (float64 build): every forward kernel that has
 * backward kernels, against central finite differences.
 *
 * For a forward y = f(x, ...) and a fixed random r, L(x) = sum(r * f(x)).
 * The backward kernels given dy = r must return dL/dx; the check compares
 * them with (L(x + h e_i) - L(x - h e_i)) / 2h for every element i, and
 * requires max_i |numeric - analytic| / max_i |analytic| < 1e-6.
 * Shapes: odd sizes, strides 1 and 2, padding and output padding,
 * broadcast operands, batch 1 and 3. The suite runs on one thread and on
 * two with splitting forced, so the multi-task backward paths (partial
 * filter gradients and their reduction) are checked too.
 *
 * Each check prints its error; GRADCHECK_QUIET=1 prints only failures. */
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "check.h"
#include "kernels/kernels.h"
#include "core/pool.h"

#ifndef GENC_DOUBLE
#error "build the gradient checks with -DGENC_DOUBLE"
#endif

#define GC_TOL 1e-6
#define GC_H 1e-5

static uint64_t rng_state = 7;
static bool quiet;
static int threads_now;

static double urand(void) { return (double)(k_mix64(rng_state++) >> 11) * 0x1.0p-53; }

static real *rnd(size_t n, double lo, double hi)
{
    real *p = xmalloc(sizeof(real) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) p[i] = lo + (hi - lo) * urand();
    return p;
}

/* random values with |v| in [0.1, 2]: no kinks of relu, abs, ... nearby */
static real *rnd_away0(size_t n)
{
    real *p = rnd(n, 0.1, 2);
    for (size_t i = 0; i < n; i++)
        if (urand() < 0.5) p[i] = -p[i];
    return p;
}

static real *zeros(size_t n) { return xcalloc(n ? n : 1, sizeof(real)); }

/* scratch that serves all three convolution kernels of g */
static real *conv_work_all(const KConv *g)
{
    size_t n = 0;
    for (KConvKind k = K_CONV_FORWARD; k <= K_CONV_BWD_FILTER; k++)
        if (k_conv_work_size(g, k) > n) n = k_conv_work_size(g, k);
    return zeros(n);
}

/* The forward under test: recomputes ctx's output from ctx's inputs. */
typedef void (*FwdFn)(void *ctx);

static double gc_loss(FwdFn f, void *ctx, const real *y, const real *r, size_t ny)
{
    f(ctx);
    double s = 0;
    for (size_t i = 0; i < ny; i++) s += r[i] * y[i];
    return s;
}

/* Compare ana (the backward's dL/dx) with central differences of L over
 * every element of x, an input that f reads through ctx. */
static void gradcheck(const char *what, FwdFn f, void *ctx, const real *y, size_t ny,
                      const real *r, real *x, size_t nx, const real *ana)
{
    double maxdiff = 0, maxana = 0;
    for (size_t i = 0; i < nx; i++) {
        real save = x[i];
        x[i] = save + GC_H;
        double lp = gc_loss(f, ctx, y, r, ny);
        x[i] = save - GC_H;
        double lm = gc_loss(f, ctx, y, r, ny);
        x[i] = save;
        double num = (lp - lm) / (2 * GC_H);
        maxdiff = fmax(maxdiff, fabs(num - ana[i]));
        maxana = fmax(maxana, fabs(ana[i]));
    }
    f(ctx); /* leave y as it was */
    double err = maxdiff / fmax(maxana, 1e-300);
    if (maxana == 0) err = maxdiff; /* an all-zero gradient must be exact */
    CHECKF(err < GC_TOL, "%s: relative error %.3g (T=%d)", what, err, threads_now);
    if (!quiet) printf("  %-58s T=%d  rel err %.1e\n", what, threads_now, err);
}

/* ---- unary ------------------------------------------------------------ */

typedef struct UnCtx {
    KUnaryOp op;
    real param;
    real *x, *y;
    int n;
} UnCtx;

static void un_fwd(void *vc)
{
    UnCtx *c = vc;
    k_unary(c->op, c->y, c->x, c->n, c->param);
}

static void check_unary(void)
{
    const int sizes[] = {1, 7, 33};
    for (size_t si = 0; si < GENC_COUNT(sizes); si++) {
        int n = sizes[si];
        real *x = rnd_away0(n), *y = zeros(n), *r = rnd(n, -1, 1), *dx = zeros(n);
        const KUnaryOp ops[] = {K_relu, K_leaky_relu, K_elu, K_elu, K_tanh, K_sigmoid, K_gelu};
        for (size_t oi = 0; oi < GENC_COUNT(ops); oi++) {
            UnCtx c = {ops[oi], oi == 2 ? 1.0 : oi == 3 ? 0.7 : 0.2, x, y, n};
            un_fwd(&c);
            switch (c.op) {
            case K_relu: k_relu_grad(dx, r, x, n); break;
            case K_leaky_relu: k_leaky_relu_grad(dx, r, x, n, c.param); break;
            case K_elu: k_elu_grad(dx, r, x, n, c.param); break;
            case K_tanh: k_tanh_grad(dx, r, y, n); break;
            case K_sigmoid: k_sigmoid_grad(dx, r, y, n); break;
            case K_gelu: k_gelu_grad(dx, r, x, n); break;
            default: break;
            }
            char *what = xsprintf("%s(%g)_grad n=%d", k_unary_names[c.op], c.param, n);
            gradcheck(what, un_fwd, &c, y, n, r, x, n, dx);
            free(what);
        }
        free(x), free(y), free(r), free(dx);
    }
}

/* ---- broadcasting binary ops, sum_to, expand --------------------------- */

typedef struct BinCtx {
    KBinaryOp op;
    real *a, *b, *c;
    const int *as, *bs;
    int ar, br;
} BinCtx;

static void bin_fwd(void *vc)
{
    BinCtx *c = vc;
    k_binary(c->op, c->c, c->a, c->as, c->ar, c->b, c->bs, c->br);
}

typedef struct ShapePair {
    int ar, a[K_MAXRANK], br, b[K_MAXRANK];
} ShapePair;

static size_t count(const int *s, int r)
{
    size_t n = 1;
    for (int i = 0; i < r; i++) n *= s[i];
    return n;
}

/* The gradients of c = a op b, composed as autodiff will: an elementwise
 * product with the broadcast operands, then sum_to each operand's shape. */
static void check_binary(void)
{
    static const ShapePair pairs[] = {
        {3, {3, 2, 5}, 3, {3, 2, 5}},       /* equal */
        {2, {3, 5}, 0, {0}},                /* scalar */
        {4, {3, 4, 3, 2}, 3, {4, 1, 1}},    /* per channel */
        {4, {1, 4, 3, 3}, 3, {4, 1, 1}},    /* per channel, batch 1 */
        {2, {3, 6}, 1, {6}},                /* per feature */
        {3, {3, 1, 5}, 2, {4, 1}},          /* both broadcast */
        {5, {2, 1, 3, 1, 2}, 4, {3, 1, 2, 1}},
    };
    for (size_t pi = 0; pi < GENC_COUNT(pairs); pi++) {
        const ShapePair *sp = &pairs[pi];
        int cs[K_MAXRANK];
        int cr = k_broadcast_shape(cs, sp->a, sp->ar, sp->b, sp->br);
        size_t na = count(sp->a, sp->ar), nb = count(sp->b, sp->br), nc = count(cs, cr);
        real *a = rnd(na, -2, 2), *b = rnd(nb, 0.5, 2), *c = zeros(nc), *r = rnd(nc, -1, 1);
        real *t = zeros(nc), *t2 = zeros(nc), *da = zeros(na), *db = zeros(nb);
        for (int op = 0; op < K_BINARY_COUNT; op++) {
            BinCtx ctx = {op, a, b, c, sp->a, sp->b, sp->ar, sp->br};
            bin_fwd(&ctx);
            /* t = dc/da * r and t2 = dc/db * r, at the broadcast shape */
            switch (op) {
            case K_add:
            case K_sub:
                memcpy(t, r, sizeof(real) * nc);
                k_scale(t2, r, (int)nc, op == K_add ? 1 : -1);
                break;
            case K_mul:
                k_binary(K_mul, t, r, cs, cr, b, sp->b, sp->br);
                k_binary(K_mul, t2, r, cs, cr, a, sp->a, sp->ar);
                break;
            case K_div: /* d(a/b)/da = 1/b, d(a/b)/db = -c/b */
                k_binary(K_div, t, r, cs, cr, b, sp->b, sp->br);
                k_binary(K_mul, t2, t, cs, cr, c, cs, cr);
                k_scale(t2, t2, (int)nc, -1);
                break;
            }
            k_sum_to(da, sp->a, sp->ar, t, cs, cr);
            k_sum_to(db, sp->b, sp->br, t2, cs, cr);
            char *w1 = xsprintf("%s d/da, pair %zu", k_binary_names[op], pi);
            char *w2 = xsprintf("%s d/db, pair %zu", k_binary_names[op], pi);
            gradcheck(w1, bin_fwd, &ctx, c, nc, r, a, na, da);
            gradcheck(w2, bin_fwd, &ctx, c, nc, r, b, nb, db);
            free(w1), free(w2);
        }
        free(a), free(b), free(c), free(r), free(t), free(t2), free(da), free(db);
    }
}

typedef struct SumCtx {
    real *x, *y;
    const int *xs, *ys;
    int xr, yr;
    real scale;
    bool expand; /* y = expand(x) instead of y = sum_to(x) */
} SumCtx;

static void sum_fwd(void *vc)
{
    SumCtx *c = vc;
    if (c->expand)
        k_expand(c->y, c->ys, c->yr, c->x, c->xs, c->xr, c->scale);
    else
        k_sum_to(c->y, c->ys, c->yr, c->x, c->xs, c->xr);
}

/* sum_to and expand are each other's gradient */
static void check_sum_expand(void)
{
    static const ShapePair pairs[] = {
        /* a: the big shape, b: the small one */
        {4, {3, 4, 3, 2}, 3, {4, 1, 1}},
        {2, {3, 6}, 1, {6}},
        {2, {3, 6}, 2, {3, 1}},   /* sum_rows */
        {1, {5}, 0, {0}},         /* everything */
        {4, {3, 2, 3, 2}, 4, {3, 1, 3, 1}},
    };
    for (size_t pi = 0; pi < GENC_COUNT(pairs); pi++) {
        const ShapePair *sp = &pairs[pi];
        size_t nbig = count(sp->a, sp->ar), nsmall = count(sp->b, sp->br);
        real *big = rnd(nbig, -1, 1), *small = rnd(nsmall, -1, 1);
        real *rbig = rnd(nbig, -1, 1), *rsmall = rnd(nsmall, -1, 1);
        real *ybig = zeros(nbig), *ysmall = zeros(nsmall), *gbig = zeros(nbig), *gsmall = zeros(nsmall);
        SumCtx s = {big, ysmall, sp->a, sp->b, sp->ar, sp->br, 1, false};
        sum_fwd(&s);
        k_expand(gbig, sp->a, sp->ar, rsmall, sp->b, sp->br, 1);
        char *w = xsprintf("sum_to -> expand, pair %zu", pi);
        gradcheck(w, sum_fwd, &s, ysmall, nsmall, rsmall, big, nbig, gbig);
        free(w);
        SumCtx e = {small, ybig, sp->b, sp->a, sp->br, sp->ar, 0.37, true};
        sum_fwd(&e);
        k_sum_to(gsmall, sp->b, sp->br, rbig, sp->a, sp->ar);
        k_scale(gsmall, gsmall, (int)nsmall, 0.37);
        w = xsprintf("expand(x 0.37) -> sum_to, pair %zu", pi);
        gradcheck(w, sum_fwd, &e, ybig, nbig, rbig, small, nsmall, gsmall);
        free(w);
        free(big), free(small), free(rbig), free(rsmall), free(ybig), free(ysmall);
        free(gbig), free(gsmall);
    }
}

typedef struct RowsCtx {
    real *x, *y;
    int B, n;
    bool mean;
} RowsCtx;

static void rows_fwd(void *vc)
{
    RowsCtx *c = vc;
    if (c->mean)
        k_mean_batch(c->y, c->x, c->B);
    else
        k_sum_rows(c->y, c->x, c->B, c->n);
}

static void check_rows(void)
{
    for (int B = 1; B <= 3; B += 2) {
        int n = 7;
        real *x = rnd((size_t)B * n, -1, 1), *y = zeros(B), *r = rnd(B, -1, 1);
        real *dx = zeros((size_t)B * n);
        RowsCtx c = {x, y, B, n, false};
        rows_fwd(&c);
        k_expand(dx, (int[]){B, n}, 2, r, (int[]){B, 1}, 2, 1);
        char *w = xsprintf("sum_rows B=%d", B);
        gradcheck(w, rows_fwd, &c, y, B, r, x, (size_t)B * n, dx);
        free(w);
        RowsCtx m = {x, y, B, 1, true};
        rows_fwd(&m);
        k_expand(dx, (int[]){B}, 1, r, NULL, 0, (real)1 / B);
        w = xsprintf("mean_batch B=%d", B);
        gradcheck(w, rows_fwd, &m, y, 1, r, x, B, dx);
        free(w);
        free(x), free(y), free(r), free(dx);
    }
}

/* ---- matmul ------------------------------------------------------------ */

typedef struct MmCtx {
    real *A, *B, *C;
    int M, N, K;
    bool ta, tb;
} MmCtx;

static void mm_fwd(void *vc)
{
    MmCtx *c = vc;
    k_matmul(c->C, c->A, c->B, c->M, c->N, c->K, c->ta, c->tb);
}

static void check_matmul(void)
{
    const int dims[][3] = {{1, 1, 1}, {3, 5, 4}, {7, 2, 9}, {40, 35, 6}};
    for (size_t di = 0; di < GENC_COUNT(dims); di++)
        for (int tr = 0; tr < 4; tr++) {
            int M = dims[di][0], N = dims[di][1], K = dims[di][2];
            bool ta = tr & 1, tb = tr & 2;
            real *A = rnd((size_t)M * K, -1, 1), *B = rnd((size_t)K * N, -1, 1);
            real *C = zeros((size_t)M * N), *r = rnd((size_t)M * N, -1, 1);
            real *dA = zeros((size_t)M * K), *dB = zeros((size_t)K * N);
            MmCtx c = {A, B, C, M, N, K, ta, tb};
            mm_fwd(&c);
            /* C = op(A) op(B): d op(A) = dC op(B)^T, d op(B) = op(A)^T dC,
             * transposed back when the operand is stored transposed */
            if (!ta)
                k_matmul(dA, r, B, M, K, N, false, !tb);
            else
                k_matmul(dA, B, r, K, M, N, tb, true);
            if (!tb)
                k_matmul(dB, A, r, K, N, M, !ta, false);
            else
                k_matmul(dB, r, A, N, K, M, true, ta);
            char *w1 = xsprintf("matmul dA %dx%dx%d ta=%d tb=%d", M, N, K, ta, tb);
            char *w2 = xsprintf("matmul dB %dx%dx%d ta=%d tb=%d", M, N, K, ta, tb);
            gradcheck(w1, mm_fwd, &c, C, (size_t)M * N, r, A, (size_t)M * K, dA);
            gradcheck(w2, mm_fwd, &c, C, (size_t)M * N, r, B, (size_t)K * N, dB);
            free(w1), free(w2);
            free(A), free(B), free(C), free(r), free(dA), free(dB);
        }
}

/* ---- convolution and transposed convolution ---------------------------- */

typedef struct ConvCtx {
    real *x, *w, *y, *work;
    KConv g;
    bool deconv;
} ConvCtx;

static void conv_fwd(void *vc)
{
    ConvCtx *c = vc;
    if (c->deconv)
        k_deconv2d_forward(c->y, c->x, c->w, c->work, &c->g);
    else
        k_conv2d_forward(c->y, c->x, c->w, c->work, &c->g);
}

static void check_conv(void)
{
    static const int cases[][13] = {
        /* B, C, H, W, K, R, S, sh, sw, ph, pw, dh, dv */
        {1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 1, 1},
        {3, 2, 5, 6, 3, 3, 3, 1, 1, 1, 1, 1, 1},
        {3, 2, 7, 7, 2, 5, 5, 2, 2, 2, 2, 1, 1},
        {1, 3, 4, 4, 2, 1, 1, 1, 1, 0, 0, 1, 1},
        {3, 2, 6, 5, 2, 3, 2, 2, 1, 0, 1, 1, 1},
        {3, 1, 8, 8, 2, 4, 4, 2, 2, 1, 1, 1, 1},
        /* P*Q = 144: images go two to a GEMM, so B = 3 makes groups of 2 + 1 */
        {3, 1, 12, 12, 2, 3, 3, 1, 1, 1, 1, 1, 1},
        {3, 2, 23, 23, 2, 3, 3, 2, 2, 1, 1, 1, 1},
        {3, 2, 9, 8, 2, 3, 3, 1, 1, 2, 2, 2, 2},  /* dilation */
        {2, 2, 11, 9, 3, 3, 2, 2, 1, 1, 0, 3, 2},
    };
    for (size_t ci = 0; ci < GENC_COUNT(cases); ci++) {
        const int *c = cases[ci];
        KConv g = k_conv_geom(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10],
                              c[11], c[12]);
        size_t nx = (size_t)g.B * g.C * g.H * g.W, ny = (size_t)g.B * g.K * g.P * g.Q;
        size_t nw = (size_t)g.K * g.C * g.R * g.S;
        ConvCtx ctx = {rnd(nx, -1, 1), rnd(nw, -1, 1), zeros(ny), conv_work_all(&g), g, false};
        real *r = rnd(ny, -1, 1), *dx = zeros(nx), *dw = zeros(nw);
        conv_fwd(&ctx);
        k_conv2d_bwd_data(dx, r, ctx.w, ctx.work, &g);
        k_conv2d_bwd_filter(dw, ctx.x, r, ctx.work, &g);
        char *w1 = xsprintf("conv2d_bwd_data   case %zu (B=%d s=%d,%d p=%d,%d d=%d,%d)", ci, g.B,
                            g.sh, g.sw, g.ph, g.pw, g.dh, g.dv);
        char *w2 = xsprintf("conv2d_bwd_filter case %zu (B=%d s=%d,%d p=%d,%d d=%d,%d)", ci, g.B,
                            g.sh, g.sw, g.ph, g.pw, g.dh, g.dv);
        gradcheck(w1, conv_fwd, &ctx, ctx.y, ny, r, ctx.x, nx, dx);
        gradcheck(w2, conv_fwd, &ctx, ctx.y, ny, r, ctx.w, nw, dw);
        free(w1), free(w2);
        free(ctx.x), free(ctx.w), free(ctx.y), free(ctx.work), free(r), free(dx), free(dw);
    }
}

static void check_deconv(void)
{
    static const int cases[][15] = {
        /* B, C, H, W, K, R, S, sh, sw, ph, pw, oph, opw, dh, dv */
        {1, 1, 3, 3, 1, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1},
        {3, 2, 3, 4, 2, 5, 5, 2, 2, 2, 2, 1, 1, 1, 1},
        {3, 3, 4, 4, 2, 4, 4, 2, 2, 1, 1, 0, 0, 1, 1},
        {1, 2, 3, 3, 3, 3, 3, 2, 3, 1, 0, 1, 2, 1, 1},
        {3, 2, 4, 4, 2, 5, 5, 1, 1, 2, 2, 0, 0, 1, 1},
        {3, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1},
        {3, 1, 12, 12, 2, 3, 3, 1, 1, 1, 1, 0, 0, 1, 1}, /* groups of 2 + 1 images */
        {3, 1, 12, 12, 1, 4, 4, 2, 2, 1, 1, 1, 1, 1, 1},
        {3, 2, 4, 5, 2, 3, 3, 2, 2, 2, 2, 1, 1, 2, 2}, /* dilation */
        {2, 2, 4, 3, 2, 3, 2, 1, 2, 0, 1, 0, 1, 3, 2},
    };
    for (size_t ci = 0; ci < GENC_COUNT(cases); ci++) {
        const int *c = cases[ci];
        int B = c[0], C = c[1], H = c[2], W = c[3], K = c[4], R = c[5], S = c[6];
        KConv g = k_deconv_geom(B, C, H, W, K, R, S, c[7], c[8], c[9], c[10], c[11], c[12],
                                c[13], c[14]);
        size_t nx = (size_t)B * C * H * W, ny = (size_t)B * K * g.H * g.W;
        size_t nw = (size_t)C * K * R * S;
        ConvCtx ctx = {rnd(nx, -1, 1), rnd(nw, -1, 1), zeros(ny), conv_work_all(&g), g, true};
        real *r = rnd(ny, -1, 1), *dx = zeros(nx), *dw = zeros(nw);
        conv_fwd(&ctx);
        /* the deconv's gradients: the conv kernels on g, roles swapped */
        k_conv2d_forward(dx, r, ctx.w, ctx.work, &g);
        k_conv2d_bwd_filter(dw, r, ctx.x, ctx.work, &g);
        char *w1 = xsprintf("deconv2d dx (conv2d)        case %zu (B=%d s=%d,%d p=%d,%d op=%d,%d)", ci, B,
                            c[7], c[8], c[9], c[10], c[11], c[12]);
        char *w2 = xsprintf("deconv2d dw (conv2d_wgrad) case %zu (B=%d s=%d,%d p=%d,%d op=%d,%d)", ci, B,
                            c[7], c[8], c[9], c[10], c[11], c[12]);
        gradcheck(w1, conv_fwd, &ctx, ctx.y, ny, r, ctx.x, nx, dx);
        gradcheck(w2, conv_fwd, &ctx, ctx.y, ny, r, ctx.w, nw, dw);
        free(w1), free(w2);
        free(ctx.x), free(ctx.w), free(ctx.y), free(ctx.work), free(r), free(dx), free(dw);
    }
}

/* ---- normalisation ------------------------------------------------------ */

typedef struct NormCtx {
    real *x, *y, *invstd, *rm, *rv;
    int B, C, S;
    int mode; /* 0 bn train, 1 bn eval, 2 layer norm */
} NormCtx;

static void norm_fwd(void *vc)
{
    NormCtx *c = vc;
    if (c->mode == 0) {
        /* the running stats are updated in place: keep them out of the
         * finite differences by updating scratch copies */
        real rm[64], rv[64];
        memcpy(rm, c->rm, sizeof(real) * c->C);
        memcpy(rv, c->rv, sizeof(real) * c->C);
        k_bn_forward_train(c->y, c->invstd, rm, rv, c->x, c->B, c->C, c->S, 1e-5, 0.1);
    } else if (c->mode == 1) {
        k_bn_forward_eval(c->y, c->x, c->rm, c->rv, c->B, c->C, c->S, 1e-5);
    } else {
        k_ln_forward(c->y, c->invstd, c->x, c->B, c->C * c->S, 1e-5);
    }
}

static void check_norm(void)
{
    const int cases[][3] = {{1, 2, 5}, {3, 3, 1}, {3, 2, 4}, {2, 1, 3}};
    for (size_t ci = 0; ci < GENC_COUNT(cases); ci++) {
        int B = cases[ci][0], C = cases[ci][1], S = cases[ci][2];
        size_t n = (size_t)B * C * S;
        NormCtx c = {rnd(n, -2, 3), zeros(n), zeros(B + C), rnd(C, -1, 1), rnd(C, 0.5, 2), B, C, S, 0};
        real *r = rnd(n, -1, 1), *dx = zeros(n);
        /* modes 0 and 2 of norm_fwd: the ones trained through */
        const char *names[] = {"bn train", "bn eval", "layernorm"};
        for (int mode = 0; mode < 3; mode += 2) {
            c.mode = mode;
            norm_fwd(&c);
            if (mode == 0)
                k_bn_backward(dx, r, c.y, c.invstd, B, C, S);
            else
                k_ln_backward(dx, r, c.y, c.invstd, B, C * S);
            char *w = xsprintf("%s backward B=%d C=%d S=%d", names[mode], B, C, S);
            gradcheck(w, norm_fwd, &c, c.y, n, r, c.x, n, dx);
            free(w);
        }
        free(c.x), free(c.y), free(c.invstd), free(c.rm), free(c.rv), free(r), free(dx);
    }
}

/* ---- dropout, pooling, upsampling --------------------------------------- */

typedef struct PoolCtx {
    real *x, *y;
    KPool g;
    int kind; /* 0 max, 1 avg, 2 upsample, 3 dropout */
    int planes, H, W, f;
} PoolCtx;

static void pool_fwd(void *vc)
{
    PoolCtx *c = vc;
    switch (c->kind) {
    case 0: k_maxpool2d_forward(c->y, c->x, &c->g); break;
    case 1: k_avgpool2d_forward(c->y, c->x, &c->g); break;
    case 2: k_upsample_nearest_forward(c->y, c->x, c->planes, c->H, c->W, c->f); break;
    case 3: k_dropout(c->y, c->x, c->planes * c->H * c->W, 0.3, 11, 5); break;
    }
}

static void check_pool(void)
{
    const int cases[][7] = {
        {1, 1, 4, 4, 2, 2, 0}, {3, 2, 5, 7, 2, 2, 0}, {3, 1, 5, 5, 3, 2, 1}, {1, 2, 4, 5, 3, 1, 1},
    };
    for (size_t ci = 0; ci < GENC_COUNT(cases); ci++) {
        const int *c = cases[ci];
        KPool g = k_pool_geom(c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
        size_t nx = (size_t)g.B * g.C * g.H * g.W, ny = (size_t)g.B * g.C * g.P * g.Q;
        /* distinct values 0.01 apart: no near-ties to flip an argmax */
        real *x = zeros(nx);
        for (size_t i = 0; i < nx; i++) x[i] = 0.01 * (double)((i * 7919) % nx);
        PoolCtx ctx = {x, zeros(ny), g, 0, 0, 0, 0, 0};
        real *r = rnd(ny, -1, 1), *dx = zeros(nx);
        for (int kind = 0; kind < 2; kind++) {
            ctx.kind = kind;
            pool_fwd(&ctx);
            if (kind == 0)
                k_maxpool2d_backward(dx, r, x, &g);
            else
                k_avgpool2d_backward(dx, r, &g);
            char *w = xsprintf("%s_backward case %zu (k=%d s=%d p=%d)", kind ? "avgpool2d" : "maxpool2d",
                               ci, g.k, g.stride, g.pad);
            gradcheck(w, pool_fwd, &ctx, ctx.y, ny, r, x, nx, dx);
            free(w);
        }
        free(x), free(ctx.y), free(r), free(dx);
    }
    const int ups[][4] = {{1, 2, 3, 2}, {6, 3, 2, 3}};
    for (size_t ci = 0; ci < GENC_COUNT(ups); ci++) {
        int pl = ups[ci][0], H = ups[ci][1], W = ups[ci][2], f = ups[ci][3];
        size_t nx = (size_t)pl * H * W, ny = nx * f * f;
        PoolCtx ctx = {rnd(nx, -1, 1), zeros(ny), {0}, 2, pl, H, W, f};
        real *r = rnd(ny, -1, 1), *dx = zeros(nx);
        pool_fwd(&ctx);
        k_upsample_nearest_backward(dx, r, pl, H, W, f);
        char *w = xsprintf("upsample_nearest_backward case %zu (f=%d)", ci, f);
        gradcheck(w, pool_fwd, &ctx, ctx.y, ny, r, ctx.x, nx, dx);
        free(w), free(ctx.x), free(ctx.y), free(r), free(dx);
    }
    {
        int n = 37;
        PoolCtx ctx = {rnd(n, -1, 1), zeros(n), {0}, 3, 1, 1, n, 1};
        real *r = rnd(n, -1, 1), *dx = zeros(n);
        pool_fwd(&ctx);
        k_dropout(dx, r, n, 0.3, 11, 5); /* the same kernel on dy */
        gradcheck("dropout (backward = same mask)", pool_fwd, &ctx, ctx.y, n, r, ctx.x, n, dx);
        free(ctx.x), free(ctx.y), free(r), free(dx);
    }
}

/* ---- softmax and losses -------------------------------------------------- */

typedef struct SmCtx {
    real *x, *t, *y, *y2;
    int rows, n;
    int kind; /* 0 softmax, 1 log_softmax, 2 bce, 3 bce_logits */
} SmCtx;

static void sm_fwd(void *vc)
{
    SmCtx *c = vc;
    int N = c->rows * c->n;
    switch (c->kind) {
    case 0: k_softmax(c->y, c->x, c->rows, c->n); break;
    case 1: k_log_softmax(c->y, c->x, c->rows, c->n); break;
    case 2: k_bce(c->y, c->x, c->t, N); break;
    case 3: k_bce_logits(c->y, c->x, c->t, N); break;
    }
}

static void check_softmax_loss(void)
{
    const int cases[][2] = {{1, 1}, {3, 5}, {2, 11}};
    for (size_t ci = 0; ci < GENC_COUNT(cases); ci++) {
        int rows = cases[ci][0], n = cases[ci][1], N = rows * n;
        SmCtx c = {rnd(N, -3, 3), rnd(N, 0, 1), zeros(N), zeros(N), rows, n, 0};
        real *r = rnd(N, -1, 1), *dx = zeros(N);
        for (int kind = 0; kind < 2; kind++) {
            c.kind = kind;
            sm_fwd(&c);
            if (kind == 0)
                k_softmax_backward(dx, r, c.y, rows, n);
            else
                k_log_softmax_backward(dx, r, c.y, rows, n);
            char *w = xsprintf("%s_backward rows=%d n=%d", kind ? "log_softmax" : "softmax", rows, n);
            gradcheck(w, sm_fwd, &c, c.y, N, r, c.x, N, dx);
            free(w);
        }
        /* bce on p away from the clamps, targets soft */
        real *p = rnd(N, 0.05, 0.95);
        SmCtx b = {p, c.t, c.y, NULL, rows, n, 2};
        sm_fwd(&b);
        k_bce_grad(dx, r, p, c.t, N);
        char *w = xsprintf("bce_grad n=%d", N);
        gradcheck(w, sm_fwd, &b, b.y, N, r, p, N, dx);
        free(w);
        b.x = c.x; /* logits in [-3, 3] */
        b.kind = 3;
        sm_fwd(&b);
        k_bce_logits_grad(dx, r, c.x, c.t, N);
        w = xsprintf("bce_logits_grad n=%d", N);
        gradcheck(w, sm_fwd, &b, b.y, N, r, c.x, N, dx);
        free(w);
        free(c.x), free(c.t), free(c.y), free(c.y2), free(r), free(dx), free(p);
    }
}

/* ---- concat, slice, embedding --------------------------------------------- */

typedef struct CatCtx {
    real *x1, *x2, *y, *table, *ids;
    int outer, a1, a2, inner;
    int kind; /* 0 concat, 1 embedding */
    int n, V, D;
} CatCtx;

static void cat_fwd(void *vc)
{
    CatCtx *c = vc;
    if (c->kind == 0) {
        const real *xs[] = {c->x1, c->x2};
        int sizes[] = {c->a1, c->a2};
        k_concat(c->y, xs, sizes, 2, c->outer, c->inner);
    } else {
        k_embedding(c->y, c->ids, c->table, c->n, c->V, c->D);
    }
}

static void check_misc(void)
{
    for (int outer = 1; outer <= 3; outer += 2) {
        int a1 = 2, a2 = 3, inner = 4, tot = a1 + a2;
        size_t n1 = (size_t)outer * a1 * inner, n2 = (size_t)outer * a2 * inner;
        size_t ny = (size_t)outer * tot * inner;
        CatCtx c = {rnd(n1, -1, 1), rnd(n2, -1, 1), zeros(ny + n1), NULL, NULL, outer, a1, a2, inner, 0, 0, 0, 0};
        real *r = rnd(ny, -1, 1), *d1 = zeros(n1), *d2 = zeros(n2);
        cat_fwd(&c);
        k_slice(d1, r, outer, tot, 0, a1, inner);
        k_slice(d2, r, outer, tot, a1, a2, inner);
        gradcheck("concat -> slice (first input)", cat_fwd, &c, c.y, ny, r, c.x1, n1, d1);
        gradcheck("concat -> slice (second input)", cat_fwd, &c, c.y, ny, r, c.x2, n2, d2);
        free(c.x1), free(c.x2), free(c.y), free(r), free(d1), free(d2);
    }
    int n = 5, V = 4, D = 3;
    real ids[] = {2, 0, 2, 3, 2};
    CatCtx e = {NULL, NULL, zeros((size_t)n * D), rnd((size_t)V * D, -1, 1), ids, 0, 0, 0, 0, 1, n, V, D};
    real *r = rnd((size_t)n * D, -1, 1), *dt = zeros((size_t)V * D);
    cat_fwd(&e);
    k_embedding_backward(dt, r, ids, n, V, D);
    gradcheck("embedding_backward (repeated ids, one unused)", cat_fwd, &e, e.y, (size_t)n * D, r,
              e.table, (size_t)V * D, dt);
    free(e.y), free(e.table), free(r), free(dt);
}

static void run_all(int threads, double min_work)
{
    pool_init(threads);
    k_set_par_min_work(min_work);
    threads_now = threads;
    check_unary();
    check_binary();
    check_sum_expand();
    check_rows();
    check_matmul();
    check_conv();
    check_deconv();
    check_norm();
    check_pool();
    check_softmax_loss();
    check_misc();
}

int main(void)
{
    const char *q = getenv("GRADCHECK_QUIET");
    quiet = q && *q && strcmp(q, "0") != 0;
    run_all(1, 0);
    run_all(2, 1);
    pool_shutdown();
    return check_done("f64_gradcheck_kernels");
}
