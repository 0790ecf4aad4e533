/* data.c: IDX files and datasets (see data.h). */
#include "io/data.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

int data_error(char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, DATA_ERR_LEN, fmt, ap);
    va_end(ap);
    return -1;
}

FILE *data_open(const char *path, int64_t max_bytes, int64_t *bytes, char err[DATA_ERR_LEN])
{
    const char *why;
    int fd = base_open_regular(path, O_RDONLY, &why);
    if (fd < 0) {
        if (why) data_error(err, "%s %s", path, why);
        else data_error(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    FILE *f = NULL;
    if (fstat(fd, &st) != 0)
        data_error(err, "%s: cannot read: %s", path, strerror(errno));
    else if (st.st_size > max_bytes)
        data_error(err, "%s: %lld bytes, more than genc reads (%lld)", path, (long long)st.st_size,
                   (long long)max_bytes);
    else if (!(f = fdopen(fd, "rb")))
        data_error(err, "%s: cannot open: %s", path, strerror(errno));
    if (!f) close(fd);
    else *bytes = st.st_size;
    return f;
}

uint8_t *data_read_all(const char *path, int64_t max_bytes, size_t *len, char err[DATA_ERR_LEN])
{
    int64_t bytes;
    FILE *f = data_open(path, max_bytes, &bytes, err);
    if (!f) return NULL;
    uint8_t *buf = xmalloc((size_t)bytes + 1);
    size_t n = fread(buf, 1, (size_t)bytes, f);
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        data_error(err, "%s: cannot read: %s", path, strerror(errno));
        return NULL;
    }
    *len = n;
    return buf;
}

/* ---- IDX ---------------------------------------------------------------- */

/* Reads up to len bytes, fewer only where the data ends. gzread takes an
 * unsigned count, hence the chunks. Returns the count, or -1 with err set on
 * a read error or corrupt gzip data. A gzip stream cut short is not an error
 * here: it reads as data that ends early, which the caller reports against
 * the header. */
static long long data_gzread(gzFile f, const char *path, void *buf, size_t len,
                             char *err)
{
    size_t got = 0;
    while (got < len) {
        size_t chunk = len - got < (1u << 30) ? len - got : (1u << 30);
        int r = gzread(f, (char *)buf + got, (unsigned)chunk);
        if (r < 0) break;
        got += (size_t)r;
        if (r == 0) break;
    }
    int code;
    const char *msg = gzerror(f, &code);
    /* zlib says "<fd:N>: what" for a gzdopen'd file; we name the path once */
    const char *colon = strstr(msg, ": ");
    if (strncmp(msg, "<fd:", 4) == 0 && colon) msg = colon + 2;
    if (code == Z_ERRNO) return data_error(err, "%s: cannot read: %s", path, msg);
    if (code != Z_OK && code != Z_BUF_ERROR)
        return data_error(err, "%s: corrupt gzip data: %s", path, msg);
    return (long long)got;
}

static const char *data_idx_type_name(int type)
{
    switch (type) {
    case 0x09: return "signed byte";
    case 0x0B: return "short";
    case 0x0C: return "int";
    case 0x0D: return "float";
    case 0x0E: return "double";
    default: return "unknown";
    }
}

/* What a header describes, for messages: "9000 labels" for rank 1,
 * "9000 images of 28x28" otherwise. */
static void data_idx_describe(const DataIdx *idx, char *out, size_t len)
{
    int k = snprintf(out, len, "%d %s", idx->dims[0],
                     idx->rank == 1 ? "labels" : "images of ");
    for (int i = 1; i < idx->rank && k > 0 && (size_t)k < len; i++)
        k += snprintf(out + k, len - (size_t)k, "%s%d", i > 1 ? "x" : "",
                      idx->dims[i]);
}

/* The header after the magic: rank big-endian u32 dimensions, each
 * positive, whose product (the data size) fits in size_t. */
static int data_idx_dims(gzFile f, const char *path, DataIdx *idx, char *err)
{
    uint8_t b[16];
    long long got = data_gzread(f, path, b, 4 * (size_t)idx->rank, err);
    if (got < 0) return -1;
    if (got < 4 * idx->rank)
        return data_error(err,
                         "%s: truncated header: rank %d needs %d bytes of "
                         "dimensions but only %lld follow the magic number",
                         path, idx->rank, 4 * idx->rank, got);
    char shape[64];
    int k = 0;
    for (int i = 0; i < idx->rank; i++) {
        uint32_t d = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
                     (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
        k += snprintf(shape + k, sizeof shape - (size_t)k, "%s%u",
                      i ? "x" : "", d);
        idx->dims[i] = d > INT_MAX ? -1 : (int)d;
    }
    idx->size = 1;
    for (int i = 0; i < idx->rank; i++) {
        if (idx->dims[i] == 0)
            return data_error(err, "%s: bad header: dimension %d is 0 (%s)",
                             path, i + 1, shape);
        if (idx->dims[i] < 0)
            return data_error(err, "%s: bad header: dimension %d is too large (%s)",
                             path, i + 1, shape);
        if (__builtin_mul_overflow(idx->size, (size_t)idx->dims[i], &idx->size))
            return data_error(err, "%s: bad header: %s bytes is more than "
                                  "this machine can address", path, shape);
    }
    return 0;
}

/* The data: exactly idx->size bytes, then the end of the file. The buffer
 * grows as bytes arrive rather than trusting the header, so that a damaged
 * header claiming terabytes fails as "truncated", not as out of memory; a
 * file whose bytes really keep coming (a gzip bomb) is refused by name when
 * the next growth would pass the memory genc can have. */
static int data_idx_body(gzFile f, const char *path, DataIdx *idx, char *err)
{
    size_t cap = idx->size < (1u << 20) ? idx->size : (1u << 20), got = 0;
    char what[96];
    data_idx_describe(idx, what, sizeof what);
    idx->data = xmalloc(cap);
    for (;;) {
        long long r = data_gzread(f, path, idx->data + got, cap - got, err);
        if (r < 0) return -1;
        got += (size_t)r;
        if (got < cap || cap == idx->size) break;
        cap = idx->size / 2 < cap ? idx->size : 2 * cap;
        uint64_t avail = base_mem_available();
        if (cap > avail)
            return data_error(err, "%s: header says %s (%.1f MB), more than the %.1f MB "
                                  "of memory genc can have",
                             path, what, (double)idx->size / 1e6, (double)avail / 1e6);
        idx->data = xrealloc(idx->data, cap);
    }
    if (got < idx->size)
        return data_error(err,
                         "%s: truncated: header says %s (%zu bytes) but only "
                         "%zu follow the header",
                         path, what, idx->size, got);
    size_t extra = 0;
    uint8_t tail[4096];
    for (;;) {
        long long r = data_gzread(f, path, tail, sizeof tail, err);
        if (r < 0) return -1;
        if (r == 0) break;
        extra += (size_t)r;
    }
    if (extra)
        return data_error(err,
                         "%s: trailing garbage: header says %s (%zu bytes) "
                         "but %zu follow the header",
                         path, what, idx->size, idx->size + extra);
    return 0;
}

int data_idx_read(const char *path, DataIdx *idx, char err[DATA_ERR_LEN])
{
    memset(idx, 0, sizeof *idx);
    errno = 0;
    /* a FIFO or a device is refused before it can block the read */
    const char *why;
    int fd = base_open_regular(path, O_RDONLY, &why);
    if (fd < 0)
        return why ? data_error(err, "%s %s", path, why)
                   : data_error(err, "%s: cannot open: %s", path, strerror(errno));
    /* gzdopen reads raw files as they are, so one path serves both. */
    gzFile f = gzdopen(fd, "rb");
    if (!f) {
        close(fd);
        return data_error(err, "%s: cannot open: %s", path, strerror(ENOMEM));
    }
    gzbuffer(f, 1u << 17);
    uint8_t m[4];
    long long got = data_gzread(f, path, m, 4, err);
    int rc = -1;
    if (got < 0) goto out;
    if (got == 0) {
        data_error(err, "%s: empty file, expected an IDX file", path);
        goto out;
    }
    if (got < 4) {
        data_error(err, "%s: not an IDX file: %lld bytes, too short for the "
                       "4-byte magic number", path, got);
        goto out;
    }
    if (m[0] || m[1]) {
        data_error(err, "%s: not an IDX file: magic number 0x%02x%02x%02x%02x "
                       "(IDX images start 0x00000803, labels 0x00000801)",
                  path, m[0], m[1], m[2], m[3]);
        goto out;
    }
    if (m[2] != 0x08) {
        data_error(err, "%s: IDX element type 0x%02x (%s) is not supported; "
                       "genc reads unsigned bytes (0x08)",
                  path, m[2], data_idx_type_name(m[2]));
        goto out;
    }
    idx->rank = m[3];
    if (idx->rank < 1 || idx->rank > 4) {
        data_error(err, "%s: IDX rank %d is not supported (genc reads rank 1 to 4)",
                  path, idx->rank);
        goto out;
    }
    if (data_idx_dims(f, path, idx, err) == 0 &&
        data_idx_body(f, path, idx, err) == 0)
        rc = 0;
out:
    gzclose(f);
    if (rc) data_idx_free(idx);
    return rc;
}

void data_idx_free(DataIdx *idx)
{
    free(idx->data);
    memset(idx, 0, sizeof *idx);
}

/* ---- datasets ----------------------------------------------------------- */

static const struct {
    const char *name;
    const char *dir; /* data/mnist is relative: `make data` writes it there */
    const char *hint;
} data_known[] = {
    {"mnist", "data/mnist", "run `make data` to fetch MNIST"},
    {"fashion_mnist", "/usr/share/datasets/fashion-mnist",
     "run `make deps` to install Debian's dataset-fashion-mnist"},
};

const char *data_default_dir(const char *name)
{
    for (size_t i = 0; i < GENC_COUNT(data_known); i++)
        if (strcmp(name, data_known[i].name) == 0) return data_known[i].dir;
    return NULL;
}

/* Points *path at its .gz twin when only that exists. Returns whether
 * either exists; *path stays the raw name otherwise, for the message. */
static bool data_find(char **path)
{
    struct stat st;
    if (stat(*path, &st) == 0) return true;
    char *gz = xsprintf("%s.gz", *path);
    if (stat(gz, &st) != 0) {
        free(gz);
        return false;
    }
    free(*path);
    *path = gz;
    return true;
}

/* The one loader behind data_load and data_load_named. hint (or NULL) says
 * how to get a missing directory or file. */
static int data_load_hinted(const char *dir, const char *split, DataSet *ds,
                            const char *hint, char *err)
{
    memset(ds, 0, sizeof *ds);
    const char *prefix = strcmp(split, "train") == 0 ? "train"
                         : strcmp(split, "test") == 0 ? "t10k" : NULL;
    if (!prefix)
        return data_error(err, "unknown data split '%s' (use train or test)", split);
    const char *then = hint ? "; " : "", *what = hint ? hint : "";
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return data_error(err, "%s: no such directory%s%s", dir, then, what);

    size_t len = strlen(dir);
    const char *sep = len && dir[len - 1] == '/' ? "" : "/";
    char *images_path = xsprintf("%s%s%s-images-idx3-ubyte", dir, sep, prefix);
    char *labels_path = xsprintf("%s%s%s-labels-idx1-ubyte", dir, sep, prefix);
    DataIdx images = {0}, labels = {0};
    int rc = -1;
    if (!data_find(&images_path)) {
        data_error(err, "%s: not found (nor with .gz)%s%s", images_path, then, what);
        goto out;
    }
    if (!data_find(&labels_path)) {
        data_error(err, "%s: not found (nor with .gz)%s%s", labels_path, then, what);
        goto out;
    }
    if (data_idx_read(images_path, &images, err) ||
        data_idx_read(labels_path, &labels, err))
        goto out;
    if (images.rank != 3 && images.rank != 4) {
        data_error(err, "%s: expected images, [n, rows, cols] or "
                       "[n, channels, rows, cols], but the header has rank %d",
                  images_path, images.rank);
        goto out;
    }
    if (labels.rank != 1) {
        data_error(err, "%s: expected labels, [n], but the header has rank %d",
                  labels_path, labels.rank);
        goto out;
    }
    if (images.dims[0] != labels.dims[0]) {
        data_error(err, "%s has %d images but %s has %d labels", images_path,
                  images.dims[0], labels_path, labels.dims[0]);
        goto out;
    }
    ds->n = images.dims[0];
    ds->c = images.rank == 4 ? images.dims[1] : 1;
    ds->h = images.dims[images.rank - 2];
    ds->w = images.dims[images.rank - 1];
    ds->pixels = images.data; /* the dataset takes the buffer */
    images.data = NULL;
    ds->labels = xmalloc((size_t)ds->n * sizeof *ds->labels);
    for (int i = 0; i < ds->n; i++) {
        ds->labels[i] = labels.data[i];
        if (ds->labels[i] >= ds->classes) ds->classes = ds->labels[i] + 1;
    }
    rc = 0;
out:
    data_idx_free(&images);
    data_idx_free(&labels);
    free(images_path);
    free(labels_path);
    return rc;
}

int data_load(const char *dir, const char *split, DataSet *ds,
              char err[DATA_ERR_LEN])
{
    return data_load_hinted(dir, split, ds, NULL, err);
}

int data_load_named(const char *name, const char *dir, const char *split,
                    DataSet *ds, char err[DATA_ERR_LEN])
{
    memset(ds, 0, sizeof *ds);
    for (size_t i = 0; i < GENC_COUNT(data_known); i++) {
        if (strcmp(name, data_known[i].name) != 0) continue;
        /* A directory the user chose is theirs to fix; only the default
         * one comes with a recipe. */
        if (dir) return data_load_hinted(dir, split, ds, NULL, err);
        return data_load_hinted(data_known[i].dir, split, ds, data_known[i].hint,
                                err);
    }
    /* idx("dir"): any folder of IDX files, which the model names */
    if (strcmp(name, "idx") == 0 && dir) return data_load_hinted(dir, split, ds, NULL, err);
    return data_error(err, "unknown dataset '%s' (known: mnist, fashion_mnist, idx)", name);
}

void data_free(DataSet *ds)
{
    for (int i = 0; ds->class_names && i < ds->classes; i++) free(ds->class_names[i]);
    free(ds->class_names);
    free(ds->pixels);
    free(ds->labels);
    free(ds->tokens);
    memset(ds, 0, sizeof *ds);
}

/* ---- batches ------------------------------------------------------------ */

void data_batch(const DataSet *ds, const int *idx, int count, real lo, real hi,
                real *x, real *y)
{
    /* A table, computed in double as lo*(1-t) + hi*t, so that 0 and 255 land
     * on lo and hi exactly and every batch maps a byte to the same value. */
    if (ds->tokens) {
        int L = ds->context;
        for (int b = 0; b < count; b++) {
            GENC_ASSERT(idx[b] >= 0 && idx[b] < ds->n);
            const uint16_t *t = ds->tokens + (size_t)idx[b] * ds->stride;
            for (int i = 0; i < L; i++) {
                x[(size_t)b * L + i] = t[i];
                if (y) y[(size_t)b * L + i] = t[i + 1];
            }
        }
        return;
    }
    if (ds->audio) { /* 16-bit samples to [-1, 1) */
        size_t per = (size_t)ds->w;
        for (int b = 0; b < count; b++) {
            GENC_ASSERT(idx[b] >= 0 && idx[b] < ds->n);
            const uint8_t *src = ds->pixels + 2 * per * (size_t)idx[b];
            for (size_t i = 0; i < per; i++)
                x[(size_t)b * per + i] = (real)((int16_t)(src[2 * i] | src[2 * i + 1] << 8) / 32768.0);
            if (y) y[b] = (real)ds->labels[idx[b]];
        }
        return;
    }
    real map[256];
    for (int p = 0; p < 256; p++) {
        double t = p / 255.0;
        map[p] = (real)((double)lo * (1 - t) + (double)hi * t);
    }
    size_t per = (size_t)ds->c * ds->h * ds->w;
    for (int b = 0; b < count; b++) {
        GENC_ASSERT(idx[b] >= 0 && idx[b] < ds->n);
        const uint8_t *src = ds->pixels + (size_t)idx[b] * per;
        real *dst = x + (size_t)b * per;
        for (size_t i = 0; i < per; i++) dst[i] = map[src[i]];
        if (y) y[b] = (real)ds->labels[idx[b]];
    }
}

/* A uniform integer in [0, bound): rejecting the few draws below
 * 2^64 mod bound removes the bias of a plain modulo. */
static uint64_t data_uniform(uint64_t bound, uint64_t (*next)(void *ctx),
                             void *ctx)
{
    uint64_t threshold = -bound % bound;
    for (;;) {
        uint64_t r = next(ctx);
        if (r >= threshold) return r % bound;
    }
}

void data_augment(real *x, int count, int c, int h, int w, bool flip, int shift, real fill,
                  uint64_t (*next)(void *ctx), void *ctx)
{
    real *row = xmalloc(sizeof *row * (size_t)w);
    size_t plane = (size_t)h * w;
    for (int b = 0; b < count; b++) {
        bool f = data_uniform(2, next, ctx) && flip;
        int dy = (int)data_uniform(2 * (uint64_t)shift + 1, next, ctx) - shift;
        int dx = (int)data_uniform(2 * (uint64_t)shift + 1, next, ctx) - shift;
        if (!f && !dy && !dx) continue;
        for (int k = 0; k < c; k++) {
            real *p = x + ((size_t)b * c + k) * plane;
            /* rows move as a whole: walk them in the order that reads each
             * source row before it is overwritten */
            for (int i = 0; i < h; i++) {
                int y = dy > 0 ? h - 1 - i : i, sy = y - dy;
                real *dst = p + (size_t)y * w;
                if (sy < 0 || sy >= h) {
                    for (int j = 0; j < w; j++) dst[j] = fill;
                    continue;
                }
                const real *src = p + (size_t)sy * w;
                for (int j = 0; j < w; j++) {
                    int sx = (f ? w - 1 - j : j) - dx;
                    row[j] = sx >= 0 && sx < w ? src[sx] : fill;
                }
                memcpy(dst, row, sizeof *row * (size_t)w);
            }
        }
    }
    free(row);
}

void data_shuffle(int *perm, int n, uint64_t (*next)(void *ctx), void *ctx)
{
    for (int i = 0; i < n; i++) perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)data_uniform((uint64_t)i + 1, next, ctx);
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}
