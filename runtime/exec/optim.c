/* optim.c: sgd, adam, adamw and rmsprop on flat slabs, with gradient-norm
 * and weight clipping. Each update is one pass over the slabs. */
#include "exec/optim.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tgmath.h> /* sqrt in the precision of `real` inside the loops */

#include "kernels/kernels.h"

static const char *const kind_names[OPTIM_NKINDS] = {
    [OPTIM_SGD] = "sgd",
    [OPTIM_ADAM] = "adam",
    [OPTIM_ADAMW] = "adamw",
    [OPTIM_RMSPROP] = "rmsprop",
};

const char *optim_kind_name(OptimKind kind)
{
    GENC_ASSERT((unsigned)kind < OPTIM_NKINDS);
    return kind_names[kind];
}

int optim_kind_from_name(const char *name, OptimKind *kind,
                         char err[OPTIM_ERR_LEN])
{
    for (int k = 0; k < OPTIM_NKINDS; k++) {
        if (strcmp(name, kind_names[k]) == 0) {
            *kind = (OptimKind)k;
            return 0;
        }
    }
    snprintf(err, OPTIM_ERR_LEN,
             "unknown optimizer '%s' (genc has sgd, adam, adamw, rmsprop)",
             name);
    return -1;
}

OptimSettings optim_defaults(OptimKind kind)
{
    GENC_ASSERT((unsigned)kind < OPTIM_NKINDS);
    OptimSettings s = {.kind = kind, .lr = 1e-3};
    switch (kind) {
    case OPTIM_SGD:
        break;
    case OPTIM_ADAM:
    case OPTIM_ADAMW:
        s.beta1 = 0.9, s.beta2 = 0.999, s.eps = 1e-8;
        if (kind == OPTIM_ADAMW) s.weight_decay = 1e-2;
        break;
    case OPTIM_RMSPROP:
        s.lr = 1e-2, s.alpha = 0.99, s.eps = 1e-8;
        break;
    case OPTIM_NKINDS:
        genc_bug(__FILE__, __LINE__, "not an optimizer kind");
    }
    return s;
}

static int refuse(char *err, const OptimSettings *s, const char *field,
                  const char *need, double got)
{
    snprintf(err, OPTIM_ERR_LEN, "%s: %s must be %s, got %g",
             optim_kind_name(s->kind), field, need, got);
    return -1;
}

/* Written as !(x >= 0) rather than x < 0 so that NaN is refused too. Only
 * the fields the kind reads are checked. */
int optim_check(const OptimSettings *s, char err[OPTIM_ERR_LEN])
{
    bool sgd = s->kind == OPTIM_SGD, rmsprop = s->kind == OPTIM_RMSPROP;
    bool adam = s->kind == OPTIM_ADAM || s->kind == OPTIM_ADAMW;
    if (!(s->lr >= 0)) return refuse(err, s, "lr", ">= 0", s->lr);
    if (!(s->weight_decay >= 0))
        return refuse(err, s, "weight_decay", ">= 0", s->weight_decay);
    if (!(s->clip_grad_norm >= 0))
        return refuse(err, s, "clip_grad_norm", ">= 0 (0 turns it off)",
                      s->clip_grad_norm);
    if (!(s->clip_weight >= 0))
        return refuse(err, s, "clip_weight", ">= 0 (0 turns it off)",
                      s->clip_weight);
    if ((sgd || rmsprop) && !(s->momentum >= 0))
        return refuse(err, s, "momentum", ">= 0", s->momentum);
    if (sgd && !(s->dampening >= 0 && s->dampening <= 1))
        return refuse(err, s, "dampening", "in [0, 1]", s->dampening);
    if (adam && !(s->beta1 >= 0 && s->beta1 < 1))
        return refuse(err, s, "beta1", "in [0, 1)", s->beta1);
    if (adam && !(s->beta2 >= 0 && s->beta2 < 1))
        return refuse(err, s, "beta2", "in [0, 1)", s->beta2);
    if (rmsprop && !(s->alpha >= 0 && s->alpha <= 1))
        return refuse(err, s, "alpha", "in [0, 1]", s->alpha);
    if ((adam || rmsprop) && !(s->eps >= 0))
        return refuse(err, s, "eps", ">= 0", s->eps);
    if (sgd && s->nesterov && !(s->momentum > 0 && s->dampening == 0)) {
        snprintf(err, OPTIM_ERR_LEN,
                 "sgd: nesterov needs momentum > 0 and dampening 0 (got "
                 "momentum %g, dampening %g)",
                 s->momentum, s->dampening);
        return -1;
    }
    return 0;
}

