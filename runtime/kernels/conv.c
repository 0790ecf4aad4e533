/* conv.c: convolution geometry; 2-D convolution by im2col + GEMM, the
 * float64 build's kernels (the float32 build runs oneDNN's, conv_dnnl.c);
 * and transposed convolution as the adjoint of a convolution (the same
 * three kernels with roles swapped), in both builds.
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
#include "kernels/kernels_impl.h"

#include <limits.h>
#include <string.h>

#define CONV_MIN_N 256
#define CONV_MAX_GROUP 16

/* the rows and columns a dilated kernel spans */
static int conv_span_h(const KConv *g) { return g->dh * (g->R - 1) + 1; }
static int conv_span_w(const KConv *g) { return g->dv * (g->S - 1) + 1; }

KConv k_conv_geom(int B, int C, int H, int W, int K, int R, int S,
                  int sh, int sw, int ph, int pw, int dh, int dv)
{
    GENC_ASSERT(B >= 0 && C > 0 && H > 0 && W > 0 && K > 0 && R > 0 && S > 0);
    GENC_ASSERT(sh > 0 && sw > 0 && ph >= 0 && pw >= 0 && dh > 0 && dv > 0);
    KConv g = {B, C, H, W, K, R, S, sh, sw, ph, pw, 0, 0, dh, dv};
    GENC_ASSERT(H + 2 * ph >= conv_span_h(&g) && W + 2 * pw >= conv_span_w(&g));
    g.P = (H + 2 * ph - conv_span_h(&g)) / sh + 1;
    g.Q = (W + 2 * pw - conv_span_w(&g)) / sw + 1;
    return g;
}

KConv k_deconv_geom(int B, int C, int H, int W, int K, int R, int S,
                    int sh, int sw, int ph, int pw, int oph, int opw, int dh, int dv)
{
    /* output padding only adds rows the conv's floor() would drop again */
    GENC_ASSERT(oph >= 0 && oph < sh && opw >= 0 && opw < sw);
    int P = (H - 1) * sh - 2 * ph + dh * (R - 1) + 1 + oph;
    int Q = (W - 1) * sw - 2 * pw + dv * (S - 1) + 1 + opw;
    KConv g = k_conv_geom(B, K, P, Q, C, R, S, sh, sw, ph, pw, dh, dv);
    GENC_ASSERT(g.P == H && g.Q == W);
    return g;
}

double k_conv_flops(const KConv *g)
{
    return 2.0 * g->B * g->K * g->C * g->R * g->S * g->P * g->Q;
}

/* ---- im2col + GEMM: the float64 build's kernels ----------------------- */
#ifdef GENC_DOUBLE

size_t k_conv_room(void) { return 0; }

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

/* Per-thread buffers: the im2col columns [CRS, nb*PQ], the gathered y or
 * dy [K, nb*PQ], the group's images with their padding [nb, C, Hp, Wp]
 * (Hp = H + 2ph), and the offsets of the group's nb*PQ columns in it. */
static size_t conv_col_size(const KConv *g)
{
    return conv_pointwise(g) ? 0 : (size_t)g->C * g->R * g->S * conv_nb(g) * g->P * g->Q;
}

static size_t conv_aux_size(const KConv *g)
{
    int nb = conv_nb(g);
    return nb > 1 ? (size_t)g->K * nb * g->P * g->Q : 0;
}

/* a padded image's row length and plane size */
static int conv_wp(const KConv *g) { return g->W + 2 * g->pw; }

static size_t conv_plane(const KConv *g) { return (size_t)(g->H + 2 * g->ph) * conv_wp(g); }

static size_t conv_pad_size(const KConv *g)
{
    return conv_pointwise(g) ? 0 : (size_t)conv_nb(g) * g->C * conv_plane(g);
}

/* the offsets are ints, stored in reals' room */
static size_t conv_off_size(const KConv *g)
{
    if (conv_pointwise(g)) return 0;
    size_t n = (size_t)conv_nb(g) * g->P * g->Q;
    return (n * sizeof(int) + sizeof(real) - 1) / sizeof(real);
}

static size_t conv_task_size(const KConv *g)
{
    return conv_col_size(g) + conv_aux_size(g) + conv_pad_size(g) + conv_off_size(g);
}

/* This thread's buffers, in the order above. */
typedef struct ConvBufs {
    real *col, *aux, *pad;
    int *off;
} ConvBufs;

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

size_t k_conv_work_size(const KConv *g, KConvKind kind)
{
    if (kind != K_CONV_BWD_FILTER) return conv_bufs_size(g);
    size_t partials = (size_t)(conv_filter_tasks(g) - 1) * g->K * g->C * g->R * g->S;
    return conv_bufs_size(g) + partials;
}

