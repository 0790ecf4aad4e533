/* conv.c: 2-D convolution by im2col + GEMM, and transposed convolution as
 * its adjoint (the same three kernels with roles swapped).
 *
 * Images are taken in groups of nb; with col = im2col of the group
 * [C*R*S, nb*P*Q] (image i in columns i*PQ .. i*PQ+PQ-1):
 *   forward      y [K, nb*PQ]     = w [K, CRS] col
 *   bwd_data     dx (per image)   = col2im(w^T [CRS, K] dy [K, nb*PQ])
 *   bwd_filter   dw [K, CRS]     += dy [K, nb*PQ] col^T
 * where y and dy of the group are gathered into / scattered from an
 * [K, nb*PQ] buffer. Why groups: DCGAN's late layers have P*Q = 49 or 196,
 * and a GEMM with 49 columns runs at ~80 GFLOP/s here against ~105 with
 * 300-400 (measured with the SkylakeX sgemm kernels), so nb is chosen to
 * give at least CONV_MIN_N columns; the extra copies are O(K*PQ) per image
 * against O(K*CRS*PQ) flops.
 * Groups are split over the pool, each task with its own buffers in
 * `work`. A 1x1 convolution with stride 1 and no padding skips im2col and
 * grouping (x_b is already its own column matrix). */
#include "kernels_impl.h"

#include <string.h>

#define CONV_MIN_N 256
#define CONV_MAX_GROUP 16

KConv k_conv_geom(int B, int C, int H, int W, int K, int R, int S,
                  int sh, int sw, int ph, int pw)
{
    GENC_ASSERT(B >= 0 && C > 0 && H > 0 && W > 0 && K > 0 && R > 0 && S > 0);
    GENC_ASSERT(sh > 0 && sw > 0 && ph >= 0 && pw >= 0);
    GENC_ASSERT(H + 2 * ph >= R && W + 2 * pw >= S);
    KConv g = {B, C, H, W, K, R, S, sh, sw, ph, pw, 0, 0};
    g.P = (H + 2 * ph - R) / sh + 1;
    g.Q = (W + 2 * pw - S) / sw + 1;
    return g;
}

KConv k_deconv_geom(int B, int C, int H, int W, int K, int R, int S,
                    int sh, int sw, int ph, int pw, int oph, int opw)
{
    /* output padding only adds rows the conv's floor() would drop again */
    GENC_ASSERT(oph >= 0 && oph < sh && opw >= 0 && opw < sw);
    int P = (H - 1) * sh - 2 * ph + R + oph;
    int Q = (W - 1) * sw - 2 * pw + S + opw;
    KConv g = k_conv_geom(B, K, P, Q, C, R, S, sh, sw, ph, pw);
    GENC_ASSERT(g.P == H && g.Q == W);
    return g;
}

static bool conv_pointwise(const KConv *g)
{
    return g->R == 1 && g->S == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 && g->pw == 0;
}

/* images per group */
static int conv_nb(const KConv *g)
{
    if (conv_pointwise(g) || g->B <= 1) return 1;
    int PQ = g->P * g->Q, nb = (CONV_MIN_N + PQ - 1) / PQ;
    if (nb > CONV_MAX_GROUP) nb = CONV_MAX_GROUP;
    return nb < g->B ? nb : g->B;
}

static int conv_groups(const KConv *g)
{
    int nb = conv_nb(g);
    return (g->B + nb - 1) / nb;
}

/* per-thread buffers: im2col columns, then the gathered y or dy */
static size_t conv_col_size(const KConv *g)
{
    return conv_pointwise(g) ? 0 : (size_t)g->C * g->R * g->S * conv_nb(g) * g->P * g->Q;
}

static size_t conv_aux_size(const KConv *g)
{
    int nb = conv_nb(g);
    return nb > 1 ? (size_t)g->K * nb * g->P * g->Q : 0;
}

static size_t conv_task_size(const KConv *g) { return conv_col_size(g) + conv_aux_size(g); }

static int conv_max_tasks(const KConv *g)
{
    int T = K_MAX_TASKS_PER_THREAD * pool_threads(), G = conv_groups(g);
    return T < G ? T : (G > 0 ? G : 1);
}

