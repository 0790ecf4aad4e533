/* checkpoint.c: atomic checkpoint files and their verification. The
 * format is described in checkpoint.h. */
#include "io/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "io/atomic.h"

static const char magic[8] = {'G', 'E', 'N', 'C', 'C', 'K', 'P', 'T'};

enum {
    HEADER_SIZE = 24, /* magic, version, hash, section count */
    CRC_SIZE = 4,
};

/* Every message starts with the checkpoint's path. */
static int ckpt_fail(char *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int ckpt_fail(char *err, const char *path, const char *fmt, ...)
{
    int k = snprintf(err, CKPT_ERR_LEN, "%s: ", path);
    if (k < 0 || k >= CKPT_ERR_LEN) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + k, CKPT_ERR_LEN - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- writing ---- */

/* The file being written and the CRC of what went into it so far. */
typedef struct Out {
    FILE *f;
    uLong crc;
} Out;

static bool out_put(Out *o, const void *p, size_t n)
{
    /* crc32_z(crc, NULL, 0) would return 0, the initial value, and lose
     * the CRC so far: an empty section may well have data == NULL */
    if (n == 0) return true;
    o->crc = crc32_z(o->crc, p, n);
    return fwrite(p, 1, n, o->f) == n;
}

static bool out_all(Out *o, uint64_t hash, const CkptSection *s, size_t n)
{
    uint8_t head[HEADER_SIZE];
    memcpy(head, magic, 8);
    base_put_le(head + 8, CKPT_VERSION, 4);
    base_put_le(head + 12, hash, 8);
    base_put_le(head + 20, n, 4);
    if (!out_put(o, head, sizeof head)) return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t len[8];
        size_t k = strlen(s[i].name);
        base_put_le(len, k, 4);
        if (!out_put(o, len, 4) || !out_put(o, s[i].name, k)) return false;
        base_put_le(len, s[i].size, 8);
        if (!out_put(o, len, 8) || !out_put(o, s[i].data, s[i].size))
            return false;
    }
    uint8_t crc[CRC_SIZE];
    base_put_le(crc, o->crc, 4);
    return fwrite(crc, 1, sizeof crc, o->f) == sizeof crc;
}

/* The section list comes from the runtime, not from the user: a bad one
 * is a bug. */
static void check_sections(const CkptSection *s, size_t n)
{
    GENC_ASSERT(n <= UINT32_MAX);
    for (size_t i = 0; i < n; i++) {
        GENC_ASSERT(s[i].name && s[i].name[0]);
        GENC_ASSERT(strlen(s[i].name) <= UINT32_MAX);
        GENC_ASSERT(s[i].data || s[i].size == 0);
        for (size_t j = 0; j < i; j++)
            GENC_ASSERT(strcmp(s[i].name, s[j].name) != 0);
    }
}

/* "runs/x" for "runs/x/checkpoint.genc", "." for "checkpoint.genc" */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return xstrdup(".");
    if (slash == path) return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

/* After the rename, the directory entry itself must reach the disk, or a
 * power loss could bring back the old entry. Some file systems cannot
 * sync a directory (EINVAL); there is nothing more to do on them. */
static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd) == 0 || errno == EINVAL ? 0 : -1;
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int ckpt_write(const char *path, uint64_t model_hash,
               const CkptSection *sections, size_t n,
               char err[CKPT_ERR_LEN])
{
    check_sections(sections, n);
    char *tmp = xsprintf("%s.tmp", path), *dir = dir_of(path);
    const char *failed = NULL, *step; /* what went wrong, with errno e */
    AtomicFile a;
    int e = atomic_open(&a, path);
    bool created = e == 0;
    if (!created) {
        failed = "cannot create";
    } else {
        Out o = {.f = a.f, .crc = crc32_z(0, NULL, 0)};
        bool wrote = out_all(&o, model_hash, sections, n);
        if (!wrote) {
            e = errno ? errno : EIO;
            atomic_abort(&a);
        } else {
            e = atomic_commit(&a, &step);
        }
        if (e) failed = !wrote || strcmp(step, "write") == 0 ? "cannot write"
                        : strcmp(step, "sync") == 0          ? "cannot sync"
                                                              : "cannot rename";
    }
    int rc = 0;
    if (failed) {
        char hint[CKPT_ERR_LEN];
        if (e == ENOENT && !created)
            snprintf(hint, sizeof hint, " (does the directory '%s' exist?)",
                     dir);
        else
            snprintf(hint, sizeof hint, "%s", base_errno_hint(e));
        struct stat st;
        bool kept = stat(path, &st) == 0 && S_ISREG(st.st_mode);
        rc = ckpt_fail(err, path, "checkpoint not saved: %s %s: %s%s%s",
                       failed, tmp, strerror(e), hint,
                       kept ? "; the previous checkpoint is kept" : "");
    } else if (sync_dir(dir) != 0) {
        rc = ckpt_fail(err, path,
                       "checkpoint saved, but its directory '%s' could not "
                       "be synced (%s): a power loss now could lose it",
                       dir, strerror(errno));
    }
    free(tmp);
    free(dir);
    return rc;
}