static ConvBufs conv_thread_bufs(real *work, const KConv *g)
{
    ConvBufs b;
    b.col = work + conv_task_size(g) * (size_t)pool_thread_index();
    b.aux = b.col + conv_col_size(g);
    b.pad = b.aux + conv_aux_size(g);
    b.off = (int *)(b.pad + conv_pad_size(g));
    return b;
}

/* ---- im2col and col2im ------------------------------------------------ *
 *
 * Both work on a padded copy of the group's images, [m, C, Hp, Wp] with
 * zero borders, so that every column entry has a source pixel and no
 * bounds are checked. Column n = (i, p, q) of row (c, r, s) is then the
 * padded pixel off[n] + (c*Hp + r)*Wp + s, with off[n] = the offset of
 * (image i, row p*sh, column q*sw): one table serves all C*R*S rows, each
 * row one flat loop over the group's m*PQ columns (a row per output row,
 * 7 values long in DCGAN's late layers, cost more in loop overhead than in
 * copying). */

/* off[n] for the nb*PQ columns of a full group */
static void conv_offsets(int *off, const KConv *g)
{
    GENC_ASSERT(conv_pad_size(g) <= INT_MAX);
    int nb = conv_nb(g), Wp = conv_wp(g), n = 0;
    size_t image = (size_t)g->C * conv_plane(g);
    for (int i = 0; i < nb; i++)
        for (int p = 0; p < g->P; p++)
            for (int q = 0; q < g->Q; q++)
                off[n++] = (int)(i * image + (size_t)p * g->sh * Wp + (size_t)q * g->sw);
}

/* The interiors of pad [m, C, Hp, Wp] <- x [m, C, H, W]; the borders stay
 * as they are (zero). */
static void conv_pad_in(real *pad, const real *x, int m, const KConv *g)
{
    int H = g->H, W = g->W, Wp = conv_wp(g);
    size_t plane = conv_plane(g);
    for (long ic = 0; ic < (long)m * g->C; ic++)
        for (int h = 0; h < H; h++)
            memcpy(pad + ic * plane + (size_t)(h + g->ph) * Wp + g->pw,
                   x + ((size_t)ic * H + h) * W, sizeof(real) * (size_t)W);
}

/* x [m, C, H, W] <- the interiors of pad */
static void conv_pad_out(real *x, const real *pad, int m, const KConv *g)
{
    int H = g->H, W = g->W, Wp = conv_wp(g);
    size_t plane = conv_plane(g);
    for (long ic = 0; ic < (long)m * g->C; ic++)
        for (int h = 0; h < H; h++)
            memcpy(x + ((size_t)ic * H + h) * W,
                   pad + ic * plane + (size_t)(h + g->ph) * Wp + g->pw, sizeof(real) * (size_t)W);
}

/* col [CRS, N] from the padded images (N = m*PQ columns) */
static void im2col(real *col, const real *pad, const int *off, int N, const KConv *g)
{
    int Wp = conv_wp(g);
    size_t plane = conv_plane(g);
    for (int c = 0; c < g->C; c++)
        for (int r = 0; r < g->R; r++)
            for (int s = 0; s < g->S; s++) {
                real *restrict row = col + ((size_t)(c * g->R + r) * g->S + s) * N;
                const real *base = pad + c * plane + (size_t)r * g->dh * Wp + s * g->dv;
                for (int n = 0; n < N; n++) row[n] = base[off[n]];
            }
}

/* The adjoint: every column entry added back to the padded pixel it was
 * copied from, into pad (zeroed here). Each pixel receives its entries in
 * (c, r, s) order, the order of the rows. */
