/* test_data.c: the IDX reader, datasets, batches and shuffles, on small
 * fixtures written to a temporary directory; then MNIST and Fashion-MNIST
 * themselves when they are installed. */
#include "check.h"
#include "scratch.h"
#include "io/data.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static void write_raw(const char *path, const void *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, len, f) != len || fclose(f)) {
        perror(path);
        exit(1);
    }
}

static void write_gz(const char *path, const void *bytes, size_t len)
{
    gzFile f = gzopen(path, "wb");
    if (!f || gzwrite(f, bytes, (unsigned)len) != (int)len || gzclose(f) != Z_OK) {
        fprintf(stderr, "%s: cannot write gzip\n", path);
        exit(1);
    }
}

/* An IDX file in buf: u8 magic for rank dims, then `have` data bytes
 * counting 0, 1, 2, ... (so they can differ from what the header says).
 * Returns the file length. */
static size_t idx_bytes(uint8_t *buf, int rank, const uint32_t *dims, size_t have)
{
    buf[0] = buf[1] = 0;
    buf[2] = 0x08;
    buf[3] = (uint8_t)rank;
    for (int i = 0; i < rank; i++)
        for (int k = 0; k < 4; k++) buf[4 + 4 * i + k] = (uint8_t)(dims[i] >> (24 - 8 * k));
    size_t head = 4 + 4 * (size_t)rank;
    for (size_t i = 0; i < have; i++) buf[head + i] = (uint8_t)(i * 7 % 256);
    return head + have;
}

/* Writes an IDX file, raw or gzip, with `have` data bytes. */
static void write_idx(const char *path, int gz, int rank, const uint32_t *dims, size_t have)
{
    uint8_t buf[4096];
    size_t len = idx_bytes(buf, rank, dims, have);
    (gz ? write_gz : write_raw)(path, buf, len);
}

/* data_idx_read must fail on path with exactly `want` (which may start with
 * "%s", standing for the path). */
static void expect_idx_error(const char *path, const char *want)
{
    DataIdx idx;
    char err[DATA_ERR_LEN] = "", full[DATA_ERR_LEN * 2];
    snprintf(full, sizeof full, want, path);
    CHECKF(data_idx_read(path, &idx, err) == -1, "%s read without error", path);
    CHECK_STR(err, full);
    CHECK(idx.data == NULL);
}

static void test_idx_read(void)
{
    uint32_t dims[3] = {3, 2, 4};
    uint8_t want[4096];
    size_t len = idx_bytes(want, 3, dims, 24);
    for (int gz = 0; gz <= 1; gz++) {
        const char *path = scratch_at(gz ? "good.gz" : "good");
        write_idx(path, gz, 3, dims, 24);
        DataIdx idx;
        char err[DATA_ERR_LEN] = "";
        CHECKF(data_idx_read(path, &idx, err) == 0, "%s", err);
        CHECK(idx.rank == 3 && idx.dims[0] == 3 && idx.dims[1] == 2 && idx.dims[2] == 4);
        CHECK(idx.size == 24);
        CHECK(idx.data && memcmp(idx.data, want + len - 24, 24) == 0);
        data_idx_free(&idx);
        CHECK(idx.data == NULL);
    }
    /* rank 1 and rank 4 */
    uint32_t d1[1] = {5}, d4[4] = {2, 3, 2, 2};
    write_idx(scratch_at("r1"), 0, 1, d1, 5);
    write_idx(scratch_at("r4"), 1, 4, d4, 24);
    DataIdx idx;
    char err[DATA_ERR_LEN] = "";
    CHECKF(data_idx_read(scratch_at("r1"), &idx, err) == 0, "%s", err);
    CHECK(idx.rank == 1 && idx.dims[0] == 5 && idx.size == 5);
    data_idx_free(&idx);
    CHECKF(data_idx_read(scratch_at("r4"), &idx, err) == 0, "%s", err);
    CHECK(idx.rank == 4 && idx.dims[1] == 3 && idx.size == 24);
    data_idx_free(&idx);
}

