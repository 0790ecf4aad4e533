/* loader.h: the batches of a training run, each assembled while the step
 * before it trains, on a thread of its own.
 *
 * Batch (epoch, pos) is the examples perm[pos*B .. pos*B + B) of the
 * epoch's shuffle (data_shuffle from the stream STREAM_SHUFFLE + epoch of
 * the seed), as data_batch makes them, then augmented (the data source's
 * flip and shift) from the stream STREAM_AUGMENT + step: a batch depends
 * on its epoch, position and step only, so a resumed run and one run
 * assemble the same bits, whichever thread assembles them. */
#ifndef GENC_LOADER_H
#define GENC_LOADER_H

#include "ir/graph.h"
#include "io/data.h"

typedef struct Loader Loader;

/* A loader of ds's batches of B (source d, the run's seed; per_epoch
 * batches an epoch). Starts its thread. */
Loader *loader_new(const DataSet *ds, const DataSrc *d, int B, uint64_t seed, int64_t per_epoch);

/* x [B, ...] and y [B, ...] (the labels; NULL: none) <- batch (epoch, pos)
 * of the run's step `step`: the batch assembled ahead when it is that one,
 * else assembled now; then the thread starts on the next step's. */
void loader_get(Loader *l, uint64_t epoch, uint64_t pos, uint64_t step, real *x, real *y);

/* Stops the thread (after the batch it is on) and frees the loader. */
void loader_free(Loader *l);

#endif
