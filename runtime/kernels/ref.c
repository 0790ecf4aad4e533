/* ref.c: naive reference kernels, for the tests and the reference backend
 * (genc run --backend ref, exec/cpu.c). Each is the
 * definition written as directly as possible: loops over the output (or a
 * scatter over the input where that is the definition, as for
 * deconvolution), double accumulators, one thread, no fast paths. Speed
 * does not matter here; obviousness does. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"

/* ---- elementwise ---------------------------------------------------- */

static double ref_unary1(KUnaryOp op, double x, double a)
{
    switch (op) {
    case K_neg: return -x;
    case K_exp: return exp(x);
    case K_log: return log(x);
    case K_sqrt: return sqrt(x);
    case K_abs: return fabs(x);
    case K_sin: return sin(x);
    case K_cos: return cos(x);
    case K_sign: return x > 0 ? 1 : x < 0 ? -1 : 0;
    case K_powc: return pow(x, a);
    case K_relu: return x > 0 ? x : 0;
    case K_leaky_relu: return x > 0 ? x : a * x;
    case K_elu: return x > 0 ? x : a * (exp(x) - 1);
    case K_tanh: return tanh(x);
    case K_sigmoid: return 1 / (1 + exp(-x));
    case K_softplus: return log(1 + exp(x));
    case K_gelu: return 0.5 * x * (1 + erf(x / sqrt(2.0)));
    case K_log_sigmoid: return -log(1 + exp(-x));
    case K_UNARY_COUNT: break;
    }
    GENC_ASSERT(!"not a unary op");
}

void ref_unary(KUnaryOp op, real *y, const real *x, int n, real param)
{
    for (int i = 0; i < n; i++) y[i] = (real)ref_unary1(op, x[i], param);
}

