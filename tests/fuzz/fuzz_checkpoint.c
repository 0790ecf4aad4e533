/* fuzz_checkpoint.c: the bytes as a checkpoint file through ckpt_read
 * (with a fixed expected model hash), then ckpt_get of the sections a run
 * stores, at a few sizes, and ckpt_free.
 *
 * A CRC-32 over the whole file stands before everything after the section
 * walk, and random mutations almost never keep it right; so every input
 * of at least a header's length whose checksum does not match is read a
 * second time with its last four bytes replaced by the right checksum.
 * That reaches the model-hash check and the section table from any input.
 *
 * The file is a memfd, read by its path /proc/self/fd/N. Checked beyond
 * "no crash, no leak, no sanitizer report": a refusal says something and
 * starts with the path (checkpoint.h's promise). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "io/checkpoint.h"

/* The hash the seeds are written with (tests/fuzz/seeds.c). */
#define FUZZ_CKPT_HASH 0x67656e6366757a7aull /* "gencfuzz" */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fd = -1;
static char path[64];

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_checkpoint: %s: %s\n", what, detail);
    abort();
}

static void put_file(const uint8_t *p, size_t n)
{
    if (ftruncate(fd, 0) != 0) fail("ftruncate", path);
    if (n && pwrite(fd, p, n, 0) != (ssize_t)n) fail("pwrite", path);
}

static void check_refusal(const char *err)
{
    size_t k = strlen(path);
    if (strncmp(err, path, k) != 0 || err[k] != ':' || !err[k + 1])
        fail("refusal without the path or a message", err);
}

/* The sections run.c reads, and a few that no checkpoint has, each at
 * sizes the seeds use and at others. */
static void probe(const Ckpt *c)
{
    static const char *const names[] = {
        "run", "params", "state", "optim0.step", "optim0.m", "optim0.v",
        "optim1.step", "", "absent",
    };
    static const size_t sizes[] = {0, 4, 8, 16, 56, 64, 256, 4096};
    static uint8_t buf[4096 + 16];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        for (size_t j = 0; j < sizeof sizes / sizeof *sizes; j++) {
            char err[CKPT_ERR_LEN] = "";
            if (ckpt_get(c, names[i], buf, sizes[j], err) != 0) check_refusal(err);
        }
}

static void read_one(const uint8_t *p, size_t n)
{
    put_file(p, n);
    char err[CKPT_ERR_LEN] = "";
    Ckpt *c = ckpt_read(path, &(uint64_t){FUZZ_CKPT_HASH}, 1, err);
    if (!c) {
        check_refusal(err);
        return;
    }
    probe(c);
    ckpt_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fd < 0) {
        fd = memfd_create("fuzz_checkpoint", MFD_CLOEXEC);
        if (fd < 0) fail("memfd_create", "failed");
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (size > (64u << 20)) return 0;
    read_one(data, size);
    if (size < 28) return 0;
    uint32_t crc = (uint32_t)crc32_z(crc32_z(0, NULL, 0), data, size - 4);
    uint8_t le[4] = {(uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16),
                     (uint8_t)(crc >> 24)};
    if (memcmp(data + size - 4, le, 4) == 0) return 0;
    uint8_t *fixed = malloc(size);
    if (!fixed) fail("malloc", "copy");
    memcpy(fixed, data, size - 4);
    memcpy(fixed + size - 4, le, 4);
    read_one(fixed, size);
    free(fixed);
    return 0;
}
