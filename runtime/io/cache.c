/* cache.c: decoded examples on disk (see cache.h). */
#include "io/cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/atomic.h"

/* The header; the labels (int) and the examples' bytes follow. Native
 * byte order: a cache is this machine's. */
typedef struct CacheHead {
    char magic[8];
    uint64_t key, bytes;
    int32_t n, skipped;
    char first[DATA_ERR_LEN];
} CacheHead;

static const char cache_magic[8] = "gencdc1";

uint64_t cache_hash(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * 1099511628211ULL;
    return h;
}

char *cache_path(uint64_t key)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char *dir;
    if (xdg && *xdg) dir = xsprintf("%s/genc", xdg);
    else if (home && *home) dir = xsprintf("%s/.cache/genc", home);
    else return NULL;
    /* the parent of .cache/genc may be missing too */
    char *slash = strrchr(dir, '/');
    *slash = 0;
    mkdir(dir, 0777);
    *slash = '/';
    mkdir(dir, 0777);
    char *path = xsprintf("%s/%016llx.data", dir, (unsigned long long)key);
    free(dir);
    return path;
}

int cache_read(const char *path, uint64_t key, int max, size_t bytes, int classes, uint8_t *pixels,
               int *labels, int *skipped, char *first)
{
    char err[DATA_ERR_LEN];
    int64_t size;
    FILE *f = data_open(path, INT64_MAX, &size, err);
    if (!f) return -1;
    CacheHead h;
    int n = -1;
    if (fread(&h, sizeof h, 1, f) == 1 && !memcmp(h.magic, cache_magic, sizeof h.magic) &&
        h.key == key && h.bytes == bytes && h.n >= 0 && h.n <= max && h.skipped >= 0 &&
        size == (int64_t)(sizeof h + sizeof *labels * (size_t)h.n + bytes * (size_t)h.n) &&
        fread(labels, sizeof *labels, (size_t)h.n, f) == (size_t)h.n &&
        fread(pixels, bytes, (size_t)h.n, f) == (size_t)h.n) {
        n = h.n;
        for (int i = 0; i < h.n; i++)
            if (labels[i] < 0 || labels[i] >= classes) n = -1;
        *skipped = h.skipped;
        h.first[DATA_ERR_LEN - 1] = 0;
        memcpy(first, h.first, DATA_ERR_LEN);
    }
    fclose(f);
    return n;
}

void cache_write(const char *path, uint64_t key, int n, size_t bytes, const uint8_t *pixels,
                 const int *labels, int skipped, const char *first)
{
    CacheHead h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, cache_magic, sizeof h.magic);
    h.key = key, h.bytes = bytes, h.n = n, h.skipped = skipped;
    snprintf(h.first, sizeof h.first, "%s", first);
    AtomicFile a;
    const char *step;
    if (atomic_open(&a, path)) return;
    if (fwrite(&h, sizeof h, 1, a.f) != 1 || fwrite(labels, sizeof *labels, (size_t)n, a.f) != (size_t)n ||
        fwrite(pixels, bytes, (size_t)n, a.f) != (size_t)n) {
        atomic_abort(&a);
        return;
    }
    atomic_commit(&a, &step);
}