void ref_relu_grad(real *dx, const real *dy, const real *x, int n)
{
    for (int i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
}

void ref_leaky_relu_grad(real *dx, const real *dy, const real *x, int n, real alpha)
{
    for (int i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : alpha * dy[i];
}

void ref_elu_grad(real *dx, const real *dy, const real *x, int n, real alpha)
{
    for (int i = 0; i < n; i++) dx[i] = (real)(x[i] > 0 ? dy[i] : dy[i] * alpha * exp((double)x[i]));
}

void ref_tanh_grad(real *dx, const real *dy, const real *y, int n)
{
    for (int i = 0; i < n; i++) dx[i] = (real)(dy[i] * (1 - (double)y[i] * y[i]));
}

void ref_sigmoid_grad(real *dx, const real *dy, const real *y, int n)
{
    for (int i = 0; i < n; i++) dx[i] = (real)(dy[i] * (double)y[i] * (1 - (double)y[i]));
}

void ref_gelu_grad(real *dx, const real *dy, const real *x, int n)
{
    for (int i = 0; i < n; i++) {
        double v = x[i];
        double cdf = 0.5 * (1 + erf(v / sqrt(2.0)));
        double pdf = exp(-0.5 * v * v) / sqrt(2 * M_PI);
        dx[i] = (real)(dy[i] * (cdf + v * pdf));
    }
}

/* ---- broadcasting --------------------------------------------------- */

/* offset in an operand of shape s (rank r, right-aligned to the output of
 * rank cr) of the output element with multi-index idx */
static long ref_bcast_off(const int *idx, int cr, const int *s, int r)
{
    long off = 0;
    for (int i = 0; i < r; i++) {
        int ci = i + (cr - r);
        off = off * s[i] + (s[i] == 1 ? 0 : idx[ci]);
    }
    return off;
}

/* advance the multi-index idx over shape c (rank r); false when done */
static bool ref_next(int *idx, const int *c, int r)
{
    for (int i = r - 1; i >= 0; i--) {
        if (++idx[i] < c[i]) return true;
        idx[i] = 0;
    }
    return false;
}

static long ref_count(const int *s, int r)
{
    long n = 1;
    for (int i = 0; i < r; i++) n *= s[i];
    return n;
}

void ref_binary(KBinaryOp op, real *c, const real *a, const int *ashape, int arank,
                const real *b, const int *bshape, int brank)
{
    int cs[K_MAXRANK], idx[K_MAXRANK] = {0};
    int cr = k_broadcast_shape(cs, ashape, arank, bshape, brank);
    GENC_ASSERT(cr >= 0);
    if (ref_count(cs, cr) == 0) return;
    long i = 0;
    do {
        real x = a[ref_bcast_off(idx, cr, ashape, arank)];
        real y = b[ref_bcast_off(idx, cr, bshape, brank)];
        c[i++] = op == K_add ? x + y : op == K_sub ? x - y : op == K_mul ? x * y : x / y;
    } while (ref_next(idx, cs, cr));
}

void ref_sum_to(real *y, const int *yshape, int yrank,
                const real *x, const int *xshape, int xrank)
{
    long ny = ref_count(yshape, yrank);
    double *acc = calloc((size_t)ny + 1, sizeof(double));
    int idx[K_MAXRANK] = {0};
    if (ref_count(xshape, xrank) > 0) {
        long i = 0;
        do acc[ref_bcast_off(idx, xrank, yshape, yrank)] += x[i++];
        while (ref_next(idx, xshape, xrank));
    }
    for (long i = 0; i < ny; i++) y[i] = (real)acc[i];
    free(acc);
}

void ref_expand(real *y, const int *yshape, int yrank,
                const real *x, const int *xshape, int xrank, real scale)
{
    int idx[K_MAXRANK] = {0};
    if (ref_count(yshape, yrank) == 0) return;
    long i = 0;
    do y[i++] = scale * x[ref_bcast_off(idx, yrank, xshape, xrank)];
    while (ref_next(idx, yshape, yrank));
}

void ref_sum_rows(real *y, const real *x, int B, int n)
{
    for (int b = 0; b < B; b++) {
        double s = 0;
        for (int i = 0; i < n; i++) s += x[(size_t)b * n + i];
        y[b] = (real)s;
    }
}

/* ---- matmul ---------------------------------------------------------- */

void ref_matmul(real *C, const real *A, const real *B, int M, int N, int K,
                bool ta, bool tb)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++) {
                double a = ta ? A[(size_t)k * M + i] : A[(size_t)i * K + k];
                double b = tb ? B[(size_t)j * K + k] : B[(size_t)k * N + j];
                s += a * b;
            }
            C[(size_t)i * N + j] = (real)s;
        }
}

/* ---- convolution ----------------------------------------------------- */

#define X4(b, c, h, w) ((((size_t)(b) * g->C + (c)) * g->H + (h)) * g->W + (w))
#define Y4(b, k, p, q) ((((size_t)(b) * g->K + (k)) * g->P + (p)) * g->Q + (q))
#define W4(k, c, r, s) ((((size_t)(k) * g->C + (c)) * g->R + (r)) * g->S + (s))

void ref_conv2d_forward(real *y, const real *x, const real *w, const KConv *g)
{
    for (int b = 0; b < g->B; b++)
        for (int k = 0; k < g->K; k++)
            for (int p = 0; p < g->P; p++)
                for (int q = 0; q < g->Q; q++) {
                    double s = 0;
                    for (int c = 0; c < g->C; c++)
                        for (int r = 0; r < g->R; r++)
                            for (int t = 0; t < g->S; t++) {
                                int h = p * g->sh - g->ph + r * g->dh, v = q * g->sw - g->pw + t * g->dv;
                                if (h < 0 || h >= g->H || v < 0 || v >= g->W) continue;
                                s += (double)x[X4(b, c, h, v)] * w[W4(k, c, r, t)];
                            }
                    y[Y4(b, k, p, q)] = (real)s;
                }
}

