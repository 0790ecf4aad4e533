/* base.c: checked allocation and internal-bug reports. */
#include "core/base.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static _Noreturn void base_out_of_memory(size_t n)
{
    fprintf(stderr, "genc: error: out of memory (asked for %zu bytes)\n", n);
    exit(1);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) base_out_of_memory(n);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) base_out_of_memory(count * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) base_out_of_memory(n);
    return q;
}

bool base_room(size_t n)
{
    if (n == 0) return true;
    /* mmap, not malloc: malloc can answer from address space it reserved
     * earlier for a thread's heap, which the libraries' own mmap calls
     * cannot use (a malloc probe passed under ulimit -v, and oneDNN's
     * next 100 KB mmap failed) */
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return false;
    munmap(p, n);
    return true;
}

bool base_ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

const char *base_errno_hint(int e)
{
    switch (e) {
    case ENOSPC: return " (the disk is full)";
    case EFBIG: return " (over the file size limit, see ulimit -f)";
    default: return "";
    }
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

double base_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void base_put_le(uint8_t *out, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) out[i] = (uint8_t)(v >> (8 * i));
}

uint64_t base_get_le(const uint8_t *in, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)in[i] << (8 * i);
    return v;
}

char *xsprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void genc_bug(const char *file, int line, const char *what)
{
    fprintf(stderr, "genc: internal error at %s:%d: %s\n"
                    "This is a bug in genc, not in your model; please report it.\n",
            file, line, what);
    abort();
}
