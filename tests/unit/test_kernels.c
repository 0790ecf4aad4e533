/* test_kernels.c (float32 build): every fast kernel against its naive
 * reference (runtime/kernels/ref.c) on random inputs at several shapes:
 * odd sizes, strides 1 and 2, paddings, output paddings, batch 1 and 3.
 * The whole suite runs once on one thread and once on two threads with
 * the split threshold forced down, so that every multi-task path (per-task
 * column buffers, partial filter gradients and their reduction, split
 * GEMMs) runs on these small shapes too; it also checks that two runs on
 * two threads are bit-identical.
 *
 *   test_kernels            run the tests
 *   test_kernels --bench    print hand-off cost and conv/GEMM speed */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base.h"
#include "check.h"
#include "kernels/kernels.h"
#include "core/pool.h"

/* ---- helpers ---------------------------------------------------------- */

static uint64_t rng_state = 42;

static double urand(void) { return (double)(k_mix64(rng_state++) >> 11) * 0x1.0p-53; }

static real *rnd(size_t n, double lo, double hi)
{
    real *p = xmalloc(sizeof(real) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) p[i] = (real)(lo + (hi - lo) * urand());
    return p;
}

static real *zeros(size_t n) { return xcalloc(n ? n : 1, sizeof(real)); }

/* kind's scratch for g, of exactly the size asked for: ASan sees overruns */
static real *conv_work(const KConv *g, KConvKind kind)
{
    size_t n = k_conv_work_size(g, kind);
    return xmalloc(sizeof(real) * (n ? n : 1));
}

/* max over i of |a-b| / max(1, |a|, |b|) */
static double max_err(const real *a, const real *b, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        double s = fmax(1.0, fmax(fabs((double)a[i]), fabs((double)b[i])));
        if (!(d / s <= e)) e = d / s; /* NaN counts as an error */
    }
    return e;
}

#define CHECK_CLOSE(got, want, n, tol, ...)                                   \
    do {                                                                      \
        double e_ = max_err((got), (want), (n));                              \
        CHECKF(e_ <= (tol), "max err %.3g > %g in %s", e_, (double)(tol),     \
               xsprintf(__VA_ARGS__));                                        \
    } while (0)

static int threads_now; /* for messages */

/* ---- 1. unary --------------------------------------------------------- */

static void test_unary(void)
{
    const int sizes[] = {1, 17, 1003, 40001};
    for (size_t si = 0; si < GENC_COUNT(sizes); si++) {
        int n = sizes[si];
        real *x = rnd(n, -6, 6), *xp = rnd(n, 0.01, 5), *y = zeros(n), *yr = zeros(n);
        x[0] = 0; /* the kinks */
        if (n > 2) {
            x[1] = -80; /* stability of sigmoid, softplus, log_sigmoid */
            x[2] = 80;
        }
        for (int op = 0; op < K_UNARY_COUNT; op++) {
            const real params[] = {2, 0.5, 3, -1.5};
            int np = op == K_powc ? 4 : 1;
            for (int pi = 0; pi < np; pi++) {
                real param = op == K_powc ? params[pi] : op == K_elu ? 0.7 : 0.2;
                bool pos = op == K_log || op == K_sqrt || (op == K_powc && pi != 0 && pi != 2);
                const real *in = pos ? xp : x;
                k_unary(op, y, in, n, param);
                ref_unary(op, yr, in, n, param);
                CHECK_CLOSE(y, yr, n, 2e-6, "%s(%g) n=%d T=%d", k_unary_names[op], param, n,
                            threads_now);
            }
        }
        real *dy = rnd(n, -1, 1), *dx = zeros(n), *dxr = zeros(n), *t = zeros(n);
        k_relu_grad(dx, dy, x, n);
        ref_relu_grad(dxr, dy, x, n);
        CHECK_CLOSE(dx, dxr, n, 0, "relu_grad n=%d", n);
        k_leaky_relu_grad(dx, dy, x, n, 0.2);
        ref_leaky_relu_grad(dxr, dy, x, n, 0.2);
        CHECK_CLOSE(dx, dxr, n, 1e-7, "leaky_relu_grad n=%d", n);
        k_elu_grad(dx, dy, x, n, 0.7);
        ref_elu_grad(dxr, dy, x, n, 0.7);
        CHECK_CLOSE(dx, dxr, n, 1e-6, "elu_grad n=%d", n);
        k_unary(K_tanh, t, x, n, 0);
        k_tanh_grad(dx, dy, t, n);
        ref_tanh_grad(dxr, dy, t, n);
        CHECK_CLOSE(dx, dxr, n, 1e-6, "tanh_grad n=%d", n);
        k_unary(K_sigmoid, t, x, n, 0);
        k_sigmoid_grad(dx, dy, t, n);
        ref_sigmoid_grad(dxr, dy, t, n);
        CHECK_CLOSE(dx, dxr, n, 1e-6, "sigmoid_grad n=%d", n);
        k_gelu_grad(dx, dy, x, n);
        ref_gelu_grad(dxr, dy, x, n);
        CHECK_CLOSE(dx, dxr, n, 2e-6, "gelu_grad n=%d", n);
        /* in place is allowed for elementwise kernels */
        memcpy(t, x, sizeof(real) * n);
        k_unary(K_tanh, t, t, n, 0);
        ref_unary(K_tanh, yr, x, n, 0);
        CHECK_CLOSE(t, yr, n, 2e-6, "tanh in place n=%d", n);
        k_scale(t, x, n, 3);
        for (int i = 0; i < n; i++) yr[i] = 3 * x[i];
        CHECK_CLOSE(t, yr, n, 0, "scale n=%d", n);
        free(x), free(xp), free(y), free(yr), free(dy), free(dx), free(dxr), free(t);
    }
}

/* ---- 2. broadcasting ---------------------------------------------------- */

typedef struct ShapePair {
    int ar, a[K_MAXRANK], br, b[K_MAXRANK];
} ShapePair;

static const ShapePair shape_pairs[] = {
    {3, {3, 5, 7}, 3, {3, 5, 7}},           /* equal */
    {1, {1001}, 1, {1001}},                 /* equal, flat */
    {2, {3, 5}, 0, {0}},                    /* scalar */
    {2, {4, 6}, 1, {1}},                    /* scalar of rank 1 */
    {4, {3, 4, 5, 6}, 3, {4, 1, 1}},        /* per channel */
    {4, {1, 4, 5, 6}, 3, {4, 1, 1}},        /* per channel, batch 1 */
    {2, {3, 6}, 1, {6}},                    /* per feature */
    {2, {3, 300}, 2, {1, 300}},             /* per feature, longer */
    {3, {3, 1, 5}, 2, {4, 1}},              /* both broadcast */
    {5, {2, 1, 3, 1, 5}, 4, {4, 1, 6, 1}},  /* rank 5, alternating */
    {4, {3, 4, 5, 6}, 4, {3, 1, 5, 1}},
    {4, {3, 4, 5, 6}, 4, {1, 4, 1, 6}},
    {2, {1, 1}, 1, {1}},                    /* one element */
};