void ref_conv2d_bwd_data(real *dx, const real *dy, const real *w, const KConv *g)
{
    /* dx[b,c,h,v] = sum of dy[b,k,p,q] w[k,c,r,t] over h = p*sh-ph+r etc. */
    for (int b = 0; b < g->B; b++)
        for (int c = 0; c < g->C; c++)
            for (int h = 0; h < g->H; h++)
                for (int v = 0; v < g->W; v++) {
                    double s = 0;
                    for (int k = 0; k < g->K; k++)
                        for (int r = 0; r < g->R; r++)
                            for (int t = 0; t < g->S; t++) {
                                int ph = h + g->ph - r * g->dh, pv = v + g->pw - t * g->dv;
                                if (ph < 0 || pv < 0 || ph % g->sh || pv % g->sw) continue;
                                int p = ph / g->sh, q = pv / g->sw;
                                if (p >= g->P || q >= g->Q) continue;
                                s += (double)dy[Y4(b, k, p, q)] * w[W4(k, c, r, t)];
                            }
                    dx[X4(b, c, h, v)] = (real)s;
                }
}

void ref_conv2d_bwd_filter(real *dw, const real *x, const real *dy, const KConv *g)
{
    for (int k = 0; k < g->K; k++)
        for (int c = 0; c < g->C; c++)
            for (int r = 0; r < g->R; r++)
                for (int t = 0; t < g->S; t++) {
                    double s = 0;
                    for (int b = 0; b < g->B; b++)
                        for (int p = 0; p < g->P; p++)
                            for (int q = 0; q < g->Q; q++) {
                                int h = p * g->sh - g->ph + r * g->dh, v = q * g->sw - g->pw + t * g->dv;
                                if (h < 0 || h >= g->H || v < 0 || v >= g->W) continue;
                                s += (double)x[X4(b, c, h, v)] * dy[Y4(b, k, p, q)];
                            }
                    dw[W4(k, c, r, t)] = (real)s;
                }
}

void ref_deconv2d_forward(real *y, const real *x, const real *w, int B, int C, int H,
                          int W, int K, int R, int S, int sh, int sw, int ph, int pw,
                          int oph, int opw, int dh, int dv)
{
    int P = (H - 1) * sh - 2 * ph + dh * (R - 1) + 1 + oph;
    int Q = (W - 1) * sw - 2 * pw + dv * (S - 1) + 1 + opw;
    size_t ny = (size_t)B * K * P * Q;
    double *acc = calloc(ny + 1, sizeof(double));
    /* every input pixel scatters w[c,k] into the output window it spans */
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++)
            for (int h = 0; h < H; h++)
                for (int v = 0; v < W; v++)
                    for (int k = 0; k < K; k++)
                        for (int r = 0; r < R; r++)
                            for (int t = 0; t < S; t++) {
                                int p = h * sh - ph + r * dh, q = v * sw - pw + t * dv;
                                if (p < 0 || p >= P || q < 0 || q >= Q) continue;
                                acc[(((size_t)b * K + k) * P + p) * Q + q] +=
                                    (double)x[(((size_t)b * C + c) * H + h) * W + v] *
                                    w[(((size_t)c * K + k) * R + r) * S + t];
                            }
    for (size_t i = 0; i < ny; i++) y[i] = (real)acc[i];
    free(acc);
}

#undef X4
#undef Y4
#undef W4

/* ---- normalisation --------------------------------------------------- */

void ref_bn_forward_train(real *y, real *invstd, real *running_mean, real *running_var,
                          const real *x, int B, int C, int S, real eps, real momentum)
{
    double N = (double)B * S;
    for (int c = 0; c < C; c++) {
        double m = 0, v = 0;
        for (int b = 0; b < B; b++)
            for (int s = 0; s < S; s++) m += x[((size_t)b * C + c) * S + s];
        m /= N;
        for (int b = 0; b < B; b++)
            for (int s = 0; s < S; s++) {
                double d = x[((size_t)b * C + c) * S + s] - m;
                v += d * d;
            }
        v /= N;
        double is = 1 / sqrt(v + eps);
        invstd[c] = (real)is;
        running_mean[c] = (real)((1 - momentum) * running_mean[c] + momentum * m);
        running_var[c] =
            (real)((1 - momentum) * running_var[c] + momentum * (N > 1 ? v * N / (N - 1) : v));
        for (int b = 0; b < B; b++)
            for (int s = 0; s < S; s++) {
                size_t i = ((size_t)b * C + c) * S + s;
                y[i] = (real)((x[i] - m) * is);
            }
    }
}