/* The names of the state slabs the settings need; how many. */
static int slab_names(const OptimSettings *s, const char *name[OPTIM_MAX_SLABS])
{
    int n = 0;
    switch (s->kind) {
    case OPTIM_SGD:
        if (s->momentum != 0) name[n++] = "momentum_buffer";
        break;
    case OPTIM_ADAM:
    case OPTIM_ADAMW:
        name[n++] = "exp_avg";
        name[n++] = "exp_avg_sq";
        break;
    case OPTIM_RMSPROP:
        name[n++] = "square_avg";
        if (s->centered) name[n++] = "grad_avg";
        if (s->momentum > 0) name[n++] = "momentum_buffer";
        break;
    case OPTIM_NKINDS:
        genc_bug(__FILE__, __LINE__, "not an optimizer kind");
    }
    return n;
}

int optim_nslabs(const OptimSettings *s)
{
    const char *name[OPTIM_MAX_SLABS];
    return slab_names(s, name);
}

int optim_init(Optim *o, const OptimSettings *s, size_t n,
               char err[OPTIM_ERR_LEN])
{
    *o = (Optim){.set = *s, .n = n};
    if (optim_check(s, err) != 0) return -1;
    const char *name[OPTIM_MAX_SLABS];
    o->nslabs = slab_names(s, name);
    if (o->nslabs == 0) return 0;
    /* zeros are every slab's PyTorch initial value (SGD's momentum buffer
     * is instead set on the first step) */
    size_t bytes;
    if (__builtin_mul_overflow((size_t)o->nslabs * sizeof(real), n, &bytes) ||
        !(o->mem = calloc((size_t)o->nslabs * n, sizeof(real)))) {
        snprintf(err, OPTIM_ERR_LEN, "not enough memory for the optimizer state: %.1f MB needed",
                 (double)o->nslabs * (double)n * sizeof(real) / 1e6);
        return -1;
    }
    for (int i = 0; i < o->nslabs; i++) o->slab[i] = (OptimSlab){name[i], o->mem + i * n};
    return 0;
}

void optim_free(Optim *o)
{
    free(o->mem);
    *o = (Optim){0};
}

/* NULL when the settings need no such slab */
static real *find_slab(Optim *o, const char *name)
{
    for (int i = 0; i < o->nslabs; i++)
        if (strcmp(o->slab[i].name, name) == 0) return o->slab[i].x;
    return NULL;
}

/* torch.nn.utils.clip_grad_norm_ with the L2 norm. The sum of squares is
 * kept in double: millions of float squares would lose the small ones. */
static void clip_grad_norm(real *g, size_t n, double max_norm)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += (double)g[i] * (double)g[i];
    double coef = max_norm / (sqrt(sum) + 1e-6);
    if (coef < 1) {
        real c = (real)coef;
        for (size_t i = 0; i < n; i++) g[i] *= c;
    }
}

/* torch.optim.SGD: d = g + wd p; with momentum, b = d on the first step
 * and mu b + (1 - dampening) d after; the step is b, or d + mu b for
 * nesterov. */
static void sgd_update(Optim *o, real *restrict p, const real *restrict g, size_t lo, size_t hi)
{
    const OptimSettings *s = &o->set;
    real lr = (real)s->lr, wd = (real)s->weight_decay;
    real mu = (real)s->momentum, keep = (real)(1 - s->dampening);
    real *restrict b = find_slab(o, "momentum_buffer");
    if (!b) {
        for (size_t i = lo; i < hi; i++) p[i] -= lr * (g[i] + wd * p[i]);
        return;
    }
    bool first = o->step == 1, nesterov = s->nesterov;
    for (size_t i = lo; i < hi; i++) {
        real d = g[i] + wd * p[i];
        b[i] = first ? d : mu * b[i] + keep * d;
        p[i] -= lr * (nesterov ? d + mu * b[i] : b[i]);
    }
}

/* torch.optim.Adam and AdamW. Adam adds wd p to the gradient; AdamW
 * instead shrinks p by lr wd first. The bias corrections are folded into
 * two scalars, as PyTorch's own implementation does:
 *   p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)
 * which is lr * m_hat / (sqrt(v_hat) + eps) with eps after the sqrt. */
