/* diag.h: every user-facing compile error goes through here.
 *
 *   file:line:col: error: message
 *   <the source line>
 *   ^~~~~ (under the offending text)
 *
 * Errors are counted, not fatal: each pass reports all it can find, and the
 * driver stops between passes when the count is non-zero. */
#ifndef GENC_DIAG_H
#define GENC_DIAG_H

#include <stdio.h>

#include "core/base.h"
#include "core/limits.h"


#define DIAG_MAX_SOURCES 2

typedef struct Diag {
    const char *file;
    const char *src; /* the whole source, for quoting lines */
    size_t srclen;
    /* more sources (genc run --set, --resume's settings) */
    struct {
        const char *file, *src;
        size_t srclen;
    } more[DIAG_MAX_SOURCES];
    int nmore;
    FILE *out;
    int nerrors;
    bool stopped; /* GENC_MAX_ERRORS reached: later errors are dropped */
} Diag;

void diag_init(Diag *d, const char *file, const char *src, size_t srclen, FILE *out);
/* One more source (at most DIAG_MAX_SOURCES) whose locations carry `file`
 * (the same pointer), so that its lines are quoted from src. */
void diag_add_source(Diag *d, const char *file, const char *src, size_t srclen);
void diag_error(Diag *d, SrcLoc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A follow-up line for the last error: "note: ..." (no location). */
void diag_note(Diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The closing "1 error" / "N errors" line; nothing when there were none. */
void diag_summary(Diag *d);

/* The closest of `n` candidate words to `word` within a small edit
 * distance, for "did you mean" hints; NULL if none is close. */
const char *diag_suggest(const char *word, const char *const *cand, int n);

#endif
