/* test_image.c: PNG grids (header, layout, mapping, failures) and IDX output
 * read back through the data module's reader. The PNGs are decoded with
 * stb_image to check pixels, not only headers. */
#include "check.h"
#include "scratch.h"
#include "io/data.h"
#include "io/image.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#include <stb/stb_image.h>

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Checks the PNG signature and IHDR of path: width, height, 8-bit depth,
 * colour type (0 grey, 2 RGB). */
static void check_png_header(const char *path, uint32_t w, uint32_t h, int colour)
{
    uint8_t b[29] = {0};
    FILE *f = fopen(path, "rb");
    CHECKF(f != NULL, "%s missing", path);
    if (!f) return;
    size_t got = fread(b, 1, sizeof b, f);
    fclose(f);
    CHECK(got == sizeof b);
    CHECK(memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0);
    CHECK(be32(b + 8) == 13 && memcmp(b + 12, "IHDR", 4) == 0);
    CHECKF(be32(b + 16) == w && be32(b + 20) == h, "%ux%u, want %ux%u",
           be32(b + 16), be32(b + 20), w, h);
    CHECK(b[24] == 8 && b[25] == colour);
}

static void test_grey_grid(void)
{
    /* 5 images of 3x2 in a 2x3 grid, scaled 2x: the sixth tile is empty. */
    enum { N = 5, H = 3, W = 2, ROWS = 2, COLS = 3, S = 2 };
    real imgs[N * H * W];
    for (int i = 0; i < N * H * W; i++) imgs[i] = -1 + 2 * (real)(i % 6) / 5;
    imgs[1] = 7;          /* beyond hi: 255 */
    imgs[2] = -3;         /* below lo: 0 */
    imgs[3] = NAN;        /* a diverged model: 0, not a crash */
    imgs[4 * 6 + 5] = 0;  /* mid-range: 127.5 rounds to 128 */
    char err[IMAGE_ERR_LEN] = "";
    const char *path = scratch_at("grid.png");
    CHECKF(image_write_grid(path, imgs, N, 1, H, W, ROWS, COLS, S, -1, 1, err) == 0,
           "%s", err);
    int gw = COLS * W * S + (COLS - 1) * IMAGE_BORDER; /* 16 */
    int gh = ROWS * H * S + (ROWS - 1) * IMAGE_BORDER; /* 14 */
    check_png_header(path, (uint32_t)gw, (uint32_t)gh, 0);
    CHECK(!exists(scratch_at("grid.png.tmp")));

    int x, y, comp;
    uint8_t *px = stbi_load(path, &x, &y, &comp, 0);
    CHECK(px && x == gw && y == gh && comp == 1);
    if (!px) return;
#define PX(r, c) px[(r) * gw + (c)]
    /* tile 0 at the top left: pixel (0,0) = imgs[0] = -1, scaled 2x2 */
    CHECK(PX(0, 0) == 0 && PX(1, 1) == 0);
    CHECK(PX(0, 2) == 255 && PX(1, 3) == 255); /* imgs[1], clamped */
    CHECK(PX(2, 0) == 0 && PX(2, 2) == 0);     /* imgs[2] clamped, imgs[3] NaN */
    CHECK(PX(4, 0) == 204 && PX(5, 3) == 255); /* 0.6 -> 204, 1 -> 255 */
    /* the grey border: columns 4-5 between tiles, rows 6-7 between rows */
    CHECK(PX(0, 4) == 128 && PX(5, 5) == 128 && PX(6, 0) == 128 && PX(7, 15) == 128);
    /* tile 1 starts at column 6: image 1 pixel (0,0) = imgs[6] = -1 */
    CHECK(PX(0, 6) == 0 && PX(0, 8) == 51); /* -0.6 -> 0.2 of the way */
    /* tile 4 (row 1, column 1): its last pixel imgs[29] = 0 -> 128 */
    CHECK(PX(8 + 5, 6 + 3) == 128);
    /* tile 5 is unused: black */
    CHECK(PX(8, 12) == 0 && PX(13, 15) == 0);
#undef PX
    stbi_image_free(px);

    /* writing again replaces the file */
    CHECK(image_write_grid(path, imgs, 1, 1, H, W, 1, 1, 1, -1, 1, err) == 0);
    check_png_header(path, W, H, 0);
}

static void test_rgb_grid(void)
{
    /* 2 RGB images of 1x1 in a 1x2 grid, [0, 1] range, scale 3 */
    real imgs[2 * 3] = {1, 0, 0.2f, 0, 1, 0.5f}; /* NCHW: R, G, B planes */
    char err[IMAGE_ERR_LEN] = "";
    const char *path = scratch_at("rgb.png");
    CHECKF(image_write_grid(path, imgs, 2, 3, 1, 1, 1, 2, 3, 0, 1, err) == 0, "%s", err);
    check_png_header(path, 3 + IMAGE_BORDER + 3, 3, 2);
    int x, y, comp;
    uint8_t *px = stbi_load(path, &x, &y, &comp, 0);
    CHECK(px && comp == 3);
    if (!px) return;
    CHECK(px[0] == 255 && px[1] == 0 && px[2] == 51);
    uint8_t *second = px + 3 * (3 + IMAGE_BORDER) + 3 * x * 2; /* its last row */
    CHECK(second[0] == 0 && second[1] == 255 && second[2] == 128);
    stbi_image_free(px);
}

