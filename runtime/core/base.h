/* base.h: what every genc module shares: the number type, source locations,
 * checked allocation and internal-bug assertions. */
#ifndef GENC_BASE_H
#define GENC_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* One number type for the whole runtime: float for use, double for the
 * gradient-check build (make builds both; -DGENC_DOUBLE selects double). */
#ifdef GENC_DOUBLE
typedef double real;
#define REAL_NAME "float64"
#else
typedef float real;
#define REAL_NAME "float32"
#endif

/* Where something came from in a .g file; every AST and graph node has one.
 * file points at a string that lives as long as the compilation. */
typedef struct SrcLoc {
    const char *file;
    int line, col; /* 1-based; line 0 means "no location" */
    int len;       /* characters to underline, at least 1 */
} SrcLoc;

/* Allocation that never returns NULL: out of memory is reported and the
 * process exits with status 1 (a runtime failure), never a crash. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Room for element n of an array grown one element at a time: it is
 * reallocated only when n reaches a power of two, so appending costs O(1)
 * amortised (ASan's realloc always copies, which made one-by-one growth
 * quadratic). */
static inline void *xgrow(void *p, size_t elem, size_t n)
{
    if (n & (n - 1)) return p; /* n > 0 and not a power of two: room left */
    return xrealloc(p, elem * (n ? 2 * n : 1));
}
/* Whether n bytes of address space can still be mapped: a block mapped
 * and unmapped at once, never touched. For libraries that do not survive
 * their own allocations failing: probed before they allocate (under
 * ulimit -v, they find what the probe found). */
bool base_room(size_t n);
bool base_ends_with(const char *s, const char *suffix);
/* " (the disk is full)" and the like for a write's errno, or "" */
const char *base_errno_hint(int e);
/* Opens path (open(2) flags) only if it is a regular file: a FIFO, a
 * device or a directory is refused before anything blocks on it or reads
 * it (the open is non-blocking, and fstat looks first). The descriptor, or
 * -1 with errno set and *why saying what the path is ("is a directory",
 * "is a FIFO, not a file" ...) when it is not a regular file, else NULL. */
int base_open_regular(const char *path, int flags, const char **why);
/* What a file of this st_mode that is not a regular file is, as those
 * messages say it: "is a FIFO, not a file" ... */
const char *base_not_a_file(unsigned mode);
/* Bytes this process can still allocate: the memory the system says is
 * available (with free swap), within the address-space limit (ulimit -v);
 * a large number when neither is known. */
uint64_t base_mem_available(void);
/* Seconds on the monotonic clock, for timing. */
double base_seconds(void);
/* Little-endian integers of 1 to 8 bytes, whatever the machine (the
 * checkpoint format's). */
void base_put_le(uint8_t *out, uint64_t v, int bytes);
uint64_t base_get_le(const uint8_t *in, int bytes);
/* printf into a fresh heap string */
char *xsprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Internal bugs (never user errors) stop with file and line. */
#define GENC_ASSERT(c)                                                        \
    do {                                                                      \
        if (!(c)) genc_bug(__FILE__, __LINE__, #c);                           \
    } while (0)
_Noreturn void genc_bug(const char *file, int line, const char *what);

#define GENC_COUNT(a) (sizeof(a) / sizeof((a)[0]))

#endif
