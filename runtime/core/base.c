/* base.c: checked allocation and internal-bug reports. */
#include "core/base.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
    case EBUSY: return " (another genc is writing it)";
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

const char *base_not_a_file(unsigned mode)
{
    return S_ISDIR(mode)                     ? "is a directory, not a file"
           : S_ISFIFO(mode)                  ? "is a FIFO, not a file"
           : S_ISCHR(mode) || S_ISBLK(mode) ? "is a device, not a file"
           : S_ISSOCK(mode)                  ? "is a socket, not a file"
                                             : "is not a regular file";
}

int base_open_regular(const char *path, int flags, const char **why)
{
    *why = NULL;
    int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        *why = base_not_a_file(st.st_mode);
        close(fd);
        errno = EINVAL;
        return -1;
    }
    /* reads of a regular file do not block anyway; clear it for stdio */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

/* A field of /proc/meminfo, in bytes; 0 if absent. */
static uint64_t meminfo(const char *field)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return 0;
    char line[256];
    unsigned long long kb = 0;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            sscanf(line + n + 1, "%llu", &kb);
            break;
        }
    fclose(f);
    return (uint64_t)kb * 1024;
}

uint64_t base_mem_available(void)
{
    uint64_t avail = meminfo("MemAvailable");
    avail = avail ? avail + meminfo("SwapFree") : UINT64_MAX / 2;
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        /* the address space already mapped counts against the limit */
        FILE *f = fopen("/proc/self/statm", "r");
        unsigned long long pages = 0;
        if (f) {
            if (fscanf(f, "%llu", &pages) != 1) pages = 0;
            fclose(f);
        }
        uint64_t used = (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
        uint64_t left = rl.rlim_cur > used ? rl.rlim_cur - used : 0;
        if (left < avail) avail = left;
    }
    return avail;
}

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
