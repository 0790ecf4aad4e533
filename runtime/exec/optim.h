/* optim.h: the optimizers, updating one player's parameters in place.
 *
 * A player's parameters are one flat slab p of n reals, its gradient one
 * slab g (the caller owns both). An Optim holds the settings and the state
 * slabs, allocated once by optim_init: a training step allocates nothing.
 *
 * The kinds and their defaults follow the pseudocode of torch.optim.SGD,
 * Adam, AdamW and RMSprop (PyTorch 2.x docs), so that a hyper-parameter
 * taken from a paper or a PyTorch script means the same thing here.
 * One optim_step does, in order:
 *   1. gradient-norm clipping (torch.nn.utils.clip_grad_norm_, which a
 *      PyTorch script calls before step()): if the L2 norm of all of g is
 *      above clip_grad_norm, g is scaled IN PLACE by
 *      clip_grad_norm / (norm + 1e-6);
 *   2. the update of the kind, with weight decay as the kind defines it
 *      (L2 added to the gradient, or decoupled for AdamW);
 *   3. weight clipping (WGAN): every parameter clamped to
 *      [-clip_weight, clip_weight]. */
#ifndef GENC_OPTIM_H
#define GENC_OPTIM_H

#include "core/base.h"

/* Like data.h, errors are returned, not printed: -1 and a one-line
 * message in the caller's err[OPTIM_ERR_LEN]. */
#define OPTIM_ERR_LEN 256

typedef enum OptimKind {
    OPTIM_SGD,
    OPTIM_ADAM,
    OPTIM_ADAMW,
    OPTIM_RMSPROP,
    OPTIM_NKINDS
} OptimKind;

/* Hyper-parameters in double, as the user wrote them; each kind reads only
 * the fields named beside it. */
typedef struct OptimSettings {
    OptimKind kind;
    double lr;
    double weight_decay;   /* all kinds */
    double momentum;       /* sgd, rmsprop */
    double dampening;      /* sgd */
    bool nesterov;         /* sgd: needs momentum > 0 and dampening 0 */
    double beta1, beta2;   /* adam, adamw */
    double alpha;          /* rmsprop: smoothing of the squared gradient */
    double eps;            /* adam, adamw, rmsprop */
    bool centered;         /* rmsprop: divide by the gradient's variance */
    double clip_grad_norm; /* > 0: max L2 norm of the gradient; 0: off */
    double clip_weight;    /* > 0: clamp parameters to [-c, c]; 0: off */
} OptimSettings;

/* PyTorch's defaults for a kind: sgd lr 1e-3; adam lr 1e-3, betas (0.9,
 * 0.999), eps 1e-8; adamw the same with weight_decay 1e-2; rmsprop lr
 * 1e-2, alpha 0.99, eps 1e-8; everything else 0 / false, no clipping. */
OptimSettings optim_defaults(OptimKind kind);

/* "sgd", "adam", "adamw", "rmsprop" */
const char *optim_kind_name(OptimKind kind);
/* 0 and *kind set, or -1 and err listing the known names. */
int optim_kind_from_name(const char *name, OptimKind *kind,
                         char err[OPTIM_ERR_LEN]);

/* 0, or -1 and err saying which setting is out of range, as torch.optim's
 * constructors would refuse it (negative lr, beta1 >= 1, nesterov without
 * momentum, ...). */
int optim_check(const OptimSettings *s, char err[OPTIM_ERR_LEN]);

/* One state slab of n reals, named as in PyTorch's state_dict so that a
 * checkpoint section can be named after it. */
typedef struct OptimSlab {
    const char *name; /* "momentum_buffer", "exp_avg", "exp_avg_sq",
                         "square_avg", "grad_avg" */
    real *x;
} OptimSlab;

#define OPTIM_MAX_SLABS 3

/* The whole state is plain data: settings, step and the slabs. A
 * checkpoint saves step and each slab's n reals and writes them back
 * into an Optim made by optim_init with the same settings and n, which
 * restores it exactly. Changing set.lr between steps (a schedule) is fine;
 * changing anything that decides the slabs is not. */
typedef struct Optim {
    OptimSettings set;
    size_t n;
    uint64_t step; /* updates done; Adam's bias correction and SGD's first
                      momentum step depend on it */
    int nslabs;
    OptimSlab slab[OPTIM_MAX_SLABS];
    real *mem; /* the slabs, one allocation, zeroed by optim_init */
} Optim;

/* How many slabs of n reals optim_init allocates for these settings. */
int optim_nslabs(const OptimSettings *s);

/* Checks the settings (see optim_check) and allocates the slabs for n
 * parameters. 0, or -1 and err (bad settings, or not enough memory);
 * optim_free is safe after either. */
int optim_init(Optim *o, const OptimSettings *s, size_t n,
               char err[OPTIM_ERR_LEN]);
void optim_free(Optim *o);

/* One update of p[0..n) from g[0..n); n must be the n of optim_init.
 * Scales g in place when clipping applies, leaves it alone otherwise. */
void optim_step(Optim *o, real *p, real *g, size_t n);

#endif