static void test_idx_errors(void)
{
    uint32_t dims[3] = {3, 2, 4};
    uint8_t buf[4096];

    write_idx(scratch_at("short"), 0, 3, dims, 20);
    expect_idx_error(scratch_at("short"), "%s: truncated: header says 3 images of 2x4 "
                                  "(24 bytes) but only 20 follow the header");
    write_idx(scratch_at("short.gz"), 1, 3, dims, 20);
    expect_idx_error(scratch_at("short.gz"), "%s: truncated: header says 3 images of 2x4 "
                                     "(24 bytes) but only 20 follow the header");
    write_idx(scratch_at("long"), 0, 3, dims, 29);
    expect_idx_error(scratch_at("long"), "%s: trailing garbage: header says 3 images of "
                                 "2x4 (24 bytes) but 29 follow the header");
    write_idx(scratch_at("long.gz"), 1, 3, dims, 29);
    expect_idx_error(scratch_at("long.gz"), "%s: trailing garbage: header says 3 images "
                                    "of 2x4 (24 bytes) but 29 follow the header");
    uint32_t labels[1] = {9000};
    write_idx(scratch_at("labels"), 0, 1, labels, 10);
    expect_idx_error(scratch_at("labels"), "%s: truncated: header says 9000 labels "
                                   "(9000 bytes) but only 10 follow the header");

    uint32_t zero[3] = {3, 0, 4};
    write_idx(scratch_at("zero"), 0, 3, zero, 0);
    expect_idx_error(scratch_at("zero"), "%s: bad header: dimension 2 is 0 (3x0x4)");
    uint32_t big[3] = {3, 0x80000000u, 4};
    write_idx(scratch_at("big"), 0, 3, big, 0);
    expect_idx_error(scratch_at("big"), "%s: bad header: dimension 2 is too large "
                                "(3x2147483648x4)");
    uint32_t huge[4] = {0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff};
    write_idx(scratch_at("huge"), 0, 4, huge, 0);
    expect_idx_error(scratch_at("huge"), "%s: bad header: 2147483647x2147483647x"
                                 "2147483647x2147483647 bytes is more than this "
                                 "machine can address");
    /* A header claiming far more than the file holds must fail as truncated,
     * without allocating what it claims. */
    uint32_t vast[3] = {0x7fffffff, 1000, 1000};
    write_idx(scratch_at("vast"), 0, 3, vast, 100);
    expect_idx_error(scratch_at("vast"), "%s: truncated: header says 2147483647 images of "
                                 "1000x1000 (2147483647000000 bytes) but only 100 "
                                 "follow the header");

    size_t len = idx_bytes(buf, 3, dims, 24);
    buf[1] = 1;
    write_raw(scratch_at("magic"), buf, len);
    expect_idx_error(scratch_at("magic"), "%s: not an IDX file: magic number 0x00010803 "
                                  "(IDX images start 0x00000803, labels 0x00000801)");
    write_raw(scratch_at("text"), "hello, world\n", 13);
    expect_idx_error(scratch_at("text"), "%s: not an IDX file: magic number 0x68656c6c "
                                 "(IDX images start 0x00000803, labels 0x00000801)");
    buf[1] = 0;
    buf[2] = 0x0D;
    write_raw(scratch_at("float"), buf, len);
    expect_idx_error(scratch_at("float"), "%s: IDX element type 0x0d (float) is not "
                                  "supported; genc reads unsigned bytes (0x08)");
    buf[2] = 0x08;
    buf[3] = 5;
    write_raw(scratch_at("rank5"), buf, len);
    expect_idx_error(scratch_at("rank5"), "%s: IDX rank 5 is not supported (genc reads "
                                  "rank 1 to 4)");
    buf[3] = 3;
    write_raw(scratch_at("head"), buf, 9);
    expect_idx_error(scratch_at("head"), "%s: truncated header: rank 3 needs 12 bytes of "
                                 "dimensions but only 5 follow the magic number");
    write_raw(scratch_at("empty"), buf, 0);
    expect_idx_error(scratch_at("empty"), "%s: empty file, expected an IDX file");
    write_raw(scratch_at("tiny"), buf, 3);
    expect_idx_error(scratch_at("tiny"), "%s: not an IDX file: 3 bytes, too short for the "
                                 "4-byte magic number");
    expect_idx_error(scratch_at("absent"), "%s: cannot open: No such file or directory");
    expect_idx_error(scratch_dir, "%s is a directory, not a file");

    /* gzip damage: a cut-off stream reads as truncated data; a flipped byte
     * in its checksum is corrupt data. */
    uint32_t many[3] = {40, 10, 10};
    write_idx(scratch_at("cut.gz"), 1, 3, many, 4000);
    FILE *f = fopen(scratch_at("cut.gz"), "rb");
    uint8_t gz[8192];
    size_t gzlen = fread(gz, 1, sizeof gz, f);
    fclose(f);
    write_raw(scratch_at("cut.gz"), gz, gzlen / 2);
    DataIdx idx;
    char err[DATA_ERR_LEN] = "";
    CHECK(data_idx_read(scratch_at("cut.gz"), &idx, err) == -1);
    CHECKF(strstr(err, "cut.gz: truncated: header says 40 images of 10x10 (4000 "
                       "bytes) but only "), "%s", err);
    gz[gzlen - 8] ^= 0x55; /* the CRC-32 in the gzip trailer */
    write_raw(scratch_at("bad.gz"), gz, gzlen);
    expect_idx_error(scratch_at("bad.gz"), "%s: corrupt gzip data: incorrect data check");
}

