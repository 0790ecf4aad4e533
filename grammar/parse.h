/* parse.h: source text -> Program (lexer.l + parser.y).
 * The state shared by the scanner and the parser lives in Parse. */
#ifndef GENC_PARSE_H
#define GENC_PARSE_H

#include "grammar/ast.h"
#include "grammar/diag.h"

#define PARSE_MAXOPEN 64
#define PARSE_MAXBINARY 5

typedef struct ParseOpen {
    int line, col; /* line 0: none */
    char c;
} ParseOpen;

typedef struct Parse {
    Diag *diag;
    const char *file;
    Program prog;
    int line, col;  /* the scanner's position */
    int depth;      /* open ( and [: newlines inside them are spaces */
    int last;       /* the last token returned */
    int comment_line, comment_col; /* where an open comment started */
    /* For "never closed" notes after a syntax error: the open ( and [
     * (the innermost PARSE_MAXOPEN), the open {, and both as they were
     * before the last token (the parser's lookahead) was read. */
    ParseOpen open[PARSE_MAXOPEN], open_before, brace, brace_before;
    /* Statements (NEWLINE tokens) so far, the statement of the last token
     * (a NEWLINE belongs to the one it ends) and of the last lexer error:
     * the syntax error a bad character causes in its statement is not news. */
    int stmt, tok_stmt, lex_error_stmt;
    int nbinary;    /* bytes that are not text: after a few, the file is not read on */
    bool stop;
} Parse;

/* Parses src (srclen bytes, any content) into *prog. Errors go to diag;
 * the program holds whatever parsed cleanly. */
void parse_source(Diag *diag, const char *file, const char *src, size_t srclen,
                  Program *prog);

/* For the scanner and the parser. */
void parse_lex_error(Parse *p, int line, int col, int len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
double parse_number(Parse *p, const char *text, int line, int col);
void parse_bad_char(Parse *p, int line, int col, const char *text, int len);
SrcLoc parse_loc(Parse *p, int line, int col, int eline, int ecol);

#endif