/* The filter gradient uses one task per thread: each extra task costs a
 * partial dw and its reduction. */
static int conv_filter_tasks(const KConv *g)
{
    int T = pool_threads(), G = conv_groups(g);
    return T < G ? T : (G > 0 ? G : 1);
}

/* One set of buffers per thread (a thread runs one task at a time), then
 * the filter gradient's partials, one per task after the first. */
static size_t conv_bufs_size(const KConv *g)
{
    return conv_task_size(g) * (size_t)pool_threads();
}

size_t k_conv_work_size(const KConv *g)
{
    size_t partials = (size_t)(conv_filter_tasks(g) - 1) * g->K * g->C * g->R * g->S;
    return conv_bufs_size(g) + partials;
}

/* this thread's buffers */
static real *conv_thread_buf(real *work, const KConv *g)
{
    return work + conv_task_size(g) * (size_t)pool_thread_index();
}

/* ---- im2col and col2im ------------------------------------------------ */

/* The outputs q whose input column q*sw - pw + s lies in [0, W): [*lo, *hi) */
static void conv_valid(int s, int stride, int pad, int W, int Q, int *lo, int *hi)
{
    int a = pad - s; /* q*stride >= a */
    int b = W - 1 + pad - s; /* q*stride <= b */
    *lo = a <= 0 ? 0 : (a + stride - 1) / stride;
    *hi = b < 0 ? 0 : b / stride + 1;
    if (*hi > Q) *hi = Q;
    if (*lo > *hi) *lo = *hi;
}

/* col [C*R*S, P*Q] from one image x [C, H, W]; rows ld apart */
static void im2col(real *col, size_t ld, const real *x, const KConv *g)
{
    int H = g->H, W = g->W, P = g->P, Q = g->Q;
    for (int c = 0; c < g->C; c++)
        for (int r = 0; r < g->R; r++)
            for (int s = 0; s < g->S; s++) {
                real *row = col + ((size_t)(c * g->R + r) * g->S + s) * ld;
                int qlo, qhi;
                conv_valid(s, g->sw, g->pw, W, Q, &qlo, &qhi);
                for (int p = 0; p < P; p++) {
                    real *dst = row + (size_t)p * Q;
                    int h = p * g->sh - g->ph + r;
                    if (h < 0 || h >= H) {
                        memset(dst, 0, sizeof(real) * (size_t)Q);
                        continue;
                    }
                    const real *src = x + ((size_t)c * H + h) * W - g->pw + s;
                    for (int q = 0; q < qlo; q++) dst[q] = 0;
                    if (g->sw == 1)
                        memcpy(dst + qlo, src + qlo, sizeof(real) * (size_t)(qhi - qlo));
                    else
                        for (int q = qlo; q < qhi; q++) dst[q] = src[q * g->sw];
                    for (int q = qhi; q < Q; q++) dst[q] = 0;
                }
            }
}

/* x [C, H, W] = col2im(col [C*R*S, P*Q], rows ld apart): the adjoint of
 * im2col, every column entry added back to the pixel it was copied from */
static void col2im(real *x, const real *col, size_t ld, const KConv *g)
{
    int H = g->H, W = g->W, P = g->P, Q = g->Q;
    memset(x, 0, sizeof(real) * (size_t)g->C * H * W);
    for (int c = 0; c < g->C; c++)
        for (int r = 0; r < g->R; r++)
            for (int s = 0; s < g->S; s++) {
                const real *row = col + ((size_t)(c * g->R + r) * g->S + s) * ld;
                int qlo, qhi;
                conv_valid(s, g->sw, g->pw, W, Q, &qlo, &qhi);
                for (int p = 0; p < P; p++) {
                    int h = p * g->sh - g->ph + r;
                    if (h < 0 || h >= H) continue;
                    const real *src = row + (size_t)p * Q;
                    real *dst = x + ((size_t)c * H + h) * W - g->pw + s;
                    if (g->sw == 1)
                        for (int q = qlo; q < qhi; q++) dst[q] += src[q];
                    else
                        for (int q = qlo; q < qhi; q++) dst[q * g->sw] += src[q];
                }
            }
}

/* ---- the three kernels -------------------------------------------------- */