void ref_bn_backward(real *dx, const real *dy, const real *xhat, const real *invstd,
                     int B, int C, int S)
{
    double N = (double)B * S;
    for (int c = 0; c < C; c++) {
        double m1 = 0, m2 = 0;
        for (int b = 0; b < B; b++)
            for (int s = 0; s < S; s++) {
                size_t i = ((size_t)b * C + c) * S + s;
                m1 += dy[i];
                m2 += (double)dy[i] * xhat[i];
            }
        m1 /= N;
        m2 /= N;
        for (int b = 0; b < B; b++)
            for (int s = 0; s < S; s++) {
                size_t i = ((size_t)b * C + c) * S + s;
                dx[i] = (real)(invstd[c] * (dy[i] - m1 - xhat[i] * m2));
            }
    }
}

void ref_ln_forward(real *y, real *invstd, const real *x, int B, int n, real eps)
{
    for (int b = 0; b < B; b++) {
        const real *xb = x + (size_t)b * n;
        double m = 0, v = 0;
        for (int i = 0; i < n; i++) m += xb[i];
        m /= n;
        for (int i = 0; i < n; i++) v += (xb[i] - m) * (xb[i] - m);
        double is = 1 / sqrt(v / n + eps);
        invstd[b] = (real)is;
        for (int i = 0; i < n; i++) y[(size_t)b * n + i] = (real)((xb[i] - m) * is);
    }
}

void ref_ln_backward(real *dx, const real *dy, const real *xhat, const real *invstd,
                     int B, int n)
{
    for (int b = 0; b < B; b++) {
        const real *d = dy + (size_t)b * n, *xh = xhat + (size_t)b * n;
        double m1 = 0, m2 = 0;
        for (int i = 0; i < n; i++) {
            m1 += d[i];
            m2 += (double)d[i] * xh[i];
        }
        m1 /= n;
        m2 /= n;
        for (int i = 0; i < n; i++)
            dx[(size_t)b * n + i] = (real)(invstd[b] * (d[i] - m1 - xh[i] * m2));
    }
}

/* ---- pooling --------------------------------------------------------- */

void ref_maxpool2d_forward(real *y, const real *x, const KPool *g)
{
    for (int pl = 0; pl < g->B * g->C; pl++)
        for (int p = 0; p < g->P; p++)
            for (int q = 0; q < g->Q; q++) {
                double m = -INFINITY;
                for (int a = 0; a < g->k; a++)
                    for (int b = 0; b < g->k; b++) {
                        int h = p * g->stride - g->pad + a, v = q * g->stride - g->pad + b;
                        if (h < 0 || h >= g->H || v < 0 || v >= g->W) continue;
                        double xv = x[((size_t)pl * g->H + h) * g->W + v];
                        if (xv > m) m = xv;
                    }
                y[((size_t)pl * g->P + p) * g->Q + q] = (real)m;
            }
}

/* The index in x of the first largest value of output (p, q) of plane pl's
 * window: the input a max pooling's gradient flows to. */
static size_t ref_pool_argmax(const real *x, const KPool *g, int pl, int p, int q)
{
    double m = -INFINITY;
    size_t arg = 0;
    for (int a = 0; a < g->k; a++)
        for (int b = 0; b < g->k; b++) {
            int h = p * g->stride - g->pad + a, v = q * g->stride - g->pad + b;
            if (h < 0 || h >= g->H || v < 0 || v >= g->W) continue;
            size_t i = ((size_t)pl * g->H + h) * g->W + v;
            if (x[i] > m) {
                m = x[i];
                arg = i;
            }
        }
    return arg;
}

