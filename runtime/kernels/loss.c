/* loss.c: elementwise losses and their gradients. The executor sums the
 * per-element losses (sum_rows, mean_batch), so these stay elementwise and
 * trivially parallel. */
#include "kernels/kernels_impl.h"

typedef struct LossJob {
    real *out;
    const real *a, *b, *dy;
    int which;
} LossJob;

enum { L_BCE, L_BCE_GRAD, L_BCEL, L_BCEL_GRAD, L_KL };

static void loss_range(void *vj, long lo, long hi)
{
    const LossJob *j = vj;
    const real *a = j->a, *b = j->b, *dy = j->dy;
    real *o = j->out;
    switch (j->which) {
    case L_BCE: /* a = p, b = t; log clamped at -100 as PyTorch does */
        for (long i = lo; i < hi; i++) {
            real lp = fmax(log(a[i]), (real)-100), lq = fmax(log1p(-a[i]), (real)-100);
            o[i] = -(b[i] * lp + ((real)1 - b[i]) * lq);
        }
        break;
    case L_BCE_GRAD: /* in double: 1 - K_BCE_EPS is not a float */
        for (long i = lo; i < hi; i++) {
            double p = fmin(fmax((double)a[i], K_BCE_EPS), 1 - K_BCE_EPS);
            o[i] = (real)((double)dy[i] * (p - (double)b[i]) / (p * (1 - p)));
        }
        break;
    case L_BCEL: /* a = logits */
        for (long i = lo; i < hi; i++)
            o[i] = fmax(a[i], (real)0) - a[i] * b[i] + log1p(exp(-fabs(a[i])));
        break;
    case L_BCEL_GRAD:
        for (long i = lo; i < hi; i++) {
            real e = exp(-fabs(a[i])), s = (real)1 / ((real)1 + e);
            real sig = a[i] >= 0 ? s : e * s;
            o[i] = dy[i] * (sig - b[i]);
        }
        break;
    case L_KL: /* a = mu, b = logvar */
        for (long i = lo; i < hi; i++)
            o[i] = (real)-0.5 * ((real)1 + b[i] - a[i] * a[i] - exp(b[i]));
        break;
    }
}

static void loss_run(int which, real *out, const real *a, const real *b,
                     const real *dy, int n)
{
    LossJob j = {out, a, b, dy, which};
    k_par_range(n, 10, loss_range, &j);
}

void k_bce(real *l, const real *p, const real *t, int n)
{
    loss_run(L_BCE, l, p, t, NULL, n);
}

void k_bce_grad(real *dp, const real *dy, const real *p, const real *t, int n)
{
    loss_run(L_BCE_GRAD, dp, p, t, dy, n);
}

void k_bce_logits(real *l, const real *a, const real *t, int n)
{
    loss_run(L_BCEL, l, a, t, NULL, n);
}

void k_bce_logits_grad(real *da, const real *dy, const real *a, const real *t, int n)
{
    loss_run(L_BCEL_GRAD, da, a, t, dy, n);
}

void k_kl_normal(real *l, const real *mu, const real *logvar, int n)
{
    loss_run(L_KL, l, mu, logvar, NULL, n);
}