typedef struct ConvJob {
    const KConv *g;
    real *out;              /* y, dx or dw */
    const real *in1, *in2;  /* (x, w), (dy, w) or (x, dy) */
    real *work;
    int T;
} ConvJob;

/* The images of group grp: [*b0, *b0 + returned count) */
static int conv_group(const KConv *g, long grp, long *b0)
{
    int nb = conv_nb(g);
    *b0 = grp * nb;
    return g->B - *b0 < nb ? (int)(g->B - *b0) : nb;
}

/* im2col of m images from b0 into col [CRS, m*PQ]; returns the column
 * matrix (x itself for a 1x1 convolution) */
static const real *conv_cols(real *col, const real *x, long b0, int m, const KConv *g)
{
    size_t xs = (size_t)g->C * g->H * g->W, PQ = (size_t)g->P * g->Q;
    if (conv_pointwise(g)) return x + b0 * xs; /* m == 1 */
    for (int i = 0; i < m; i++) im2col(col + i * PQ, m * PQ, x + (b0 + i) * xs, g);
    return col;
}

/* group [K, m*PQ] = the m per-image [K, PQ] blocks of t from image b0 */
static void conv_gather(real *group, const real *t, long b0, int m, const KConv *g)
{
    size_t PQ = (size_t)g->P * g->Q, N = m * PQ;
    for (int i = 0; i < m; i++)
        for (int k = 0; k < g->K; k++)
            memcpy(group + k * N + i * PQ, t + ((b0 + i) * g->K + k) * PQ, sizeof(real) * PQ);
}

/* the inverse: per-image blocks of t from group [K, m*PQ] */
static void conv_scatter(real *t, const real *group, long b0, int m, const KConv *g)
{
    size_t PQ = (size_t)g->P * g->Q, N = m * PQ;
    for (int i = 0; i < m; i++)
        for (int k = 0; k < g->K; k++)
            memcpy(t + ((b0 + i) * g->K + k) * PQ, group + k * N + i * PQ, sizeof(real) * PQ);
}

static long conv_group_lo(const ConvJob *j, int t) { return k_part(conv_groups(j->g), t, j->T); }

static void conv_fwd_task(void *vj, int t)
{
    const ConvJob *j = vj;
    const KConv *g = j->g;
    int CRS = g->C * g->R * g->S, PQ = g->P * g->Q;
    real *col = conv_thread_buf(j->work, g), *aux = col + conv_col_size(g);
    for (long grp = conv_group_lo(j, t); grp < conv_group_lo(j, t + 1); grp++) {
        long b0;
        int m = conv_group(g, grp, &b0), N = m * PQ;
        const real *cols = conv_cols(col, j->in1, b0, m, g);
        real *y = m == 1 ? j->out + b0 * (size_t)g->K * PQ : aux;
        if (j->T == 1) /* one task (B = 1, or little work): split the GEMM */
            k_matmul(y, j->in2, cols, g->K, N, CRS, false, false);
        else
            k_gemm(false, false, g->K, N, CRS, 1, j->in2, CRS, cols, N, 0, y, N);
        if (m > 1) conv_scatter(j->out, aux, b0, m, g);
    }
}

static double conv_flops(const KConv *g)
{
    return 2.0 * g->B * g->K * g->C * g->R * g->S * g->P * g->Q;
}

void k_conv2d_forward(real *y, const real *x, const real *w, real *work, const KConv *g)
{
    ConvJob j = {g, y, x, w, work, 1};
    j.T = k_tasks(0.015 * conv_flops(g), conv_max_tasks(g));
    pool_for(j.T, conv_fwd_task, &j);
}

