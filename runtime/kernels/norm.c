/* norm.c: batch norm and layer norm (normalisation only) and softmax.
 *
 * Statistics are two-pass (mean, then squared deviations from it) with
 * double accumulators: one pass with E[x^2] - E[x]^2 loses every digit when
 * |mean| >> std, which happens to activations. Channels (or rows) are split
 * over the pool; each one's sums are taken by one task in a fixed order.
 *
 * Batch norm's x [B,C,S] is walked in blocks of channels so that the S = 1
 * case (after a dense layer, x [B,C]) reads whole rows, not a stride-C
 * column per channel; that case has its own loops along the row, which
 * GCC vectorises (the general loops along S, one value long, cost 6 ns a
 * value; these about 1). */
#include "kernels/kernels_impl.h"

#define BN_BLOCK 64 /* channels per block, accumulators on the stack */

/* acc[c - c0] = sum over b, s of f(x[b,c,s]) for c in [c0, c0+nc), with
 * f(v) = v, or (v - mean[c])^2 when the channels' means are given */
static void bn_chan_sums(double *acc, const real *x, int B, long C, long S, long c0,
                         int nc, const double *mean)
{
    for (int i = 0; i < nc; i++) acc[i] = 0;
    for (int b = 0; b < B; b++) {
        const real *xb = x + ((size_t)b * C + c0) * S;
        if (S == 1 && mean) {
            for (int i = 0; i < nc; i++) acc[i] += ((double)xb[i] - mean[i]) * ((double)xb[i] - mean[i]);
            continue;
        }
        if (S == 1) {
            for (int i = 0; i < nc; i++) acc[i] += (double)xb[i];
            continue;
        }
        for (int i = 0; i < nc; i++) {
            const real *v = xb + (size_t)i * S;
            double s = 0;
            if (mean)
                for (long k = 0; k < S; k++) s += ((double)v[k] - mean[i]) * ((double)v[k] - mean[i]);
            else
                for (long k = 0; k < S; k++) s += (double)v[k];
            acc[i] += s;
        }
    }
}

typedef struct BnJob {
    real *y, *invstd, *rmean, *rvar;
    const real *x, *dy, *xhat;
    int B, C, S;
    double eps, momentum;
} BnJob;

static void bn_train_range(void *vj, long lo, long hi)
{
    const BnJob *j = vj;
    double N = (double)j->B * j->S;
    for (long c0 = lo; c0 < hi; c0 += BN_BLOCK) {
        int nc = hi - c0 < BN_BLOCK ? (int)(hi - c0) : BN_BLOCK;
        double mean[BN_BLOCK], var[BN_BLOCK], inv[BN_BLOCK];
        bn_chan_sums(mean, j->x, j->B, j->C, j->S, c0, nc, NULL);
        for (int i = 0; i < nc; i++) mean[i] /= N;
        bn_chan_sums(var, j->x, j->B, j->C, j->S, c0, nc, mean);
        for (int i = 0; i < nc; i++) {
            var[i] /= N;
            inv[i] = 1 / sqrt(var[i] + j->eps);
            long c = c0 + i;
            j->invstd[c] = (real)inv[i];
            double unbiased = N > 1 ? var[i] * N / (N - 1) : var[i];
            j->rmean[c] = (real)((1 - j->momentum) * j->rmean[c] + j->momentum * mean[i]);
            j->rvar[c] = (real)((1 - j->momentum) * j->rvar[c] + j->momentum * unbiased);
        }
        real m[BN_BLOCK], is[BN_BLOCK];
        for (int i = 0; i < nc; i++) m[i] = (real)mean[i], is[i] = (real)inv[i];
        for (int b = 0; b < j->B; b++) {
            size_t row = ((size_t)b * j->C + c0) * j->S;
            if (j->S == 1) {
                for (int i = 0; i < nc; i++) j->y[row + i] = (j->x[row + i] - m[i]) * is[i];
                continue;
            }
            for (int i = 0; i < nc; i++) {
                size_t off = row + (size_t)i * j->S;
                for (long k = 0; k < j->S; k++) j->y[off + k] = (j->x[off + k] - m[i]) * is[i];
            }
        }
    }
}

