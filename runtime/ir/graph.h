/* graph.h: the graph IR, shared by the front end (grammar/) and the runtime.
 *
 * One static graph per model. Nodes are in SSA form and refer to their
 * inputs by index; an input always has a smaller index than its user, so
 * the node array is a topological order. Every node keeps the source
 * location it came from and the net/layer path that owns it. Each player of
 * the objective becomes a phase: a scalar loss node and the parameters that
 * the phase updates. Autodiff appends gradient nodes to the same array. */
#ifndef GENC_GRAPH_H
#define GENC_GRAPH_H

#include <stdio.h>

#include "core/base.h"
#include "core/limits.h"
#include "ir/ops.h"

/* Per-example dimensions. A batched tensor is [B, d...] with B the one
 * symbolic dimension, fixed when the graph is planned; an unbatched one
 * (parameters, the scalar loss) is [d...]. nd == 0 is a scalar. */
typedef struct Shape {
    int nd;
    int d[GENC_MAX_DIMS];
    bool batch;
} Shape;

#define GRAPH_MAXIN 3
typedef struct Node {
    Op op;
    int nin;
    int in[GRAPH_MAXIN];
    Shape shape;
    Attrs attr;       /* the fields op_info[op].attrs lists (ops.h) */
    SrcLoc loc;
    const char *path; /* owner, e.g. "G.deconv2"; "" at the top level */
} Node;

typedef enum {
    INIT_DEFAULT, /* the layer's PyTorch default, resolved at lowering */
    INIT_NORMAL,  /* a = mean, b = std */
    INIT_UNIFORM, /* a = low, b = high */
    INIT_XAVIER_UNIFORM,
    INIT_XAVIER_NORMAL,
    INIT_KAIMING_UNIFORM, /* a = negative slope of the activation */
    INIT_KAIMING_NORMAL,
    INIT_ZEROS,
    INIT_ONES,
    INIT_COUNT
} InitKind;

typedef struct Init {
    InitKind kind;
    double a, b;
} Init;

typedef struct Param {
    char *path;  /* "G.deconv2.w" */
    char *owner; /* the net that owns it: "G" */
    Shape shape; /* unbatched */
    Init init;
    int fan_in, fan_out;
    SrcLoc loc;
    double ema;  /* the decay of its average (the owner's `ema`); 0: none */
} Param;

/* Layer state: tensors a layer keeps that the optimizer does not train
 * (batchnorm's running statistics), in a slab of their own, checkpointed
 * with the parameters and read according to train or eval mode by the
 * kernels of the op that owns them. A state is `parts` tensors of `shape`
 * back to back, part k starting filled with fill[k]. */
#define GRAPH_MAXPARTS 4
typedef struct LayerState {
    char *path;       /* the layer: "G.batchnorm1" */
    const char *what; /* for `genc graph`: "running mean and variance" */
    Shape shape;      /* of each part, unbatched */
    int parts;
    double fill[GRAPH_MAXPARTS];
    double ema;       /* averaged with the owner's weights: the decay; 0: not */
} LayerState;

typedef enum { NOISE_NORMAL, NOISE_UNIFORM, NOISE_CATEGORICAL } NoiseKind;
typedef struct Noise {
    char *name;
    NoiseKind kind;
    double a, b; /* normal: mean, std; uniform: low, high */
    int classes; /* categorical */
    Shape shape; /* batched */
    SrcLoc loc;
} Noise;

/* The model's one data source: images (and labels when it names two). */
typedef struct DataSrc {
    char *name, *label_name; /* label_name NULL when labels are unused */
    char *dataset;           /* "mnist", "fashion_mnist", "idx", "images", "text", "wav" */
    char *dir;               /* the folder or file a source names, else NULL: the dataset's default */
    double holdout;          /* images: the fraction held out for test */
    bool flip;               /* augmentation: a random horizontal flip */
    int shift;               /* augmentation: a random shift of up to this many pixels */
    int rate;                /* wav: samples per second */
    char *split;             /* "train" or "test" */
    double lo, hi;           /* pixel range */
    int classes;             /* label count (10) */
    Shape shape, label_shape;
    SrcLoc loc;
} DataSrc;

/* A value that follows a schedule over the training steps: a learning
 * rate, or a constant of an objective (`let beta = linear(0, 1, epochs:
 * 10)`). At step t (0-based), after `warmup` steps of a linear ramp from
 * 0, u = t - warmup steps into a span of `span` steps (or epochs; 0: the
 * rest of the run):
 *   linear      a + (b - a) min(u / span, 1)
 *   cosine      b + (a - b) (1 + cos(pi min(u / span, 1))) / 2
 *   warmup      a min((t + 1) / span, 1)        (no warmup of its own)
 *   step_decay  a b^floor(u / span)              (b: the factor) */
typedef enum { SCHED_LINEAR, SCHED_COSINE, SCHED_WARMUP, SCHED_STEP_DECAY } SchedKind;
typedef struct Schedule {
    SchedKind kind;
    double a, b;
    int64_t span;   /* 0: to the end of the run */
    bool epochs;    /* span counts epochs, not steps */
    int64_t warmup; /* steps */
    char *name;     /* its column in log.csv: the let's name, "lr_G" */
    SrcLoc loc;
} Schedule;

/* Schedule s's value at step t of a run of `total` steps, `per_epoch` an
 * epoch. */
double sched_value(const Schedule *s, int64_t t, int64_t per_epoch, int64_t total);
/* "cosine(0.0002, 0, epochs: 20)": s as a .g file writes it, into buf. */
const char *sched_str(const Schedule *s, char *buf, size_t n);

