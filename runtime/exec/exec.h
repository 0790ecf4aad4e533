/* exec.h: runs plans over the arena; owns every buffer of a run.
 *
 * Exec allocates once, when it is created: the parameter slab (each
 * phase's parameters contiguous, so its optimizer sees one flat slab),
 * batchnorm statistics, the data and noise buffers of one batch and the
 * arena (values, each phase's gradient block in its parameters' layout,
 * and kernel scratch). Running a step allocates nothing. */
#ifndef GENC_EXEC_H
#define GENC_EXEC_H

#include "ir/graph.h"
#include "exec/optim.h"
#include "passes/plan.h"
#include "exec/rng.h"

#define EXEC_ERR_LEN 512

typedef struct Exec {
    Graph *g;
    int B;
    real *params;
    int64_t *poff;    /* per parameter: offset in the slab */
    int64_t nparams;  /* reals in the parameter slab */
    int64_t *pstart;  /* per phase: first real of its parameters; */
    int64_t *plen;    /* and how many */
    real *bn;         /* per batchnorm state: mean [C] then variance [C] */
    int64_t *bnoff;
    int64_t nbn;
    real *input[2];   /* images [B, ...] and labels [B] of the batch */
    real **noise;     /* per noise source [B, ...] */
    real *arena; /* intermediate values and kernel scratch */
    int64_t arena_size; /* reals allocated */
    Optim *optim;     /* per phase */
    Plan *plans[64];  /* training plans by phase mask, made on first use */
    uint64_t seed;
    uint64_t step;    /* training steps done: keys dropout masks */
    real *loss;       /* per phase: the loss of its last run */
    double *prof;     /* NULL, or seconds spent per node (and per phase's
                         update at index nnodes + phase), for --profile */
} Exec;

/* Starts timing every instruction (genc bench --profile). */
void exec_profile(Exec *e);

/* Creates the run state for batch size B: parameters initialised from
 * seed by their init rules, optimizers from the phases' settings. NULL and
 * err on failure (the arena does not fit in memory, bad optimizer
 * settings). */
Exec *exec_new(Graph *g, int B, uint64_t seed, char err[EXEC_ERR_LEN]);
void exec_free(Exec *e);

/* Draws noise for `rows` examples from rng, source after source. */
void exec_draw_noise(Exec *e, Rng *rng, int rows);

/* One training step running the phases in mask over the current input
 * and noise buffers. 0, or -1 with err naming the node, its source line
 * and the phase when a loss or a gradient is not finite (the parameters
 * of that phase are left as they were before the step's update). */
int exec_step(Exec *e, unsigned mask, char err[EXEC_ERR_LEN]);

/* The same without the updates: each phase's loss in loss[], its
 * gradients in its block, parameters untouched, dropout masks those of the
 * current step. For gradient checks. */
int exec_gradients(Exec *e, unsigned mask, char err[EXEC_ERR_LEN]);
/* The gradients of phase p's parameters (plen[p] reals, in the slab's
 * layout) after exec_gradients(e, 1u << p): the block is the arena's and
 * the next run reuses it. */
const real *exec_phase_grads(const Exec *e, int p);

/* Evaluates a plan made by plan_eval (batchnorm running averages, no
 * dropout). Values are read with exec_value. */
int exec_eval(Exec *e, Plan *p, char err[EXEC_ERR_LEN]);
/* The value of node n computed by the last run of plan p. */
const real *exec_value(Exec *e, const Plan *p, int n);

/* Bytes the run state takes, for messages and --stats. */
int64_t exec_bytes(const Exec *e);

#endif
