/* seeds.c: writes the first seed inputs of fuzz_idx and fuzz_checkpoint.
 *
 *     seeds OUT_DIR [MNIST_IMAGES]
 *
 * writes OUT_DIR/idx/ and OUT_DIR/checkpoint/ (which must exist). The
 * committed corpora (tests/fuzz/corpus/) started from these and grew by
 * fuzzing; this program is kept to show, and to redo, where they came
 * from (`make fuzz-seeds`). Each idx seed is one control byte (bit 0:
 * gzip the rest, see fuzz_idx.c) and the file. With MNIST_IMAGES, the
 * first three real digits are one of the seeds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "io/checkpoint.h"

#define FUZZ_CKPT_HASH 0x67656e6366757a7aull /* as in fuzz_checkpoint.c */

static const char *out;

static void put(const char *sub, const char *name, uint8_t control,
                const uint8_t *p, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s", out, sub, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    if (strcmp(sub, "idx") == 0) fputc(control, f);
    if (n) fwrite(p, 1, n, f);
    if (fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* An IDX header of rank r and dims d, then `body` bytes of a pattern. */
static size_t idx_make(uint8_t *buf, int type, int r, const uint32_t *d, size_t body)
{
    buf[0] = buf[1] = 0;
    buf[2] = (uint8_t)type;
    buf[3] = (uint8_t)r;
    size_t k = 4;
    for (int i = 0; i < r; i++, k += 4) {
        buf[k] = (uint8_t)(d[i] >> 24);
        buf[k + 1] = (uint8_t)(d[i] >> 16);
        buf[k + 2] = (uint8_t)(d[i] >> 8);
        buf[k + 3] = (uint8_t)d[i];
    }
    for (size_t i = 0; i < body; i++) buf[k + i] = (uint8_t)(i * 37 + 11);
    return k + body;
}

static size_t gzip_bytes(const uint8_t *in, size_t n, uint8_t *outb, size_t cap)
{
    z_stream z = {0};
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) exit(1);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    z.next_out = outb;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) exit(1);
    size_t got = z.total_out;
    deflateEnd(&z);
    return got;
}

static void idx_seeds(const char *mnist)
{
    static uint8_t b[1 << 16], g[1 << 16];
    size_t n;
    n = idx_make(b, 8, 3, (uint32_t[]){3, 4, 4}, 48);
    put("idx", "images_3x4x4", 0, b, n);
    put("idx", "images_3x4x4_gzipped_by_harness", 1, b, n);
    put("idx", "images_3x4x4_gzip_file", 0, g, gzip_bytes(b, n, g, sizeof g));
    put("idx", "images_3x4x4_truncated", 0, b, n - 5);
    b[n] = 7;
    put("idx", "images_3x4x4_trailing_byte", 0, b, n + 1);
    n = idx_make(b, 8, 4, (uint32_t[]){3, 2, 3, 2}, 36);
    put("idx", "images_3x2x3x2_rank4", 0, b, n);
    put("idx", "images_3x2x3x2_rank4_gzipped_by_harness", 1, b, n);
    n = idx_make(b, 8, 1, (uint32_t[]){3}, 3);
    b[n - 3] = 0, b[n - 2] = 1, b[n - 1] = 9;
    put("idx", "labels_3", 0, b, n);
    n = idx_make(b, 8, 2, (uint32_t[]){2, 5}, 10);
    put("idx", "rank2_2x5", 0, b, n);
    n = idx_make(b, 0x0D, 3, (uint32_t[]){3, 4, 4}, 48);
    put("idx", "type_float", 0, b, n);
    n = idx_make(b, 8, 5, (uint32_t[]){1, 1, 1, 1, 1}, 1);
    put("idx", "rank5", 0, b, n);
    n = idx_make(b, 8, 3, (uint32_t[]){3, 0, 4}, 0);
    put("idx", "dimension_zero", 0, b, n);
    n = idx_make(b, 8, 3, (uint32_t[]){0x7fffffff, 0x7fffffff, 0x7fffffff}, 4);
    put("idx", "dimensions_overflow", 0, b, n);
    n = idx_make(b, 8, 3, (uint32_t[]){0x80000000u, 1, 1}, 4);
    put("idx", "dimension_over_int_max", 0, b, n);
    put("idx", "empty", 0, b, 0);
    put("idx", "empty_gzipped_by_harness", 1, b, 0);
    put("idx", "magic_only", 0, (const uint8_t *)"\0\0\x08\x03", 4);
    g[0] = 0x1f, g[1] = 0x8b, g[2] = 8, g[3] = 0;
    put("idx", "gzip_header_cut", 0, g, 10);
    /* gzip files whose content is over the 1 MiB the reader starts with:
     * its buffer grows, then the data is complete, short or too long */
    size_t big = 16 + 3 * 600 * 640 + 5000;
    uint8_t *h = calloc(1, big);
    n = idx_make(h, 8, 3, (uint32_t[]){3, 600, 640}, 0) + 3 * 600 * 640;
    put("idx", "gzip_file_over_1mib", 0, g, gzip_bytes(h, n, g, sizeof g));
    put("idx", "gzip_file_over_1mib_trailing", 0, g, gzip_bytes(h, n + 5000, g, sizeof g));
    idx_make(h, 8, 3, (uint32_t[]){3, 1000, 1000}, 0);
    put("idx", "gzip_file_over_1mib_truncated", 0, g, gzip_bytes(h, n, g, sizeof g));
    free(h);
    if (mnist) {
        FILE *f = fopen(mnist, "rb");
        if (!f) {
            perror(mnist);
            exit(1);
        }
        n = fread(b, 1, 16 + 3 * 784, f);
        fclose(f);
        if (n != 16 + 3 * 784) exit(1);
        b[4] = b[5] = b[6] = 0, b[7] = 3; /* three images */
        put("idx", "mnist_first_3", 0, b, n);
        put("idx", "mnist_first_3_gzipped_by_harness", 1, b, n);
    }
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) exit(1);
    uint8_t *p = malloc(1 << 20);
    *n = fread(p, 1, 1 << 20, f);
    fclose(f);
    return p;
}