void k_bn_forward_train(real *y, real *invstd, real *running_mean, real *running_var,
                        const real *x, int B, int C, int S, real eps, real momentum)
{
    BnJob j = {.y = y, .invstd = invstd, .rmean = running_mean, .rvar = running_var,
               .x = x, .B = B, .C = C, .S = S, .eps = eps, .momentum = momentum};
    k_par_range(C, 3.0 * B * S, bn_train_range, &j);
}

static void bn_eval_range(void *vj, long lo, long hi)
{
    const BnJob *j = vj;
    for (long r = lo; r < hi; r++) { /* r = b*C + c */
        long c = r % j->C;
        real m = j->rmean[c], is = (real)(1 / sqrt((double)j->rvar[c] + j->eps));
        const real *x = j->x + r * j->S;
        real *y = j->y + r * j->S;
        for (long k = 0; k < j->S; k++) y[k] = (x[k] - m) * is;
    }
}

void k_bn_forward_eval(real *y, const real *x, const real *running_mean,
                       const real *running_var, int B, int C, int S, real eps)
{
    BnJob j = {.y = y, .rmean = (real *)running_mean, .rvar = (real *)running_var,
               .x = x, .B = B, .C = C, .S = S, .eps = eps};
    k_par_range((long)B * C, 1.0 * S, bn_eval_range, &j);
}

/* sums of dy and dy*xhat per channel of a block */
static void bn_grad_sums(double *sdy, double *sdyx, const real *dy, const real *xhat,
                         int B, long C, long S, long c0, int nc)
{
    for (int i = 0; i < nc; i++) sdy[i] = sdyx[i] = 0;
    for (int b = 0; b < B; b++) {
        if (S == 1) {
            const real *d = dy + (size_t)b * C + c0, *xh = xhat + (size_t)b * C + c0;
            for (int i = 0; i < nc; i++) {
                sdy[i] += (double)d[i];
                sdyx[i] += (double)d[i] * (double)xh[i];
            }
            continue;
        }
        for (int i = 0; i < nc; i++) {
            size_t off = ((size_t)b * C + c0 + i) * S;
            double s1 = 0, s2 = 0;
            for (long k = 0; k < S; k++) {
                s1 += (double)dy[off + k];
                s2 += (double)dy[off + k] * (double)xhat[off + k];
            }
            sdy[i] += s1;
            sdyx[i] += s2;
        }
    }
}

static void bn_backward_range(void *vj, long lo, long hi)
{
    const BnJob *j = vj;
    double N = (double)j->B * j->S;
    for (long c0 = lo; c0 < hi; c0 += BN_BLOCK) {
        int nc = hi - c0 < BN_BLOCK ? (int)(hi - c0) : BN_BLOCK;
        double sdy[BN_BLOCK], sdyx[BN_BLOCK];
        bn_grad_sums(sdy, sdyx, j->dy, j->xhat, j->B, j->C, j->S, c0, nc);
        real mdy[BN_BLOCK], mdyx[BN_BLOCK];
        const real *is = j->invstd + c0;
        for (int i = 0; i < nc; i++) mdy[i] = (real)(sdy[i] / N), mdyx[i] = (real)(sdyx[i] / N);
        for (int b = 0; b < j->B; b++) {
            size_t row = ((size_t)b * j->C + c0) * j->S;
            if (j->S == 1) {
                for (int i = 0; i < nc; i++)
                    j->y[row + i] = is[i] * (j->dy[row + i] - mdy[i] - j->xhat[row + i] * mdyx[i]);
                continue;
            }
            for (int i = 0; i < nc; i++) {
                size_t off = row + (size_t)i * j->S;
                for (long k = 0; k < j->S; k++)
                    j->y[off + k] = is[i] * (j->dy[off + k] - mdy[i] - j->xhat[off + k] * mdyx[i]);
            }
        }
    }
}

