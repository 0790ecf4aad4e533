/* diag.c: compile errors with a quoted source line and a caret underline. */
#include "grammar/diag.h"

#include <stdarg.h>
#include <string.h>
#include <strings.h>

void diag_init(Diag *d, const char *file, const char *src, size_t srclen, FILE *out)
{
    memset(d, 0, sizeof *d);
    d->file = file;
    d->src = src;
    d->srclen = srclen;
    d->out = out;
}

/* Prints source line `line` and a caret under columns col..col+len-1.
 * Long lines are cut to a window around the caret so a 1 MB line does not
 * flood the terminal; bytes that are not printable ASCII show as '?'. */
void diag_add_source(Diag *d, const char *file, const char *src, size_t srclen)
{
    GENC_ASSERT(d->nmore < DIAG_MAX_SOURCES);
    d->more[d->nmore].file = file;
    d->more[d->nmore].src = src;
    d->more[d->nmore].srclen = srclen;
    d->nmore++;
}

static void diag_quote(Diag *d, SrcLoc loc)
{
    const char *src = d->src;
    size_t srclen = d->srclen;
    for (int i = 0; i < d->nmore; i++)
        if (loc.file == d->more[i].file) {
            src = d->more[i].src;
            srclen = d->more[i].srclen;
        }
    if (!src || loc.line <= 0) return;
    const char *p = src, *end = src + srclen;
    for (int l = 1; l < loc.line && p < end; p++)
        if (*p == '\n') l++;
    const char *eol = p;
    while (eol < end && *eol != '\n') eol++;
    long linelen = eol - p, col0 = loc.col - 1, len = loc.len > 0 ? loc.len : 1;
    if (col0 > linelen) col0 = linelen;
    long from = 0, to = linelen;
    enum { WINDOW = 100 };
    if (linelen > WINDOW) {
        from = col0 > WINDOW / 2 ? col0 - WINDOW / 2 : 0;
        to = from + WINDOW < linelen ? from + WINDOW : linelen;
    }
    if (col0 + len > to) len = to - col0 > 0 ? to - col0 : 1;
    fputs(from > 0 ? "..." : "", d->out);
    for (long i = from; i < to; i++) {
        unsigned char c = (unsigned char)p[i];
        fputc(c == '\t' ? ' ' : (c >= 32 && c < 127) ? c : '?', d->out);
    }
    fputs(to < linelen ? "...\n" : "\n", d->out);
    long pad = col0 - from + (from > 0 ? 3 : 0);
    for (long i = 0; i < pad; i++) fputc(' ', d->out);
    fputc('^', d->out);
    for (long i = 1; i < len; i++) fputc('~', d->out);
    fputc('\n', d->out);
}

void diag_error(Diag *d, SrcLoc loc, const char *fmt, ...)
{
    d->nerrors++;
    if (d->stopped) return;
    if (d->nerrors > GENC_MAX_ERRORS) {
        fprintf(d->out, "%s: too many errors; stopping\n", d->file);
        d->stopped = true;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    if (loc.line > 0)
        fprintf(d->out, "%s:%d:%d: error: ", loc.file ? loc.file : d->file, loc.line,
                loc.col);
    else
        fprintf(d->out, "%s: error: ", d->file);
    vfprintf(d->out, fmt, ap);
    fputc('\n', d->out);
    va_end(ap);
    diag_quote(d, loc);
}

void diag_note(Diag *d, const char *fmt, ...)
{
    if (d->stopped) return;
    va_list ap;
    va_start(ap, fmt);
    fputs("note: ", d->out);
    vfprintf(d->out, fmt, ap);
    fputc('\n', d->out);
    va_end(ap);
}

void diag_summary(Diag *d)
{
    if (d->nerrors) fprintf(d->out, "%d error%s\n", d->nerrors, d->nerrors == 1 ? "" : "s");
}

/* Edit distance with adjacent transpositions (adma -> adam is one edit),
 * capped: words longer than 64 are never suggested. */
static int diag_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return 1000;
    int d[65][65];
    for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb];
}

const char *diag_suggest(const char *word, const char *const *cand, int n)
{
    const char *best = NULL;
    int bestd = 1000;
    /* one- and two-letter names are all close to each other: only a
     * difference of case is worth a hint there */
    size_t len = strlen(word);
    int limit = len <= 2 ? 0 : len <= 4 ? 1 : 2;
    for (int i = 0; i < n; i++) {
        if (strcmp(word, cand[i]) != 0 && strcasecmp(word, cand[i]) == 0) return cand[i];
        int dd = diag_distance(word, cand[i]);
        if (dd < bestd) bestd = dd, best = cand[i];
    }
    return bestd <= limit && bestd > 0 ? best : NULL;
}