static void test_broadcast(void)
{
    for (size_t pi = 0; pi < GENC_COUNT(shape_pairs); pi++) {
        const ShapePair *sp = &shape_pairs[pi];
        for (int swap = 0; swap < 2; swap++) {
            const int *as = swap ? sp->b : sp->a, *bs = swap ? sp->a : sp->b;
            int ar = swap ? sp->br : sp->ar, br = swap ? sp->ar : sp->br;
            int cs[K_MAXRANK];
            int cr = k_broadcast_shape(cs, as, ar, bs, br);
            CHECK(cr >= 0);
            size_t na = 1, nb = 1, nc = 1;
            for (int i = 0; i < ar; i++) na *= as[i];
            for (int i = 0; i < br; i++) nb *= bs[i];
            for (int i = 0; i < cr; i++) nc *= cs[i];
            real *a = rnd(na, -2, 2), *b = rnd(nb, 0.5, 2), *c = zeros(nc), *cr_ = zeros(nc);
            for (int op = 0; op < K_BINARY_COUNT; op++) {
                k_binary(op, c, a, as, ar, b, bs, br);
                ref_binary(op, cr_, a, as, ar, b, bs, br);
                CHECK_CLOSE(c, cr_, nc, 0, "%s pair %zu swap %d", k_binary_names[op], pi, swap);
            }
            /* sum_to from the broadcast shape to each operand's, and back */
            real *s = zeros(na), *sr = zeros(na), *e = zeros(nc), *er = zeros(nc);
            k_sum_to(s, as, ar, c, cs, cr);
            ref_sum_to(sr, as, ar, c, cs, cr);
            CHECK_CLOSE(s, sr, na, 1e-6, "sum_to pair %zu swap %d", pi, swap);
            k_expand(e, cs, cr, a, as, ar, 0.25);
            ref_expand(er, cs, cr, a, as, ar, 0.25);
            CHECK_CLOSE(e, er, nc, 0, "expand pair %zu swap %d", pi, swap);
            free(a), free(b), free(c), free(cr_), free(s), free(sr), free(e), free(er);
        }
    }
    CHECK(k_broadcast_shape((int[K_MAXRANK]){0}, (int[]){3, 4}, 2, (int[]){5}, 1) == -1);

    /* big sums: accuracy (double accumulation) and column blocks > 256 */
    int xs[] = {64, 3, 1000}, ys1[] = {3, 1}, ys2[] = {1000}, ys3[] = {0};
    real *x = rnd(64 * 3 * 1000, 0, 1), *y = zeros(3000), *yr = zeros(3000);
    k_sum_to(y, ys1, 2, x, xs, 3);
    ref_sum_to(yr, ys1, 2, x, xs, 3);
    CHECK_CLOSE(y, yr, 3, 1e-7, "sum_to per channel");
    k_sum_to(y, ys2, 1, x, xs, 3);
    ref_sum_to(yr, ys2, 1, x, xs, 3);
    CHECK_CLOSE(y, yr, 1000, 1e-7, "sum_to columns");
    k_sum_to(y, ys3, 0, x, xs, 3);
    ref_sum_to(yr, ys3, 0, x, xs, 3);
    CHECK_CLOSE(y, yr, 1, 1e-7, "sum_to all");
    int rows[] = {1, 3, 64};
    for (size_t i = 0; i < GENC_COUNT(rows); i++) {
        k_sum_rows(y, x, rows[i], 2999);
        ref_sum_rows(yr, x, rows[i], 2999);
        CHECK_CLOSE(y, yr, rows[i], 1e-7, "sum_rows B=%d", rows[i]);
    }
    k_mean_batch(y, x, 777);
    ref_mean_batch(yr, x, 777);
    CHECK_NEAR(y[0], yr[0], 1e-7);
    free(x), free(y), free(yr);
}

/* ---- 4. matmul ---------------------------------------------------------- */

static void test_matmul(void)
{
    const int dims[][3] = {{1, 1, 1}, {37, 53, 29}, {64, 130, 70}, {150, 33, 7}, {5, 200, 40}};
    for (size_t di = 0; di < GENC_COUNT(dims); di++)
        for (int tr = 0; tr < 4; tr++) {
            int M = dims[di][0], N = dims[di][1], K = dims[di][2];
            bool ta = tr & 1, tb = tr & 2;
            real *A = rnd((size_t)M * K, -1, 1), *B = rnd((size_t)K * N, -1, 1);
            real *C = zeros((size_t)M * N), *Cr = zeros((size_t)M * N);
            k_matmul(C, A, B, M, N, K, ta, tb);
            ref_matmul(Cr, A, B, M, N, K, ta, tb);
            CHECK_CLOSE(C, Cr, (size_t)M * N, 1e-5, "matmul %dx%dx%d ta=%d tb=%d T=%d", M, N, K,
                        ta, tb, threads_now);
            free(A), free(B), free(C), free(Cr);
        }
}

/* L products with each operand, and the result, led or shared: every
 * path of k_batch_matmul (the stacked GEMMs, the task split over leads,
 * the accumulated sum) */
static void test_batch_matmul(void)
{
    const int dims[][4] = {{1, 3, 4, 5}, {6, 7, 5, 9}, {40, 9, 9, 16}, {3, 33, 2, 17}};
    for (size_t di = 0; di < GENC_COUNT(dims); di++)
        for (int tr = 0; tr < 4; tr++)
            for (int sh = 0; sh < 4; sh++) { /* none, A, B or C shared */
                int L = dims[di][0], M = dims[di][1], N = dims[di][2], K = dims[di][3];
                bool ta = tr & 1, tb = tr & 2, shared[3] = {sh == 1, sh == 2, sh == 3};
                size_t na = (size_t)(shared[0] ? 1 : L) * M * K, nb = (size_t)(shared[1] ? 1 : L) * K * N;
                size_t nc = (size_t)(shared[2] ? 1 : L) * M * N;
                real *A = rnd(na, -1, 1), *B = rnd(nb, -1, 1), *C = rnd(nc, -1, 1), *Cr = zeros(nc);
                k_batch_matmul(C, A, B, L, M, N, K, ta, tb, shared);
                ref_batch_matmul(Cr, A, B, L, M, N, K, ta, tb, shared);
                CHECK_CLOSE(C, Cr, nc, 1e-5, "batch_matmul L=%d %dx%dx%d ta=%d tb=%d shared %d T=%d",
                            L, M, N, K, ta, tb, sh, threads_now);
                free(A), free(B), free(C), free(Cr);
            }
}

