/* plan.h: execution order and memory for one kind of step.
 *
 * A training step runs some of the graph's phases (with `steps D: 5, G: 1`
 * the G phase runs only every 5th step), each computing its loss and
 * gradients and then updating its parameters. The plan for a set of phases
 * lists the node computations in order; a value computed by an earlier
 * phase of the step is reused by a later one unless it depends on
 * parameters updated in between (so G(z) is computed once, D(G(z)) again
 * after D's update). Every computed value gets an offset in one arena from
 * its liveness: it is kept only while a later instruction needs it; a
 * convolution's scratch is a value that lives during its instruction only,
 * and each phase's gradients are one block that lives from the phase's
 * first instruction to its update (in a GAN, G's gradients and D's never
 * take memory at the same time). Parameters, optimizer state, data and
 * noise live outside the arena, in slabs the executor owns. */
#ifndef GENC_PLAN_H
#define GENC_PLAN_H

#include <stdio.h>

#include "ir/graph.h"

/* Where a value lives. A gradient that a phase's update reads is
 * computed straight into its place in the phase's gradient block
 * (SLOT_GRAD: Plan.goff), and a reshape shares its input's memory instead
 * of copying it. */
typedef enum { SLOT_ARENA, SLOT_PARAM, SLOT_GRAD, SLOT_INPUT, SLOT_NOISE } SlotKind;
typedef struct Slot {
    SlotKind kind;
    int64_t off; /* reals into the arena; or the param, input, noise index */
} Slot;

typedef enum {
    INS_COMPUTE, /* compute node into out from in[] */
    INS_UPDATE,  /* the phase's optimizer step from its gradients */
} InsKind;

typedef struct Ins {
    InsKind kind;
    int node;  /* INS_COMPUTE */
    int phase; /* the phase this instruction serves */
    Slot out;
    Slot in[GRAPH_MAXIN];
    int64_t work; /* INS_COMPUTE: its kernel scratch (conv columns), reals
                   * into the arena, live during this instruction only; -1: none */
    int64_t work_size; /* reals of that scratch */
    Slot *grads; /* INS_UPDATE: one per phase parameter (off -1: none) */
    Slot loss;   /* INS_UPDATE: the loss value, read for the log */
} Ins;

typedef struct Plan {
    int B;
    bool train;    /* batch statistics and dropout; else running averages */
    unsigned mask; /* the phases that run (train), bit i for phase i */
    Ins *ins;
    int nins;
    int64_t arena; /* reals of intermediate values, gradients and kernel scratch */
    int64_t work;  /* reals of the largest kernel scratch (inside the arena) */
    int64_t *gbase; /* per phase: its gradient block in the arena (-1: not run) */
    int64_t *goff;  /* per parameter: its gradient in the arena (-1: none) */
} Plan;

/* Parameters grouped by phase, so that each optimizer sees one slab (and
 * each phase's gradients one block): per parameter its offset (poff), per
 * phase its first real (pstart) and count (plen); untrained parameters come
 * last. Returns the total. */
int64_t plan_param_layout(const Graph *g, int64_t *poff, int64_t *pstart, int64_t *plen);

/* Elements of node n at batch size B. */
int64_t plan_count(const Graph *g, int n, int B);
/* Extra reals a node keeps beside its value (batchnorm's inverse std). */
int64_t plan_aux(const Graph *g, int n, int B);

/* Reals of scratch node n needs at batch B, as the backend that will run
 * the plan says (exec/backend.h). */
typedef int64_t (*PlanWorkFn)(const Graph *g, const Node *n, int B);

/* A training step that runs the phases in mask, in graph order. */
Plan *plan_step(const Graph *g, int B, unsigned mask, PlanWorkFn work);
/* The phases training step s (from 0) runs: phase p when (s + 1) % every
 * is 0 (`steps D: 5, G: 1`: G every 5th step). */
unsigned plan_mask(const Graph *g, uint64_t step);
/* The plans of every kind of step training takes, at the model's batch
 * size: steps[mask] for each mask plan_mask gives (the others NULL), among
 * them the step of every phase. The pipeline's last pass. */
void plan_training(const Graph *g, PlanWorkFn work, Plan *steps[1 << GENC_MAX_PHASES]);
/* Computing the given nodes only, in eval mode (sampling, test losses). */
Plan *plan_eval(const Graph *g, int B, const int *roots, int nroots, PlanWorkFn work);
void plan_free(Plan *p);

/* The instructions, one a line, with where each value lives. */
void plan_print(const Graph *g, const Plan *p, FILE *f);

/* FLOPs of one instruction at its plan's batch size (multiply-adds count
 * 2; elementwise ops 1 per element): for --stats and the profile. */
double plan_flops(const Graph *g, const Plan *p, const Ins *in);

#endif