static void adam_update(Optim *o, real *restrict p, const real *restrict g, size_t lo, size_t hi)
{
    const OptimSettings *s = &o->set;
    bool decoupled = s->kind == OPTIM_ADAMW;
    real l2 = decoupled ? 0 : (real)s->weight_decay;
    real shrink = decoupled ? (real)(1 - s->lr * s->weight_decay) : 1;
    real b1 = (real)s->beta1, b2 = (real)s->beta2, eps = (real)s->eps;
    real step_size = (real)(s->lr / (1 - pow(s->beta1, (double)o->step)));
    real inv_sqrt_bc2 = (real)(1 / sqrt(1 - pow(s->beta2, (double)o->step)));
    real *restrict m = find_slab(o, "exp_avg");
    real *restrict v = find_slab(o, "exp_avg_sq");
    for (size_t i = lo; i < hi; i++) {
        real gi = g[i] + l2 * p[i];
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        real denom = sqrt(v[i]) * inv_sqrt_bc2 + eps;
        p[i] = shrink * p[i] - step_size * m[i] / denom;
    }
}

/* torch.optim.RMSprop: v = alpha v + (1 - alpha) d^2 with d = g + wd p;
 * centered subtracts the square of the running mean of d; the step is
 * d / (sqrt(v) + eps), accumulated into a buffer when momentum > 0. */
static void rmsprop_update(Optim *o, real *restrict p, const real *restrict g, size_t lo, size_t hi)
{
    const OptimSettings *s = &o->set;
    real lr = (real)s->lr, wd = (real)s->weight_decay, eps = (real)s->eps;
    real a = (real)s->alpha, mu = (real)s->momentum;
    real *restrict sq = find_slab(o, "square_avg");
    real *restrict avg = find_slab(o, "grad_avg");
    real *restrict buf = find_slab(o, "momentum_buffer");
    for (size_t i = lo; i < hi; i++) {
        real d = g[i] + wd * p[i];
        sq[i] = a * sq[i] + (1 - a) * d * d;
        real var = sq[i];
        if (avg) {
            avg[i] = a * avg[i] + (1 - a) * d;
            /* v - mean^2 >= 0 exactly, but once a gradient has been
             * constant for long the two agree to the last bit and
             * rounding can go below 0; PyTorch would take sqrt of it and
             * make the parameter NaN. (A NaN stays NaN: it is not hidden.) */
            var -= avg[i] * avg[i];
            if (var < 0) var = 0;
        }
        real step = d / (sqrt(var) + eps);
        if (buf) step = buf[i] = mu * buf[i] + step;
        p[i] -= lr * step;
    }
}

typedef struct OptimJob {
    Optim *o;
    real *p;
    const real *g;
} OptimJob;

/* The update of parameters [lo, hi): elementwise, so any split of the
 * slab over threads gives the same bits. */
static void optim_range(void *vj, long lo, long hi)
{
    const OptimJob *j = vj;
    Optim *o = j->o;
    real *p = j->p;
    switch (o->set.kind) {
    case OPTIM_SGD:
        sgd_update(o, p, j->g, (size_t)lo, (size_t)hi);
        break;
    case OPTIM_ADAM:
    case OPTIM_ADAMW:
        adam_update(o, p, j->g, (size_t)lo, (size_t)hi);
        break;
    case OPTIM_RMSPROP:
        rmsprop_update(o, p, j->g, (size_t)lo, (size_t)hi);
        break;
    case OPTIM_NKINDS:
        genc_bug(__FILE__, __LINE__, "not an optimizer kind");
    }
    if (o->set.clip_weight > 0) {
        /* comparisons, not fmin/fmax, so that a NaN stays visible like
         * torch.clamp_ keeps it, instead of becoming -c */
        real c = (real)o->set.clip_weight;
        for (long i = lo; i < hi; i++)
            p[i] = p[i] > c ? c : p[i] < -c ? -c : p[i];
    }
}

void optim_step(Optim *o, real *p, real *g, size_t n)
{
    GENC_ASSERT(n == o->n && n <= LONG_MAX);
    if (o->set.clip_grad_norm > 0) clip_grad_norm(g, n, o->set.clip_grad_norm);
    o->step++;
    /* a memory-bound pass (Adam reads and writes 28 bytes per parameter):
     * on small models it is a quarter of the step, and a second core
     * brings a second share of memory bandwidth */
    OptimJob j = {o, p, g};
    k_par_range((long)n, 2, optim_range, &j);
}
