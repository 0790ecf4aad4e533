/* folder.c: a folder of PNG, JPEG and BMP images as a dataset (see
 * folder.h): listing, class folders, the held-out split, decoding (stb_image)
 * and fitting each image to the declared shape (stb_image_resize). */
#include "io/folder.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* stb_image and stb_image_resize, compiled here and only here; STATIC
 * keeps their symbols out of the library's namespace. Only the formats
 * genc documents are compiled in. */
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_NO_STDIO_WRITE
/* for the whole file: GCC reports stb's declared-but-undefined static
 * functions at the end of the file, after a pop */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wmisleading-indentation"
#include <stb/stb_image.h>
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#define STB_IMAGE_RESIZE_STATIC
#include <stb/stb_image_resize.h>
#pragma GCC diagnostic pop

/* A list of names (a folder's images, or its class folders). */
typedef struct Names {
    char **v;
    int n;
} Names;

static void names_free(Names *l)
{
    for (int i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int names_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

bool folder_is_image(const char *name)
{
    static const char *const ext[] = {".png", ".jpg", ".jpeg", ".bmp"};
    const char *dot = strrchr(name, '.');
    if (!dot) return false;
    for (size_t i = 0; i < GENC_COUNT(ext); i++) {
        size_t k = 0;
        while (ext[i][k] && tolower((unsigned char)dot[k]) == ext[i][k]) k++;
        if (!ext[i][k] && !dot[k]) return true;
    }
    return false;
}

static char *folder_join(const char *dir, const char *name)
{
    size_t len = strlen(dir);
    return xsprintf("%s%s%s", dir, len && dir[len - 1] == '/' ? "" : "/", name);
}

static bool folder_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* dir's images and its subfolders, each sorted by name (hidden entries
 * and other files are left out). */
static int folder_list(const char *dir, Names *images, Names *subdirs, char *err)
{
    DIR *d = opendir(dir);
    if (!d) return data_error(err, "%s: cannot open the folder: %s", dir, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *path = folder_join(dir, e->d_name);
        Names *to = folder_is_dir(path) ? subdirs : folder_is_image(e->d_name) ? images : NULL;
        free(path);
        if (!to) continue;
        to->v = xgrow(to->v, sizeof *to->v, (size_t)to->n);
        to->v[to->n++] = xstrdup(e->d_name);
    }
    closedir(d);
    qsort(images->v, (size_t)images->n, sizeof *images->v, names_cmp);
    qsort(subdirs->v, (size_t)subdirs->n, sizeof *subdirs->v, names_cmp);
    return 0;
}

/* The files of one split, with their class indices. */
typedef struct Files {
    char **path;
    int *label;
    int n;
} Files;

static void files_add(Files *f, char *path, int label)
{
    f->path = xgrow(f->path, sizeof *f->path, (size_t)f->n);
    f->label = xgrow(f->label, sizeof *f->label, (size_t)f->n);
    f->path[f->n] = path;
    f->label[f->n++] = label;
}

static void files_free(Files *f)
{
    for (int i = 0; i < f->n; i++) free(f->path[i]);
    free(f->path);
    free(f->label);
    memset(f, 0, sizeof *f);
}

/* Whether image i of n (sorted by name) is held out: every (1/holdout)-th,
 * spread evenly, so that the split depends on the names only. */
static bool folder_held_out(int i, double holdout)
{
    return (long long)((i + 1) * holdout) != (long long)(i * holdout);
}

/* The files of `root` (a class folder per label, or images only), those
 * of the split wanted: all of them when holdout < 0, else the held-out
 * ones for test and the others for train. classes: the class names so far
 * (the training folder's), which root's must be. */
static int folder_collect(const char *root, bool test, double holdout, Names *classes,
                          bool fixed_classes, Files *out, char *err)
{
    Names images = {0}, subdirs = {0};
    int rc = -1;
    if (folder_list(root, &images, &subdirs, err)) goto out;
    if (images.n && subdirs.n) {
        data_error(err, "%s: holds both images (%s) and folders (%s/): put every image in a "
                   "class folder, or remove the folders", root, images.v[0], subdirs.v[0]);
        goto out;
    }
    if (!images.n && !subdirs.n) {
        data_error(err, "%s: no images (PNG, JPEG or BMP) and no class folders", root);
        goto out;
    }
    if (subdirs.n && fixed_classes) { /* test/ has train/'s classes */
        for (int i = 0; i < subdirs.n; i++)
            if (!bsearch(&subdirs.v[i], classes->v, (size_t)classes->n, sizeof *classes->v,
                         names_cmp)) {
                data_error(err, "%s/: a class the training images do not have", subdirs.v[i]);
                goto out;
            }
    } else if (subdirs.n) {
        *classes = subdirs;
        subdirs = (Names){0};
    }
    int nclass = images.n ? 1 : classes->n;
    for (int c = 0; c < nclass; c++) {
        char *cdir = images.n ? xstrdup(root) : folder_join(root, classes->v[c]);
        Names files = {0}, nested = {0};
        if (!images.n) {
            if (!folder_is_dir(cdir)) { /* test/ lacks one of train/'s classes */
                free(cdir);
                continue;
            }
            if (folder_list(cdir, &files, &nested, err)) {
                free(cdir);
                goto out;
            }
            if (!files.n) {
                data_error(err, "%s/: a class folder with no images (PNG, JPEG or BMP)", cdir);
                free(cdir);
                names_free(&files);
                names_free(&nested);
                goto out;
            }
        }
        Names *list = images.n ? &images : &files;
        for (int i = 0; i < list->n; i++)
            if (holdout < 0 || folder_held_out(i, holdout) == test)
                files_add(out, folder_join(cdir, list->v[i]), images.n ? 0 : c);
        free(cdir);
        names_free(&files);
        names_free(&nested);
    }
    rc = 0;
out:
    names_free(&images);
    names_free(&subdirs);
    return rc;
}

/* The crop of a w0 x h0 image with the target's aspect ratio, centred:
 * its size (*cw, *ch) and top-left corner (*x0, *y0). */
static void folder_crop(int w0, int h0, int w, int h, int *cw, int *ch, int *x0, int *y0)
{
    if ((long long)w0 * h > (long long)h0 * w) { /* wider than the target */
        *ch = h0;
        *cw = (int)((long long)h0 * w / h);
    } else {
        *cw = w0;
        *ch = (int)((long long)w0 * h / w);
    }
    if (*cw < 1) *cw = 1;
    if (*ch < 1) *ch = 1;
    *x0 = (w0 - *cw) / 2;
    *y0 = (h0 - *ch) / 2;
}

/* Decodes path into out [c, h, w]: converted to c channels, centre-cropped
 * to the target's aspect ratio, resized. Returns 0, or -1 with why (stb's
 * reason) in err. */
static int folder_decode(const char *path, int c, int h, int w, uint8_t *out, uint8_t *tmp,
                         char *err)
{
    int w0, h0, c0;
    uint8_t *px = stbi_load(path, &w0, &h0, &c0, c);
    if (!px) return data_error(err, "%s: %s", path, stbi_failure_reason());
    int cw, ch, x0, y0;
    folder_crop(w0, h0, w, h, &cw, &ch, &x0, &y0);
    const uint8_t *from = px + ((size_t)y0 * w0 + x0) * c;
    if (cw == w && ch == h) {
        for (int y = 0; y < h; y++) memcpy(tmp + (size_t)y * w * c, from + (size_t)y * w0 * c, (size_t)w * c);
    } else {
        stbir_resize_uint8(from, cw, ch, w0 * c, tmp, w, h, w * c, c);
    }
    stbi_image_free(px);
    /* interleaved [h, w, c] -> planar [c, h, w] */
    for (int k = 0; k < c; k++)
        for (size_t i = 0; i < (size_t)h * w; i++) out[(size_t)k * h * w + i] = tmp[i * c + k];
    return 0;
}

int folder_load(const char *dir, const char *split, int c, int h, int w, double holdout,
                DataSet *ds, char warn[DATA_ERR_LEN], char err[DATA_ERR_LEN])
{
    memset(ds, 0, sizeof *ds);
    warn[0] = 0;
    bool test = strcmp(split, "test") == 0;
    GENC_ASSERT(c == 1 || c == 3);
    if (!folder_is_dir(dir)) return data_error(err, "%s: no such folder", dir);
    /* train/ and test/ folders, or one folder with a fraction held out */
    char *train_dir = folder_join(dir, "train"), *test_dir = folder_join(dir, "test");
    bool two = folder_is_dir(train_dir) && folder_is_dir(test_dir);
    Names classes = {0};
    Files files = {0};
    int rc = -1;
    if (two) {
        /* the training folder names the classes, for the test folder too */
        rc = folder_collect(train_dir, false, -1, &classes, false, &files, err);
        if (rc == 0 && test) {
            files_free(&files);
            rc = folder_collect(test_dir, true, -1, &classes, true, &files, err);
        }
    } else {
        rc = folder_collect(dir, test, holdout, &classes, false, &files, err);
    }
    if (rc == 0 && files.n == 0)
        rc = data_error(err, "%s: no %s images%s", two ? test_dir : dir, split,
                        !two && test ? " (holdout: 0 holds none out)" : "");
    free(train_dir);
    free(test_dir);
    if (rc) {
        files_free(&files);
        names_free(&classes);
        return -1;
    }
    size_t per = (size_t)c * h * w;
    ds->n = 0, ds->c = c, ds->h = h, ds->w = w;
    ds->pixels = xmalloc(per * (size_t)files.n);
    ds->labels = xmalloc(sizeof *ds->labels * (size_t)files.n);
    ds->classes = classes.n ? classes.n : 1;
    ds->class_names = classes.v;
    classes = (Names){0};
    uint8_t *tmp = xmalloc(per);
    int skipped = 0;
    char first[DATA_ERR_LEN] = "";
    for (int i = 0; i < files.n; i++) {
        char why[DATA_ERR_LEN];
        if (folder_decode(files.path[i], c, h, w, ds->pixels + per * (size_t)ds->n, tmp, why)) {
            if (!skipped++) snprintf(first, sizeof first, "%s", why);
            continue;
        }
        ds->labels[ds->n++] = files.label[i];
    }
    free(tmp);
    if (skipped)
        snprintf(warn, DATA_ERR_LEN, "%d of %d %s images skipped, not readable (the first: %.150s)",
                 skipped, files.n, split, first);
    files_free(&files);
    if (!ds->n) {
        data_free(ds);
        return data_error(err, "%s: none of the %s images could be read (the first: %.150s)", dir,
                          split, first);
    }
    return 0;
}
