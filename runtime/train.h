/* train.h: genc run, sample and eval: data, the training loop, samples,
 * logs and checkpoints. */
#ifndef GENC_TRAIN_H
#define GENC_TRAIN_H

#include <stdint.h>

#include "graph.h"

typedef struct RunOpts {
    const char *file;
    const char *out;        /* run directory; default runs/<model> */
    const char *data_dir;   /* --data: IDX files instead of the dataset's own */
    int epochs, batch;      /* 0: the model's */
    int64_t steps;          /* stop after this many steps (0: no limit) */
    int64_t seed;           /* -1: the model's */
    double lr;              /* > 0: every optimizer's learning rate */
    int threads;            /* 0: every core */
    bool resume, quiet, profile;
    int64_t checkpoint_every;
    /* sample */
    const char *checkpoint;
    const char *sample_out;
    int n, rows, cols, label;
    /* eval */
    const char *judge, *judge_checkpoint;
} RunOpts;

/* Each returns the process exit status (0 ok, 1 runtime failure, 2 usage,
 * 3 compile errors) after printing what went wrong. */
int train_run(RunOpts *o);
int train_sample(RunOpts *o);
int train_eval(RunOpts *o);

#endif