static void test_failures(void)
{
    real img[4] = {0, 0, 0, 0};
    char err[IMAGE_ERR_LEN] = "", want[1024];

    const char *missing = scratch_at("no/such/dir/grid.png");
    CHECK(image_write_grid(missing, img, 1, 1, 2, 2, 1, 1, 1, -1, 1, err) == -1);
    snprintf(want, sizeof want, "%s: cannot write: No such file or directory", missing);
    CHECK_STR(err, want);
    err[0] = 0;
    CHECK(image_write_idx(missing, img, 1, 1, 2, 2, -1, 1, err) == -1);
    CHECK_STR(err, want);

    /* the rename fails: path is a directory; the .tmp must not stay */
    mkdir(scratch_at("adir"), 0777);
    CHECK(image_write_grid(scratch_at("adir"), img, 1, 1, 2, 2, 1, 1, 1, -1, 1, err) == -1);
    snprintf(want, sizeof want, "%s: cannot write: Is a directory", scratch_at("adir"));
    CHECK_STR(err, want);
    CHECK(!exists(scratch_at("adir.tmp")));

    /* a full disk, as a file size limit: writes fail part way */
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 100;
    signal(SIGXFSZ, SIG_IGN);
    CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    real big[64 * 64];
    for (int i = 0; i < 64 * 64; i++) big[i] = (real)((i * 7919) % 101) / 100;
    int rc = image_write_grid(scratch_at("full.png"), big, 1, 1, 64, 64, 1, 1, 1, 0, 1, err);
    int rc2 = image_write_idx(scratch_at("full.idx"), big, 1, 1, 64, 64, 0, 1, err);
    setrlimit(RLIMIT_FSIZE, &old);
    CHECK(rc == -1);
    CHECK(rc2 == -1);
    snprintf(want, sizeof want, "%s: cannot write: File too large (over the file size limit, see ulimit -f)",
             scratch_at("full.idx"));
    CHECK_STR(err, want);
    CHECK(!exists(scratch_at("full.png")) && !exists(scratch_at("full.png.tmp")));
    CHECK(!exists(scratch_at("full.idx")) && !exists(scratch_at("full.idx.tmp")));
}

static void test_idx_round_trip(void)
{
    /* bytes -> data_batch in [-1, 1] -> image_write_idx -> the same bytes */
    enum { N = 4, H = 5, W = 3 };
    DataSet ds = {.n = N, .c = 1, .h = H, .w = W};
    ds.pixels = xmalloc(N * H * W);
    ds.labels = xcalloc(N, sizeof(int));
    for (int i = 0; i < N * H * W; i++) ds.pixels[i] = (uint8_t)(i * 37 % 256);
    int order[N] = {0, 1, 2, 3};
    real x[N * H * W];
    data_batch(&ds, order, N, -1, 1, x, NULL);
    char err[IMAGE_ERR_LEN] = "";
    const char *path = scratch_at("out.idx");
    CHECKF(image_write_idx(path, x, N, 1, H, W, -1, 1, err) == 0, "%s", err);
    CHECK(!exists(scratch_at("out.idx.tmp")));
    DataIdx idx;
    char derr[DATA_ERR_LEN] = "";
    CHECKF(data_idx_read(path, &idx, derr) == 0, "%s", derr);
    CHECK(idx.rank == 3 && idx.dims[0] == N && idx.dims[1] == H && idx.dims[2] == W);
    CHECK(idx.size == N * H * W && memcmp(idx.data, ds.pixels, idx.size) == 0);
    data_idx_free(&idx);
    data_free(&ds);

    /* RGB: rank 4 [n, c, h, w], values clamped to the range */
    real rgb[2 * 3 * 2 * 2];
    for (int i = 0; i < 24; i++) rgb[i] = (real)i / 23;
    rgb[0] = -5;
    rgb[23] = 5;
    CHECKF(image_write_idx(path, rgb, 2, 3, 2, 2, 0, 1, err) == 0, "%s", err);
    CHECKF(data_idx_read(path, &idx, derr) == 0, "%s", derr);
    CHECK(idx.rank == 4 && idx.dims[0] == 2 && idx.dims[1] == 3 && idx.dims[2] == 2 &&
          idx.dims[3] == 2);
    CHECK(idx.size == 24 && idx.data[0] == 0 && idx.data[23] == 255);
    CHECK(idx.data[1] == 11 && idx.data[12] == 133); /* 255/23 = 11.09, 12*255/23 = 133.04 */
    data_idx_free(&idx);
}

int main(void)
{
    if (scratch_make("image")) return 1;
    test_grey_grid();
    test_rgb_grid();
    test_failures();
    test_idx_round_trip();
    scratch_remove();
    return check_done("test_image");
}