/* bilinear upsampling: PyTorch's values on a small case (F.interpolate,
 * scale_factor 2, align_corners False), and its backward as its adjoint:
 * <A x, y> = <x, A^T y> */
static void test_bilinear(void)
{
    const real x[4] = {1, 2, 3, 4}; /* [1, 2, 2] */
    const real want[16] = {1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5,
                           2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4};
    real y[16];
    k_upsample_bilinear_forward(y, x, 1, 2, 2, 2);
    CHECK_CLOSE(y, want, 16, 1e-6, "bilinear 2x2 -> 4x4");
    int planes = 3, H = 5, W = 4, f = 3;
    size_t n = (size_t)planes * H * W, m = n * f * f;
    real *a = rnd(n, -1, 1), *b = rnd(m, -1, 1), *ya = zeros(m), *xb = zeros(n);
    k_upsample_bilinear_forward(ya, a, planes, H, W, f);
    k_upsample_bilinear_backward(xb, b, planes, H, W, f);
    double l = 0, r = 0;
    for (size_t i = 0; i < m; i++) l += (double)ya[i] * b[i];
    for (size_t i = 0; i < n; i++) r += (double)a[i] * xb[i];
    CHECKF(fabs(l - r) <= 1e-4 * fmax(1, fabs(l)), "bilinear adjoint: %g against %g", l, r);
    free(a), free(b), free(ya), free(xb);
}

/* ---- 5. convolution ------------------------------------------------------ */

static const int conv_cases[][13] = {
    /* B, C, H, W, K, R, S, sh, sw, ph, pw, dh, dv */
    {1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 1, 1},
    {3, 2, 7, 9, 4, 3, 3, 1, 1, 1, 1, 1, 1},
    {3, 3, 9, 8, 5, 5, 5, 2, 2, 2, 2, 1, 1},
    {1, 4, 6, 6, 3, 1, 1, 1, 1, 0, 0, 1, 1},  /* 1x1: no im2col */
    {3, 2, 8, 7, 3, 3, 2, 2, 1, 0, 1, 1, 1},  /* mixed strides and paddings */
    {3, 5, 11, 11, 6, 4, 4, 2, 2, 1, 1, 1, 1},
    {3, 1, 28, 28, 8, 5, 5, 2, 2, 2, 2, 1, 1}, /* DCGAN's first layer, fewer channels */
    {1, 3, 4, 4, 2, 4, 4, 2, 2, 0, 0, 1, 1},  /* kernel as large as the input */
    {7, 2, 9, 9, 3, 3, 3, 1, 1, 0, 0, 1, 1},  /* P*Q = 49: 6 images per GEMM, groups 6 + 1 */
    {16, 2, 14, 14, 3, 5, 5, 2, 2, 2, 2, 1, 1}, /* stride 2 to P*Q = 49: groups 6 + 6 + 4 */
    /* (the groups above are the float64 build's im2col; this build runs
     * oneDNN in chunks of 8 images) chunks 8 + 8 + 3; 17 channels, padded
     * to 32 in oneDNN's blocked layouts; K = 5 cut 2 + 3 for two threads'
     * filter gradients; the stride drops the last row and column */
    {19, 17, 8, 8, 5, 3, 3, 2, 2, 0, 0, 1, 1},
    {10, 20, 7, 7, 17, 5, 5, 1, 1, 2, 2, 1, 1}, /* chunks 8 + 2; K = 17: two blocks, one padded */
    {3, 2, 1, 20, 4, 1, 5, 1, 2, 0, 2, 1, 1},   /* conv1d: height 1, a kernel 1x5 */
    {2, 3, 5, 9, 2, 2, 4, 2, 3, 1, 0, 1, 1},    /* a rectangular kernel and stride */
    {3, 2, 9, 9, 3, 3, 3, 1, 1, 2, 2, 2, 2},    /* dilation 2, padding keeping the size */
    {2, 3, 11, 10, 4, 3, 2, 2, 1, 1, 0, 3, 2},  /* dilations and strides that differ */
    {10, 17, 8, 8, 5, 3, 3, 1, 1, 2, 2, 2, 2},  /* oneDNN: chunks 8 + 2, blocked layouts */
    {3, 2, 1, 30, 4, 1, 5, 1, 1, 0, 4, 1, 2},   /* conv1d, dilation 2 */
};

static void test_conv(void)
{
    for (size_t ci = 0; ci < GENC_COUNT(conv_cases); ci++) {
        const int *c = conv_cases[ci];
        KConv g = k_conv_geom(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10],
                              c[11], c[12]);
        size_t nx = (size_t)g.B * g.C * g.H * g.W, ny = (size_t)g.B * g.K * g.P * g.Q;
        size_t nw = (size_t)g.K * g.C * g.R * g.S;
        real *x = rnd(nx, -1, 1), *w = rnd(nw, -1, 1), *dy = rnd(ny, -1, 1);
        real *y = zeros(ny), *yr = zeros(ny), *dx = zeros(nx), *dxr = zeros(nx);
        real *dw = zeros(nw), *dwr = zeros(nw), *dw2 = zeros(nw);
        real *wf = conv_work(&g, K_CONV_FORWARD), *wd = conv_work(&g, K_CONV_BWD_DATA);
        real *wg = conv_work(&g, K_CONV_BWD_FILTER);
        k_conv2d_forward(y, x, w, wf, &g);
        ref_conv2d_forward(yr, x, w, &g);
        CHECK_CLOSE(y, yr, ny, 1e-5, "conv fwd case %zu T=%d", ci, threads_now);
        k_conv2d_bwd_data(dx, dy, w, wd, &g);
        ref_conv2d_bwd_data(dxr, dy, w, &g);
        CHECK_CLOSE(dx, dxr, nx, 1e-5, "conv bwd_data case %zu T=%d", ci, threads_now);
        k_conv2d_bwd_filter(dw, x, dy, wg, &g);
        ref_conv2d_bwd_filter(dwr, x, dy, &g);
        CHECK_CLOSE(dw, dwr, nw, 1e-5, "conv bwd_filter case %zu T=%d", ci, threads_now);
        k_conv2d_bwd_filter(dw2, x, dy, wg, &g);
        CHECK(memcmp(dw, dw2, sizeof(real) * nw) == 0); /* deterministic */
        free(x), free(w), free(dy), free(y), free(yr), free(dx), free(dxr);
        free(dw), free(dwr), free(dw2), free(wf), free(wd), free(wg);
    }
}

