/* ast.h: the syntax tree the parser builds. Every node keeps its location.
 *
 * Expressions (Ast) are one struct with a kind; declarations (Decl) hold
 * the top-level forms of a .g file. See docs/language.md for the grammar. */
#ifndef GENC_AST_H
#define GENC_AST_H

#include "core/base.h"
#include "core/limits.h"

/* Nodes deeper than this are cut (their children dropped) and flagged, so
 * later passes can recurse without exhausting the stack on hostile input. */

typedef enum {
    AST_NUM,   /* num (is_int when written without '.' or exponent) */
    AST_STR,   /* name holds the text */
    AST_NAME,  /* name */
    AST_LIST,  /* [kids...] */
    AST_CALL,  /* name(kids...); a kid may be AST_KW */
    AST_KW,    /* name: kids[0] (a keyword argument) */
    AST_INDEX, /* name[kids[0]]: only E[...] */
    AST_BIN,   /* kids[0] op kids[1]; op is one of + - * / ^ */
    AST_NEG,   /* -kids[0] */
    AST_PIPE,  /* kids[0] -> kids[1] -> ... */
} AstKind;

typedef struct Ast {
    AstKind kind;
    SrcLoc loc;
    double num;
    bool is_int;
    bool too_deep; /* nesting beyond GENC_MAX_DEPTH; children were dropped */
    int op;
    int depth;
    char *name;
    int nkids;
    struct Ast **kids;
} Ast;

Ast *ast_new(AstKind kind, SrcLoc loc);
Ast *ast_add(Ast *parent, Ast *kid); /* returns parent; extends loc */
Ast *ast_num(double v, bool is_int, SrcLoc loc);
Ast *ast_name(AstKind kind, char *name, SrcLoc loc); /* takes name */
Ast *ast_bin(int op, Ast *a, Ast *b, SrcLoc loc);
void ast_free(Ast *a);
SrcLoc loc_span(SrcLoc a, SrcLoc b); /* from a's start to b's end (same line) */

/* A name with its location. */
typedef struct Ident {
    char *name;
    SrcLoc loc;
} Ident;

typedef struct IdentList {
    int n;
    Ident *v;
} IdentList;

void idents_add(IdentList *l, char *name, SrcLoc loc);
void idents_free(IdentList *l);

/* In net and block bodies: `a, b = pipe` or a bare `pipe`. In train
 * blocks: `key value` (names holds the key). */
typedef struct Stmt {
    SrcLoc loc;
    IdentList names;
    Ast *value;
} Stmt;

typedef struct StmtList {
    int n;
    Stmt *v;
} StmtList;

void stmts_add(StmtList *l, Stmt s);
void stmts_free(StmtList *l);

typedef enum {
    DECL_LET,   /* let names = value */
    DECL_DATA,  /* data names ~ value */
    DECL_NOISE, /* name ~ value */
    DECL_NET,   /* net name(params) -> outs { body } */
    DECL_BLOCK, /* block name(args) { body } */
    DECL_OBJ,   /* min names [max more]: value flags */
    DECL_TRAIN, /* train { body } */
} DeclKind;

typedef struct Decl {
    DeclKind kind;
    SrcLoc loc;
    Ident name;      /* net, block, noise; the first name of a let */
    IdentList names; /* let/data names; net params; block args; min players */
    IdentList ins;   /* block: its named input (none, or one) */
    Ast **shapes;    /* net: one [..] list per param */
    IdentList outs;  /* net: output names (named outputs only) */
    Ast **oshapes;   /* net: shapes of the outputs */
    int nouts;
    bool named_outs;
    IdentList maxes; /* objective: the max players */
    IdentList flags; /* objective: trailing words (nonsaturating) */
    Ast *value;
    StmtList body;
} Decl;

typedef struct Program {
    int n;
    Decl **v;
} Program;

void program_add(Program *p, Decl *d);
void decl_free(Decl *d);
void program_free(Program *p);

#endif
