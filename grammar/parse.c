/* parse.c: runs the scanner and parser over a source buffer. */
#include "grammar/parse.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"
#include "lexer.h"

SrcLoc parse_loc(Parse *p, int line, int col, int eline, int ecol)
{
    int len = (eline == line && ecol > col) ? ecol - col : 1;
    return (SrcLoc){p->file, line, col, len};
}

void parse_lex_error(Parse *p, int line, int col, int len, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    diag_error(p->diag, (SrcLoc){p->file, line, col, len}, "%s", msg);
    p->lex_error_stmt = p->stmt;
}

/* Text the language has no use for: one printable character, a UTF-8
 * character (one error, not one per byte; with the ASCII it usually stands
 * for when pasted from a document), or a byte of a binary file. */
void parse_bad_char(Parse *p, int line, int col, const char *text, int len)
{
    static const struct {
        const char *utf8, *ascii;
    } like[] = {
        {"\xc2\xa0", " "},      {"\xe2\x80\x9c", "\""}, {"\xe2\x80\x9d", "\""},
        {"\xe2\x80\x98", "'"}, {"\xe2\x80\x99", "'"},  {"\xe2\x88\x92", "-"},
        {"\xe2\x80\x93", "-"}, {"\xe2\x86\x92", "->"}, {"\xc3\x97", "*"},
    };
    unsigned char c = (unsigned char)text[0];
    int want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 1;
    if (len == 1 && c >= 32 && c < 127) {
        parse_lex_error(p, line, col, 1, "unexpected character '%c'", c);
    } else if (len > 1 && len == want) {
        for (size_t i = 0; i < sizeof like / sizeof like[0]; i++)
            if ((int)strlen(like[i].utf8) == len && memcmp(like[i].utf8, text, (size_t)len) == 0) {
                if (i == 0)
                    parse_lex_error(p, line, col, len, "unexpected non-breaking space; use an "
                                    "ordinary space");
                else
                    parse_lex_error(p, line, col, len, "unexpected character '%.*s'; did you "
                                    "mean '%s'?", len, text, like[i].ascii);
                return;
            }
        parse_lex_error(p, line, col, len, "unexpected character '%.*s' (outside strings and "
                        "comments, genc reads only ASCII)", len, text);
    } else {
        parse_lex_error(p, line, col, len, "unexpected byte 0x%02x (is this a text file?)", c);
        if (++p->nbinary == PARSE_MAXBINARY) {
            diag_note(p->diag, "%d bytes that are not text: this is not a model file; stopping",
                      PARSE_MAXBINARY);
            p->stop = true;
        }
    }
}

/* Numbers are checked here so that "1e999" is an error at its location,
 * not an infinity that surfaces later as a strange shape. */
double parse_number(Parse *p, const char *text, int line, int col)
{
    errno = 0;
    double v = strtod(text, NULL);
    if (errno == ERANGE && fabs(v) > 1) {
        parse_lex_error(p, line, col, (int)strlen(text), "number too large: %s", text);
        return 0;
    }
    return v;
}

void parse_source(Diag *diag, const char *file, const char *src, size_t srclen,
                  Program *prog)
{
    Parse p = {.diag = diag, .file = file, .line = 1, .col = 1, .lex_error_stmt = -1};
    yyscan_t scanner;
    if (yylex_init_extra(&p, &scanner)) {
        diag_error(diag, (SrcLoc){0}, "cannot start the scanner");
        return;
    }
    YY_BUFFER_STATE buf = yy_scan_bytes(src, (int)srclen, scanner);
    yyparse(scanner, &p);
    yy_delete_buffer(buf, scanner);
    yylex_destroy(scanner);
    *prog = p.prog;
}