/* ---- reading ---- */

typedef struct Section {
    const uint8_t *name, *data;
    uint32_t name_len;
    uint64_t size;
} Section;

struct Ckpt {
    char *path;
    uint8_t *bytes; /* the whole file */
    size_t nsec;
    Section *sec;
};

/* Reads a regular file whole. The first 12 bytes come first, so that a
 * wrong path to some big other file is refused before it is loaded. */
static uint8_t *read_file(const char *path, size_t *size, char *err)
{
    /* a FIFO or a device is refused before it can block the read */
    const char *why;
    int fd = base_open_regular(path, O_RDONLY, &why);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        if (why) /* "PATH is a FIFO, not a file", as every reader says it */
            snprintf(err, CKPT_ERR_LEN, "%s %s", path, why);
        else
            ckpt_fail(err, path, "cannot open: %s", strerror(errno));
        if (fd >= 0) close(fd);
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        ckpt_fail(err, path, "cannot read: %s", strerror(errno));
        fclose(f);
        return NULL;
    }
    /* a file shorter than the magic is refused as truncated when what
     * there is matches it */
    uint8_t head[12];
    size_t len = fread(head, 1, sizeof head, f);
    if (memcmp(head, magic, len < 8 ? len : 8) != 0) {
        ckpt_fail(err, path,
                  "not a genc checkpoint (it does not start with GENCCKPT)");
        fclose(f);
        return NULL;
    }
    size_t cap = (size_t)st.st_size > len ? (size_t)st.st_size + 1 : len + 1;
    uint8_t *bytes = xmalloc(cap);
    memcpy(bytes, head, len);
    while (!ferror(f) && !feof(f)) {
        if (len == cap) bytes = xrealloc(bytes, cap *= 2);
        len += fread(bytes + len, 1, cap - len, f);
    }
    if (ferror(f)) {
        ckpt_fail(err, path, "cannot read: %s", strerror(errno));
        free(bytes);
        bytes = NULL;
    }
    fclose(f);
    *size = len;
    return bytes;
}

/* Walks the section headers of bytes[0..size) without trusting them: 0
 * when they fit exactly between the header and the CRC, else -1 and the
 * problem in err. With table non-NULL, also records each section. */
static int walk(const char *path, const uint8_t *bytes, size_t size,
                Section *table, char *err)
{
    uint32_t count = (uint32_t)base_get_le(bytes + 20, 4);
    size_t off = HEADER_SIZE;
    for (uint32_t i = 0; i < count; i++) {
        if (size - off < 4 ||
            size - off - 4 < (uint64_t)base_get_le(bytes + off, 4) + 8)
            return ckpt_fail(err, path,
                             "truncated (%zu bytes; section %u of %u is cut "
                             "off)",
                             size, i + 1, count);
        uint32_t k = (uint32_t)base_get_le(bytes + off, 4);
        const uint8_t *name = bytes + off + 4;
        off += 4 + (size_t)k;
        uint64_t m = base_get_le(bytes + off, 8);
        off += 8;
        if (size - off < m)
            return ckpt_fail(err, path,
                             "truncated (%zu bytes; section %u of %u needs "
                             "%llu more)",
                             size, i + 1, count,
                             (unsigned long long)(m - (size - off)));
        if (table)
            table[i] = (Section){.name = name, .name_len = k,
                                 .data = bytes + off, .size = m};
        off += (size_t)m;
    }
    if (size - off < CRC_SIZE)
        return ckpt_fail(err, path,
                         "truncated (%zu bytes; the checksum at the end is "
                         "missing)",
                         size);
    if (size - off > CRC_SIZE)
        return ckpt_fail(err, path,
                         "corrupted: %zu unexpected bytes after the last "
                         "section",
                         size - off - CRC_SIZE);
    return 0;
}