/* A dataset of n examples of 2x2 in dir/<prefix>-...: pixels 0, 255, 51,
 * 128 for every image, labels i % 3. */
static void write_set(const char *prefix, int n_images, int n_labels, int gz_labels)
{
    uint8_t buf[4096];
    uint32_t d[3] = {(uint32_t)n_images, 2, 2};
    size_t len = idx_bytes(buf, 3, d, 0);
    for (int i = 0; i < n_images; i++) {
        static const uint8_t px[4] = {0, 255, 51, 128};
        memcpy(buf + len, px, 4);
        len += 4;
    }
    char name[64];
    snprintf(name, sizeof name, "set/%s-images-idx3-ubyte", prefix);
    write_raw(scratch_at(name), buf, len);
    uint32_t dl[1] = {(uint32_t)n_labels};
    len = idx_bytes(buf, 1, dl, 0);
    for (int i = 0; i < n_labels; i++) buf[len++] = (uint8_t)(i % 3);
    snprintf(name, sizeof name, "set/%s-labels-idx1-ubyte%s", prefix, gz_labels ? ".gz" : "");
    (gz_labels ? write_gz : write_raw)(scratch_at(name), buf, len);
}

static void expect_load_error(const char *dir, const char *split, const char *want)
{
    DataSet ds;
    char err[DATA_ERR_LEN] = "";
    CHECKF(data_load(dir, split, &ds, err) == -1, "%s %s loaded", dir, split);
    CHECK_STR(err, want);
    CHECK(ds.pixels == NULL && ds.labels == NULL);
}