static const int deconv_cases[][15] = {
    /* B, C, H, W, K, R, S, sh, sw, ph, pw, oph, opw, dh, dv */
    {1, 2, 3, 3, 3, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1},
    {3, 4, 4, 5, 2, 5, 5, 2, 2, 2, 2, 1, 1, 1, 1},  /* DCGAN-style "same" x2 */
    {3, 3, 7, 7, 2, 4, 4, 2, 2, 1, 1, 0, 0, 1, 1},
    {3, 2, 5, 4, 3, 3, 3, 2, 3, 1, 0, 1, 2, 1, 1},  /* different strides */
    {1, 3, 7, 7, 4, 5, 5, 1, 1, 2, 2, 0, 0, 1, 1},  /* stride 1 "same" */
    {3, 4, 5, 5, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1},  /* 1x1 */
    {3, 2, 12, 12, 3, 5, 5, 2, 2, 2, 2, 1, 1, 1, 1}, /* 2 images per GEMM: groups 2 + 1 */
    {5, 3, 7, 7, 2, 5, 5, 1, 1, 2, 2, 0, 0, 1, 1},  /* 6 per GEMM, B = 5: one short group */
    {9, 18, 7, 7, 3, 5, 5, 2, 2, 2, 2, 1, 1, 1, 1}, /* oneDNN: chunks 8 + 1, 3 outputs (NCHW) */
    {3, 2, 5, 6, 3, 3, 3, 2, 2, 2, 2, 1, 1, 2, 2},  /* dilation 2, "same" x2 */
    {2, 3, 4, 5, 2, 3, 2, 1, 2, 0, 1, 0, 1, 3, 2},  /* dilations that differ */
};

static void test_deconv(void)
{
    for (size_t ci = 0; ci < GENC_COUNT(deconv_cases); ci++) {
        const int *c = deconv_cases[ci];
        int B = c[0], C = c[1], H = c[2], W = c[3], K = c[4], R = c[5], S = c[6];
        KConv g = k_deconv_geom(B, C, H, W, K, R, S, c[7], c[8], c[9], c[10], c[11], c[12],
                                c[13], c[14]);
        size_t nx = (size_t)B * C * H * W, ny = (size_t)B * K * g.H * g.W;
        size_t nw = (size_t)C * K * R * S;
        real *x = rnd(nx, -1, 1), *w = rnd(nw, -1, 1), *dy = rnd(ny, -1, 1);
        real *y = zeros(ny), *yr = zeros(ny), *dx = zeros(nx), *dxr = zeros(nx);
        real *dw = zeros(nw), *dwr = zeros(nw);
        /* a deconv's kernels are the conv kernels of g, roles swapped */
        real *wf = conv_work(&g, K_CONV_BWD_DATA), *wd = conv_work(&g, K_CONV_FORWARD);
        real *wg = conv_work(&g, K_CONV_BWD_FILTER);
        k_deconv2d_forward(y, x, w, wf, &g);
        ref_deconv2d_forward(yr, x, w, B, C, H, W, K, R, S, c[7], c[8], c[9], c[10], c[11],
                             c[12], c[13], c[14]);
        CHECK_CLOSE(y, yr, ny, 1e-5, "deconv fwd case %zu T=%d", ci, threads_now);
        /* its gradients are conv kernels on g (conv2d and conv2d_wgrad
         * nodes); see the f64 gradient check for their agreement with
         * this forward */
        k_conv2d_forward(dx, dy, w, wd, &g);
        ref_conv2d_forward(dxr, dy, w, &g);
        CHECK_CLOSE(dx, dxr, nx, 1e-5, "deconv bwd_data case %zu", ci);
        k_conv2d_bwd_filter(dw, dy, x, wg, &g);
        ref_conv2d_bwd_filter(dwr, dy, x, &g);
        CHECK_CLOSE(dw, dwr, nw, 1e-5, "deconv bwd_filter case %zu", ci);
        free(x), free(w), free(dy), free(y), free(yr), free(dx), free(dxr);
        free(dw), free(dwr), free(wf), free(wd), free(wg);
    }
}

/* ---- 6. normalisation ---------------------------------------------------- */

static void test_norm(void)
{
    const int cases[][3] = {{1, 3, 7}, {3, 5, 1}, {3, 130, 1}, {64, 7, 49}, {2, 1, 2}};
    for (size_t ci = 0; ci < GENC_COUNT(cases); ci++) {
        int B = cases[ci][0], C = cases[ci][1], S = cases[ci][2];
        size_t n = (size_t)B * C * S;
        real *x = rnd(n, -3, 5), *y = zeros(n), *yr = zeros(n), *dy = rnd(n, -1, 1);
        real *inv = zeros(B + C), *invr = zeros(B + C), *rm = rnd(C, 0, 1), *rv = rnd(C, 1, 2);
        real *rm2 = zeros(C), *rv2 = zeros(C), *dx = zeros(n), *dxr = zeros(n);
        memcpy(rm2, rm, sizeof(real) * C);
        memcpy(rv2, rv, sizeof(real) * C);
        k_bn_forward_train(y, inv, rm, rv, x, B, C, S, 1e-5, 0.1);
        ref_bn_forward_train(yr, invr, rm2, rv2, x, B, C, S, 1e-5, 0.1);
        CHECK_CLOSE(y, yr, n, 1e-5, "bn train case %zu", ci);
        CHECK_CLOSE(inv, invr, C, 1e-6, "bn invstd case %zu", ci);
        CHECK_CLOSE(rm, rm2, C, 1e-6, "bn running mean case %zu", ci);
        CHECK_CLOSE(rv, rv2, C, 1e-6, "bn running var case %zu", ci);
        k_bn_backward(dx, dy, y, inv, B, C, S);
        ref_bn_backward(dxr, dy, y, inv, B, C, S);
        CHECK_CLOSE(dx, dxr, n, 1e-5, "bn backward case %zu", ci);
        k_bn_forward_eval(y, x, rm, rv, B, C, S, 1e-5);
        ref_bn_forward_eval(yr, x, rm, rv, B, C, S, 1e-5);
        CHECK_CLOSE(y, yr, n, 1e-6, "bn eval case %zu", ci);
        /* layer norm over C*S per example */
        int ln = C * S;
        k_ln_forward(y, inv, x, B, ln, 1e-5);
        ref_ln_forward(yr, invr, x, B, ln, 1e-5);
        CHECK_CLOSE(y, yr, n, 1e-5, "ln forward case %zu", ci);
        CHECK_CLOSE(inv, invr, B, 1e-6, "ln invstd case %zu", ci);
        k_ln_backward(dx, dy, y, inv, B, ln);
        ref_ln_backward(dxr, dy, y, inv, B, ln);
        CHECK_CLOSE(dx, dxr, n, 1e-5, "ln backward case %zu", ci);
        free(x), free(y), free(yr), free(dy), free(inv), free(invr), free(rm), free(rv);
        free(rm2), free(rv2), free(dx), free(dxr);
    }
    /* a large mean must not cost the variance its digits */
    real x[4] = {10000.5f, 10001.5f, 10000.5f, 10001.5f}, y[4], inv[1], rm[1] = {0}, rv[1] = {1};
    k_bn_forward_train(y, inv, rm, rv, x, 4, 1, 1, 0, 1);
    CHECK_NEAR(inv[0], 2.0, 1e-6);
    CHECK_NEAR(rv[0], 0.25 * 4 / 3, 1e-6);
}

