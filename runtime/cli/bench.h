/* bench.h: genc bench, training-step throughput and where the time goes. */
#ifndef GENC_BENCH_H
#define GENC_BENCH_H

#include "cli/run.h"

/* Times o->steps steps (20 if 0) after o->warmup (3 if negative) on
 * random data of the model's shape, or with o->sgemm the machine's sgemm;
 * prints one result line (and with o->profile, where the time goes).
 * Returns the exit status. */
int bench_run(RunOpts *o);

#endif
