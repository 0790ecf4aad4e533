/* replay.c: runs a fuzz harness's LLVMFuzzerTestOneInput over files, for
 * builds without libFuzzer (`make test`, `make test SAN=1`).
 *
 *     replay_NAME PATH...
 *
 * Each PATH is a file or a directory, whose regular files are run in name
 * order (subdirectories are not entered). A crash, a sanitizer report or
 * a leak ends the program with an error like any test's; before each
 * input its name is kept where a debugger or a core file shows it, and
 * with REPLAY_VERBOSE=1 in the environment printed on stderr (and under
 * ASan a leak named with its input). Prints one line at the end: how
 * many inputs ran. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Under ASan (make SAN=1), LeakSanitizer looks for leaks at exit; with
 * REPLAY_VERBOSE=1 also after every input, so that a leak is reported
 * with the input that caused it (slow: a whole heap scan per input). */
#if defined(__SANITIZE_ADDRESS__)
#define REPLAY_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REPLAY_LSAN 1
#endif
#endif
#ifdef REPLAY_LSAN
#include <sanitizer/lsan_interface.h>
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the input being run, for a debugger */
const char *replay_current;

static int replay_file(const char *path, bool verbose)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fprintf(stderr, "replay: out of memory reading %s\n", path);
            fclose(f);
            return -1;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        uint8_t *bigger = realloc(buf, cap *= 2);
        if (!bigger) free(buf);
        buf = bigger;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        free(buf);
        return -1;
    }
    replay_current = path;
    if (verbose) fprintf(stderr, "replay: %s (%zu bytes)\n", path, n);
    /* the exact size, so that ASan sees a read past the end */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    replay_current = NULL;
#ifdef REPLAY_LSAN
    if (verbose && __lsan_do_recoverable_leak_check()) {
        fprintf(stderr, "replay: %s leaks memory (the report is above)\n", path);
        return -1;
    }
#endif
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
        return 2;
    }
    const char *v = getenv("REPLAY_VERBOSE");
    bool verbose = v && *v && strcmp(v, "0") != 0;
    int ran = 0, errors = 0;
    for (int a = 1; a < argc; a++) {
        struct stat st;
        if (stat(argv[a], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[a], strerror(errno));
            errors++;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (replay_file(argv[a], verbose) == 0) ran++;
            else errors++;
            continue;
        }
        DIR *d = opendir(argv[a]);
        if (!d) {
            fprintf(stderr, "replay: cannot open %s: %s\n", argv[a], strerror(errno));
            errors++;
            continue;
        }
        char **names = NULL;
        size_t n = 0, cap = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
            char *p = malloc(strlen(argv[a]) + strlen(e->d_name) + 2);
            if (!p) abort();
            sprintf(p, "%s/%s", argv[a], e->d_name);
            if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
                free(p);
                continue;
            }
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                char **more = realloc(names, cap * sizeof *names);
                if (!more) abort();
                names = more;
            }
            names[n++] = p;
        }
        closedir(d);
        qsort(names, n, sizeof *names, by_name);
        for (size_t i = 0; i < n; i++) {
            if (replay_file(names[i], verbose) == 0) ran++;
            else errors++;
            free(names[i]);
        }
        free(names);
    }
    fprintf(errors ? stderr : stdout, "replay: %s: %d inputs%s\n", argv[0], ran,
            errors ? ", some unreadable or leaking" : "");
    return errors ? 1 : 0;
}