void ref_maxpool2d_pick(real *y, const real *gx, const real *x, const KPool *g)
{
    for (int pl = 0; pl < g->B * g->C; pl++)
        for (int p = 0; p < g->P; p++)
            for (int q = 0; q < g->Q; q++)
                y[((size_t)pl * g->P + p) * g->Q + q] = gx[ref_pool_argmax(x, g, pl, p, q)];
}

void ref_maxpool2d_backward(real *dx, const real *dy, const real *x, const KPool *g)
{
    memset(dx, 0, sizeof(real) * (size_t)g->B * g->C * g->H * g->W);
    for (int pl = 0; pl < g->B * g->C; pl++)
        for (int p = 0; p < g->P; p++)
            for (int q = 0; q < g->Q; q++)
                dx[ref_pool_argmax(x, g, pl, p, q)] += dy[((size_t)pl * g->P + p) * g->Q + q];
}

void ref_avgpool2d_forward(real *y, const real *x, const KPool *g)
{
    for (int pl = 0; pl < g->B * g->C; pl++)
        for (int p = 0; p < g->P; p++)
            for (int q = 0; q < g->Q; q++) {
                double s = 0;
                for (int a = 0; a < g->k; a++)
                    for (int b = 0; b < g->k; b++) {
                        int h = p * g->stride - g->pad + a, v = q * g->stride - g->pad + b;
                        if (h < 0 || h >= g->H || v < 0 || v >= g->W) continue;
                        s += x[((size_t)pl * g->H + h) * g->W + v];
                    }
                y[((size_t)pl * g->P + p) * g->Q + q] = (real)(s / (g->k * g->k));
            }
}

void ref_avgpool2d_backward(real *dx, const real *dy, const KPool *g)
{
    memset(dx, 0, sizeof(real) * (size_t)g->B * g->C * g->H * g->W);
    for (int pl = 0; pl < g->B * g->C; pl++)
        for (int p = 0; p < g->P; p++)
            for (int q = 0; q < g->Q; q++)
                for (int a = 0; a < g->k; a++)
                    for (int b = 0; b < g->k; b++) {
                        int h = p * g->stride - g->pad + a, v = q * g->stride - g->pad + b;
                        if (h < 0 || h >= g->H || v < 0 || v >= g->W) continue;
                        dx[((size_t)pl * g->H + h) * g->W + v] +=
                            dy[((size_t)pl * g->P + p) * g->Q + q] / (real)(g->k * g->k);
                    }
}

void ref_upsample_nearest_forward(real *y, const real *x, int planes, int H, int W, int f)
{
    for (int pl = 0; pl < planes; pl++)
        for (int h = 0; h < H * f; h++)
            for (int v = 0; v < W * f; v++)
                y[((size_t)pl * H * f + h) * W * f + v] = x[((size_t)pl * H + h / f) * W + v / f];
}

void ref_upsample_nearest_backward(real *dx, const real *dy, int planes, int H, int W, int f)
{
    memset(dx, 0, sizeof(real) * (size_t)planes * H * W);
    for (int pl = 0; pl < planes; pl++)
        for (int h = 0; h < H * f; h++)
            for (int v = 0; v < W * f; v++)
                dx[((size_t)pl * H + h / f) * W + v / f] += dy[((size_t)pl * H * f + h) * W * f + v];
}

/* ---- softmax --------------------------------------------------------- */

void ref_softmax(real *y, const real *x, int rows, int n)
{
    for (int r = 0; r < rows; r++) {
        const real *xr = x + (size_t)r * n;
        double m = -INFINITY, s = 0;
        for (int i = 0; i < n; i++) m = fmax(m, xr[i]);
        for (int i = 0; i < n; i++) s += exp(xr[i] - m);
        for (int i = 0; i < n; i++) y[(size_t)r * n + i] = (real)(exp(xr[i] - m) / s);
    }
}

