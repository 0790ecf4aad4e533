/* parse.c: runs the scanner and parser over a source buffer. */
#include "parse.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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
    Parse p = {.diag = diag, .file = file, .line = 1, .col = 1};
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
