/* compile.h: the pipeline: a .g file, and the settings of the command
 * line, through the front end, autodiff and the planner. */
#ifndef GENC_COMPILE_H
#define GENC_COMPILE_H

#include <stdio.h>

#include "ir/graph.h"
#include "passes/plan.h"

typedef enum { STOP_LOWER, STOP_REWRITE, STOP_AUTODIFF, STOP_PLAN } CompileStop;

/* A model compiled up to a pass. */
typedef struct Compiled {
    Graph *g;
    /* STOP_PLAN: the plan of each kind of training step, by phase mask
     * (plan_training), for the backend whose scratch sizes were given */
    Plan *steps[1 << GENC_MAX_PHASES];
} Compiled;

/* Extra train settings: n lines of train-block text without braces, which
 * diagnostics quote as lines of a pseudo-file with this name ("--set":
 * genc run --set and the options that stand for settings; "--resume": the
 * settings a resumed run was made with). */
typedef struct SetFile {
    const char *name;
    const char *const *lines;
    int n;
} SetFile;

/* Compiles the file at path up to the pass stop, with the settings of
 * nsets pseudo-files read after the file's own, in order, so that they
 * replace its settings. STOP_PLAN plans for a backend whose kernels need
 * work(...) reals of scratch. Diagnostics go to err. NULL when the file
 * cannot be read (the message says why) or has errors (reported with their
 * count); *exit_code is then 2 or 3. */
Compiled *compile(const char *path, const SetFile *sets, int nsets, CompileStop stop,
                  PlanWorkFn work, FILE *err, int *exit_code);
void compiled_free(Compiled *c);

/* compile without settings up to stop (at most STOP_AUTODIFF): the graph. */
Graph *compile_file(const char *path, CompileStop stop, FILE *err, int *exit_code);

/* Runs fn(arg) on a thread with a 64 MB stack (address space, not
 * resident memory) and waits for it, or on the caller's stack if no such
 * thread can be made. The front end's passes recurse along chains of
 * operations: sema's limit of 10,000 needs about 2 MB natively, which the
 * usual 8 MB covers, but not a smaller ulimit -s, nor AddressSanitizer's
 * larger frames. compile runs the passes this way, and so does the
 * front end's fuzzing harness. */
void compile_on_big_stack(void (*fn)(void *), void *arg);

#endif
