/* evaluate.h: genc sample and genc eval. */
#ifndef GENC_EVALUATE_H
#define GENC_EVALUATE_H

#include "cli/run.h"

/* Each returns the process exit status after printing what went wrong. */
int eval_sample(RunOpts *o);
int eval_test(RunOpts *o);

#endif
