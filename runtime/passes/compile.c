/* compile.c: the pipeline, one pass per line (docs/architecture.md). */
#include "passes/compile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "passes/autodiff.h"
#include "grammar/diag.h"
#include "grammar/lower.h"
#include "grammar/parse.h"
#include "grammar/rewrite.h"
#include "grammar/sema.h"

/* A file above GENC_MAX_SOURCE_BYTES is not a model and is refused before
 * it is read into memory. */

static char *read_source(const char *path, size_t *len, FILE *err)
{
    /* a FIFO or a device is refused before it can block the read */
    const char *why;
    int fd = base_open_regular(path, O_RDONLY, &why);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        if (why) fprintf(err, "genc: error: %s %s\n", path, why);
        else fprintf(err, "genc: error: cannot open %s: %s\n", path, strerror(errno));
        if (fd >= 0) close(fd);
        return NULL;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            if ((long)cap > GENC_MAX_SOURCE_BYTES + 65536) {
                fprintf(err, "genc: error: %s is larger than %ld MB; it is not a model file\n",
                        path, GENC_MAX_SOURCE_BYTES >> 20);
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

/* A SetFile's line k is line k of its pseudo-file, wrapped as
 * "train { SETTING }" so that the parser reads it like a line of the
 * model's train block, and errors in it are quoted with a caret like any
 * other. */
static char *settings_source(const SetFile *f, size_t *len)
{
    size_t n = 1;
    for (int i = 0; i < f->n; i++) n += strlen(f->lines[i]) + sizeof "train {  }\n";
    char *src = xmalloc(n), *p = src;
    for (int i = 0; i < f->n; i++) p += sprintf(p, "train { %s }\n", f->lines[i]);
    *len = (size_t)(p - src);
    return src;
}

/* Appends the settings' items to the model's train block (a later setting
 * replaces an earlier one, sema's rule), or makes them the train block. */
static void merge_settings(Program *prog, Program *sets)
{
    Decl *train = NULL;
    for (int i = 0; i < prog->n && !train; i++)
        if (prog->v[i]->kind == DECL_TRAIN) train = prog->v[i];
    for (int i = 0; i < sets->n; i++) {
        Decl *d = sets->v[i];
        GENC_ASSERT(d->kind == DECL_TRAIN); /* the options forbid braces */
        if (!train) {
            program_add(prog, d);
            sets->v[i] = NULL;
            train = d;
            continue;
        }
        for (int k = 0; k < d->body.n; k++) stmts_add(&train->body, d->body.v[k]);
        free(d->body.v);
        d->body = (StmtList){0};
    }
}

#define COMPILE_STACK ((size_t)64 << 20)

typedef struct BigStack {
    void (*fn)(void *);
    void *arg;
} BigStack;

static void *big_stack_main(void *p)
{
    BigStack *b = p;
    b->fn(b->arg);
    return NULL;
}

void compile_on_big_stack(void (*fn)(void *), void *arg)
{
    BigStack b = {fn, arg};
    pthread_attr_t attr;
    pthread_t t;
    bool made = pthread_attr_init(&attr) == 0 &&
                pthread_attr_setstacksize(&attr, COMPILE_STACK) == 0 &&
                pthread_create(&t, &attr, big_stack_main, &b) == 0;
    pthread_attr_destroy(&attr);
    if (made) pthread_join(t, NULL);
    else fn(arg);
}

typedef struct CompileJob {
    const char *path;
    const SetFile *sets;
    int nsets;
    CompileStop stop;
    PlanWorkFn work;
    FILE *err;
    int code;
    Compiled *c;
} CompileJob;

static void compile_job(void *p);

Compiled *compile(const char *path, const SetFile *sets, int nsets, CompileStop stop,
                  PlanWorkFn work, FILE *err, int *exit_code)
{
    GENC_ASSERT(stop < STOP_PLAN || work);
    CompileJob j = {path, sets, nsets, stop, work, err, 0, NULL};
    compile_on_big_stack(compile_job, &j);
    *exit_code = j.code;
    return j.c;
}

void compiled_free(Compiled *c)
{
    if (!c) return;
    for (size_t i = 0; i < GENC_COUNT(c->steps); i++) plan_free(c->steps[i]);
    graph_free(c->g);
    free(c);
}

Graph *compile_file(const char *path, CompileStop stop, FILE *err, int *exit_code)
{
    GENC_ASSERT(stop <= STOP_AUTODIFF);
    Compiled *c = compile(path, NULL, 0, stop, NULL, err, exit_code);
    if (!c) return NULL;
    Graph *g = c->g;
    free(c);
    return g;
}

/* The pipeline, one pass a line (docs/architecture.md). */
static void compile_job(void *p)
{
    CompileJob *j = p;
    size_t len;
    char *src = read_source(j->path, &len, j->err);
    if (!src) {
        j->code = 2;
        return;
    }
    Diag diag;
    diag_init(&diag, j->path, src, len, j->err);
    Program prog = {0};
    Model *model = NULL;
    Graph *g = NULL;
    Plan *steps[1 << GENC_MAX_PHASES] = {0};
    GENC_ASSERT(j->nsets <= DIAG_MAX_SOURCES);
    char *setsrc[DIAG_MAX_SOURCES] = {0};
    Program over[DIAG_MAX_SOURCES] = {0};

    parse_source(&diag, j->path, src, len, &prog);
    for (int i = 0; i < j->nsets; i++) {
        if (j->sets[i].n == 0) continue;
        size_t setlen;
        setsrc[i] = settings_source(&j->sets[i], &setlen);
        diag_add_source(&diag, j->sets[i].name, setsrc[i], setlen);
        parse_source(&diag, j->sets[i].name, setsrc[i], setlen, &over[i]);
    }
    if (diag.nerrors == 0) {
        for (int i = 0; i < j->nsets; i++) merge_settings(&prog, &over[i]);
        model = sema_check(&diag, &prog, j->path);
    }
    if (model) g = lower_model(model);
    if (g && j->stop >= STOP_REWRITE) rewrite_graph(g);
    if (g && j->stop >= STOP_AUTODIFF && autodiff_graph(g, &diag)) {
        graph_free(g);
        g = NULL;
    }
    if (g && j->stop >= STOP_PLAN) plan_training(g, j->work, steps);

    diag_summary(&diag);
    sema_free(model);
    program_free(&prog);
    for (int i = 0; i < j->nsets; i++) {
        program_free(&over[i]);
        free(setsrc[i]);
    }
    free(src);
    j->code = g ? 0 : 3;
    if (g) {
        j->c = xcalloc(1, sizeof *j->c);
        j->c->g = g;
        memcpy(j->c->steps, steps, sizeof steps);
    }
}