void ref_log_softmax(real *y, const real *x, int rows, int n)
{
    for (int r = 0; r < rows; r++) {
        const real *xr = x + (size_t)r * n;
        double m = -INFINITY, s = 0;
        for (int i = 0; i < n; i++) m = fmax(m, xr[i]);
        for (int i = 0; i < n; i++) s += exp(xr[i] - m);
        for (int i = 0; i < n; i++) y[(size_t)r * n + i] = (real)(xr[i] - m - log(s));
    }
}

void ref_softmax_backward(real *dx, const real *dy, const real *y, int rows, int n)
{
    for (int r = 0; r < rows; r++) {
        size_t o = (size_t)r * n;
        double s = 0;
        for (int i = 0; i < n; i++) s += (double)dy[o + i] * y[o + i];
        for (int i = 0; i < n; i++) dx[o + i] = (real)(y[o + i] * (dy[o + i] - s));
    }
}

void ref_log_softmax_backward(real *dx, const real *dy, const real *y, int rows, int n)
{
    for (int r = 0; r < rows; r++) {
        size_t o = (size_t)r * n;
        double s = 0;
        for (int i = 0; i < n; i++) s += dy[o + i];
        for (int i = 0; i < n; i++) dx[o + i] = (real)(dy[o + i] - exp((double)y[o + i]) * s);
    }
}

/* ---- losses, dropout, embedding --------------------------------------- */

void ref_bce(real *l, const real *p, const real *t, int n)
{
    for (int i = 0; i < n; i++)
        l[i] = (real)-(t[i] * fmax(log((double)p[i]), -100) +
                       (1 - t[i]) * fmax(log(1 - (double)p[i]), -100));
}

void ref_bce_logits(real *l, const real *a, const real *t, int n)
{
    /* bce(sigmoid(a), t) with the logs taken stably in double */
    for (int i = 0; i < n; i++) {
        double ls = -log1p(exp(-(double)a[i])), lq = -log1p(exp((double)a[i]));
        l[i] = (real)-(t[i] * ls + (1 - t[i]) * lq);
    }
}

void ref_bce_logits_grad(real *da, const real *dy, const real *a, const real *t, int n)
{
    for (int i = 0; i < n; i++) da[i] = (real)(dy[i] * (1 / (1 + exp(-(double)a[i])) - t[i]));
}

void ref_dropout(real *y, const real *x, int n, real p, uint64_t seed, uint64_t stream)
{
    uint64_t key = k_hash_key(seed, stream);
    uint32_t thr = k_dropout_threshold(p);
    for (int i = 0; i < n; i++)
        y[i] = k_dropout_keep(key, (uint64_t)i, thr) ? x[i] * ((real)1 / ((real)1 - p)) : 0;
}

/* The class held by v, or -1 when v is not a whole number in [0, n). */
static int ref_id(real v, int n)
{
    for (int k = 0; k < n; k++)
        if (v == (real)k) return k;
    return -1;
}

int ref_embedding(real *y, const real *ids, const real *table, int n, int V, int D)
{
    int bad = 0;
    for (int i = 0; i < n; i++) {
        int id = ref_id(ids[i], V);
        bad += id < 0;
        for (int d = 0; d < D; d++) y[(size_t)i * D + d] = id < 0 ? 0 : table[(size_t)id * D + d];
    }
    return bad;
}

int ref_embedding_backward(real *dtable, const real *dy, const real *ids, int n, int V, int D)
{
    int bad = 0;
    for (int i = 0; i < n; i++) bad += ref_id(ids[i], V) < 0;
    for (int v = 0; v < V; v++)
        for (int d = 0; d < D; d++) {
            double s = 0;
            for (int i = 0; i < n; i++)
                if (ids[i] == (real)v) s += dy[(size_t)i * D + d];
            dtable[(size_t)v * D + d] = (real)s;
        }
    return bad;
}

int ref_onehot(real *y, const real *ids, int n, int classes)
{
    int bad = 0;
    for (int i = 0; i < n; i++) {
        int id = ref_id(ids[i], classes);
        bad += id < 0;
        for (int c = 0; c < classes; c++) y[(size_t)i * classes + c] = c == id;
    }
    return bad;
}

