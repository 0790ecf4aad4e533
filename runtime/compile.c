/* compile.c: the pipeline, one pass per line (docs/architecture.md). */
#include "compile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "autodiff.h"
#include "diag.h"
#include "lower.h"
#include "parse.h"
#include "rewrite.h"
#include "sema.h"

/* The source files genc reads are small; anything above this is not a
 * model and is refused before it is read into memory. */
#define COMPILE_MAX_SOURCE (64L << 20)

static char *read_source(const char *path, size_t *len, FILE *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(err, "genc: error: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            if ((long)cap > COMPILE_MAX_SOURCE + 65536) {
                fprintf(err, "genc: error: %s is larger than %ld MB; it is not a model file\n",
                        path, COMPILE_MAX_SOURCE >> 20);
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = xrealloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        fprintf(err, "genc: error: cannot read %s: %s\n", path, strerror(errno));
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

Graph *compile_file(const char *path, CompileStop stop, FILE *err, int *exit_code)
{
    size_t len;
    char *src = read_source(path, &len, err);
    if (!src) {
        *exit_code = 2;
        return NULL;
    }
    Diag diag;
    diag_init(&diag, path, src, len, err);
    Program prog = {0};
    Model *model = NULL;
    Graph *g = NULL;

    parse_source(&diag, path, src, len, &prog);
    if (diag.nerrors == 0) model = sema_check(&diag, &prog, path);
    if (model) g = lower_model(model);
    if (g && stop >= STOP_REWRITE) rewrite_graph(g);
    if (g && stop >= STOP_AUTODIFF) autodiff_graph(g);

    diag_summary(&diag);
    sema_free(model);
    program_free(&prog);
    free(src);
    *exit_code = g ? 0 : 3;
    return g;
}
