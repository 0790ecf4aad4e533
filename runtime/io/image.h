/* image.h: generated images out of the runtime: PNG sample grids to look at,
 * IDX files for other tools to score.
 *
 * Like data.h, a failure (a missing directory, a full disk) is returned, not
 * printed: -1 with a message naming the path in err[IMAGE_ERR_LEN]. Both
 * writers go through path.tmp and a rename, so a crash never leaves a half
 * file under the real name. */
#ifndef GENC_IMAGE_H
#define GENC_IMAGE_H

#include "core/base.h"

#define IMAGE_ERR_LEN 256

/* Pixels between tiles of a grid, in output pixels (not scaled). */
#define IMAGE_BORDER 2

/* Writes a PNG of n images imgs[n, c, h, w] (c = 1 grey or 3 RGB) tiled
 * row by row into a rows x cols grid (n <= rows*cols; unused tiles stay
 * black), IMAGE_BORDER grey pixels between tiles, each pixel scaled up
 * scale x scale (nearest). Values map linearly from [lo, hi] to 0..255,
 * clamped; NaN is drawn black. The PNG is
 *   cols*w*scale + (cols-1)*IMAGE_BORDER  wide,
 *   rows*h*scale + (rows-1)*IMAGE_BORDER  high. */
int image_write_grid(const char *path, const real *imgs, int n, int c, int h,
                     int w, int rows, int cols, int scale, real lo, real hi,
                     char err[IMAGE_ERR_LEN]);

/* Writes imgs[n, c, h, w] as a raw u8 IDX file, mapped from [lo, hi] to
 * 0..255 as above: rank 3 [n, h, w] when c is 1 (what MNIST tools expect),
 * rank 4 [n, c, h, w] otherwise. */
int image_write_idx(const char *path, const real *imgs, int n, int c, int h,
                    int w, real lo, real hi, char err[IMAGE_ERR_LEN]);

#endif