static void ckpt_seed(const char *name, uint64_t hash, const CkptSection *s, size_t n)
{
    char path[4096], err[CKPT_ERR_LEN];
    snprintf(path, sizeof path, "%s/checkpoint/%s", out, name);
    if (ckpt_write(path, hash, s, n, err) != 0) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
}

static void ckpt_seeds(void)
{
    static uint8_t run[56], params[64], m[64], v[64], step[8], big[4096];
    for (size_t i = 0; i < sizeof run; i++) run[i] = (uint8_t)i;
    for (size_t i = 0; i < sizeof params; i++) params[i] = (uint8_t)(3 * i), m[i] = (uint8_t)(i ^ 0x55), v[i] = (uint8_t)(255 - i);
    step[0] = 5;
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 7);
    CkptSection run_like[] = {
        {"run", run, sizeof run},       {"params", params, sizeof params},
        {"state", NULL, 0},             {"optim0.step", step, 8},
        {"optim0.m", m, sizeof m},      {"optim0.v", v, sizeof v},
    };
    ckpt_seed("like_a_run", FUZZ_CKPT_HASH, run_like, 6);
    ckpt_seed("another_model", FUZZ_CKPT_HASH ^ 1, run_like, 6);
    ckpt_seed("no_sections", FUZZ_CKPT_HASH, NULL, 0);
    CkptSection sizes[] = {
        {"run", run, 16}, {"params", big, 4096}, {"optim1.step", step, 4},
        {"optim0.m", big, 256},
    };
    ckpt_seed("sizes", FUZZ_CKPT_HASH, sizes, 4);
    CkptSection wrong[] = {{"params", params, 63}, {"x", step, 1}};
    ckpt_seed("wrong_sizes", FUZZ_CKPT_HASH, wrong, 2);

    /* damaged copies of like_a_run, CRC left as it was */
    char path[4096];
    snprintf(path, sizeof path, "%s/checkpoint/like_a_run", out);
    size_t n;
    uint8_t *b = slurp(path, &n);
    put("checkpoint", "truncated_in_section", 0, b, n / 2);
    put("checkpoint", "truncated_header", 0, b, 10);
    b[8] = 2;
    put("checkpoint", "version_2", 0, b, n);
    b[8] = 1;
    b[20] = 7;
    put("checkpoint", "section_count_too_large", 0, b, n);
    b[20] = 6;
    b[24] = 0xff, b[25] = 0xff, b[26] = 0xff, b[27] = 0xff;
    put("checkpoint", "name_length_huge", 0, b, n);
    put("checkpoint", "not_a_checkpoint", 0, (const uint8_t *)"PK\3\4 not genc", 14);
    free(b);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: seeds OUT_DIR [MNIST_IMAGES]\n");
        return 2;
    }
    out = argv[1];
    idx_seeds(argc > 2 ? argv[2] : NULL);
    ckpt_seeds();
    return 0;
}
