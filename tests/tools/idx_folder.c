/* idx_folder IDX_DIR SPLIT OUT N [colour]: writes N images of an IDX
 * dataset's split, evenly spaced through it (genc's MNIST is sorted by
 * label), as an image folder, OUT/<label>/<index>.<ext>, one
 * class folder per label, for the tests of images() and for making a
 * folder to train dcgan_folder on. The formats take turns by index (PNG,
 * JPEG at quality 95, BMP) so that every decoder is exercised. With
 * `colour`, each grey image becomes a colour one whose channels differ
 * (red the digit, green the digit scaled by its label, blue its negative).
 * Exit 0, or 1 with a message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/data.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb/stb_image_write.h>

int main(int argc, char **argv)
{
    if (argc < 5 || argc > 6 || (argc == 6 && strcmp(argv[5], "colour") != 0)) {
        fprintf(stderr, "usage: idx_folder IDX_DIR SPLIT OUT N [colour]\n");
        return 1;
    }
    DataSet ds;
    char err[DATA_ERR_LEN];
    if (data_load(argv[1], argv[2], &ds, err)) {
        fprintf(stderr, "idx_folder: %s\n", err);
        return 1;
    }
    int n = atoi(argv[4]), colour = argc == 6, c = colour ? 3 : ds.c, hw = ds.h * ds.w;
    if (n <= 0 || n > ds.n || ds.c != 1) {
        fprintf(stderr, "idx_folder: N must be 1 to %d, of grey images\n", ds.n);
        return 1;
    }
    mkdir(argv[3], 0777);
    unsigned char *px = malloc((size_t)hw * c);
    int bad = 0;
    for (int i = 0; i < n && !bad; i++) {
        int at = (int)((long long)i * ds.n / n);
        const unsigned char *src = ds.pixels + (size_t)at * hw;
        int label = ds.labels[at];
        for (int p = 0; p < hw; p++) {
            if (!colour) {
                px[p] = src[p];
                continue;
            }
            px[3 * p] = src[p];
            px[3 * p + 1] = (unsigned char)(src[p] * label / 9);
            px[3 * p + 2] = (unsigned char)(255 - src[p]);
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%d", argv[3], label);
        mkdir(path, 0777);
        static const char *const ext[] = {"png", "jpg", "bmp"};
        snprintf(path, sizeof path, "%s/%d/%05d.%s", argv[3], label, at, ext[i % 3]);
        int ok = i % 3 == 0   ? stbi_write_png(path, ds.w, ds.h, c, px, ds.w * c)
                 : i % 3 == 1 ? stbi_write_jpg(path, ds.w, ds.h, c, px, 95)
                              : stbi_write_bmp(path, ds.w, ds.h, c, px);
        if (!ok) {
            fprintf(stderr, "idx_folder: cannot write %s\n", path);
            bad = 1;
        }
    }
    free(px);
    data_free(&ds);
    return bad;
}
