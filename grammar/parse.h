/* parse.h: source text -> Program (lexer.l + parser.y).
 * The state shared by the scanner and the parser lives in Parse. */
#ifndef GENC_PARSE_H
#define GENC_PARSE_H

#include "ast.h"
#include "diag.h"

typedef struct Parse {
    Diag *diag;
    const char *file;
    Program prog;
    int line, col;  /* the scanner's position */
    int depth;      /* open ( and [: newlines inside them are spaces */
    int last;       /* the last token returned */
    int comment_line, comment_col; /* where an open comment started */
} Parse;

/* Parses src (srclen bytes, any content) into *prog. Errors go to diag;
 * the program holds whatever parsed cleanly. */
void parse_source(Diag *diag, const char *file, const char *src, size_t srclen,
                  Program *prog);

/* For the scanner and the parser. */
void parse_lex_error(Parse *p, int line, int col, int len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
double parse_number(Parse *p, const char *text, int line, int col);
SrcLoc parse_loc(Parse *p, int line, int col, int eline, int ecol);

#endif