void ref_bce_grad(real *dp, const real *dy, const real *p, const real *t, int n)
{
    /* d/dp of -(t log p + (1-t) log(1-p)), p clamped as K_BCE_EPS says */
    for (int i = 0; i < n; i++) {
        double q = fmin(fmax((double)p[i], K_BCE_EPS), 1 - K_BCE_EPS);
        dp[i] = (real)(dy[i] * (-t[i] / q + (1 - t[i]) / (1 - q)));
    }
}

void ref_kl_normal(real *l, const real *mu, const real *logvar, int n)
{
    for (int i = 0; i < n; i++)
        l[i] = (real)(-0.5 * (1 + logvar[i] - (double)mu[i] * mu[i] - exp((double)logvar[i])));
}

void ref_mean_batch(real *y, const real *x, int B)
{
    double s = 0;
    for (int b = 0; b < B; b++) s += x[b];
    y[0] = B > 0 ? (real)(s / B) : 0;
}

void ref_bn_forward_eval(real *y, const real *x, const real *running_mean,
                         const real *running_var, int B, int C, int S, real eps)
{
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++)
            for (int k = 0; k < S; k++) {
                size_t i = ((size_t)b * C + c) * S + k;
                y[i] = (real)((x[i] - (double)running_mean[c]) / sqrt((double)running_var[c] + eps));
            }
}

void ref_concat(real *y, const real *const *xs, const int *sizes, int nx, int outer, int inner)
{
    int total = 0;
    for (int j = 0; j < nx; j++) total += sizes[j];
    for (int o = 0; o < outer; o++)
        for (int a = 0, j = 0, at = 0; a < total; a++) {
            while (a - at >= sizes[j]) at += sizes[j++];
            for (int k = 0; k < inner; k++)
                y[((size_t)o * total + a) * inner + k] =
                    xs[j][((size_t)o * sizes[j] + (a - at)) * inner + k];
        }
}

void ref_slice(real *y, const real *x, int outer, int total, int start, int len, int inner)
{
    for (int o = 0; o < outer; o++)
        for (int a = 0; a < len; a++)
            for (int k = 0; k < inner; k++)
                y[((size_t)o * len + a) * inner + k] = x[((size_t)o * total + start + a) * inner + k];
}

void ref_permute(real *y, const real *x, int B, int nd, const int *dims, const int *perm)
{
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= dims[i];
    for (int64_t b = 0; b < B; b++)
        for (int64_t j = 0; j < n; j++) {
            /* j's index along each axis of y, and x's element there */
            int64_t rest = j, xi = 0, stride[K_MAXRANK], sx = 1;
            for (int i = nd - 1; i >= 0; i--) stride[i] = sx, sx *= dims[i];
            for (int i = nd - 1; i >= 0; i--) {
                int64_t len = dims[perm[i]];
                xi += (rest % len) * stride[perm[i]];
                rest /= len;
            }
            y[b * n + j] = x[b * n + xi];
        }
}

void ref_batch_matmul(real *C, const real *A, const real *B, int L, int M, int N, int K,
                      bool ta, bool tb, const bool shared[3])
{
    size_t sa = shared[0] ? 0 : (size_t)M * K, sb = shared[1] ? 0 : (size_t)K * N;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double total = 0;
            for (int l = 0; l < L; l++) {
                const real *a = A + l * sa, *b = B + l * sb;
                double s = 0;
                for (int k = 0; k < K; k++)
                    s += (double)(ta ? a[(size_t)k * M + i] : a[(size_t)i * K + k]) *
                         (tb ? b[(size_t)j * K + k] : b[(size_t)k * N + j]);
                if (shared[2]) total += s;
                else C[((size_t)l * M + i) * N + j] = (real)s;
            }
            if (shared[2]) C[(size_t)i * N + j] = (real)total;
        }
}
