/* image.c: PNG sample grids and IDX output (see image.h). */
#include "io/image.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* stb_image_write, compiled here and only here. STATIC keeps its symbols
 * out of libgenc; x-allocation makes its out-of-memory behave like ours. */
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBIW_MALLOC(n) xmalloc(n)
#define STBIW_REALLOC(p, n) xrealloc(p, n)
#define STBIW_FREE(p) free(p)
#include <stb/stb_image_write.h>

#include "io/atomic.h"

/* Tile borders are mid grey, so tiles stand apart whether the images are
 * dark on light or, like MNIST, light on dark. */
#define IMAGE_BORDER_GREY 128

static int image_fail(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int image_fail(char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, IMAGE_ERR_LEN, fmt, ap);
    va_end(ap);
    return -1;
}

/* [lo, hi] -> 0..255, rounded to nearest, clamped. NaN (a diverged model)
 * becomes 0 rather than undefined behaviour in the conversion. */
static uint8_t image_byte(real v, double lo, double per_unit)
{
    double t = ((double)v - lo) * per_unit;
    if (!(t > 0)) return 0;
    if (t >= 255) return 255;
    return (uint8_t)(t + 0.5);
}

/* The file is written whole or not at all (io/atomic.h). */
static int image_open(AtomicFile *a, const char *path, char *err)
{
    int e = atomic_open(a, path);
    if (e) image_fail(err, "%s: cannot write: %s%s", path, strerror(e), base_errno_hint(e));
    return e ? -1 : 0;
}

static int image_commit(AtomicFile *a, const char *path, char *err)
{
    const char *step;
    int e = atomic_commit(a, &step);
    if (e) image_fail(err, "%s: cannot write: %s%s", path, strerror(e), base_errno_hint(e));
    return e ? -1 : 0;
}

static void image_png_out(void *ctx, void *data, int size)
{
    fwrite(data, 1, (size_t)size, ctx); /* errors surface in image_commit */
}

int image_write_grid(const char *path, const real *imgs, int n, int c, int h,
                     int w, int rows, int cols, int scale, real lo, real hi,
                     char err[IMAGE_ERR_LEN])
{
    GENC_ASSERT(c == 1 || c == 3);
    GENC_ASSERT(n >= 0 && h > 0 && w > 0 && rows > 0 && cols > 0 && scale > 0);
    GENC_ASSERT((long long)n <= (long long)rows * cols);
    GENC_ASSERT(hi != lo);
    size_t tw = (size_t)w * scale, th = (size_t)h * scale;
    size_t W = cols * tw + (size_t)(cols - 1) * IMAGE_BORDER;
    size_t H = rows * th + (size_t)(rows - 1) * IMAGE_BORDER;
    GENC_ASSERT(W * c <= INT_MAX && H <= INT_MAX); /* stb takes int sizes */

    /* the pixels first: nothing can interrupt them half-written */
    uint8_t *px = xmalloc(W * H * c);
    memset(px, IMAGE_BORDER_GREY, W * H * c);
    double per_unit = 255.0 / ((double)hi - (double)lo);
    size_t plane = (size_t)h * w;
    for (int t = 0; t < rows * cols; t++) {
        size_t x0 = (size_t)(t % cols) * (tw + IMAGE_BORDER);
        size_t y0 = (size_t)(t / cols) * (th + IMAGE_BORDER);
        const real *img = t < n ? imgs + (size_t)t * c * plane : NULL;
        for (size_t y = 0; y < th; y++) {
            uint8_t *row = px + ((y0 + y) * W + x0) * c;
            for (size_t x = 0; x < tw; x++)
                for (int ch = 0; ch < c; ch++)
                    row[x * c + ch] =
                        img ? image_byte(img[ch * plane + y / scale * w + x / scale],
                                         lo, per_unit)
                            : 0;
        }
    }
    AtomicFile a;
    if (image_open(&a, path, err)) {
        free(px);
        return -1;
    }
    /* stb fails only when an allocation does, and xmalloc never returns NULL */
    int ok = stbi_write_png_to_func(image_png_out, a.f, (int)W, (int)H, c, px,
                                    (int)(W * c));
    GENC_ASSERT(ok);
    free(px);
    return image_commit(&a, path, err);
}

int image_write_idx(const char *path, const real *imgs, int n, int c, int h,
                    int w, real lo, real hi, char err[IMAGE_ERR_LEN])
{
    GENC_ASSERT(n > 0 && c > 0 && h > 0 && w > 0 && hi != lo);
    AtomicFile a;
    if (image_open(&a, path, err)) return -1;
    FILE *f = a.f;

    int rank = c == 1 ? 3 : 4;
    int dims[4] = {n, c, h, w};
    if (rank == 3) dims[1] = h, dims[2] = w;
    uint8_t head[4 + 4 * 4] = {0, 0, 0x08, (uint8_t)rank};
    for (int i = 0; i < rank; i++)
        for (int k = 0; k < 4; k++)
            head[4 + 4 * i + k] = (uint8_t)((uint32_t)dims[i] >> (24 - 8 * k));
    fwrite(head, 1, 4 + 4 * (size_t)rank, f);

    size_t size = (size_t)n * c * h * w;
    uint8_t *bytes = xmalloc(size);
    double per_unit = 255.0 / ((double)hi - (double)lo);
    for (size_t i = 0; i < size; i++) bytes[i] = image_byte(imgs[i], lo, per_unit);
    fwrite(bytes, 1, size, f);
    free(bytes);
    return image_commit(&a, path, err);
}
