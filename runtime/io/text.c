/* text.c: a UTF-8 text file as a dataset of character windows (see
 * text.h). */
#include "io/text.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The code point at s[*at] (len bytes in all), advancing *at; -1 when the
 * bytes there are not UTF-8 (a stray continuation byte, a sequence cut
 * short, an overlong form, a surrogate or a value above U+10FFFF). */
static int32_t text_next(const uint8_t *s, size_t len, size_t *at)
{
    uint8_t b = s[*at];
    int n = b < 0x80 ? 0 : (b & 0xE0) == 0xC0 ? 1 : (b & 0xF0) == 0xE0 ? 2 : (b & 0xF8) == 0xF0 ? 3 : -1;
    if (n < 0 || *at + (size_t)n >= len) return -1;
    int32_t c = n == 0 ? b : b & (0x3F >> n);
    for (int k = 1; k <= n; k++) {
        if ((s[*at + k] & 0xC0) != 0x80) return -1;
        c = c << 6 | (s[*at + k] & 0x3F);
    }
    static const int32_t least[4] = {0, 0x80, 0x800, 0x10000};
    if (c < least[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return -1;
    *at += (size_t)n + 1;
    return c;
}

/* The UTF-8 bytes of code point c into out (at least 5 bytes, ends with 0). */
static void text_utf8(int32_t c, char *out)
{
    if (c < 0x80) {
        out[0] = (char)c, out[1] = 0;
    } else if (c < 0x800) {
        out[0] = (char)(0xC0 | c >> 6), out[1] = (char)(0x80 | (c & 0x3F)), out[2] = 0;
    } else if (c < 0x10000) {
        out[0] = (char)(0xE0 | c >> 12), out[1] = (char)(0x80 | (c >> 6 & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F)), out[3] = 0;
    } else {
        out[0] = (char)(0xF0 | c >> 18), out[1] = (char)(0x80 | (c >> 12 & 0x3F));
        out[2] = (char)(0x80 | (c >> 6 & 0x3F)), out[3] = (char)(0x80 | (c & 0x3F)), out[4] = 0;
    }
}

static int text_cmp(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int text_load(const char *path, const char *split, int context, double holdout, DataSet *ds,
              char err[DATA_ERR_LEN])
{
    memset(ds, 0, sizeof *ds);
    size_t len;
    uint8_t *s = data_read_all(path, GENC_MAX_TEXT_BYTES, &len, err);
    if (!s) return -1;
    /* the characters, checked; then the vocabulary: the distinct ones,
     * sorted by code point */
    int32_t *chars = xmalloc(sizeof *chars * (len + 1));
    size_t n = 0, line = 1;
    for (size_t at = 0; at < len;) {
        size_t here = at;
        int32_t c = text_next(s, len, &at);
        if (c < 0) {
            unsigned byte = s[here];
            free(s);
            free(chars);
            return data_error(err, "%s: not UTF-8 text: byte %zu (line %zu) is 0x%02X; genc reads "
                              "text as UTF-8 characters", path, here, line, byte);
        }
        line += c == '\n';
        chars[n++] = c;
    }
    free(s);
    int32_t *sorted = xmalloc(sizeof *sorted * (n + 1));
    memcpy(sorted, chars, sizeof *chars * n);
    qsort(sorted, n, sizeof *sorted, text_cmp);
    int v = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || sorted[i] != sorted[i - 1]) sorted[v++] = sorted[i];
    if (v > GENC_MAX_VOCABULARY) {
        free(chars);
        free(sorted);
        return data_error(err, "%s: %d different characters, more than genc's %d", path, v,
                          GENC_MAX_VOCABULARY);
    }
    /* the split: the last `holdout` of the characters are the test text */
    size_t cut = n - (size_t)((double)n * holdout);
    bool test = strcmp(split, "test") == 0;
    size_t from = test ? cut : 0, to = test ? n : cut;
    if (to - from < (size_t)context + 1) {
        free(chars);
        free(sorted);
        return data_error(err, "%s: the %s text is %zu characters, too short for one window of "
                          "%d and its next character", path, split, to - from, context);
    }
    ds->ntokens = to - from;
    ds->tokens = xmalloc(sizeof *ds->tokens * ds->ntokens);
    for (size_t i = from; i < to; i++) {
        int32_t *hit = bsearch(&chars[i], sorted, (size_t)v, sizeof *sorted, text_cmp);
        ds->tokens[i - from] = (uint16_t)(hit - sorted);
    }
    free(chars);
    ds->context = context;
    ds->classes = v;
    /* training windows start anywhere; test windows tile the test text, so
     * that each character is predicted once */
    /* a window from i needs the characters up to i + context, its labels' */
    int64_t windows = test ? ((int64_t)ds->ntokens - 1) / context : (int64_t)ds->ntokens - context;
    if (windows > INT_MAX) windows = INT_MAX; /* the later windows are left out */
    ds->n = (int)windows;
    ds->stride = test ? context : 1;
    ds->class_names = xmalloc(sizeof *ds->class_names * (size_t)v);
    for (int i = 0; i < v; i++) {
        ds->class_names[i] = xmalloc(5);
        text_utf8(sorted[i], ds->class_names[i]);
    }
    free(sorted);
    return 0;
}
