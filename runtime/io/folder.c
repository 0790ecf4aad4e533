/* folder.c: a folder of images or sounds as a dataset (see folder.h):
 * listing, class folders, the held-out split, decoding (stb.h, wav.h) and
 * fitting each image to the declared shape. */
#include "io/folder.h"
#include "io/wav.h"
#include "io/cache.h"
#include "io/stb.h"
#include "core/limits.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


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

/* What a folder holds: images or sounds. */
typedef struct Kind {
    const char *noun, *formats; /* for messages: "images", "PNG, JPEG or BMP" */
    const char *const *ext;     /* the file name endings, lower case, NULL-terminated */
    size_t bytes;               /* of one decoded example */
    /* one file into out (bytes long; tmp as long again, scratch) */
    int (*decode)(const char *path, const struct Kind *k, uint8_t *out, uint8_t *tmp, char *err);
    int c, h, w;                /* images: the shape */
    int rate;                   /* sounds: samples per second */
} Kind;

static bool folder_has_ext(const char *name, const char *const *ext)
{
    const char *dot = strrchr(name, '.');
    if (!dot) return false;
    for (size_t i = 0; ext[i]; i++) {
        size_t k = 0;
        while (ext[i][k] && tolower((unsigned char)dot[k]) == ext[i][k]) k++;
        if (!ext[i][k] && !dot[k]) return true;
    }
    return false;
}

static const char *const image_ext[] = {".png", ".jpg", ".jpeg", ".bmp", NULL};
static const char *const sound_ext[] = {".wav", NULL};

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

/* dir's files of kind k and its subfolders, each sorted by name (hidden
 * entries and other files are left out). */
