/* data.h: training data. IDX files (raw or gzip) are read and checked
 * against their headers; a dataset is an images file and a labels file, kept
 * as bytes and turned into `real` values one batch at a time.
 *
 * Errors are the user's (a missing or damaged file), so nothing here prints
 * or exits: a function that can fail returns 0 or -1 and, on -1, leaves a
 * one-line message naming the file and the problem in the caller's
 * err[DATA_ERR_LEN] for the caller to report. */
#ifndef GENC_DATA_H
#define GENC_DATA_H

#include <stdio.h>

#include "core/base.h"

#define DATA_ERR_LEN 256

/* One IDX file of unsigned bytes. */
typedef struct DataIdx {
    int rank;      /* 1 to 4 */
    int dims[4];   /* dims[0] is the item count; all positive */
    size_t size;   /* bytes in data: the product of dims */
    uint8_t *data; /* row-major, as stored */
} DataIdx;

/* Reads path (raw or gzip) whole. The header must be a u8 IDX of rank 1-4
 * with positive dimensions, and the file must hold exactly the bytes the
 * header describes. */
int data_idx_read(const char *path, DataIdx *idx, char err[DATA_ERR_LEN]);
void data_idx_free(DataIdx *idx);

/* Examples with labels, e.g. one split of MNIST. */
typedef struct DataSet {
    int n, c, h, w;
    uint8_t *pixels; /* [n, c, h, w], 0..255; bytes to keep 60000 images small */
    int *labels;     /* [n] */
    int classes;     /* 1 + the largest label */
    char **class_names; /* [classes]: an image folder's class folders, a text's characters */
    /* a text (text.h): its characters' indices; example i is the window of
     * `context` of them from i*stride, its labels the next ones */
    uint16_t *tokens;
    size_t ntokens;
    int context, stride;
    bool audio; /* pixels holds little-endian int16 samples, [n, 1, 1, w] */
} DataSet;

/* Reads <dir>/<prefix>-images-idx3-ubyte and <dir>/<prefix>-labels-idx1-ubyte,
 * each raw or with .gz appended, where prefix is split ("train"), except that
 * split "test" uses the standard prefix "t10k". Images are rank 3
 * [n, rows, cols] (one channel) or rank 4 [n, channels, rows, cols]. */
int data_load(const char *dir, const char *split, DataSet *ds,
              char err[DATA_ERR_LEN]);

/* Loads a known set ("mnist", "fashion_mnist") from dir, or from its default
 * directory when dir is NULL; then a missing directory or file is reported
 * with what to run to get it. "idx" loads the IDX files in dir. */
int data_load_named(const char *name, const char *dir, const char *split,
                    DataSet *ds, char err[DATA_ERR_LEN]);

/* The default directory of a known set, or NULL for an unknown name. */
const char *data_default_dir(const char *name);

void data_free(DataSet *ds);

/* Opens path for reading if it is a regular file of at most max_bytes
 * (a FIFO or a device is refused before it can block, a huge file before
 * it is read); *bytes its size. NULL with the reason, naming path, in err. */
FILE *data_open(const char *path, int64_t max_bytes, int64_t *bytes, char err[DATA_ERR_LEN]);

/* The whole of path (data_open's checks), *len bytes, or NULL with the
 * reason in err. */
uint8_t *data_read_all(const char *path, int64_t max_bytes, size_t *len, char err[DATA_ERR_LEN]);

/* Formats a message into err (DATA_ERR_LEN); returns -1, for
 * `return data_error(err, ...)`. */
int data_error(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fills x[count, c, h, w] with the examples idx[0..count), pixels mapped
 * linearly from 0..255 to [lo, hi] (0 -> lo and 255 -> hi exactly), and
 * y[count] with their labels (values of the graph, so reals that hold
 * whole numbers) unless y is NULL. Of a text: x[count, context] the
 * windows' character indices, y[count, context] the next characters'. */
void data_batch(const DataSet *ds, const int *idx, int count, real lo, real hi,
                real *x, real *y);

/* Augments x[count, c, h, w] in place: each image flipped left to right
 * with probability 1/2 (if flip), and shifted by whole pixels dy, dx drawn
 * uniformly from -shift..shift, the uncovered pixels set to fill. The
 * draws, three per image in that order, come from next(ctx). */
void data_augment(real *x, int count, int c, int h, int w, bool flip, int shift, real fill,
                  uint64_t (*next)(void *ctx), void *ctx);

/* perm[0..n) = a uniformly random permutation of 0..n-1 (Fisher-Yates),
 * drawn from next(ctx), which returns 64 uniform random bits. The caller's
 * generator drives it, so a seed fixes the order of every epoch. */
void data_shuffle(int *perm, int n, uint64_t (*next)(void *ctx), void *ctx);

#endif