/* Spectral norm's power iteration against matrices whose largest singular
 * value is known: a rank-one a b^T (|a| |b|, found by the first
 * iteration) and, in a deconv's layout (rows on the second axis), one
 * whose rows are orthogonal with norms 3, 2, 1 (3, approached at the rate
 * (2/3)^2 per iteration). The gradient is u v^T, here a b^T / (|a| |b|). */
static void test_spectral_norm(void)
{
    real a[3] = {1, -2, 2}, b[4] = {0.5f, 0.5f, -0.5f, 0.5f}, w[12], uv[7], dw[12];
    for (int j = 0; j < 3; j++)
        for (int r = 0; r < 4; r++) w[j * 4 + r] = a[j] * b[r];
    for (int i = 0; i < 7; i++) uv[i] = 1;
    CHECK_NEAR(k_spectral_sigma(w, 1, 3, 4, uv, true), 3.0, 1e-6);
    CHECK_NEAR(k_spectral_sigma(w, 1, 3, 4, uv, false), 3.0, 1e-6);
    k_spectral_sigma_backward(dw, 2, 1, 3, 4, uv);
    for (int k = 0; k < 12; k++) CHECK_NEAR(dw[k], 2 * w[k] / 3, 1e-6);
    /* w [d0 = 2, rows = 3, rest = 2]: row j of M is (w[0, j, :], w[1, j, :]) */
    real v[18] = {0};
    const real rows[3][4] = {{3, 0, 0, 0}, {0, 2, 0, 0}, {0, 0, 1, 0}};
    for (int j = 0; j < 3; j++)
        for (int i = 0; i < 2; i++)
            for (int r = 0; r < 2; r++) v[(i * 3 + j) * 2 + r] = rows[j][i * 2 + r];
    real st[7] = {1, 1, 1, 1, 1, 1, 1};
    real sigma = 0;
    for (int it = 0; it < 60; it++) sigma = k_spectral_sigma(v, 2, 3, 2, st, true);
    CHECK_NEAR(sigma, 3.0, 1e-5);
    CHECK_NEAR(fabs(st[0]), 1.0, 1e-5); /* u: the first row's direction */
}

/* ---- 7. dropout ------------------------------------------------------------ */

static void test_dropout(void)
{
    int n = 100003;
    real *x = rnd(n, -1, 1), *y = zeros(n), *yr = zeros(n), *y2 = zeros(n);
    k_dropout(y, x, n, 0.3, 7, 2);
    ref_dropout(yr, x, n, 0.3, 7, 2);
    CHECK_CLOSE(y, yr, n, 0, "dropout");
    int kept = 0;
    for (int i = 0; i < n; i++) kept += y[i] != 0;
    CHECK_NEAR(kept / (double)n, 0.7, 0.01);
    k_dropout(y2, x, n, 0.3, 7, 3); /* another stream: another mask */
    CHECK(memcmp(y, y2, sizeof(real) * n) != 0);
    k_dropout(y2, x, n, 0, 7, 2);
    CHECK(memcmp(x, y2, sizeof(real) * n) == 0);
    k_dropout(y2, x, n, 1, 7, 2);
    CHECK(y2[0] == 0 && y2[n - 1] == 0);
    free(x), free(y), free(yr), free(y2);
}

/* ---- 8. pooling ------------------------------------------------------------ */

