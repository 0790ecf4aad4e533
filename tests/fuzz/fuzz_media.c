/* fuzz_media.c: the bytes as a WAV file (wav_read), a text (text_load) or
 * an image in a folder (folder_load, through stb_image).
 *
 * Input layout: byte 0 chooses the reader (its value mod 3: 0 WAV, 1 text,
 * 2 image); the rest is the file. The file is a memfd, read by its path
 * /proc/self/fd/N; the image folder (made once per process under $TMPDIR,
 * removed at exit) holds a.png, a symbolic link to that path (stb_image
 * reads any of its formats whatever the name).
 *
 * Checked beyond "no crash, no leak, no sanitizer report": a refusal says
 * something and names the file (data.h's promise); an accepted text's
 * characters are all in its vocabulary and its windows inside it; an
 * accepted image has the shape asked for. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "io/folder.h"
#include "io/text.h"
#include "io/wav.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fd = -1;
static char path[64];
static char dir[4096], image[4200];

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_media: %s: %s\n", what, detail);
    abort();
}

static void cleanup(void)
{
    unlink(image);
    rmdir(dir);
}

static void setup(void)
{
    fd = memfd_create("fuzz_media", MFD_CLOEXEC);
    if (fd < 0) fail("memfd_create", "failed");
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/genc-fuzz-media.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) fail("mkdtemp", dir);
    snprintf(image, sizeof image, "%s/a.png", dir);
    atexit(cleanup);
    if (symlink(path, image) != 0) fail("symlink", image);
    /* no decode cache (cache.h): every input is decoded, none written */
    setenv("XDG_CACHE_HOME", "", 1);
    unsetenv("HOME");
}

/* A refusal must say something, starting with the name it is about. */
static void check_refusal(const char *err, const char *name)
{
    if (!err[0]) fail("refused without a message", name);
    if (strncmp(err, name, strlen(name)) != 0) fail("message does not name the file", err);
}

static void check_text(const char *split)
{
    char err[DATA_ERR_LEN] = "";
    DataSet ds;
    if (text_load(path, split, 4, 0.25, &ds, err) != 0) {
        check_refusal(err, path);
        if (ds.tokens || ds.class_names) fail("refused but not cleared", err);
        return;
    }
    if (ds.classes < 1 || ds.n < 1 || ds.context != 4) fail("accepted a text unlike itself", path);
    for (size_t i = 0; i < ds.ntokens; i++)
        if (ds.tokens[i] >= ds.classes) fail("a character outside the vocabulary", path);
    int last = ds.n - 1;
    real x[4], y[4];
    data_batch(&ds, &last, 1, 0, 1, x, y); /* the last window and its labels are inside */
    data_free(&ds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fd < 0) setup();
    if (size < 1 || size > (1u << 20)) return 0;
    if (ftruncate(fd, 0) != 0) fail("ftruncate", path);
    if (size > 1 && pwrite(fd, data + 1, size - 1, 0) != (ssize_t)(size - 1)) fail("pwrite", path);
    char err[DATA_ERR_LEN] = "", warn[DATA_ERR_LEN];
    switch (data[0] % 3) {
    case 0: {
        uint8_t out[2 * 64];
        if (wav_read(path, 8000, 64, out, err) != 0) check_refusal(err, path);
        break;
    }
    case 1:
        check_text("train");
        check_text("test");
        break;
    default: {
        DataSet ds;
        if (folder_load(dir, "train", 3, 5, 7, 0, NULL, &ds, warn, err) != 0) {
            check_refusal(err, dir);
        } else {
            if (ds.n != 1 || ds.c != 3 || ds.h != 5 || ds.w != 7 || warn[0])
                fail("accepted an image unlike the one asked for", image);
            data_free(&ds);
        }
    }
    }
    return 0;
}