void k_bn_backward(real *dx, const real *dy, const real *xhat, const real *invstd,
                   int B, int C, int S)
{
    BnJob j = {.y = dx, .invstd = (real *)invstd, .dy = dy, .xhat = xhat,
               .B = B, .C = C, .S = S};
    k_par_range(C, 3.0 * B * S, bn_backward_range, &j);
}

/* ---- layer norm ------------------------------------------------------- */

typedef struct LnJob {
    real *y, *invstd;
    const real *x, *dy, *xhat;
    long n;
    double eps;
} LnJob;

static void ln_forward_range(void *vj, long lo, long hi)
{
    const LnJob *j = vj;
    long n = j->n;
    for (long b = lo; b < hi; b++) {
        const real *x = j->x + b * n;
        real *y = j->y + b * n;
        double mean = k_sum_d(x, n) / (double)n, var = 0;
        for (long i = 0; i < n; i++) var += ((double)x[i] - mean) * ((double)x[i] - mean);
        double inv = 1 / sqrt(var / (double)n + j->eps);
        j->invstd[b] = (real)inv;
        real m = (real)mean, is = (real)inv;
        for (long i = 0; i < n; i++) y[i] = (x[i] - m) * is;
    }
}

void k_ln_forward(real *y, real *invstd, const real *x, int B, int n, real eps)
{
    LnJob j = {.y = y, .invstd = invstd, .x = x, .n = n, .eps = eps};
    k_par_range(B, 3.0 * n, ln_forward_range, &j);
}

static void ln_backward_range(void *vj, long lo, long hi)
{
    const LnJob *j = vj;
    long n = j->n;
    for (long b = lo; b < hi; b++) {
        const real *dy = j->dy + b * n, *xh = j->xhat + b * n;
        real *dx = j->y + b * n;
        double s1 = 0, s2 = 0;
        for (long i = 0; i < n; i++) {
            s1 += (double)dy[i];
            s2 += (double)dy[i] * (double)xh[i];
        }
        real mdy = (real)(s1 / (double)n), mdyx = (real)(s2 / (double)n), is = j->invstd[b];
        for (long i = 0; i < n; i++) dx[i] = is * (dy[i] - mdy - xh[i] * mdyx);
    }
}

void k_ln_backward(real *dx, const real *dy, const real *xhat, const real *invstd,
                   int B, int n)
{
    LnJob j = {.y = dx, .invstd = (real *)invstd, .dy = dy, .xhat = xhat, .n = n};
    k_par_range(B, 3.0 * n, ln_backward_range, &j);
}

/* ---- softmax over the last axis --------------------------------------- */

typedef struct SmJob {
    real *y;
    const real *x, *dy;
    long n;
    bool log;
} SmJob;

static void softmax_range(void *vj, long lo, long hi)
{
    const SmJob *j = vj;
    long n = j->n;
    for (long r = lo; r < hi; r++) {
        const real *x = j->x + r * n;
        real *y = j->y + r * n;
        real m = x[0];
        for (long i = 1; i < n; i++) m = x[i] > m ? x[i] : m;
        double s = 0;
        if (j->log) {
            for (long i = 0; i < n; i++) s += (double)exp(x[i] - m);
            real ls = (real)log(s);
            for (long i = 0; i < n; i++) y[i] = x[i] - m - ls;
        } else {
            for (long i = 0; i < n; i++) {
                y[i] = exp(x[i] - m);
                s += (double)y[i];
            }
            real inv = (real)(1 / s);
            for (long i = 0; i < n; i++) y[i] *= inv;
        }
    }
}

void k_softmax(real *y, const real *x, int rows, int n)
{
    SmJob j = {.y = y, .x = x, .n = n, .log = false};
    k_par_range(rows, 8.0 * n, softmax_range, &j);
}

