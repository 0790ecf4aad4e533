/* backend.h: where the executor's instructions run.
 *
 * The executor (exec.c) owns the plan's slots and the memory, runs the
 * optimizers and checks values; it does not know which kernels compute a
 * node. A backend does: it gives memory, says how much scratch an
 * instruction needs (the plan reserves it in the arena), computes one
 * instruction, and waits for what it started. Two exist, both on the CPU
 * (exec/cpu.c): "cpu", genc's optimized kernels, and "ref", the naive
 * reference kernels the tests check those against (genc run --backend
 * ref), slow and obviously right. */
#ifndef GENC_BACKEND_H
#define GENC_BACKEND_H

#include "ir/graph.h"

#define EXEC_ERR_LEN 512

/* One instruction: node n computed into y from its inputs' values. */
typedef struct KernelCall {
    const Graph *g;
    const Node *n;
    int node;           /* n's index */
    int B;              /* the batch size of the plan */
    bool train;         /* batch statistics and dropout; else running averages, no dropout */
    real *y;            /* the value; batchnorm and layernorm keep statistics after it */
    const real *x[GRAPH_MAXIN]; /* the inputs' values */
    real *work;         /* work_size reals of scratch, or NULL */
    real *state;        /* the layer state of n's op (batchnorm), or NULL */
    const double *sched; /* the schedules' values at this step (Graph.scheds) */
    double momentum;    /* > 0: batchnorm's, for standing statistics; 0: the node's */
    uint64_t seed, step; /* the run's seed and step: dropout's masks */
} KernelCall;

typedef struct Backend {
    const char *name;
    /* Memory for values, parameters and state: zeroed, aligned for vector
     * loads; NULL when there is not enough. */
    void *(*alloc)(size_t bytes);
    void (*release)(void *p);
    /* Reals of scratch node n needs at batch B (convolutions). */
    int64_t (*work_size)(const Graph *g, const Node *n, int B);
    /* What the backend's libraries need beyond the planned memory, taken
     * now (false: there is not enough), and how much that is, as the end
     * of a sentence for the out-of-memory message ("" when nothing). */
    bool (*reserve)(void);
    void (*describe_needs)(char *buf, size_t len);
    /* Computes one instruction: 0, or -1 with err naming the node (class
     * indices in the data that are not classes). */
    int (*run)(const KernelCall *c, char err[EXEC_ERR_LEN]);
    /* Returns when every instruction started has finished. */
    void (*sync)(void);
} Backend;

extern const Backend backend_cpu, backend_ref;

/* The backend called name, or NULL. */
const Backend *backend_find(const char *name);
/* "cpu, ref": the names, for messages. */
extern const char backend_names[];

#endif