static void col2im(real *pad, const real *col, const int *off, int m, int N, const KConv *g)
{
    int Wp = conv_wp(g);
    size_t plane = conv_plane(g);
    memset(pad, 0, sizeof(real) * (size_t)m * g->C * plane);
    for (int c = 0; c < g->C; c++)
        for (int r = 0; r < g->R; r++)
            for (int s = 0; s < g->S; s++) {
                const real *row = col + ((size_t)(c * g->R + r) * g->S + s) * N;
                real *base = pad + c * plane + (size_t)r * g->dh * Wp + s * g->dv;
                for (int n = 0; n < N; n++) base[off[n]] += row[n];
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

/* A task's set-up for im2col: the offsets, and the padded images' borders
 * zeroed (work is shared with other nodes, so they hold anything). */
static ConvBufs conv_task_bufs(real *work, bool im2col_borders, const KConv *g)
{
    ConvBufs b = conv_thread_bufs(work, g);
    if (conv_pointwise(g)) return b;
    conv_offsets(b.off, g);
    if (im2col_borders) memset(b.pad, 0, sizeof(real) * conv_pad_size(g));
    return b;
}

/* im2col of m images from b0 into b->col [CRS, m*PQ]; returns the column
 * matrix (x itself for a 1x1 convolution) */
static const real *conv_cols(const ConvBufs *b, const real *x, long b0, int m, const KConv *g)
{
    size_t xs = (size_t)g->C * g->H * g->W;
    if (conv_pointwise(g)) return x + b0 * xs; /* m == 1 */
    conv_pad_in(b->pad, x + b0 * xs, m, g);
    im2col(b->col, b->pad, b->off, m * g->P * g->Q, g);
    return b->col;
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
    ConvBufs b = conv_task_bufs(j->work, true, g);
    for (long grp = conv_group_lo(j, t); grp < conv_group_lo(j, t + 1); grp++) {
        long b0;
        int m = conv_group(g, grp, &b0), N = m * PQ;
        const real *cols = conv_cols(&b, j->in1, b0, m, g);
        real *y = m == 1 ? j->out + b0 * (size_t)g->K * PQ : b.aux;
        if (j->T == 1) /* one task (B = 1, or little work): split the GEMM */
            k_matmul(y, j->in2, cols, g->K, N, CRS, false, false);
        else
            k_gemm(false, false, g->K, N, CRS, 1, j->in2, CRS, cols, N, 0, y, N);
        if (m > 1) conv_scatter(j->out, b.aux, b0, m, g);
    }
}

void k_conv2d_forward(real *y, const real *x, const real *w, real *work, const KConv *g)
{
    ConvJob j = {g, y, x, w, work, 1};
    j.T = k_tasks(0.015 * k_conv_flops(g), conv_max_tasks(g));
    pool_for(j.T, conv_fwd_task, &j);
}

static void conv_bwd_data_task(void *vj, int t)
{
    const ConvJob *j = vj;
    const KConv *g = j->g;
    int CRS = g->C * g->R * g->S, PQ = g->P * g->Q;
    size_t xs = (size_t)g->C * g->H * g->W;
    ConvBufs b = conv_task_bufs(j->work, false, g);
    for (long grp = conv_group_lo(j, t); grp < conv_group_lo(j, t + 1); grp++) {
        long b0;
        int m = conv_group(g, grp, &b0), N = m * PQ;
        const real *dy = j->in1 + b0 * (size_t)g->K * PQ;
        if (m > 1) {
            conv_gather(b.aux, j->in1, b0, m, g);
            dy = b.aux;
        }
        real *dst = conv_pointwise(g) ? j->out + b0 * xs : b.col;
        if (j->T == 1)
            k_matmul(dst, j->in2, dy, CRS, N, g->K, true, false);
        else
            k_gemm(true, false, CRS, N, g->K, 1, j->in2, CRS, dy, N, 0, dst, N);
        if (!conv_pointwise(g)) {
            col2im(b.pad, b.col, b.off, m, N, g);
            conv_pad_out(j->out + b0 * xs, b.pad, m, g);
        }
    }
}

void k_conv2d_bwd_data(real *dx, const real *dy, const real *w, real *work, const KConv *g)
{
    ConvJob j = {g, dx, dy, w, work, 1};
    j.T = k_tasks(0.015 * k_conv_flops(g), conv_max_tasks(g));
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
    ConvBufs b = conv_task_bufs(j->work, true, g);
    long lo = conv_group_lo(j, t), hi = conv_group_lo(j, t + 1);
    if (lo == hi) memset(dw, 0, sizeof(real) * wsize);
    for (long grp = lo; grp < hi; grp++) {
        long b0;
        int m = conv_group(g, grp, &b0), N = m * PQ;
        const real *cols = conv_cols(&b, j->in1, b0, m, g);
        const real *dy = j->in2 + b0 * (size_t)g->K * PQ;
        if (m > 1) {
            conv_gather(b.aux, j->in2, b0, m, g);
            dy = b.aux;
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
    j.T = k_tasks(0.015 * k_conv_flops(g), conv_filter_tasks(g));
    pool_for(j.T, conv_bwd_filter_task, &j);
    if (j.T > 1) {
        size_t wsize = (size_t)g->K * g->C * g->R * g->S;
        ReduceJob r = {dw, work + conv_bufs_size(g), wsize, j.T - 1};
        k_par_range((long)wsize, 0.5 * (j.T - 1), conv_reduce_range, &r);
    }
}

#endif /* GENC_DOUBLE */

/* ---- transposed convolution: the same kernels, roles swapped ----------- */

void k_deconv2d_forward(real *y, const real *x, const real *w, real *work, const KConv *g)
{
    k_conv2d_bwd_data(y, x, w, work, g);
}

