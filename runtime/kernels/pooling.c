/* pooling.c: max and average pooling, nearest upsampling, and their
 * gradients. Planes (one channel of one example) are split over the pool;
 * a gradient's overlapping windows are added in scan order within a plane,
 * so the result is deterministic. */
#include "kernels/kernels_impl.h"

#include <string.h>

KPool k_pool_geom(int B, int C, int H, int W, int k, int stride, int pad)
{
    GENC_ASSERT(k > 0 && stride > 0 && pad >= 0 && pad <= k / 2);
    GENC_ASSERT(H + 2 * pad >= k && W + 2 * pad >= k);
    KPool g = {B, C, H, W, k, stride, pad, 0, 0};
    g.P = (H + 2 * pad - k) / stride + 1;
    g.Q = (W + 2 * pad - k) / stride + 1;
    return g;
}

typedef struct PoolJob {
    const KPool *g;
    real *out;
    const real *in, *x;
    bool max;
    int H, W, f; /* upsampling */
} PoolJob;

/* The window of output (p, q) clipped to the image: rows [h0,h1), cols [w0,w1) */
static void pool_window(const KPool *g, int p, int q, int *h0, int *h1, int *w0, int *w1)
{
    *h0 = p * g->stride - g->pad;
    *w0 = q * g->stride - g->pad;
    *h1 = *h0 + g->k < g->H ? *h0 + g->k : g->H;
    *w1 = *w0 + g->k < g->W ? *w0 + g->k : g->W;
    if (*h0 < 0) *h0 = 0;
    if (*w0 < 0) *w0 = 0;
}

/* argmax of a window: the first maximum in scan order (pad <= k/2 makes
 * every window contain at least one pixel) */
static int pool_argmax(const real *x, int W, int h0, int h1, int w0, int w1)
{
    int best = h0 * W + w0;
    for (int h = h0; h < h1; h++)
        for (int w = w0; w < w1; w++)
            if (x[h * W + w] > x[best]) best = h * W + w;
    return best;
}

static void pool_forward_range(void *vj, long lo, long hi)
{
    const PoolJob *j = vj;
    const KPool *g = j->g;
    size_t xs = (size_t)g->H * g->W, ys = (size_t)g->P * g->Q;
    real inv = (real)1 / (real)(g->k * g->k);
    for (long pl = lo; pl < hi; pl++) {
        const real *x = j->in + pl * xs;
        real *y = j->out + pl * ys;
        for (int p = 0; p < g->P; p++)
            for (int q = 0; q < g->Q; q++) {
                int h0, h1, w0, w1;
                pool_window(g, p, q, &h0, &h1, &w0, &w1);
                if (j->max) {
                    y[p * g->Q + q] = x[pool_argmax(x, g->W, h0, h1, w0, w1)];
                } else {
                    real s = 0;
                    for (int h = h0; h < h1; h++)
                        for (int w = w0; w < w1; w++) s += x[h * g->W + w];
                    y[p * g->Q + q] = s * inv;
                }
            }
    }
}

static void pool_backward_range(void *vj, long lo, long hi)
{
    const PoolJob *j = vj;
    const KPool *g = j->g;
    size_t xs = (size_t)g->H * g->W, ys = (size_t)g->P * g->Q;
    real inv = (real)1 / (real)(g->k * g->k);
    for (long pl = lo; pl < hi; pl++) {
        const real *dy = j->in + pl * ys;
        real *dx = j->out + pl * xs;
        memset(dx, 0, sizeof(real) * xs);
        for (int p = 0; p < g->P; p++)
            for (int q = 0; q < g->Q; q++) {
                int h0, h1, w0, w1;
                pool_window(g, p, q, &h0, &h1, &w0, &w1);
                real d = dy[p * g->Q + q];
                if (j->max) {
                    dx[pool_argmax(j->x + pl * xs, g->W, h0, h1, w0, w1)] += d;
                } else {
                    for (int h = h0; h < h1; h++)
                        for (int w = w0; w < w1; w++) dx[h * g->W + w] += d * inv;
                }
            }
    }
}

static void pool_run(KRangeFn fn, const KPool *g, real *out, const real *in,
                     const real *x, bool max)
{
    PoolJob j = {.g = g, .out = out, .in = in, .x = x, .max = max};
    k_par_range((long)g->B * g->C, 1.0 * g->P * g->Q * g->k * g->k, fn, &j);
}

void k_maxpool2d_forward(real *y, const real *x, const KPool *g)
{
    pool_run(pool_forward_range, g, y, x, NULL, true);
}

void k_maxpool2d_backward(real *dx, const real *dy, const real *x, const KPool *g)
{
    pool_run(pool_backward_range, g, dx, dy, x, true);
}

static void pool_pick_range(void *vj, long lo, long hi)
{
    const PoolJob *j = vj;
    const KPool *g = j->g;
    size_t xs = (size_t)g->H * g->W, ys = (size_t)g->P * g->Q;
    for (long pl = lo; pl < hi; pl++) {
        const real *gx = j->in + pl * xs, *x = j->x + pl * xs;
        real *y = j->out + pl * ys;
        for (int p = 0; p < g->P; p++)
            for (int q = 0; q < g->Q; q++) {
                int h0, h1, w0, w1;
                pool_window(g, p, q, &h0, &h1, &w0, &w1);
                y[p * g->Q + q] = gx[pool_argmax(x, g->W, h0, h1, w0, w1)];
            }
    }
}