/* Every check of the file in memory, in the order of checkpoint.h. */
static int verify(const char *path, const uint8_t *bytes, size_t size,
                  const uint64_t *hashes, int nhashes, char *err)
{
    /* read_file refused a wrong magic */
    if (size < 12)
        return ckpt_fail(err, path,
                         "truncated (%zu bytes, a checkpoint has at least "
                         "%d)",
                         size, HEADER_SIZE + CRC_SIZE);
    uint32_t version = (uint32_t)base_get_le(bytes + 8, 4);
    if (version != CKPT_VERSION)
        return ckpt_fail(err, path,
                         "written by %s genc, format version %u (this genc "
                         "reads version %d)",
                         version > CKPT_VERSION ? "a newer" : "an older",
                         version, CKPT_VERSION);
    if (size < HEADER_SIZE + CRC_SIZE)
        return ckpt_fail(err, path,
                         "truncated (%zu bytes, a checkpoint has at least "
                         "%d)",
                         size, HEADER_SIZE + CRC_SIZE);
    if (walk(path, bytes, size, NULL, err) != 0) return -1;
    uint32_t stored = (uint32_t)base_get_le(bytes + size - CRC_SIZE, 4);
    uint32_t actual = (uint32_t)crc32_z(crc32_z(0, NULL, 0), bytes,
                                        size - CRC_SIZE);
    if (stored != actual)
        return ckpt_fail(err, path,
                         "corrupted: checksum mismatch (stored %08x, "
                         "computed %08x)",
                         stored, actual);
    uint64_t hash = base_get_le(bytes + 12, 8);
    bool known = nhashes == 0; /* a look at any model's checkpoint */
    for (int i = 0; i < nhashes; i++) known |= hash != 0 && hash == hashes[i];
    if (!known)
        return ckpt_fail(err, path,
                         "was written for a different model (hash %016llx, "
                         "this model is %016llx)",
                         (unsigned long long)hash,
                         (unsigned long long)hashes[0]);
    return 0;
}

Ckpt *ckpt_read(const char *path, const uint64_t *hashes, int nhashes,
                char err[CKPT_ERR_LEN])
{
    size_t size = 0;
    uint8_t *bytes = read_file(path, &size, err);
    if (!bytes) return NULL;
    if (verify(path, bytes, size, hashes, nhashes, err) != 0) {
        free(bytes);
        return NULL;
    }
    Ckpt *c = xcalloc(1, sizeof *c);
    c->path = xstrdup(path);
    c->bytes = bytes;
    /* the walk succeeded, so every section has at least 13 bytes in the
     * file and the count cannot ask for an absurd table */
    c->nsec = (uint32_t)base_get_le(bytes + 20, 4);
    c->sec = xcalloc(c->nsec, sizeof *c->sec);
    int again = walk(path, bytes, size, c->sec, err);
    GENC_ASSERT(again == 0);
    return c;
}

int64_t ckpt_size(const Ckpt *c, const char *name)
{
    size_t k = strlen(name);
    for (size_t i = 0; i < c->nsec; i++)
        if (c->sec[i].name_len == k && memcmp(c->sec[i].name, name, k) == 0)
            return (int64_t)c->sec[i].size;
    return -1;
}

size_t ckpt_count(const Ckpt *c)
{
    return c->nsec;
}

const void *ckpt_section(const Ckpt *c, size_t i, char *name, size_t n, size_t *size)
{
    const Section *s = &c->sec[i];
    snprintf(name, n, "%.*s", (int)s->name_len, (const char *)s->name);
    *size = (size_t)s->size;
    return s->data;
}

int ckpt_get(const Ckpt *c, const char *name, void *dst, size_t size,
             char err[CKPT_ERR_LEN])
{
    size_t k = strlen(name);
    for (size_t i = 0; i < c->nsec; i++) {
        const Section *s = &c->sec[i];
        if (s->name_len != k || memcmp(s->name, name, k) != 0) continue;
        if (s->size != size)
            return ckpt_fail(err, c->path,
                             "section '%s' has %llu bytes, this model needs "
                             "%zu",
                             name, (unsigned long long)s->size, size);
        if (size > 0) memcpy(dst, s->data, size);
        return 0;
    }
    return ckpt_fail(err, c->path, "section '%s' is missing", name);
}

void ckpt_free(Ckpt *c)
{
    if (!c) return;
    free(c->sec);
    free(c->bytes);
    free(c->path);
    free(c);
}