static void test_load(void)
{
    mkdir(scratch_at("set"), 0777);
    write_set("train", 5, 5, 1);
    write_set("t10k", 3, 3, 0);
    DataSet ds;
    char err[DATA_ERR_LEN] = "";
    CHECKF(data_load(scratch_at("set"), "train", &ds, err) == 0, "%s", err);
    CHECK(ds.n == 5 && ds.c == 1 && ds.h == 2 && ds.w == 2 && ds.classes == 3);
    CHECK(ds.pixels[4 * 4 + 1] == 255 && ds.labels[4] == 1);

    /* batches in the caller's order, scaled to [-1, 1] and [0, 1] */
    int order[3] = {4, 0, 2};
    real x[3 * 4], y[3];
    data_batch(&ds, order, 3, -1, 1, x, y);
    CHECK(y[0] == 1 && y[1] == 0 && y[2] == 2);
    CHECK(x[0] == (real)-1 && x[1] == (real)1); /* the ends exactly */
    CHECK_NEAR(x[2], -0.6, 1e-6);
    CHECK_NEAR(x[3], 128 / 255.0 * 2 - 1, 1e-6);
    CHECK(x[8] == (real)-1 && x[9] == (real)1);
    data_batch(&ds, order, 2, 0, 1, x, NULL);
    CHECK(x[0] == 0 && x[1] == 1);
    CHECK_NEAR(x[2], 0.2, 1e-6);
    CHECK_NEAR(x[7], 128 / 255.0, 1e-6);
    data_free(&ds);
    CHECK(ds.pixels == NULL);

    /* "test" reads the t10k files; a trailing slash on the directory is fine */
    char slash[512];
    snprintf(slash, sizeof slash, "%s/", scratch_at("set"));
    CHECKF(data_load(slash, "test", &ds, err) == 0, "%s", err);
    CHECK(ds.n == 3 && ds.labels[2] == 2);
    data_free(&ds);

    char want[1024];
    snprintf(want, sizeof want, "%s has 5 images but %s has 4 labels",
             scratch_at("set/train-images-idx3-ubyte"), scratch_at("set/train-labels-idx1-ubyte"));
    remove(scratch_at("set/train-labels-idx1-ubyte.gz"));
    write_set("train", 5, 4, 0);
    expect_load_error(scratch_at("set"), "train", want);

    remove(scratch_at("set/t10k-labels-idx1-ubyte"));
    snprintf(want, sizeof want, "%s: not found (nor with .gz)",
             scratch_at("set/t10k-labels-idx1-ubyte"));
    expect_load_error(scratch_at("set"), "test", want);
    snprintf(want, sizeof want, "%s: not found (nor with .gz)",
             scratch_at("set/t10k-images-idx3-ubyte"));
    remove(scratch_at("set/t10k-images-idx3-ubyte"));
    expect_load_error(scratch_at("set"), "test", want);

    snprintf(want, sizeof want, "%s: no such directory", scratch_at("nowhere"));
    expect_load_error(scratch_at("nowhere"), "train", want);
    expect_load_error(scratch_at("set"), "valid", "unknown data split 'valid' (use train or test)");

    /* labels where images belong, and the other way round */
    mkdir(scratch_at("swap"), 0777);
    uint32_t d1[1] = {4}, d3[3] = {4, 2, 2};
    write_idx(scratch_at("swap/train-images-idx3-ubyte"), 0, 1, d1, 4);
    write_idx(scratch_at("swap/train-labels-idx1-ubyte"), 0, 3, d3, 16);
    snprintf(want, sizeof want, "%s: expected images, [n, rows, cols] or "
             "[n, channels, rows, cols], but the header has rank 1",
             scratch_at("swap/train-images-idx3-ubyte"));
    expect_load_error(scratch_at("swap"), "train", want);
    write_idx(scratch_at("swap/train-images-idx3-ubyte"), 0, 3, d3, 16);
    snprintf(want, sizeof want, "%s: expected labels, [n], but the header has rank 3",
             scratch_at("swap/train-labels-idx1-ubyte"));
    expect_load_error(scratch_at("swap"), "train", want);
    /* a damaged file inside a set is reported as itself */
    write_idx(scratch_at("swap/train-labels-idx1-ubyte"), 0, 1, d1, 3);
    snprintf(want, sizeof want, "%s: truncated: header says 4 labels (4 bytes) "
             "but only 3 follow the header", scratch_at("swap/train-labels-idx1-ubyte"));
    expect_load_error(scratch_at("swap"), "train", want);
    /* rank-4 images carry their channel count */
    uint32_t d4[4] = {4, 3, 2, 2};
    write_idx(scratch_at("swap/train-images-idx3-ubyte"), 0, 4, d4, 48);
    write_idx(scratch_at("swap/train-labels-idx1-ubyte"), 0, 1, d1, 4);
    CHECKF(data_load(scratch_at("swap"), "train", &ds, err) == 0, "%s", err);
    CHECK(ds.n == 4 && ds.c == 3 && ds.h == 2 && ds.w == 2);
    data_free(&ds);
}

