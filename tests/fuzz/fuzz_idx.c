/* fuzz_idx.c: the bytes as an IDX file through data_idx_read, then as the
 * images of a dataset directory through data_load.
 *
 * Input layout: the first byte chooses how the file is written, the rest
 * is its content:
 *     byte 0, bit 0   0: the rest is written as it is (a gzip file among
 *                        the seeds is read through zlib all the same);
 *                     1: the rest is gzip-compressed into the file
 *                        (gzwrite), so that any content also reaches the
 *                        reader through a valid gzip stream.
 *     bytes 1..       the file.
 * The file is a memfd, read by its path /proc/self/fd/N; the dataset
 * directory (made once per process under $TMPDIR, removed at exit) holds
 * train-images-idx3-ubyte, a symbolic link to that path, and a fixed
 * train-labels-idx1-ubyte of 3 labels.
 *
 * Checked beyond "no crash, no leak, no sanitizer report": a refusal says
 * something and names the file (data.h's promise), and what is accepted
 * is as the header says. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "io/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fd = -1;
static char path[64];
static char dir[4096], images[4200], labels[4200];

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_idx: %s: %s\n", what, detail);
    abort();
}

static void cleanup(void)
{
    unlink(images);
    unlink(labels);
    rmdir(dir);
}

static void setup(void)
{
    fd = memfd_create("fuzz_idx", MFD_CLOEXEC);
    if (fd < 0) fail("memfd_create", "failed");
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/genc-fuzz-idx.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) fail("mkdtemp", dir);
    snprintf(images, sizeof images, "%s/train-images-idx3-ubyte", dir);
    snprintf(labels, sizeof labels, "%s/train-labels-idx1-ubyte", dir);
    atexit(cleanup);
    if (symlink(path, images) != 0) fail("symlink", images);
    static const uint8_t lab[] = {0, 0, 8, 1, 0, 0, 0, 3, 0, 1, 2};
    FILE *f = fopen(labels, "wb");
    if (!f || fwrite(lab, 1, sizeof lab, f) != sizeof lab || fclose(f) != 0)
        fail("cannot write", labels);
}

static void put_file(const uint8_t *p, size_t n, int gzip)
{
    if (ftruncate(fd, 0) != 0) fail("ftruncate", path);
    if (gzip) {
        gzFile g = gzopen(path, "wb");
        if (!g) fail("gzopen", path);
        if (n && gzwrite(g, p, (unsigned)n) != (int)n) fail("gzwrite", path);
        if (gzclose(g) != Z_OK) fail("gzclose", path);
    } else if (n && pwrite(fd, p, n, 0) != (ssize_t)n) {
        fail("pwrite", path);
    }
}

/* A refusal must say something, starting with the name it is about. */
static void check_refusal(const char *err, const char *name)
{
    if (!err[0]) fail("refused without a message", name);
    if (strncmp(err, name, strlen(name)) != 0) fail("message does not name the file", err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fd < 0) setup();
    if (size < 1 || size > (64u << 20)) return 0;
    put_file(data + 1, size - 1, data[0] & 1);

    char err[DATA_ERR_LEN] = "";
    DataIdx idx;
    if (data_idx_read(path, &idx, err) != 0) {
        check_refusal(err, path);
        if (idx.data || idx.size || idx.rank) fail("refused but not cleared", err);
    } else {
        size_t n = 1;
        if (idx.rank < 1 || idx.rank > 4) fail("accepted a bad rank", path);
        for (int i = 0; i < idx.rank; i++) {
            if (idx.dims[i] <= 0) fail("accepted a dimension <= 0", path);
            n *= (size_t)idx.dims[i];
        }
        if (n != idx.size) fail("size is not the product of the dimensions", path);
        /* raw, the file is header and data exactly */
        if (!(data[0] & 1) && size - 1 == 4 + 4 * (size_t)idx.rank + idx.size &&
            memcmp(idx.data, data + 1 + 4 + 4 * idx.rank, idx.size) != 0)
            fail("data differs from the file", path);
        if (idx.size) {
            volatile uint8_t last = idx.data[idx.size - 1]; /* all there */
            (void)last;
        }
    }
    data_idx_free(&idx);

    err[0] = 0;
    DataSet ds;
    if (data_load(dir, "train", &ds, err) != 0) {
        check_refusal(err, dir);
    } else {
        if (ds.n != 3 || ds.c < 1 || ds.h < 1 || ds.w < 1 || ds.classes != 3)
            fail("accepted a dataset unlike its files", err);
        int pick[3] = {2, 0, 1};
        real y[3];
        size_t per = (size_t)ds.c * ds.h * ds.w;
        if (per <= (1u << 20)) {
            real *x = malloc(3 * per * sizeof *x);
            if (!x) fail("malloc", "batch");
            data_batch(&ds, pick, 3, -1, 1, x, y);
            if (y[0] != 2 || y[1] != 0 || y[2] != 1) fail("labels out of order", dir);
            free(x);
        }
    }
    data_free(&ds);
    return 0;
}