void k_log_softmax(real *y, const real *x, int rows, int n)
{
    SmJob j = {.y = y, .x = x, .n = n, .log = true};
    k_par_range(rows, 8.0 * n, softmax_range, &j);
}

static void softmax_backward_range(void *vj, long lo, long hi)
{
    const SmJob *j = vj;
    long n = j->n;
    for (long r = lo; r < hi; r++) {
        const real *dy = j->dy + r * n, *y = j->x + r * n;
        real *dx = j->y + r * n;
        double s = 0;
        if (j->log) {
            s = k_sum_d(dy, n);
            for (long i = 0; i < n; i++) dx[i] = dy[i] - exp(y[i]) * (real)s;
        } else {
            for (long i = 0; i < n; i++) s += (double)dy[i] * (double)y[i];
            for (long i = 0; i < n; i++) dx[i] = y[i] * (dy[i] - (real)s);
        }
    }
}

void k_softmax_backward(real *dx, const real *dy, const real *y, int rows, int n)
{
    SmJob j = {.y = dx, .x = y, .dy = dy, .n = n, .log = false};
    k_par_range(rows, 2.0 * n, softmax_backward_range, &j);
}

void k_log_softmax_backward(real *dx, const real *dy, const real *y, int rows, int n)
{
    SmJob j = {.y = dx, .x = y, .dy = dy, .n = n, .log = true};
    k_par_range(rows, 8.0 * n, softmax_backward_range, &j);
}

/* ---- spectral normalisation ------------------------------------------- */

/* Row j of M times v */
static double sn_row_dot(const real *w, int d0, int rows, int rest, int j, const real *v)
{
    double acc = 0;
    for (int i = 0; i < d0; i++) {
        const real *row = w + ((int64_t)i * rows + j) * rest, *vi = v + (int64_t)i * rest;
        for (int r = 0; r < rest; r++) acc += (double)row[r] * vi[r];
    }
    return acc;
}

static double sn_norm(const real *x, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    return sqrt(s);
}

/* x /= max(|x|, 1e-12), PyTorch's normalize; returns |x| */
static double sn_normalize(real *x, int64_t n)
{
    double norm = sn_norm(x, n), inv = 1 / fmax(norm, 1e-12);
    for (int64_t i = 0; i < n; i++) x[i] = (real)(x[i] * inv);
    return norm;
}

real k_spectral_sigma(const real *w, int d0, int rows, int rest, real *uv, bool train)
{
    real *u = uv, *v = uv + rows;
    int64_t cols = (int64_t)d0 * rest;
    if (train) {
        /* v = M^T u, normalised */
        for (int i = 0; i < d0; i++)
            for (int r = 0; r < rest; r++) {
                double acc = 0;
                for (int j = 0; j < rows; j++) acc += (double)w[((int64_t)i * rows + j) * rest + r] * u[j];
                v[(int64_t)i * rest + r] = (real)acc;
            }
        sn_normalize(v, cols);
        /* u = M v, normalised: then u^T M v = |M v| */
        for (int j = 0; j < rows; j++) u[j] = (real)sn_row_dot(w, d0, rows, rest, j, v);
        return (real)sn_normalize(u, rows);
    }
    double sigma = 0;
    for (int j = 0; j < rows; j++) sigma += u[j] * sn_row_dot(w, d0, rows, rest, j, v);
    return (real)(sigma / fmax(sn_norm(u, rows) * sn_norm(v, cols), 1e-12));
}

void k_spectral_sigma_backward(real *dw, real dy, int d0, int rows, int rest, const real *uv)
{
    const real *u = uv, *v = uv + rows;
    for (int i = 0; i < d0; i++)
        for (int j = 0; j < rows; j++) {
            real *row = dw + ((int64_t)i * rows + j) * rest;
            const real *vi = v + (int64_t)i * rest;
            for (int r = 0; r < rest; r++) row[r] = dy * u[j] * vi[r];
        }
}