static void test_named(void)
{
    CHECK_STR(data_default_dir("mnist"), "data/mnist");
    CHECK_STR(data_default_dir("fashion_mnist"), "/usr/share/datasets/fashion-mnist");
    CHECK(data_default_dir("cifar10") == NULL);

    DataSet ds;
    char err[DATA_ERR_LEN] = "", want[1024];
    CHECK(data_load_named("mnsit", NULL, "train", &ds, err) == -1);
    CHECK_STR(err, "unknown dataset 'mnsit' (known: mnist, fashion_mnist, idx)");
    /* a directory the user names gets no recipe */
    CHECK(data_load_named("mnist", scratch_at("nowhere"), "train", &ds, err) == -1);
    snprintf(want, sizeof want, "%s: no such directory", scratch_at("nowhere"));
    CHECK_STR(err, want);
    CHECKF(data_load_named("mnist", scratch_at("swap"), "train", &ds, err) == 0, "%s", err);
    CHECK(ds.n == 4);
    data_free(&ds);

    /* the default directory, from where it is missing, says what to run */
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(chdir(scratch_dir) == 0);
    CHECK(data_load_named("mnist", NULL, "train", &ds, err) == -1);
    CHECK_STR(err, "data/mnist: no such directory; run `make data` to fetch MNIST");
    mkdir("data", 0777);
    mkdir("data/mnist", 0777);
    CHECK(data_load_named("mnist", NULL, "test", &ds, err) == -1);
    CHECK_STR(err, "data/mnist/t10k-images-idx3-ubyte: not found (nor with .gz); "
                   "run `make data` to fetch MNIST");
    CHECK(chdir(cwd) == 0);
}

/* splitmix64: a small, well-mixed source for the shuffle tests */
static uint64_t splitmix64(void *ctx)
{
    uint64_t *s = ctx, z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void test_shuffle(void)
{
    enum { N = 1000 };
    static int a[N], b[N], seen[N];
    uint64_t s1 = 42, s2 = 42, s3 = 43;
    data_shuffle(a, N, splitmix64, &s1);
    data_shuffle(b, N, splitmix64, &s2);
    int perm = 1, moved = 0;
    for (int i = 0; i < N; i++) {
        if (a[i] < 0 || a[i] >= N || seen[a[i]]++) perm = 0;
        moved += a[i] != i;
    }
    CHECK(perm);
    CHECK(moved > N / 2);
    CHECK(memcmp(a, b, sizeof a) == 0); /* same source, same order */
    data_shuffle(b, N, splitmix64, &s3);
    CHECK(memcmp(a, b, sizeof a) != 0);
    /* the next epoch from the same generator is a different order */
    data_shuffle(b, N, splitmix64, &s1);
    CHECK(memcmp(a, b, sizeof a) != 0);
    data_shuffle(a, 0, splitmix64, &s1);
    data_shuffle(a, 1, splitmix64, &s1);
    CHECK(a[0] == 0);

    /* uniform: each of the 6 orders of 3 items about 1/6 of the time
     * (a classic off-by-one in Fisher-Yates skews this badly) */
    int count[6] = {0};
    for (int t = 0; t < 6000; t++) {
        int p[3];
        data_shuffle(p, 3, splitmix64, &s1);
        count[p[0] * 2 + (p[1] > p[2])]++;
    }
    for (int k = 0; k < 6; k++) CHECKF(count[k] > 850 && count[k] < 1150, "order %d: %d", k, count[k]);
}

/* a generator of the given values in turn, for data_augment's draws */
typedef struct Script {
    const uint64_t *v;
    int at;
} Script;

static uint64_t scripted(void *ctx)
{
    Script *s = ctx;
    return s->v[s->at++];
}

static void test_augment(void)
{
    /* two images of 2 channels, 3x4: value = 100 image + 10 row + column,
     * the second channel negated */
    enum { B = 2, C = 2, H = 3, W = 4 };
    real x[B * C * H * W], want[B * C * H * W];
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++)
            for (int i = 0; i < H; i++)
                for (int j = 0; j < W; j++)
                    x[((b * C + c) * H + i) * W + j] = (real)((c ? -1 : 1) * (100 * b + 10 * i + j));
    /* image 0: flipped, dy = +1 (down), dx = -1 (left); image 1: as it is.
     * With shift 1 a shift is a draw mod 3, minus 1 (a draw of 0 mod 3 is
     * 3: data_uniform rejects 0 for a bound of 3). */
    const uint64_t draws[] = {1, 2, 3, 0, 1, 1};
    Script sc = {draws, 0};
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++)
            for (int i = 0; i < H; i++)
                for (int j = 0; j < W; j++) {
                    int si = b ? i : i - 1, sj = b ? j : (W - 1 - j) + 1;
                    bool in = si >= 0 && si < H && sj >= 0 && sj < W;
                    want[((b * C + c) * H + i) * W + j] =
                        in ? x[((b * C + c) * H + si) * W + sj] : (real)-7;
                }
    data_augment(x, B, C, H, W, true, 1, -7, scripted, &sc);
    CHECK(sc.at == 6);
    CHECK(memcmp(x, want, sizeof x) == 0);
    /* without flip or shift nothing moves, whatever is drawn */
    memcpy(want, x, sizeof x);
    const uint64_t any[] = {5, 9, 3, 1, 4, 1};
    sc = (Script){any, 0};
    data_augment(x, B, C, H, W, false, 0, 0, scripted, &sc);
    CHECK(sc.at == 6); /* three draws per image, always */
    CHECK(memcmp(x, want, sizeof x) == 0);
}

