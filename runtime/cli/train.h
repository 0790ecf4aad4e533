/* train.h: genc run, the training loop. */
#ifndef GENC_TRAIN_H
#define GENC_TRAIN_H

#include "cli/run.h"

/* Trains o->file; returns the exit status after printing what went wrong. */
int train_run(RunOpts *o);

#endif
