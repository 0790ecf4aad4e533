/* bench.h: genc bench, training-step throughput and where the time goes. */
#ifndef GENC_BENCH_H
#define GENC_BENCH_H

#include <stdbool.h>

#include "exec/backend.h"

typedef struct BenchOpts {
    const char *file;
    int steps, warmup, threads, batch;
    bool profile;
    bool sgemm; /* measure the sgemm ceiling instead of a model */
    const Backend *backend; /* NULL: the optimized CPU kernels */
} BenchOpts;

/* Prints one result line (and the profile); returns the exit status. */
int bench_run(const BenchOpts *o);

#endif