/* A call-like setting from the train block: optimizer adam(lr: 2e-4). */
#define GRAPH_MAXKW 8
typedef struct Setting {
    char *name;
    int nkw;
    char *kw[GRAPH_MAXKW];
    double val[GRAPH_MAXKW];
    SrcLoc loc;
} Setting;

typedef struct Phase {
    char *name;     /* the players, joined by '+': "D", "Enc+Dec" */
    int loss;       /* node: unbatched scalar to minimise */
    int nparams;
    int *params;    /* indices into Graph.params */
    int *grads;     /* after autodiff: gradient node per param */
    Setting optim;  /* kind in name, e.g. "adam" */
    double clip;    /* weight clipping (0: none) */
    double grad_clip; /* gradient-norm clipping (0: none) */
    int every;      /* run on steps s with (s + 1) % every == 0 */
    int lr_sched;   /* the schedule of its learning rate (Graph.scheds), -1: none */
    SrcLoc loc;
} Phase;

typedef struct Graph {
    const char *file;
    Node *nodes;
    int nnodes, cap;
    int nforward;  /* the nodes before autodiff's (0 until it runs) */
    Param *params;
    int nparams;
    LayerState *states;
    int nstates;
    Noise *noise;
    int nnoise;
    DataSrc *data; /* NULL: the model reads no data */
    Phase *phases;
    int nphases;
    Schedule *scheds; /* the learning rates' and the objectives' */
    int nscheds;
    int sample;    /* node drawn by `genc sample`, -1 if none */
    int judge;     /* node of class probabilities for `genc eval --judge`, -1 */
    int features;  /* penultimate features for the judge's fd, -1 */
    int encode;    /* a data example's code (genc sample --interpolate), -1 */
    /* train block */
    int batch, epochs;
    uint64_t seed;
    uint64_t ema_start; /* the training step the averages start at */
    Init init;     /* model-wide default for weights (INIT_DEFAULT: per layer) */
    const char *after; /* the last pass that ran, for dumps */
    char **strs;       /* interned node paths */
    int nstrs;
    int *strtab, strcap; /* their hash table (graph_intern) */
} Graph;

Graph *graph_new(const char *file);
void graph_free(Graph *g);

/* Appends a node and returns its index; shape, attributes set by caller. */
int graph_add(Graph *g, Op op, int nin, const int *in, SrcLoc loc, const char *path);
int graph_param(Graph *g, const char *path, const char *owner, Shape s, Init init,
                int fan_in, int fan_out, SrcLoc loc);
int graph_const(Graph *g, double v, SrcLoc loc, const char *path);
/* Declares a layer state and returns its index. */
int graph_state(Graph *g, const char *path, const char *what, Shape shape, int parts,
                const double *fill);
/* Reals of state i, all parts. */
int64_t graph_state_count(const Graph *g, int i);
/* A copy of s that lives as long as the graph (equal strings shared). */
const char *graph_intern(Graph *g, const char *s);

/* Removes the nodes no root needs (phase losses and gradients, sample,
 * judge, encode), renumbering inputs and the roots. */
void graph_compact(Graph *g);
/* The roots (each phase's loss and gradients, the sample, judge, features
 * and encode nodes) renumbered by map, old index to new, after a pass
 * rebuilt the nodes. */
void graph_map_roots(Graph *g, const int *map);

/* Element counts: per example, and total for a batch of b. */
int64_t shape_count(Shape s);
bool shape_eq(Shape a, Shape b);
/* "[B, 1, 28, 28]" into buf */
const char *shape_str(Shape s, char *buf, size_t n);
Shape shape_make(bool batch, int nd, const int *d);
/* Broadcasting: the batch stays first; per-example dims align on the
 * right, numpy style. False if they do not broadcast. */
bool shape_broadcast(Shape a, Shape b, Shape *out);

/* Canonical text (golden files) and Graphviz output. */
void graph_print(Graph *g, FILE *f);
void graph_print_dot(Graph *g, FILE *f);

/* Numbers nodes 0 .. n-1 (the first n of g) training first: num[i] is node
 * i's position among the nodes some phase's loss reads, and the nodes only
 * `sample`, `encode` or the judge read come after them, in graph order.
 * Returns how many the losses read. What a model trains (its dropout
 * streams, its checkpoint's hash) depends on these numbers, so a sample
 * expression never changes it. */
int graph_number_trained(const Graph *g, int n, int *num);

/* A stable 64-bit hash of the model (checkpoints are tied to it): the
 * forward graph and the parameters, not autodiff's nodes, so that a genc
 * that computes the same gradients differently still reads the
 * checkpoints of an earlier one. Ops are hashed by name with the
 * attributes their row of ops.h lists, so the order of the op table
 * changes nothing. */
uint64_t graph_hash(const Graph *g);
/* The hash genc 0.1.0 wrote into its checkpoints (it hashed ops by their
 * enum number and every attribute slot), which a checkpoint of this model
 * made by that genc holds; 0 when the model uses an op 0.1.0 did not
 * have (legacy.c). */
uint64_t graph_hash_legacy(const Graph *g);

/* Whether node n's attribute a means something for its op. */
static inline bool node_has(const Node *n, AttrId a) { return op_info[n->op].attrs & (1u << a); }
/* Whether two nodes have equal values for every attribute of their op
 * (which must be the same). */
bool attrs_equal(const Node *a, const Node *b);

extern const char *const init_name[INIT_COUNT];

#endif