void k_maxpool2d_pick(real *y, const real *gx, const real *x, const KPool *g)
{
    pool_run(pool_pick_range, g, y, gx, x, true);
}

void k_avgpool2d_forward(real *y, const real *x, const KPool *g)
{
    pool_run(pool_forward_range, g, y, x, NULL, false);
}

void k_avgpool2d_backward(real *dx, const real *dy, const KPool *g)
{
    pool_run(pool_backward_range, g, dx, dy, NULL, false);
}

/* ---- nearest upsampling ------------------------------------------------ */

static void upsample_forward_range(void *vj, long lo, long hi)
{
    const PoolJob *j = vj;
    int H = j->H, W = j->W, f = j->f, Wf = W * f;
    for (long pl = lo; pl < hi; pl++) {
        const real *x = j->in + pl * (size_t)H * W;
        real *y = j->out + pl * (size_t)H * W * f * f;
        for (int h = 0; h < H; h++) {
            real *row = y + (size_t)h * f * Wf;
            for (int w = 0; w < W; w++)
                for (int k = 0; k < f; k++) row[w * f + k] = x[h * W + w];
            for (int k = 1; k < f; k++) memcpy(row + (size_t)k * Wf, row, sizeof(real) * Wf);
        }
    }
}

static void upsample_backward_range(void *vj, long lo, long hi)
{
    const PoolJob *j = vj;
    int H = j->H, W = j->W, f = j->f, Wf = W * f;
    for (long pl = lo; pl < hi; pl++) {
        const real *dy = j->in + pl * (size_t)H * W * f * f;
        real *dx = j->out + pl * (size_t)H * W;
        for (int h = 0; h < H; h++)
            for (int w = 0; w < W; w++) {
                real s = 0;
                for (int a = 0; a < f; a++)
                    for (int b = 0; b < f; b++) s += dy[((size_t)h * f + a) * Wf + w * f + b];
                dx[h * W + w] = s;
            }
    }
}

void k_upsample_nearest_forward(real *y, const real *x, int planes, int H, int W, int f)
{
    GENC_ASSERT(f >= 1);
    PoolJob j = {.out = y, .in = x, .H = H, .W = W, .f = f};
    k_par_range(planes, 0.5 * H * W * f * f, upsample_forward_range, &j);
}

void k_upsample_nearest_backward(real *dx, const real *dy, int planes, int H, int W, int f)
{
    GENC_ASSERT(f >= 1);
    PoolJob j = {.out = dx, .in = dy, .H = H, .W = W, .f = f};
    k_par_range(planes, 0.7 * H * W * f * f, upsample_backward_range, &j);
}

/* Output position o of an axis upsampled f times from n: the input
 * positions i0 <= i1 around its centre and i1's weight. */
static void bilinear_tap(int o, int n, int f, int *i0, int *i1, real *w1)
{
    double src = (o + 0.5) / f - 0.5;
    if (src < 0) src = 0;
    *i0 = (int)src;
    if (*i0 > n - 1) *i0 = n - 1;
    *i1 = *i0 + (*i0 < n - 1);
    *w1 = (real)(src - *i0);
}

/* y = A x (adjoint: dx = A^T dy) for every plane */
static void bilinear(real *y, const real *x, int planes, int H, int W, int f, bool adjoint)
{
    int P = H * f, Q = W * f;
    if (adjoint) memset(y, 0, sizeof(real) * (size_t)planes * H * W);
    for (int64_t c = 0; c < planes; c++) {
        const real *xc = x + c * (adjoint ? (int64_t)P * Q : (int64_t)H * W);
        real *yc = y + c * (adjoint ? (int64_t)H * W : (int64_t)P * Q);
        for (int p = 0; p < P; p++) {
            int r0, r1, s0, s1;
            real wr, ws;
            bilinear_tap(p, H, f, &r0, &r1, &wr);
            for (int q = 0; q < Q; q++) {
                bilinear_tap(q, W, f, &s0, &s1, &ws);
                int at[4] = {r0 * W + s0, r0 * W + s1, r1 * W + s0, r1 * W + s1};
                real w[4] = {(1 - wr) * (1 - ws), (1 - wr) * ws, wr * (1 - ws), wr * ws};
                for (int k = 0; k < 4; k++) {
                    if (adjoint) yc[at[k]] += w[k] * xc[p * Q + q];
                    else if (k == 0) yc[p * Q + q] = w[0] * xc[at[0]];
                    else yc[p * Q + q] += w[k] * xc[at[k]];
                }
            }
        }
    }
}

void k_upsample_bilinear_forward(real *y, const real *x, int planes, int H, int W, int f)
{
    bilinear(y, x, planes, H, W, f, false);
}

void k_upsample_bilinear_backward(real *dx, const real *dy, int planes, int H, int W, int f)
{
    bilinear(dx, dy, planes, H, W, f, true);
}
