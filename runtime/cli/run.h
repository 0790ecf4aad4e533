/* run.h: a compiled model with its run state, shared by genc run, sample,
 * eval and bench: options, data, checkpoints and samples. */
#ifndef GENC_RUN_H
#define GENC_RUN_H

#include <stdint.h>

#include "core/limits.h"

#include "io/data.h"
#include "exec/exec.h"
#include "ir/graph.h"
#include "exec/rng.h"

/* Exit codes (docs/architecture.md): 0 ok, 1 runtime failure, 2 usage,
 * 3 compile errors. */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_COMPILE = 3 };

/* Streams of the run's seed (rng.h numbers them from 1). */
enum {
    STREAM_NOISE = 2,
    STREAM_FIXED_NOISE = 3,
    STREAM_STATS = 4,
    STREAM_SAMPLE_ORDER = 5,
    STREAM_SHUFFLE = 1u << 20 /* + the epoch */
};
/* + the step: a training batch's augmentation (loader.h) */
#define STREAM_AUGMENT (1ull << 40)


typedef struct RunOpts {
    int argc;               /* genc's whole command line, for the line that continues a run */
    char **argv;
    const char *file;
    const char *out;        /* run directory; default runs/<model> */
    const char *data_dir;   /* --data: IDX files instead of the dataset's own */
    int epochs, batch;      /* 0: the model's; these four become train settings */
    int64_t steps;          /* stop after this many steps (0: no limit) */
    int64_t seed;           /* -1: the model's */
    double lr;              /* > 0: every optimizer's learning rate */
    const char *sets[GENC_MAX_SETS]; /* --set: train settings after the file's */
    int nsets;
    int threads;            /* 0: every core */
    const Backend *backend; /* NULL: the optimized CPU kernels */
    bool resume, restart, quiet;
    int64_t checkpoint_every;
    /* sample */
    const char *checkpoint;
    bool raw_weights;       /* the trained weights, not their averages (ema) */
    const char *sample_out;
    int n, rows, cols, label;
    const char *label_name; /* --label given as a class's name (of an image folder) */
    bool interpolate;       /* decode interpolations between test images' codes */
    /* bench */
    int warmup;             /* untimed steps first (-1: 3) */
    bool profile, sgemm;    /* time per op; the machine's sgemm instead of a model */
    /* eval */
    const char *judge, *judge_checkpoint;
    const char *images;     /* --images: an IDX file for the classifier o->file to judge */
} RunOpts;

typedef struct Run {
    RunOpts *o;
    Compiled *c;
    Graph *g;       /* c's */
    Exec *e;
    char name[256]; /* the model file's base name, without .g */
    char dir[1024]; /* the run directory */
    char ckpt[1100];
    uint64_t hash;
    const char *data_dir; /* --data, or the one a resumed run was made with; NULL: the model's */
    /* rundir.h: on --resume, the train settings the checkpoint's command
     * line gave (before this one's); what this run's checkpoint records */
    char **recalled;
    int nrecalled;
    char *settings, *command;
    size_t command_len;
    char *data_dir_buf; /* data_dir when recalled */
    int lock_fd;    /* the run folder's lock (rundir.h), when locked */
    bool locked;
    bool averaged;  /* the parameters are the averages of the weights (ema) */
    /* the examples a sample that reads the data takes, in order: the
     * training set while training, else the test split (sample_own) */
    const DataSet *sample_data;
    DataSet sample_own;
    int *sample_order; /* sample_data's examples in a fixed random order */
    /* the data's class names (an image folder's classes, a text's
     * characters), each ending in a 0 byte: checkpointed, for --label */
    char *classes;
    size_t classes_len;
} Run;

/* What a checkpoint holds besides the slabs. */
typedef struct RunState {
    uint64_t step, epoch, pos; /* pos: batches of this epoch already done */
    uint64_t batch;
    uint8_t noise_rng[RNG_STATE_SIZE];
} RunState;

/* Compiles o->file with the command line's train settings and creates its
 * run state; need_data refuses a model without a 'data' declaration.
 * Returns an exit status (0 ok); a failed open has closed what it opened.
 * run_close is safe on a closed or zeroed Run. */
int run_open(Run *r, RunOpts *o, bool need_data);
/* run_open, then the parameters from o->checkpoint (default: the run
 * directory's checkpoint). */
int run_open_trained(Run *r, RunOpts *o, bool need_data);
void run_close(Run *r);
int run_mkdirs(const char *path);
/* The thread pool with that many threads, or a message (-1) when one
 * cannot start. */
int run_pool(int threads);

/* The model's dataset split, checked against the model's shapes. */
int run_load_data(Run *r, const char *split, DataSet *ds);
/* The examples idx[0..n) of ds into the batch's images and labels. */
void run_batch(Run *r, const DataSet *ds, const int *idx, int n);

int run_save_checkpoint(Run *r, const RunState *st);
/* averages: the averages of the weights (ema) in place of the weights,
 * when the checkpoint has them (for sampling and evaluation; r->averaged
 * says whether it had) */
int run_load_checkpoint(Run *r, const char *path, RunState *st, bool averages);

/* Samples: the plan for a grid, the first categorical noise source (the
 * class of a conditional model, -1 if none), drawing n images (label < 0:
 * one row of `cols` per class), their value range, a PNG grid. A sample
 * that reads the data (a denoising autoencoder's) takes examples first ..
 * first+n-1 of r->sample_data (loaded from the test split if unset) in an
 * order fixed by the seed, so that a grid shows every class. */
Plan *run_sample_plan(Run *r);
int run_class_noise(const Graph *g);
const real *run_draw_samples(Run *r, Plan *p, int n, int first, Rng *rng, int label, int cols,
                             char err[EXEC_ERR_LEN]);
void run_sample_range(const Graph *g, real *lo, real *hi);
int run_write_grid(Run *r, Plan *p, const char *path, bool averaged);
/* Batchnorm's statistics for the averaged weights now in the parameters:
 * standing statistics of the sample's layers over 2,000 samples. 0, or
 * -1 after printing why not. */
int run_standing_stats(Run *r);

#endif
