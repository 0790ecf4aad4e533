/* folder.h: a folder of images or sounds as a dataset, for images("dir")
 * and wav("dir").
 *
 * The folder holds class folders (dir/cat/, dir/dog/: labels 0, 1, ... in
 * the order of their names) or images only (one class, label 0); either
 * directly, or under dir/train/ and dir/test/ (whose classes are the
 * training folder's). Without train/ and test/, the test split is every
 * (1/holdout)-th image of each class by name, the training split the rest.
 * Images are PNG, JPEG or BMP (other files and hidden ones are left out),
 * converted to the wanted channels (grey <-> colour, alpha dropped),
 * centre-cropped to the wanted aspect ratio and resized to h x w with
 * stb_image_resize's filters (Mitchell when shrinking, Catmull-Rom cubic
 * when enlarging). An image that cannot be decoded is skipped; a folder
 * with no image, a class folder with none, or a split with none left is
 * an error. Errors and warnings as in data.h. */
#ifndef GENC_FOLDER_H
#define GENC_FOLDER_H

#include "io/data.h"

/* Called as files are decoded (done of total), for a progress line; may
 * be NULL. */
typedef void (*FolderProgress)(int done, int total, const char *noun);

/* Loads split ("train" or "test") of dir as [n, c, h, w] bytes (c 1 or 3),
 * with its class names. warn: empty, or how many images were skipped and
 * why the first was. */
int folder_load(const char *dir, const char *split, int c, int h, int w, double holdout,
                FolderProgress progress, DataSet *ds, char warn[DATA_ERR_LEN],
                char err[DATA_ERR_LEN]);

/* Loads split of a folder of WAV files as [n, 1, 1, length] int16 samples
 * (ds->audio), with its class names. */
int folder_load_sounds(const char *dir, const char *split, int rate, int length, double holdout,
                       FolderProgress progress, DataSet *ds, char warn[DATA_ERR_LEN],
                       char err[DATA_ERR_LEN]);

#endif