static void test_pool(void)
{
    const int cases[][7] = {
        /* B, C, H, W, k, stride, pad */
        {1, 1, 4, 4, 2, 2, 0}, {3, 2, 7, 9, 2, 2, 0}, {3, 2, 7, 7, 3, 2, 1},
        {1, 3, 5, 6, 3, 1, 1}, {3, 1, 9, 9, 3, 3, 0}, {3, 2, 6, 5, 2, 1, 1},
    };
    for (size_t ci = 0; ci < GENC_COUNT(cases); ci++) {
        const int *c = cases[ci];
        KPool g = k_pool_geom(c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
        size_t nx = (size_t)g.B * g.C * g.H * g.W, ny = (size_t)g.B * g.C * g.P * g.Q;
        real *x = rnd(nx, -1, 1), *dy = rnd(ny, -1, 1);
        real *y = zeros(ny), *yr = zeros(ny), *dx = zeros(nx), *dxr = zeros(nx);
        if (ci == 0) /* ties: the first maximum wins */
            for (size_t i = 0; i < nx; i++) x[i] = (real)(i % 3 == 0);
        k_maxpool2d_forward(y, x, &g);
        ref_maxpool2d_forward(yr, x, &g);
        CHECK_CLOSE(y, yr, ny, 0, "maxpool case %zu", ci);
        k_maxpool2d_backward(dx, dy, x, &g);
        ref_maxpool2d_backward(dxr, dy, x, &g);
        CHECK_CLOSE(dx, dxr, nx, 1e-7, "maxpool backward case %zu", ci);
        /* pick is the backward's adjoint: <pick(gx), dy> = <gx, backward(dy)> */
        real *gx = rnd(nx, -1, 1);
        k_maxpool2d_pick(y, gx, x, &g);
        ref_maxpool2d_pick(yr, gx, x, &g);
        CHECK_CLOSE(y, yr, ny, 0, "maxpool pick case %zu", ci);
        double lhs = 0, rhs = 0;
        for (size_t i = 0; i < ny; i++) lhs += (double)y[i] * dy[i];
        for (size_t i = 0; i < nx; i++) rhs += (double)gx[i] * dx[i];
        CHECKF(fabs(lhs - rhs) <= 1e-5 * (1 + fabs(rhs)), "maxpool pick case %zu: <pick(g), dy> %g, "
               "<g, backward(dy)> %g", ci, lhs, rhs);
        free(gx);
        k_avgpool2d_forward(y, x, &g);
        ref_avgpool2d_forward(yr, x, &g);
        CHECK_CLOSE(y, yr, ny, 1e-6, "avgpool case %zu", ci);
        k_avgpool2d_backward(dx, dy, &g);
        ref_avgpool2d_backward(dxr, dy, &g);
        CHECK_CLOSE(dx, dxr, nx, 1e-6, "avgpool backward case %zu", ci);
        free(x), free(dy), free(y), free(yr), free(dx), free(dxr);
    }
    const int ups[][4] = {{1, 1, 1, 2}, {6, 3, 5, 2}, {3, 4, 3, 3}, {2, 2, 2, 1}};
    for (size_t ci = 0; ci < GENC_COUNT(ups); ci++) {
        int pl = ups[ci][0], H = ups[ci][1], W = ups[ci][2], f = ups[ci][3];
        size_t nx = (size_t)pl * H * W, ny = nx * f * f;
        real *x = rnd(nx, -1, 1), *dy = rnd(ny, -1, 1);
        real *y = zeros(ny), *yr = zeros(ny), *dx = zeros(nx), *dxr = zeros(nx);
        k_upsample_nearest_forward(y, x, pl, H, W, f);
        ref_upsample_nearest_forward(yr, x, pl, H, W, f);
        CHECK_CLOSE(y, yr, ny, 0, "upsample case %zu", ci);
        k_upsample_nearest_backward(dx, dy, pl, H, W, f);
        ref_upsample_nearest_backward(dxr, dy, pl, H, W, f);
        CHECK_CLOSE(dx, dxr, nx, 1e-6, "upsample backward case %zu", ci);
        free(x), free(dy), free(y), free(yr), free(dx), free(dxr);
    }
}

/* ---- 9. softmax ------------------------------------------------------------ */

static void test_softmax(void)
{
    const int cases[][2] = {{1, 1}, {3, 10}, {64, 10}, {5, 1001}};
    for (size_t ci = 0; ci < GENC_COUNT(cases); ci++) {
        int rows = cases[ci][0], n = cases[ci][1];
        size_t N = (size_t)rows * n;
        real *x = rnd(N, -10, 10), *dy = rnd(N, -1, 1);
        real *y = zeros(N), *yr = zeros(N), *dx = zeros(N), *dxr = zeros(N);
        x[0] = 500; /* no overflow */
        k_softmax(y, x, rows, n);
        ref_softmax(yr, x, rows, n);
        CHECK_CLOSE(y, yr, N, 1e-6, "softmax case %zu", ci);
        k_softmax_backward(dx, dy, y, rows, n);
        ref_softmax_backward(dxr, dy, y, rows, n);
        CHECK_CLOSE(dx, dxr, N, 1e-6, "softmax backward case %zu", ci);
        k_log_softmax(y, x, rows, n);
        ref_log_softmax(yr, x, rows, n);
        CHECK_CLOSE(y, yr, N, 1e-6, "log_softmax case %zu", ci);
        k_log_softmax_backward(dx, dy, y, rows, n);
        ref_log_softmax_backward(dxr, dy, y, rows, n);
        CHECK_CLOSE(dx, dxr, N, 1e-5, "log_softmax backward case %zu", ci);
        free(x), free(dy), free(y), free(yr), free(dx), free(dxr);
    }
}

/* ---- 10. losses ------------------------------------------------------------ */

static void test_loss(void)
{
    int n = 1001;
    real *p = rnd(n, 0, 1), *t = rnd(n, 0, 1), *a = rnd(n, -30, 30), *dy = rnd(n, -1, 1);
    real *l = zeros(n), *lr = zeros(n), *d = zeros(n), *d2 = zeros(n);
    p[0] = 0, p[1] = 1, t[2] = 0, t[3] = 1; /* the clamps */
    k_bce(l, p, t, n);
    ref_bce(lr, p, t, n);
    CHECK_CLOSE(l, lr, n, 1e-5, "bce");
    CHECK(l[0] <= 100 * t[0] + 1e-3 && isfinite(l[1]));
    k_bce_grad(d, dy, p, t, n);
    bool finite = true;
    for (int i = 0; i < n; i++) finite &= isfinite(d[i]);
    CHECK(finite);
    for (int i = 2; i < n; i++) d2[i] = (real)(dy[i] * (-t[i] / p[i] + (1 - t[i]) / (1 - p[i])));
    d2[0] = d[0], d2[1] = d[1];
    CHECK_CLOSE(d, d2, n, 1e-4, "bce_grad");
    ref_bce_grad(d2, dy, p, t, n); /* the clamps too */
    CHECK_CLOSE(d, d2, n, 1e-4, "bce_grad against its reference");
    k_bce_logits(l, a, t, n);
    ref_bce_logits(lr, a, t, n);
    CHECK_CLOSE(l, lr, n, 1e-5, "bce_logits");
    k_bce_logits_grad(d, dy, a, t, n);
    ref_bce_logits_grad(d2, dy, a, t, n);
    CHECK_CLOSE(d, d2, n, 1e-6, "bce_logits_grad");
    real *mu = rnd(n, -2, 2), *lv = rnd(n, -3, 2);
    k_kl_normal(l, mu, lv, n);
    ref_kl_normal(lr, mu, lv, n);
    CHECK_CLOSE(l, lr, n, 1e-6, "kl_normal");
    free(p), free(t), free(a), free(dy), free(l), free(lr), free(d), free(d2), free(mu), free(lv);
}

/* ---- 11. layout and lookup ----------------------------------------------- */

static void test_misc(void)
{
    int outer = 3, inner = 5, s1 = 2, s2 = 4, s3 = 1, tot = 7;
    real *x1 = rnd(outer * s1 * inner, -1, 1), *x2 = rnd(outer * s2 * inner, -1, 1);
    real *x3 = rnd(outer * s3 * inner, -1, 1), *y = zeros(outer * tot * inner);
    const real *xs[] = {x1, x2, x3};
    int sizes[] = {s1, s2, s3};
    k_concat(y, xs, sizes, 3, outer, inner);
    real *back = zeros(outer * s2 * inner), *pad = zeros(outer * tot * inner);
    k_slice(back, y, outer, tot, s1, s2, inner);
    CHECK(memcmp(back, x2, sizeof(real) * outer * s2 * inner) == 0);
    bool ok = true;
    for (int o = 0; o < outer; o++)
        for (int i = 0; i < inner; i++) {
            ok &= y[(o * tot + 0) * inner + i] == x1[(o * s1 + 0) * inner + i];
            ok &= y[(o * tot + 6) * inner + i] == x3[o * inner + i];
        }
    CHECK(ok);
    /* the references agree exactly: both move values */
    ref_concat(pad, xs, sizes, 3, outer, inner);
    CHECK(memcmp(pad, y, sizeof(real) * outer * tot * inner) == 0);
    ref_slice(back, y, outer, tot, s1, s2, inner);
    CHECK(memcmp(back, x2, sizeof(real) * outer * s2 * inner) == 0);

    /* permute: against the reference, and a permutation then its inverse */
    const struct { int B, nd, dims[4], perm[4]; } pc[] = {
        {2, 3, {3, 4, 5}, {2, 0, 1}}, {3, 4, {5, 1, 4, 2}, {3, 1, 0, 2}},
        {1, 2, {7, 6}, {1, 0}},       {4, 4, {2, 3, 2, 2}, {0, 3, 2, 1}},
    };
    for (size_t pi = 0; pi < GENC_COUNT(pc); pi++) {
        int B = pc[pi].B, nd = pc[pi].nd, inv[4], yd[4], ex = 1;
        for (int i = 0; i < nd; i++)
            ex *= pc[pi].dims[i], inv[pc[pi].perm[i]] = i, yd[i] = pc[pi].dims[pc[pi].perm[i]];
        size_t n = (size_t)B * ex;
        real *px = rnd(n, -1, 1), *py = zeros(n), *pr = zeros(n), *pb = zeros(n);
        k_permute(py, px, B, nd, pc[pi].dims, pc[pi].perm);
        ref_permute(pr, px, B, nd, pc[pi].dims, pc[pi].perm);
        CHECK(memcmp(py, pr, sizeof(real) * n) == 0);
        k_permute(pb, py, B, nd, yd, inv);
        CHECK(memcmp(pb, px, sizeof(real) * n) == 0);
        free(px), free(py), free(pr), free(pb);
    }

    int n = 13, V = 5, D = 3;
    real ids[13], *table = rnd(V * D, -1, 1), *e = zeros(n * D), *dy = rnd(n * D, -1, 1);
    real *dt = zeros(V * D), *dtr = zeros(V * D), *oh = zeros(n * V);
    for (int i = 0; i < n; i++) ids[i] = (real)(i * 7 % V);
    CHECK(k_embedding(e, ids, table, n, V, D) == 0);
    CHECK(e[4 * D + 1] == table[(int)ids[4] * D + 1]);
    real *er = zeros(n * D), *ohr = zeros(n * V);
    CHECK(ref_embedding(er, ids, table, n, V, D) == 0 && memcmp(e, er, sizeof(real) * n * D) == 0);
    CHECK(k_embedding_backward(dt, dy, ids, n, V, D) == 0);
    ref_embedding_backward(dtr, dy, ids, n, V, D);
    CHECK_CLOSE(dt, dtr, V * D, 1e-6, "embedding_backward");
    CHECK(k_onehot(oh, ids, n, V) == 0);
    CHECK(oh[3 * V + (int)ids[3]] == 1 && oh[3 * V + ((int)ids[3] + 1) % V] == 0);
    CHECK(ref_onehot(ohr, ids, n, V) == 0 && memcmp(oh, ohr, sizeof(real) * n * V) == 0);
    ids[2] = 5, ids[3] = -1, ids[4] = 1.5;
    CHECK(k_onehot(oh, ids, n, V) == 3 && ref_onehot(ohr, ids, n, V) == 3);
    CHECK(memcmp(oh, ohr, sizeof(real) * n * V) == 0);
    CHECK(k_embedding(e, ids, table, n, V, D) == 3 && e[2 * D] == 0);
    CHECK(ref_embedding(er, ids, table, n, V, D) == 3 && memcmp(e, er, sizeof(real) * n * D) == 0);
    CHECK(k_embedding_backward(dt, dy, ids, n, V, D) == 3 &&
          ref_embedding_backward(dtr, dy, ids, n, V, D) == 3);
    free(er), free(ohr);
    free(x1), free(x2), free(x3), free(y), free(back), free(pad);
    free(table), free(e), free(dy), free(dt), free(dtr), free(oh);
}

/* ---- the pool ------------------------------------------------------------ */

typedef struct PoolCount {
    int hits[100];
    int nested[100];
} PoolCount;

static void pool_inner(void *ctx, int t) { ((int *)ctx)[t]++; }

static void pool_outer(void *ctx, int t)
{
    PoolCount *pc = ctx;
    pc->hits[t]++;
    int inner[3] = {0};
    pool_for(3, pool_inner, inner); /* runs inline */
    pc->nested[t] = inner[0] + inner[1] + inner[2];
}

static void test_pool_for(void)
{
    for (int rep = 0; rep < 200; rep++) {
        PoolCount pc = {{0}, {0}};
        int nt = 1 + rep % 100;
        pool_for(nt, pool_outer, &pc);
        bool ok = true;
        for (int t = 0; t < 100; t++) ok &= pc.hits[t] == (t < nt) && pc.nested[t] == 3 * (t < nt);
        CHECK(ok);
    }
}

/* Two runs on the same thread count are bit-identical. */
static void test_determinism(void)
{
    KConv g = k_conv_geom(7, 3, 12, 12, 8, 5, 5, 2, 2, 2, 2, 1, 1);
    size_t nx = (size_t)g.B * g.C * g.H * g.W, ny = (size_t)g.B * g.K * g.P * g.Q;
    size_t nw = (size_t)g.K * g.C * g.R * g.S;
    real *x = rnd(nx, -1, 1), *dy = rnd(ny, -1, 1), *dw1 = zeros(nw), *dw2 = zeros(nw);
    real *work = conv_work(&g, K_CONV_BWD_FILTER);
    real *s1 = zeros(8), *s2 = zeros(8), *bn1 = zeros(nx), *bn2 = zeros(nx), *inv = zeros(3);
    real *rm = zeros(3), *rv = zeros(3);
    int xs[] = {7, 8, 6, 6}, ys[] = {8, 1, 1};
    bool same = true;
    k_conv2d_bwd_filter(dw1, x, dy, work, &g);
    k_sum_to(s1, ys, 3, dy, xs, 4);
    k_bn_forward_train(bn1, inv, rm, rv, x, g.B, g.C, g.H * g.W, 1e-5, 0.1);
    for (int rep = 0; rep < 20; rep++) {
        k_conv2d_bwd_filter(dw2, x, dy, work, &g);
        k_sum_to(s2, ys, 3, dy, xs, 4);
        k_bn_forward_train(bn2, inv, rm, rv, x, g.B, g.C, g.H * g.W, 1e-5, 0.1);
        same &= memcmp(dw1, dw2, sizeof(real) * nw) == 0;
        same &= memcmp(s1, s2, sizeof(real) * 8) == 0;
        same &= memcmp(bn1, bn2, sizeof(real) * nx) == 0;
    }
    CHECKF(same, "results differ between runs on %d threads", threads_now);
    free(x), free(dy), free(dw1), free(dw2), free(work), free(s1), free(s2);
    free(bn1), free(bn2), free(inv), free(rm), free(rv);
}

static void run_all(int threads, double min_work)
{
    pool_init(threads);
    k_set_par_min_work(min_work);
    threads_now = threads;
    test_pool_for();
    test_unary();
    test_broadcast();
    test_matmul();
    test_batch_matmul();
    test_bilinear();
    test_conv();
    test_deconv();
    test_norm();
    test_spectral_norm();
    test_dropout();
    test_pool();
    test_softmax();
    test_loss();
    test_misc();
    test_determinism();
}

/* ---- benchmark (--bench) ------------------------------------------------- */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void nop_task(void *ctx, int t) { (void)ctx, (void)t; }

static void bench_handoff(void)
{
    pool_init(2);
    double t0 = now();
    int reps = 20000;
    for (int i = 0; i < reps; i++) pool_for(2, nop_task, NULL);
    double hot = (now() - t0) / reps;
    double cold = 0;
    for (int i = 0; i < 2000; i++) {
        double t1 = now();
        while (now() - t1 < 200e-6) {} /* long enough for the worker to sleep */
        t1 = now();
        pool_for(2, nop_task, NULL);
        cold += now() - t1;
    }
    printf("pool hand-off, empty 2-task job: back to back %.2f us, after 200 us idle %.2f us\n",
           hot * 1e6, cold / 2000 * 1e6);
}

typedef struct BenchLayer {
    const char *name;
    bool deconv;
    int B, C, H, W, K, R, S, s, p, op;
} BenchLayer;

static void bench_layers(int threads)
{
    static const BenchLayer layers[] = {
        {"conv   1->64  5x5 s2 28->14", false, 64, 1, 28, 28, 64, 5, 5, 2, 2, 0},
        {"conv  64->128 5x5 s2 14->7 ", false, 64, 64, 14, 14, 128, 5, 5, 2, 2, 0},
        {"deconv 256->128 5x5 s1 7->7", true, 64, 256, 7, 7, 128, 5, 5, 1, 2, 0},
        {"deconv 128->64 5x5 s2 7->14", true, 64, 128, 7, 7, 64, 5, 5, 2, 2, 1},
        {"deconv 64->1  5x5 s2 14->28", true, 64, 64, 14, 14, 1, 5, 5, 2, 2, 1},
    };
    pool_init(threads);
    k_set_par_min_work(0);
    double tot_flops = 0, tot_time = 0;
    for (size_t li = 0; li < GENC_COUNT(layers); li++) {
        const BenchLayer *L = &layers[li];
        KConv g = L->deconv ? k_deconv_geom(L->B, L->C, L->H, L->W, L->K, L->R, L->S, L->s,
                                            L->s, L->p, L->p, L->op, L->op, 1, 1)
                            : k_conv_geom(L->B, L->C, L->H, L->W, L->K, L->R, L->S, L->s,
                                          L->s, L->p, L->p, 1, 1);
        size_t nin = (size_t)g.B * g.C * g.H * g.W, nout = (size_t)g.B * g.K * g.P * g.Q;
        size_t nw = (size_t)g.K * g.C * g.R * g.S;
        real *in = rnd(nin, -1, 1), *out = rnd(nout, -1, 1), *w = rnd(nw, -1, 1);
        real *din = zeros(nin), *dout = zeros(nout), *dw = zeros(nw);
        real *wk[3]; /* by KConvKind */
        for (KConvKind k = K_CONV_FORWARD; k <= K_CONV_BWD_FILTER; k++) wk[k] = conv_work(&g, k);
        double flops = 2.0 * g.B * g.K * g.C * g.R * g.S * g.P * g.Q; /* per pass */
        double best[3] = {1e9, 1e9, 1e9};
        for (int rep = 0; rep < 5; rep++) {
            double t[4];
            t[0] = now();
            if (L->deconv) {
                /* deconv's x is the conv's output side, y its input side */
                k_deconv2d_forward(in, out, w, wk[K_CONV_BWD_DATA], &g);
                t[1] = now();
                k_conv2d_forward(dout, din, w, wk[K_CONV_FORWARD], &g);
                t[2] = now();
                k_conv2d_bwd_filter(dw, din, out, wk[K_CONV_BWD_FILTER], &g);
            } else {
                k_conv2d_forward(out, in, w, wk[K_CONV_FORWARD], &g);
                t[1] = now();
                k_conv2d_bwd_data(din, dout, w, wk[K_CONV_BWD_DATA], &g);
                t[2] = now();
                k_conv2d_bwd_filter(dw, in, dout, wk[K_CONV_BWD_FILTER], &g);
            }
            t[3] = now();
            for (int k = 0; k < 3; k++) best[k] = fmin(best[k], t[k + 1] - t[k]);
        }
        double all = best[0] + best[1] + best[2];
        printf("  %s  fwd %6.2f ms %5.1f GF/s  bwd_data %6.2f ms %5.1f GF/s  bwd_filter %6.2f ms "
               "%5.1f GF/s  total %5.1f GF/s\n",
               L->name, best[0] * 1e3, flops / best[0] * 1e-9, best[1] * 1e3,
               flops / best[1] * 1e-9, best[2] * 1e3, flops / best[2] * 1e-9,
               3 * flops / all * 1e-9);
        tot_flops += 3 * flops;
        tot_time += all;
        free(in), free(out), free(w), free(din), free(dout), free(dw);
        for (int k = 0; k < 3; k++) free(wk[k]);
    }
    printf("  all five layers, forward + both backward: %.1f ms, %.1f GFLOP/s\n", tot_time * 1e3,
           tot_flops / tot_time * 1e-9);
}

static void bench_gemm(int threads)
{
    pool_init(threads);
    k_set_par_min_work(0);
    int n = 1024;
    real *A = rnd((size_t)n * n, -1, 1), *B = rnd((size_t)n * n, -1, 1), *C = zeros((size_t)n * n);
    double best = 1e9;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now();
        k_matmul(C, A, B, n, n, n, false, false);
        best = fmin(best, now() - t0);
    }
    printf("  k_matmul %dx%dx%d: %.1f GFLOP/s\n", n, n, n, 2.0 * n * n * n / best * 1e-9);
    free(A), free(B), free(C);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--bench") == 0) {
        printf("genc kernels (%s), DCGAN layers at B = 64, best of 5\n", REAL_NAME);
        bench_handoff();
        for (int t = 1; t <= 2; t++) {
            printf("%d thread%s:\n", t, t > 1 ? "s" : "");
            bench_gemm(t);
            bench_layers(t);
        }
        pool_shutdown();
        return 0;
    }
    run_all(1, 0);
    run_all(2, 1);
    pool_shutdown();
    return check_done("test_kernels");
}
