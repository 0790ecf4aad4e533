/* bench.h: genc bench, training-step throughput and where the time goes. */
#ifndef GENC_BENCH_H
#define GENC_BENCH_H

#include <stdbool.h>

typedef struct BenchOpts {
    const char *file;
    int steps, warmup, threads, batch;
    bool profile;
    bool sgemm; /* measure the sgemm ceiling instead of a model */
} BenchOpts;

/* Prints one result line (and the profile); returns the exit status. */
int bench_run(const BenchOpts *o);

#endif
