/* compiled.h: a model compiled for a test to run, through the same
 * pipeline as genc run: at batch B (0: the model's own), with extra train
 * settings after the file's, planned for backend be. NULL (and a failed
 * check) when it does not compile. */
#ifndef GENC_TEST_COMPILED_H
#define GENC_TEST_COMPILED_H

#include <stdio.h>

#include "check.h"
#include "exec/backend.h"
#include "passes/compile.h"

static inline Compiled *compile_for(const char *path, int B, const Backend *be,
                                    const char *const *sets, int nsets)
{
    const char *all[8];
    char batch[32];
    int n = 0;
    for (int i = 0; i < nsets && n < 7; i++) all[n++] = sets[i];
    snprintf(batch, sizeof batch, "batch %d", B);
    if (B > 0) all[n++] = batch;
    int code;
    SetFile f = {"--set", all, n};
    Compiled *c = compile(path, &f, 1, STOP_PLAN, be->work_size, stderr, &code);
    CHECKF(c != NULL, "%s does not compile", path);
    return c;
}

#endif
