/* test_checkpoint.c: round trips, the byte layout, and every way a file
 * can be bad (cut at every length, every single bit flipped, wrong magic,
 * version, model or sections), plus writes that fail (missing or
 * read-only directory, disk full, file size limit), after which the
 * previous checkpoint must still be there, intact. Works in a fresh
 * directory under /tmp, removed at the end. */
#include "io/checkpoint.h"

#include "check.h"
#include "scratch.h"

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

/* a file in the test's own directory, allocated */
static char *in_dir(const char *name) { return xsprintf("%s/%s", scratch_dir, name); }

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    GENC_ASSERT(f);
    GENC_ASSERT(fwrite(p, 1, n, f) == n);
    GENC_ASSERT(fclose(f) == 0);
}

/* the whole file (up to 1 MiB, plenty here), or NULL when it is absent */
static uint8_t *read_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *p = xmalloc(1 << 20);
    *n = fread(p, 1, 1 << 20, f);
    fclose(f);
    return p;
}

static bool exists(const char *path) { return access(path, F_OK) == 0; }

/* "path: ..." */
static bool starts_with_path(const char *err, const char *path)
{
    size_t k = strlen(path);
    return err && strncmp(err, path, k) == 0 && err[k] == ':' &&
           err[k + 1] == ' ';
}

/* ckpt_read must refuse path, with a message that starts with the path
 * and contains words. */
static void expect_refused(const char *path, uint64_t hash, const char *words)
{
    char err[CKPT_ERR_LEN] = "";
    Ckpt *c = ckpt_read(path, &hash, 1, err);
    CHECK(c == NULL);
    CHECKF(starts_with_path(err, path) && strstr(err, words),
           "message \"%s\" lacks \"%s\"", err, words);
    ckpt_free(c);
}

#define HASH 0x0123456789abcdefu

static uint8_t payload[5000];

/* A small checkpoint for the exhaustive tests: three sections, one empty. */
static const CkptSection small[] = {
    {"step", "\x07\x00\x00\x00\x00\x00\x00\x00", 8},
    {"G.params", payload, 40},
    {"empty", NULL, 0},
};
enum {
    SMALL_SIZE = 24 + (4 + 4 + 8 + 8) + (4 + 8 + 8 + 40) + (4 + 5 + 8) + 4
};

/* The small checkpoint's bytes, written to `name` in the test directory. */
static uint8_t *small_file(const char *name, size_t *n)
{
    char *path = in_dir(name);
    char err[CKPT_ERR_LEN] = "";
    GENC_ASSERT(ckpt_write(path, HASH, small, GENC_COUNT(small), err) == 0);
    uint8_t *bytes = read_bytes(path, n);
    free(path);
    return bytes;
}

static void test_round_trip(void)
{
    char *path = in_dir("ckpt.genc"), *tmp = in_dir("ckpt.genc.tmp");
    char err[CKPT_ERR_LEN] = "";
    const CkptSection s[] = {
        {"params", payload, sizeof payload},
        {"adam.exp_avg", payload + 7, 1000},
        {"rng", payload + 100, 24},
        {"empty", NULL, 0},
        {"x", "\xff", 1},
    };
    static uint8_t got[sizeof payload];
    for (int round = 0; round < 2; round++) { /* create, then replace */
        CHECKF(ckpt_write(path, HASH, s, GENC_COUNT(s), err) == 0, "%s",
               err);
        CHECK(!exists(tmp));
        Ckpt *c = ckpt_read(path, &(uint64_t){HASH}, 1, err);
        CHECKF(c != NULL, "%s", err);
        if (!c) {
            break;
        }
        for (size_t i = 0; i < GENC_COUNT(s); i++) {
            memset(got, 0xAA, sizeof got);
            CHECKF(ckpt_get(c, s[i].name, got, s[i].size, err) == 0, "%s",
                   err);
            CHECK(s[i].size == 0 || memcmp(got, s[i].data, s[i].size) == 0);
        }
        CHECK(ckpt_get(c, "params", got, 4999, err) == -1);
        char *want = xsprintf("%s: section 'params' has 5000 bytes, this "
                              "model needs 4999",
                              path);
        CHECK_STR(err, want);
        free(want);
        CHECK(ckpt_get(c, "D.params", got, 8, err) == -1);
        want = xsprintf("%s: section 'D.params' is missing", path);
        CHECK_STR(err, want);
        free(want);
        CHECK(ckpt_get(c, "param", got, 5000, err) == -1); /* not a prefix */
        ckpt_free(c);
    }
    free(path);
    free(tmp);
}

