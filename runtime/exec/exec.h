/* exec.h: runs plans over the arena; owns every buffer of a run.
 *
 * Exec allocates once, when it is created, from its backend: the
 * parameter slab (each phase's parameters contiguous, so its optimizer
 * sees one flat slab), the layer-state slab (batchnorm's statistics), the
 * data and noise buffers of one batch and the arena (values, each phase's
 * gradient block in its parameters' layout, and kernel scratch). Running
 * a step allocates nothing. The backend computes each instruction
 * (backend.h); the executor gathers gradients, checks them, calls the
 * update hook and runs the optimizers. */
#ifndef GENC_EXEC_H
#define GENC_EXEC_H

#include "exec/backend.h"
#include "exec/optim.h"
#include "exec/rng.h"
#include "ir/graph.h"
#include "passes/compile.h"
#include "passes/plan.h"

/* Between a phase's gradients and its update: grads [n] in the slab's
 * layout, which the hook may change (an all-reduce over processes goes
 * here). 0, or -1 with err, which stops the step. */
typedef int (*ExecUpdateHook)(void *ctx, int phase, real *grads, int64_t n,
                              char err[EXEC_ERR_LEN]);

typedef struct Exec {
    Graph *g;
    const Backend *be;
    int B;
    real *params;
    int64_t *poff;    /* per parameter: offset in the slab */
    int64_t nparams;  /* reals in the parameter slab */
    int64_t *pstart;  /* per phase: first real of its parameters; */
    int64_t *plen;    /* and how many */
    real *state;      /* the layer states, one after the other */
    int64_t *soff;    /* per state: offset in that slab */
    int64_t nstate;
    /* The averages of the weights of players with `ema` (and of their
     * layers' state), in the layouts of params and state; NULL when no
     * player has one. A parameter without an average is copied here at
     * each update, so that exec_swap_ema makes a complete set. */
    real *ema, *ema_state;
    /* The schedules' values (Graph.scheds) at the current step, and what
     * they depend on besides it: an epoch's steps and the run's (set by
     * the training loop; 0 until then, when the values stay those of the
     * checkpoint loaded, or of step 0). */
    double *sched;
    int64_t per_epoch, total;
    double momentum;  /* batchnorm's for the runs of exec_standing_stats; 0: the node's */
    real *input[2];   /* images [B, ...] and labels [B] of the batch */
    real **noise;     /* per noise source [B, ...] */
    real *arena; /* intermediate values and kernel scratch */
    int64_t arena_size; /* reals allocated */
    Optim *optim;     /* per phase */
    Plan *const *steps; /* the compiled model's training plans, by phase mask */
    ExecUpdateHook hook;
    void *hook_ctx;
    uint64_t seed;
    uint64_t step;    /* training steps done: keys dropout masks */
    real *loss;       /* per phase: the loss of its last run */
    double *prof;     /* NULL, or seconds spent per node (and per phase's
                         update at index nnodes + phase), for --profile */
} Exec;

/* Starts timing every instruction (genc bench --profile). */
void exec_profile(Exec *e);

/* Creates the run state of a model compiled with its plans (STOP_PLAN)
 * for backend be, at the model's batch size: parameters initialised from
 * seed by their init rules, layer state from its fills, optimizers from
 * the phases' settings. c must outlive it. NULL and err on failure (the
 * arena does not fit in memory, bad optimizer settings). */
Exec *exec_new(const Compiled *c, const Backend *be, uint64_t seed, char err[EXEC_ERR_LEN]);
void exec_free(Exec *e);

/* The schedules' values at step e->step, for a run of `total` steps,
 * `per_epoch` an epoch. */
void exec_schedules(Exec *e, int64_t per_epoch, int64_t total);

/* Standing statistics (Brock et al. 2019, BigGAN): batchnorm's running
 * statistics of the layers root reads, recomputed as the plain average of
 * the batch statistics of `batches` runs of root in training mode at batch
 * B, on noise from rng. For the averaged weights, whose activations the
 * averaged running statistics do not describe. Every layer state root's
 * layers keep changes (the caller saves what it must keep). 0, or -1 and
 * err. */
int exec_standing_stats(Exec *e, int root, int B, Rng *rng, int batches, char err[EXEC_ERR_LEN]);
/* Whether a layer state with averages is batchnorm's: then the averaged
 * weights need standing statistics. */
bool exec_averages_batchnorm(const Exec *e);

/* Exchanges the parameters and layer state with their averages (nothing
 * when the model has none): sampling and evaluation with the averaged
 * weights sit between two calls. Training must not run in between. */
void exec_swap_ema(Exec *e);

/* Draws noise for `rows` examples from rng, source after source. */
void exec_draw_noise(Exec *e, Rng *rng, int rows);

/* One training step running the phases in mask (plan_mask's) over the
 * current input and noise buffers. 0, or -1 with err naming the node, its
 * source line and the phase when a loss or a gradient is not finite (the
 * parameters of that phase are left as they were before the step's
 * update). */
int exec_step(Exec *e, unsigned mask, char err[EXEC_ERR_LEN]);

/* For gradient checks: a step of any phases (the caller frees it), run
 * without its updates: each phase's loss in loss[], its gradients in its
 * block, parameters untouched, dropout masks those of the current step. */
Plan *exec_plan_step(const Exec *e, unsigned mask);
int exec_gradients(Exec *e, const Plan *p, char err[EXEC_ERR_LEN]);
/* The gradients of phase ph's parameters (plen[ph] reals, in the slab's
 * layout) after exec_gradients(e, p): the block is the arena's and the
 * next run reuses it. */
const real *exec_phase_grads(const Exec *e, const Plan *p, int ph);

/* A plan computing the roots in eval mode (batchnorm running averages,
 * no dropout) at batch B, for this executor's backend. */
Plan *exec_plan_eval(const Exec *e, int B, const int *roots, int nroots);
/* Evaluates a plan made by exec_plan_eval. Values are read with exec_value. */
int exec_eval(Exec *e, Plan *p, char err[EXEC_ERR_LEN]);
/* The value of node n computed by the last run of plan p. */
const real *exec_value(Exec *e, const Plan *p, int n);

/* Bytes the run state takes, for messages and --stats. */
int64_t exec_bytes(const Exec *e);

#endif