/* The real sets, when installed: counts, shapes and labels. */
static void check_real(const char *name, const char *split, int n, int h, int w)
{
    DataSet ds;
    char err[DATA_ERR_LEN];
    if (data_load_named(name, NULL, split, &ds, err)) {
        CHECKF(0, "%s", err);
        return;
    }
    CHECKF(ds.n == n && ds.c == 1 && ds.h == h && ds.w == w,
           "%s %s: %d x %d x %d x %d", name, split, ds.n, ds.c, ds.h, ds.w);
    int per_class[10] = {0}, bad = 0, bright = 0;
    for (int i = 0; i < ds.n; i++) {
        if (ds.labels[i] < 0 || ds.labels[i] > 9) bad++;
        else per_class[ds.labels[i]]++;
    }
    for (size_t i = 0; i < (size_t)ds.n * h * w; i++) bright += ds.pixels[i] == 255;
    CHECKF(bad == 0 && ds.classes == 10, "%s %s: %d labels outside 0..9", name, split, bad);
    for (int k = 0; k < 10; k++) CHECKF(per_class[k] > 0, "%s %s: no %d", name, split, k);
    CHECK(bright > 0);
    data_free(&ds);
    printf("test_data: %s %s: %d images of %dx%d, all ten classes\n", name, split, n, h, w);
}

int main(void)
{
    if (scratch_make("data")) return 1;
    test_idx_read();
    test_idx_errors();
    test_load();
    test_named();
    test_shuffle();
    test_augment();
    scratch_remove();

    struct stat st;
    if (stat("data/mnist", &st) == 0) {
        check_real("mnist", "train", 9000, 28, 28);
        check_real("mnist", "test", 1000, 28, 28);
    } else {
        printf("test_data: note: no data/mnist here (run `make data` from the "
               "top directory); MNIST checks skipped\n");
    }
    if (stat(data_default_dir("fashion_mnist"), &st) == 0)
        check_real("fashion_mnist", "test", 10000, 28, 28);
    else
        printf("test_data: note: Fashion-MNIST not installed (`make deps`); "
               "its checks skipped\n");
    return check_done("test_data");
}