/* The layout documented in checkpoint.h, byte by byte. */
static void test_layout(void)
{
    size_t n = 0;
    uint8_t *b = small_file("layout.genc", &n);
    CHECKF(n == SMALL_SIZE, "%zu bytes, want %d", n, SMALL_SIZE);
    if (n != SMALL_SIZE) {
        free(b);
        return;
    }
    CHECK(memcmp(b, "GENCCKPT", 8) == 0);
    CHECK(memcmp(b + 8, "\x01\x00\x00\x00", 4) == 0);
    CHECK(memcmp(b + 12, "\xef\xcd\xab\x89\x67\x45\x23\x01", 8) == 0);
    CHECK(memcmp(b + 20, "\x03\x00\x00\x00", 4) == 0);
    CHECK(memcmp(b + 24, "\x04\x00\x00\x00step", 8) == 0);
    CHECK(memcmp(b + 32, "\x08\x00\x00\x00\x00\x00\x00\x00", 8) == 0);
    CHECK(memcmp(b + 40, small[0].data, 8) == 0);
    CHECK(memcmp(b + 48, "\x08\x00\x00\x00G.params", 12) == 0);
    CHECK(memcmp(b + 60, "\x28\x00\x00\x00\x00\x00\x00\x00", 8) == 0);
    CHECK(memcmp(b + 108, "\x05\x00\x00\x00" "empty", 9) == 0);
    CHECK(memcmp(b + 117, "\x00\x00\x00\x00\x00\x00\x00\x00", 8) == 0);
    uint32_t crc = (uint32_t)crc32(0, b, SMALL_SIZE - 4);
    uint8_t le[4] = {(uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16),
                     (uint8_t)(crc >> 24)};
    CHECK(memcmp(b + SMALL_SIZE - 4, le, 4) == 0);
    free(b);
}

/* Every prefix of a good file is refused as truncated. */
static void test_truncated(void)
{
    size_t n = 0;
    uint8_t *b = small_file("whole.genc", &n);
    char *cut = in_dir("cut.genc");
    int refused = 0;
    for (size_t len = 0; len < n; len++) {
        write_bytes(cut, b, len);
        char err[CKPT_ERR_LEN] = "";
        Ckpt *c = ckpt_read(cut, &(uint64_t){HASH}, 1, err);
        bool ok = !c && starts_with_path(err, cut) &&
                  strstr(err, ": truncated (");
        CHECKF(ok, "cut at %zu: %s", len, c ? "accepted" : err);
        refused += ok;
        ckpt_free(c);
    }
    CHECK(refused == SMALL_SIZE);
    free(cut);
    free(b);
}

/* Every single-bit flip of a good file is refused, and always for a
 * reason that fits: never "a different model", since the checksum is
 * checked before the hash. */
static void test_bit_flips(void)
{
    size_t n = 0;
    uint8_t *b = small_file("whole.genc", &n);
    char *bad = in_dir("flipped.genc");
    const char *reasons[] = {": not a genc checkpoint", ": written by ",
                             ": truncated (", ": corrupted: "};
    int count[GENC_COUNT(reasons)] = {0}, refused = 0;
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1 << bit);
            write_bytes(bad, b, n);
            b[i] ^= (uint8_t)(1 << bit);
            char err[CKPT_ERR_LEN] = "";
            Ckpt *c = ckpt_read(bad, &(uint64_t){HASH}, 1, err);
            int why = -1;
            for (int r = 0; r < (int)GENC_COUNT(reasons); r++)
                if (strstr(err, reasons[r])) why = r;
            CHECKF(!c && why >= 0 && starts_with_path(err, bad),
                   "byte %zu bit %d: %s", i, bit, c ? "accepted" : err);
            if (!c && why >= 0) count[why]++, refused++;
            ckpt_free(c);
        }
    }
    CHECK(refused == 8 * SMALL_SIZE);
    printf("test_checkpoint: %d bit flips refused: %d magic, %d version, "
           "%d truncated, %d corrupted\n",
           refused, count[0], count[1], count[2], count[3]);
    free(bad);
    free(b);
}