static int folder_list(const char *dir, const Kind *k, Names *images, Names *subdirs, char *err)
{
    DIR *d = opendir(dir);
    if (!d) return data_error(err, "%s: cannot open the folder: %s", dir, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *path = folder_join(dir, e->d_name);
        Names *to = folder_is_dir(path) ? subdirs : folder_has_ext(e->d_name, k->ext) ? images : NULL;
        free(path);
        if (!to) continue;
        to->v = xgrow(to->v, sizeof *to->v, (size_t)to->n);
        to->v[to->n++] = xstrdup(e->d_name);
    }
    closedir(d);
    /* (an empty list's v is NULL, which qsort must not be given) */
    if (images->n > 1) qsort(images->v, (size_t)images->n, sizeof *images->v, names_cmp);
    if (subdirs->n > 1) qsort(subdirs->v, (size_t)subdirs->n, sizeof *subdirs->v, names_cmp);
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
static int folder_collect(const char *root, const Kind *k, bool test, double holdout,
                          Names *classes, bool fixed_classes, Files *out, char *err)
{
    Names images = {0}, subdirs = {0};
    int rc = -1;
    if (folder_list(root, k, &images, &subdirs, err)) goto out;
    if (images.n && subdirs.n) {
        data_error(err, "%s: holds both %s (%s) and folders (%s/): put every file in a class "
                   "folder, or remove the folders", root, k->noun, images.v[0], subdirs.v[0]);
        goto out;
    }
    if (!images.n && !subdirs.n) {
        data_error(err, "%s: no %s (%s) and no class folders", root, k->noun, k->formats);
        goto out;
    }
    if (fixed_classes && (images.n > 0) != (classes->n == 0)) { /* test/ laid out as train/ */
        data_error(err, "%s: %s, but the training folder %s", root,
                   images.n ? "loose files" : "class folders",
                   classes->n ? "has class folders" : "has no class folders");
        goto out;
    }
    if (subdirs.n && fixed_classes) { /* test/ has train/'s classes */
        for (int i = 0; i < subdirs.n; i++)
            if (!bsearch(&subdirs.v[i], classes->v, (size_t)classes->n, sizeof *classes->v,
                         names_cmp)) {
                data_error(err, "%s/%s/: a class the training %s do not have", root, subdirs.v[i],
                           k->noun);
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
            if (folder_list(cdir, k, &files, &nested, err)) {
                free(cdir);
                goto out;
            }
            if (!files.n) {
                data_error(err, "%s/: a class folder with no %s (%s)", cdir, k->noun, k->formats);
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

/* Whether a JPEG's Huffman tables each hold at most 256 codes: the
 * stb_image of Debian 12 writes past its tables on more (found by
 * fuzz_media). Every 0xFF 0xC4 (a DHT marker) of the file is checked, the
 * tables after it read as stb_image reads them, whether or not the file's
 * structure would take stb_image there (stb_image skips stray bytes to the
 * next 0xFF); only the payloads of APPn and COM segments, which stb_image
 * skips by their length, are skipped here too (their EXIF thumbnails and
 * ICC profiles may hold any bytes). A marker cannot appear inside coded
 * data (0xFF is followed by 0 there). */
static bool folder_jpeg_tables_ok(const uint8_t *p, size_t n)
{
    size_t start = 0; /* stb_image takes a JPEG's start after any fill bytes 0xFF */
    while (start < n && p[start] == 0xFF) start++;
    if (start == 0 || start >= n || p[start] != 0xD8) return true;
    for (size_t k = start; k + 4 <= n; k++) {
        if (p[k] != 0xFF) continue;
        if ((p[k + 1] >= 0xE0 && p[k + 1] <= 0xEF) || p[k + 1] == 0xFE) { /* APPn, COM: skipped */
            k += 1 + ((size_t)p[k + 2] << 8 | p[k + 3]);
            continue;
        }
        if (p[k + 1] != 0xC4) continue;
        long left = ((long)p[k + 2] << 8 | p[k + 3]) - 2; /* the segment's bytes after its length */
        for (size_t q = k + 4; left > 0 && q < n;) {     /* class/id, 16 counts, the codes */
            if (p[q] >> 4 > 1 || (p[q] & 15) > 3) break;  /* stb_image refuses the table */
            size_t codes = 0;
            for (int i = 1; i <= 16 && q + i < n; i++) codes += p[q + i];
            if (codes > 256) return false;
            left -= 17 + (long)codes;
            q += 17 + codes;
        }
    }
    return true;
}

/* Decodes an image into out [c, h, w]: converted to c channels,
 * centre-cropped to the target's aspect ratio, resized. Returns 0, or -1
 * with why (stb's reason) in err. */
static int folder_image(const char *path, const Kind *k, uint8_t *out, uint8_t *tmp, char *err)
{
    int c = k->c, h = k->h, w = k->w;
    int w0, h0, c0;
    size_t len;
    uint8_t *file = data_read_all(path, GENC_MAX_MEDIA_BYTES, &len, err);
    if (!file) return -1;
    if (!folder_jpeg_tables_ok(file, len)) {
        free(file);
        return data_error(err, "%s: a damaged JPEG (a Huffman table of more than 256 codes)", path);
    }
    /* the size first: a small file can claim a huge image */
    if (len <= INT_MAX && stb_info(file, (int)len, &w0, &h0, &c0) &&
        (double)w0 * h0 > GENC_MAX_IMAGE_PIXELS) {
        free(file);
        return data_error(err, "%s: %dx%d pixels, more than genc decodes (%d million)", path, w0,
                          h0, GENC_MAX_IMAGE_PIXELS >> 20);
    }
    uint8_t *px = len > INT_MAX ? NULL : stb_load(file, (int)len, &w0, &h0, &c0, c);
    free(file);
    if (!px) return data_error(err, "%s: %s", path, len > INT_MAX ? "too large" : stb_why());
    if (w0 < 1 || h0 < 1) { /* stb_image has let a damaged header through as that */
        stb_free(px);
        return data_error(err, "%s: an image of %dx%d pixels", path, w0, h0);
    }
    int cw, ch, x0, y0;
    folder_crop(w0, h0, w, h, &cw, &ch, &x0, &y0);
    const uint8_t *from = px + ((size_t)y0 * w0 + x0) * c;
    if (cw == w && ch == h) {
        for (int y = 0; y < h; y++) memcpy(tmp + (size_t)y * w * c, from + (size_t)y * w0 * c, (size_t)w * c);
    } else {
        if (!stb_resize(from, cw, ch, w0 * c, tmp, w, h, c)) {
            stb_free(px);
            return data_error(err, "%s: out of memory resizing it", path);
        }
    }
    stb_free(px);
    /* interleaved [h, w, c] -> planar [c, h, w] */
    for (int j = 0; j < c; j++)
        for (size_t i = 0; i < (size_t)h * w; i++) out[(size_t)j * h * w + i] = tmp[i * c + j];
    return 0;
}

/* A WAV file into out: wav_read's samples, little-endian int16. */
static int folder_sound(const char *path, const Kind *k, uint8_t *out, uint8_t *tmp, char *err)
{
    (void)tmp;
    return wav_read(path, k->rate, (int)(k->bytes / 2), out, err);
}

/* The key of the cache of these files decoded as k says (cache.h): the
 * decoding (its version: change it with the decoders), the shape, and
 * each file's path, size, time and label. */
static uint64_t folder_cache_key(const Kind *k, const Files *files)
{
    static const char version[] = "genc folder decoding 1";
    uint64_t h = cache_hash(CACHE_SEED, version, sizeof version);
    h = cache_hash(h, k->noun, strlen(k->noun));
    int64_t shape[5] = {k->c, k->h, k->w, k->rate, (int64_t)k->bytes};
    h = cache_hash(h, shape, sizeof shape);
    for (int i = 0; i < files->n; i++) {
        struct stat st;
        int64_t meta[4] = {-1, -1, -1, files->label[i]};
        if (stat(files->path[i], &st) == 0)
            meta[0] = st.st_size, meta[1] = st.st_mtim.tv_sec, meta[2] = st.st_mtim.tv_nsec;
        h = cache_hash(h, files->path[i], strlen(files->path[i]) + 1);
        h = cache_hash(h, meta, sizeof meta);
    }
    return h;
}

/* Loads split of dir, files of kind k, into ds->pixels (k->bytes each). */
static int folder_load_kind(const char *dir, const char *split, const Kind *k, double holdout,
                            FolderProgress progress, DataSet *ds, char warn[DATA_ERR_LEN],
                            char err[DATA_ERR_LEN])
{
    memset(ds, 0, sizeof *ds);
    warn[0] = 0;
    bool test = strcmp(split, "test") == 0;
    if (!folder_is_dir(dir)) return data_error(err, "%s: no such folder", dir);
    /* train/ and test/ folders, or one folder with a fraction held out */
    char *train_dir = folder_join(dir, "train"), *test_dir = folder_join(dir, "test");
    bool two = folder_is_dir(train_dir) && folder_is_dir(test_dir);
    Names classes = {0};
    Files files = {0};
    int rc = -1;
    if (two) {
        /* the training folder names the classes, for the test folder too */
        rc = folder_collect(train_dir, k, false, -1, &classes, false, &files, err);
        if (rc == 0 && test) {
            files_free(&files);
            rc = folder_collect(test_dir, k, true, -1, &classes, true, &files, err);
        }
    } else {
        rc = folder_collect(dir, k, test, holdout, &classes, false, &files, err);
    }
    if (rc == 0 && files.n == 0)
        rc = data_error(err, "%s: no %s %s%s", two ? test_dir : dir, split, k->noun,
                        !two && test ? holdout > 0 ? " (every class has fewer than 1/holdout)"
                                                   : " (holdout: 0 holds none out)" : "");
    free(train_dir);
    free(test_dir);
    if (rc) {
        files_free(&files);
        names_free(&classes);
        return -1;
    }
    ds->pixels = xmalloc(k->bytes * (size_t)files.n);
    ds->labels = xmalloc(sizeof *ds->labels * (size_t)files.n);
    ds->classes = classes.n ? classes.n : 1;
    ds->class_names = classes.v;
    classes = (Names){0};
    int skipped = 0;
    char first[DATA_ERR_LEN] = "";
    uint64_t key = folder_cache_key(k, &files);
    char *cached = cache_path(key);
    int n = cached ? cache_read(cached, key, files.n, k->bytes, ds->classes, ds->pixels, ds->labels,
                                &skipped, first) : -1;
    if (n >= 0) {
        ds->n = n;
    } else {
        uint8_t *tmp = xmalloc(k->bytes);
        for (int i = 0; i < files.n; i++) {
            char why[DATA_ERR_LEN];
            if (progress) progress(i, files.n, k->noun);
            if (k->decode(files.path[i], k, ds->pixels + k->bytes * (size_t)ds->n, tmp, why)) {
                if (!skipped++) snprintf(first, sizeof first, "%s", why);
                continue;
            }
            ds->labels[ds->n++] = files.label[i];
        }
        free(tmp);
        if (progress) progress(files.n, files.n, k->noun);
        if (cached && ds->n)
            cache_write(cached, key, ds->n, k->bytes, ds->pixels, ds->labels, skipped, first);
    }
    free(cached);
    if (skipped)
        snprintf(warn, DATA_ERR_LEN, "%d of %d %s %s skipped, not readable (the first: %.150s)",
                 skipped, files.n, split, k->noun, first);
    files_free(&files);
    if (!ds->n) {
        data_free(ds);
        return data_error(err, "%s: none of the %s %s could be read (the first: %.150s)", dir,
                          split, k->noun, first);
    }
    return 0;
}

int folder_load(const char *dir, const char *split, int c, int h, int w, double holdout,
                FolderProgress progress, DataSet *ds, char warn[DATA_ERR_LEN],
                char err[DATA_ERR_LEN])
{
    GENC_ASSERT(c == 1 || c == 3);
    Kind k = {"images", "PNG, JPEG or BMP", image_ext, (size_t)c * h * w, folder_image, c, h, w, 0};
    if (folder_load_kind(dir, split, &k, holdout, progress, ds, warn, err)) return -1;
    ds->c = c, ds->h = h, ds->w = w;
    return 0;
}

int folder_load_sounds(const char *dir, const char *split, int rate, int length, double holdout,
                       FolderProgress progress, DataSet *ds, char warn[DATA_ERR_LEN],
                       char err[DATA_ERR_LEN])
{
    Kind k = {"sounds", "WAV", sound_ext, 2 * (size_t)length, folder_sound, 1, 1, length, rate};
    if (folder_load_kind(dir, split, &k, holdout, progress, ds, warn, err)) return -1;
    ds->c = 1, ds->h = 1, ds->w = length;
    ds->audio = true;
    return 0;
}
