/* compile.h: a .g file through the whole front end and autodiff. */
#ifndef GENC_COMPILE_H
#define GENC_COMPILE_H

#include <stdio.h>

#include "ir/graph.h"

typedef enum { STOP_LOWER, STOP_REWRITE, STOP_AUTODIFF } CompileStop;

/* Compiles the file at path; diagnostics go to err. Returns NULL when the
 * file cannot be read (the message says why) or has errors (reported with
 * their count). *exit_code is set to 2 or 3 accordingly. */
Graph *compile_file(const char *path, CompileStop stop, FILE *err, int *exit_code);

/* The same with nsets extra train-block settings (genc run --set), each
 * one line of train-block text without braces, read after the file's own
 * so that they replace its settings. */
Graph *compile_file_set(const char *path, const char *const *sets, int nsets, CompileStop stop,
                        FILE *err, int *exit_code);

/* Runs fn(arg) on a thread with a 64 MB stack (address space, not
 * resident memory) and waits for it, or on the caller's stack if no such
 * thread can be made. The front end's passes recurse along chains of
 * operations: sema's limit of 10,000 needs about 2 MB natively, which the
 * usual 8 MB covers, but not a smaller ulimit -s, nor AddressSanitizer's
 * larger frames. compile_file runs the passes this way, and so does the
 * front end's fuzzing harness. */
void compile_on_big_stack(void (*fn)(void *), void *arg);

#endif