static void store_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* A good file, edited, written with its checksum made right again. */
static void rewrite_with_crc(const char *path, uint8_t *b, size_t n)
{
    store_u32(b + n - 4, (uint32_t)crc32(0, b, (uInt)(n - 4)));
    write_bytes(path, b, n);
}

static void test_bad_files(void)
{
    size_t n = 0;
    uint8_t *b = small_file("good.genc", &n);
    char *path = in_dir("bad.genc");

    char err[CKPT_ERR_LEN] = "";
    char *good = in_dir("good.genc");
    CHECK(ckpt_read(good, &(uint64_t){0xab}, 1, err) == NULL);
    char *want = xsprintf("%s: was written for a different model (hash "
                          "0123456789abcdef, this model is 00000000000000ab)",
                          good);
    CHECK_STR(err, want);
    free(want);
    /* an older form of the model's hash is accepted; 0 never is */
    uint64_t two[2] = {0xab, HASH};
    Ckpt *c = ckpt_read(good, two, 2, err);
    CHECKF(c != NULL, "%s", err);
    CHECK(c && ckpt_size(c, "G.params") == 40 && ckpt_size(c, "G.param") == -1);
    ckpt_free(c);
    uint64_t zero[2] = {0xab, 0};
    CHECK(ckpt_read(good, zero, 2, err) == NULL);
    free(good);

    write_bytes(path, "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
    expect_refused(path, HASH, "not a genc checkpoint");
    write_bytes(path, "hi\n", 3);
    expect_refused(path, HASH, "not a genc checkpoint");
    write_bytes(path, "", 0);
    expect_refused(path, HASH, "truncated");

    /* other format versions, with valid checksums: a real file from
     * another genc, not a damaged one */
    store_u32(b + 8, 2);
    rewrite_with_crc(path, b, n);
    expect_refused(path, HASH, "written by a newer genc, format version 2");
    store_u32(b + 8, 0);
    rewrite_with_crc(path, b, n);
    expect_refused(path, HASH, "written by an older genc, format version 0");
    store_u32(b + 8, 1);

    /* a count claiming four billion sections must not allocate for them */
    store_u32(b + 20, UINT32_MAX);
    rewrite_with_crc(path, b, n);
    expect_refused(path, HASH, "truncated");
    store_u32(b + 20, 3);

    /* bytes after the last section */
    uint8_t *longer = xmalloc(n + 3);
    memcpy(longer, b, n - 4);
    memcpy(longer + n - 4, "abc", 3);
    rewrite_with_crc(path, longer, n + 3);
    expect_refused(path, HASH, "corrupted: 3 unexpected bytes");
    free(longer);

    /* a flipped payload byte */
    b[70] ^= 0x40;
    write_bytes(path, b, n);
    expect_refused(path, HASH, "corrupted: checksum mismatch");

    char *none = in_dir("does-not-exist.genc");
    expect_refused(none, HASH, "cannot open: No such file or directory");
    free(none);
    /* what is not a file is refused by name, before it is opened */
    char what[CKPT_ERR_LEN];
    snprintf(what, sizeof what, "%s is a directory, not a file", scratch_dir);
    CHECK(ckpt_read(scratch_dir, &(uint64_t){HASH}, 1, err) == NULL);
    CHECK_STR(err, what);
    char *fifo = in_dir("fifo.genc");
    GENC_ASSERT(mkfifo(fifo, 0600) == 0);
    snprintf(what, sizeof what, "%s is a FIFO, not a file", fifo);
    CHECK(ckpt_read(fifo, &(uint64_t){HASH}, 1, err) == NULL); /* and does not block */
    CHECK_STR(err, what);
    unlink(fifo);
    free(fifo);

    /* a message longer than the buffer is cut, not overflowed */
    char long_path[3000];
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[sizeof long_path - 1] = 0;
    CHECK(ckpt_read(long_path, &(uint64_t){HASH}, 1, err) == NULL);
    CHECK(strlen(err) == CKPT_ERR_LEN - 1);
    free(path);
    free(b);
}

/* Writing into a directory that does not exist fails with a message. */
static void test_missing_dir(void)
{
    char *path = in_dir("nope/ckpt.genc");
    char err[CKPT_ERR_LEN] = "";
    CHECK(ckpt_write(path, HASH, small, GENC_COUNT(small), err) == -1);
    CHECKF(starts_with_path(err, path) &&
               strstr(err, "checkpoint not saved: cannot create") &&
               strstr(err, "No such file or directory") &&
               strstr(err, "nope' exist?") && !strstr(err, "previous"),
           "%s", err);
    free(path);
}

/* The rename is the last step that can fail: here the path is taken by a
 * directory. The temporary goes; nothing is said to be kept. */
static void test_rename_fails(void)
{
    char *path = in_dir("taken.genc"), *inside = in_dir("taken.genc/x");
    char *tmp = in_dir("taken.genc.tmp");
    char err[CKPT_ERR_LEN] = "";
    GENC_ASSERT(mkdir(path, 0755) == 0);
    write_bytes(inside, "x", 1);
    CHECK(ckpt_write(path, HASH, small, GENC_COUNT(small), err) == -1);
    CHECKF(starts_with_path(err, path) && strstr(err, "cannot rename") &&
               !strstr(err, "previous"),
           "%s", err);
    CHECK(!exists(tmp));
    free(tmp);
    free(inside);
    free(path);
}

/* The previous checkpoint at `path`, the small one, must still be there
 * byte for byte and load, and no temporary may be left beside it. */
static void check_kept(const char *path)
{
    size_t n = 0, now_n = 0;
    uint8_t *want = small_file("reference.genc", &n);
    uint8_t *now = read_bytes(path, &now_n);
    CHECK(now && now_n == n && memcmp(now, want, n) == 0);
    free(now);
    free(want);
    char err[CKPT_ERR_LEN] = "";
    Ckpt *c = ckpt_read(path, &(uint64_t){HASH}, 1, err);
    CHECKF(c != NULL, "%s", err);
    uint8_t step[8];
    CHECK(c && ckpt_get(c, "step", step, 8, err) == 0 && step[0] == 7);
    ckpt_free(c);
    char *tmp = xsprintf("%s.tmp", path);
    CHECKF(!exists(tmp), "%s left behind", tmp);
    free(tmp);
}

/* The tests that fork keep nothing on the heap across the fork, so that
 * the child's exit shows no memory still in use under valgrind. */
static void path_in_dir(char out[PATH_MAX], const char *name)
{
    GENC_ASSERT(snprintf(out, PATH_MAX, "%s/%s", scratch_dir, name) < PATH_MAX);
}

/* Runs attempt(path) in a child process (which may change its user or
 * limits) and returns its message; the child exits 0 when ckpt_write
 * failed as it must. A child killed by a signal fails the test. */
static char *in_child(void (*attempt)(const char *path, int out),
                      const char *path, bool *skipped)
{
    int pipefd[2];
    GENC_ASSERT(pipe(pipefd) == 0);
    fflush(NULL);
    pid_t pid = fork();
    GENC_ASSERT(pid >= 0);
    if (pid == 0) {
        close(pipefd[0]);
        attempt(path, pipefd[1]);
    }
    close(pipefd[1]);
    char msg[1000];
    size_t len = 0;
    ssize_t got;
    while ((got = read(pipefd[0], msg + len, sizeof msg - 1 - len)) > 0)
        len += (size_t)got;
    msg[len] = 0;
    close(pipefd[0]);
    int status;
    GENC_ASSERT(waitpid(pid, &status, 0) == pid);
    CHECKF(WIFEXITED(status), "child died of signal %d",
           WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    *skipped = WIFEXITED(status) && WEXITSTATUS(status) == 77;
    CHECKF(WIFEXITED(status) && (WEXITSTATUS(status) == 0 || *skipped),
           "child: %s", msg);
    return xstrdup(msg);
}

/* in the child: the message goes to the parent, the verdict is the exit
 * status */
static _Noreturn void report(int out, const char *msg, int rc)
{
    if (write(out, msg, strlen(msg)) < 0) rc = 2;
    close(out);
    exit(rc);
}

static uint8_t big[1 << 20];

static void write_big(const char *path, int out)
{
    CkptSection s[] = {{"step", "\x08\0\0\0\0\0\0\0", 8},
                       {"G.params", big, sizeof big}};
    char err[CKPT_ERR_LEN] = "";
    int rc = ckpt_write(path, HASH, s, GENC_COUNT(s), err);
    report(out, err, rc == -1 ? 0 : 1);
}

static void attempt_as_nobody(const char *path, int out)
{
    /* root writes anywhere: become nobody so that the mode bits count */
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
        report(out, "cannot become nobody", 77);
    write_big(path, out);
}

static void test_read_only_dir(void)
{
    char ro[PATH_MAX], path[PATH_MAX];
    char err[CKPT_ERR_LEN] = "";
    path_in_dir(ro, "ro");
    path_in_dir(path, "ro/ckpt.genc");
    GENC_ASSERT(mkdir(ro, 0755) == 0);
    GENC_ASSERT(ckpt_write(path, HASH, small, GENC_COUNT(small), err) == 0);
    GENC_ASSERT(chmod(ro, 0555) == 0);
    bool skipped = false;
    char *msg = in_child(attempt_as_nobody, path, &skipped);
    if (skipped) {
        printf("test_checkpoint: read-only directory test skipped: %s\n",
               msg);
    } else {
        CHECKF(starts_with_path(msg, path) &&
                   strstr(msg, "cannot create") &&
                   strstr(msg, "Permission denied") &&
                   strstr(msg, "; the previous checkpoint is kept"),
               "%s", msg);
    }
    chmod(ro, 0755);
    check_kept(path);
    free(msg);
}

/* A file size limit below the new checkpoint's size: the write fails
 * midway with EFBIG, as a full disk would fail it with ENOSPC. SIGXFSZ
 * is left at its default, which kills: ckpt_write must hold it back. */
static void attempt_limited(const char *path, int out)
{
    struct rlimit limit = {64 * 1024, 64 * 1024};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0)
        report(out, "setrlimit failed", 77);
    int rc = 0;
    CkptSection s[] = {{"G.params", big, sizeof big}};
    char err[CKPT_ERR_LEN] = "";
    if (ckpt_write(path, HASH, s, 1, err) != -1) rc = 1;
    /* and the signal is neither left blocked nor pending */
    sigset_t mask, pending;
    sigprocmask(SIG_BLOCK, NULL, &mask);
    sigpending(&pending);
    if (sigismember(&mask, SIGXFSZ) || sigismember(&pending, SIGXFSZ)) rc = 3;
    report(out, err, rc);
}

static void test_file_size_limit(void)
{
    char path[PATH_MAX];
    char err[CKPT_ERR_LEN] = "";
    path_in_dir(path, "limited.genc");
    GENC_ASSERT(ckpt_write(path, HASH, small, GENC_COUNT(small), err) == 0);
    bool skipped = false;
    char *msg = in_child(attempt_limited, path, &skipped);
    if (skipped)
        printf("test_checkpoint: file size limit test skipped: %s\n", msg);
    else
        CHECKF(starts_with_path(msg, path) && strstr(msg, "cannot write") &&
                   strstr(msg, "File too large") &&
                   strstr(msg, "ulimit -f") &&
                   strstr(msg, "; the previous checkpoint is kept"),
               "%s", msg);
    check_kept(path);
    free(msg);
}

/* A link planted where the temporary goes (to a precious file) is
 * replaced, never followed: the file it points to keeps its bytes, and
 * the checkpoint is a file of its own. */
static void test_tmp_symlink(void)
{
    char *path = in_dir("linked.genc"), *tmp = in_dir("linked.genc.tmp");
    char *precious = in_dir("precious");
    char err[CKPT_ERR_LEN] = "";
    write_bytes(precious, "keep", 4);
    GENC_ASSERT(symlink(precious, tmp) == 0);
    CHECKF(ckpt_write(path, HASH, small, GENC_COUNT(small), err) == 0, "%s", err);
    size_t n = 0;
    uint8_t *kept = read_bytes(precious, &n);
    CHECK(kept && n == 4 && memcmp(kept, "keep", 4) == 0);
    struct stat st;
    CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode));
    CHECK(!exists(tmp));
    free(kept);
    free(precious);
    free(tmp);
    free(path);
}

int main(void)
{
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 131 + 7);
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 7);
    GENC_ASSERT(scratch_make("checkpoint") == 0);
    /* the read-only test runs as nobody when we are root */
    GENC_ASSERT(chmod(scratch_dir, 0755) == 0);

    test_round_trip();
    test_layout();
    test_truncated();
    test_bit_flips();
    test_bad_files();
    test_missing_dir();
    test_rename_fails();
    test_read_only_dir();
    test_file_size_limit();
    test_tmp_symlink();

    scratch_remove();
    return check_done("test_checkpoint");
}