static void conv_bwd_data_task(void *vj, int t)
{
    const ConvJob *j = vj;
    const KConv *g = j->g;
    int CRS = g->C * g->R * g->S, PQ = g->P * g->Q;
    size_t xs = (size_t)g->C * g->H * g->W;
    real *col = conv_thread_buf(j->work, g), *aux = col + conv_col_size(g);
    for (long grp = conv_group_lo(j, t); grp < conv_group_lo(j, t + 1); grp++) {
        long b0;
        int m = conv_group(g, grp, &b0), N = m * PQ;
        const real *dy = j->in1 + b0 * (size_t)g->K * PQ;
        if (m > 1) {
            conv_gather(aux, j->in1, b0, m, g);
            dy = aux;
        }
        real *dst = conv_pointwise(g) ? j->out + b0 * xs : col;
        if (j->T == 1)
            k_matmul(dst, j->in2, dy, CRS, N, g->K, true, false);
        else
            k_gemm(true, false, CRS, N, g->K, 1, j->in2, CRS, dy, N, 0, dst, N);
        if (!conv_pointwise(g))
            for (int i = 0; i < m; i++) col2im(j->out + (b0 + i) * xs, col + i * PQ, N, g);
    }
}

void k_conv2d_bwd_data(real *dx, const real *dy, const real *w, real *work, const KConv *g)
{
    ConvJob j = {g, dx, dy, w, work, 1};
    j.T = k_tasks(0.015 * conv_flops(g), conv_max_tasks(g));
    pool_for(j.T, conv_bwd_data_task, &j);
}

static void conv_bwd_filter_task(void *vj, int t)
{
    const ConvJob *j = vj;
    const KConv *g = j->g;
    int CRS = g->C * g->R * g->S, PQ = g->P * g->Q;
    size_t wsize = (size_t)g->K * CRS;
    /* task 0 writes dw itself, the others a partial after the buffers */
    real *dw = t == 0 ? j->out
                      : j->work + conv_bufs_size(g) + wsize * (size_t)(t - 1);
    real *col = conv_thread_buf(j->work, g), *aux = col + conv_col_size(g);
    long lo = conv_group_lo(j, t), hi = conv_group_lo(j, t + 1);
    if (lo == hi) memset(dw, 0, sizeof(real) * wsize);
    for (long grp = lo; grp < hi; grp++) {
        long b0;
        int m = conv_group(g, grp, &b0), N = m * PQ;
        const real *cols = conv_cols(col, j->in1, b0, m, g);
        const real *dy = j->in2 + b0 * (size_t)g->K * PQ;
        if (m > 1) {
            conv_gather(aux, j->in2, b0, m, g);
            dy = aux;
        }
        k_gemm(false, true, g->K, CRS, N, 1, dy, N, cols, N, grp == lo ? 0 : 1, dw, CRS);
    }
}

typedef struct ReduceJob {
    real *dw;
    const real *partials;
    size_t wsize;
    int nparts;
} ReduceJob;

/* dw += partial 1, then partial 2, ...: a fixed order per element */
static void conv_reduce_range(void *vj, long lo, long hi)
{
    const ReduceJob *j = vj;
    for (int p = 0; p < j->nparts; p++) {
        const real *src = j->partials + j->wsize * (size_t)p;
        for (long i = lo; i < hi; i++) j->dw[i] += src[i];
    }
}

void k_conv2d_bwd_filter(real *dw, const real *x, const real *dy, real *work, const KConv *g)
{
    if (g->B == 0) {
        k_fill(dw, g->K * g->C * g->R * g->S, 0);
        return;
    }
    ConvJob j = {g, dw, x, dy, work, 1};
    j.T = k_tasks(0.015 * conv_flops(g), conv_filter_tasks(g));
    pool_for(j.T, conv_bwd_filter_task, &j);
    if (j.T > 1) {
        size_t wsize = (size_t)g->K * g->C * g->R * g->S;
        ReduceJob r = {dw, work + conv_bufs_size(g), wsize, j.T - 1};
        k_par_range((long)wsize, 0.5 * (j.T - 1), conv_reduce_range, &r);
    }
}

/* ---- transposed convolution: the same kernels, roles swapped ----------- */

void k_deconv2d_forward(real *y, const real *x, const real *w, real *work, const KConv *g)
{
    k_conv2d_bwd_data(y, x, w, work, g);
}

void k_deconv2d_bwd_data(real *dx, const real *dy, const real *w, real *work, const KConv *g)
{
    k_conv2d_forward(dx, dy, w, work, g);
}

void k_deconv2d_bwd_filter(real *dw, const real *x, const real *dy, real *work, const KConv *g)
{
    k_conv2d_bwd_filter(dw, dy, x, work, g);
}
