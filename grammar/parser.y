/* parser.y: the grammar of .g files (docs/language.md describes it for
 * users). Actions only build the syntax tree; every check is in sema.c. */
%define api.pure full
%define parse.error detailed
%locations
%expect 0

%code requires {
#include "grammar/parse.h"
typedef void *yyscan_t;
}

%code {
#include "lexer.h"

static void yyerror(YYLTYPE *l, yyscan_t scanner, Parse *p, const char *msg);
#define L(x) parse_loc(p, (x).first_line, (x).first_column, (x).last_line, (x).last_column)

/* A net's parameter or output list under construction. */
static Decl *decl_new(DeclKind kind)
{
    Decl *d = xcalloc(1, sizeof *d);
    d->kind = kind;
    return d;
}

/* `batch = 64` or `batch: 64`: the setting, and an error on the separator
 * (the usual spelling of other config files, so worth its own message) */
static Stmt train_sep(Parse *p, char *key, YYLTYPE kl, YYLTYPE sl, char sep, Ast *value)
{
    if (value->kind == AST_NUM)
        diag_error(p->diag, L(sl), "train settings take no '%c': write '%s %.15g'", sep, key,
                   value->num);
    else
        diag_error(p->diag, L(sl), "train settings take no '%c': write the name, a space and "
                   "the value, like 'batch 64'", sep);
    Stmt st = {L(kl), {0}, value};
    idents_add(&st.names, key, L(kl));
    return st;
}

static Decl *decl_typed(Decl *d, char *name, SrcLoc loc, Ast *shape)
{
    idents_add(&d->names, name, loc);
    d->shapes = xrealloc(d->shapes, sizeof *d->shapes * (size_t)d->names.n);
    d->shapes[d->names.n - 1] = shape;
    return d;
}
}

%lex-param {yyscan_t scanner}
%parse-param {yyscan_t scanner} {Parse *p}

%union {
    double num;
    char *str;
    Ast *ast;
    Decl *decl;
    IdentList ids;
    Stmt stmt;
    StmtList stmts;
}

%token END 0 "end of file"
%token NEWLINE "end of line"
%token ARROW "'->'"
%token LET "'let'"
%token DATA "'data'"
%token NET "'net'"
%token BLOCK "'block'"
%token MIN "'min'"
%token MAX "'max'"
%token <str> IDENT "name"
%token <str> STRING "string"
%token <str> PREFIXFN "log or exp"
%token <num> INT "integer"
%token <num> REAL "number"

%type <ast> pipe expr primary args list call_args kwlist
%type <decl> decl typed_list out_spec net_head
%type <ids> names flags idents_opt block_in
%type <stmt> stmt train_item
%type <stmts> body stmts train_items

%destructor { free($$); } <str>
%destructor { ast_free($$); } <ast>
%destructor { decl_free($$); } <decl>
%destructor { idents_free(&$$); } <ids>
%destructor { idents_free(&$$.names); ast_free($$.value); } <stmt>
%destructor { stmts_free(&$$); } <stmts>

%left '+' '-'
%left '*' '/'
%precedence NEG
%right '^'

%%

/* program: declarations, one per line. After a syntax error the parser
 * skips to the end of the line, or of the braces it is in, and reports the
 * next error only once it has read three good tokens (bison's rule, kept
 * by not calling yyerrok): a body left without its '{' costs one error,
 * not one per line. */
program
    : %empty
    | program NEWLINE
    | program decl NEWLINE      { program_add(&p->prog, $2); }
    | program error NEWLINE
    ;

decl
    : LET names '=' pipe        { $$ = decl_new(DECL_LET); $$->loc = L(@1); $$->names = $2; $$->value = $4; }
    | DATA names '~' expr       { $$ = decl_new(DECL_DATA); $$->loc = L(@1); $$->names = $2; $$->value = $4; }
    | IDENT '~' expr            { $$ = decl_new(DECL_NOISE); $$->loc = L(@1); $$->name = (Ident){$1, L(@1)}; $$->value = $3; }
    | net_head '{' body '}'     { $$ = $1; $$->body = $3; }
    | net_head '{' stmts error '}' { $$ = $1; $$->body = $3; }
    | BLOCK IDENT '(' idents_opt ')' block_in '{' body '}' {
          $$ = decl_new(DECL_BLOCK); $$->loc = L(@1); $$->name = (Ident){$2, L(@2)};
          $$->names = $4; $$->ins = $6; $$->body = $8;
      }
    | BLOCK IDENT '(' idents_opt ')' block_in '{' stmts error '}' {
          $$ = decl_new(DECL_BLOCK); $$->loc = L(@1); $$->name = (Ident){$2, L(@2)};
          $$->names = $4; $$->ins = $6; $$->body = $8;
      }
    | MIN names ':' pipe flags  {
          $$ = decl_new(DECL_OBJ); $$->loc = L(@1); $$->names = $2; $$->value = $4; $$->flags = $5;
      }
    | MIN names MAX names ':' pipe flags {
          $$ = decl_new(DECL_OBJ); $$->loc = L(@1); $$->names = $2; $$->maxes = $4;
          $$->value = $6; $$->flags = $7;
      }
    | MAX names ':' pipe flags  {
          $$ = decl_new(DECL_OBJ); $$->loc = L(@1); $$->maxes = $2; $$->value = $4; $$->flags = $5;
      }
    | IDENT '{' train_items '}' {
          $$ = decl_new(DECL_TRAIN); $$->loc = L(@1); $$->name = (Ident){$1, L(@1)};
          $$->body = $3;
      }
    | IDENT '{' train_items error '}' {
          $$ = decl_new(DECL_TRAIN); $$->loc = L(@1); $$->name = (Ident){$1, L(@1)};
          $$->body = $3;
      }
    ;

/* net NAME(x: [..], ...) -> [..] | (a: [..], b: [..]) */
net_head
    : NET IDENT '(' typed_list ')' ARROW out_spec {
          $$ = $4; $$->kind = DECL_NET; $$->loc = L(@1); $$->name = (Ident){$2, L(@2)};
          $$->outs = $7->names; $$->oshapes = $7->shapes; $$->nouts = $7->names.n;
          $$->named_outs = $7->named_outs;
          $7->names = (IdentList){0}; $7->shapes = NULL; decl_free($7);
      }
    ;

typed_list
    : IDENT ':' expr            { $$ = decl_typed(decl_new(DECL_NET), $1, L(@1), $3); }
    | typed_list ',' IDENT ':' expr { $$ = decl_typed($1, $3, L(@3), $5); }
    ;

out_spec
    : list                      { $$ = decl_typed(decl_new(DECL_NET), xstrdup(""), L(@1), $1); }
    | '(' typed_list ')'        { $$ = $2; $$->named_outs = true; }
    ;

/* statements of a net or block body */
body
    : stmts
    | stmts stmt                { $$ = $1; stmts_add(&$$, $2); }
    ;

stmts
    : %empty                    { $$ = (StmtList){0}; }
    | stmts NEWLINE
    | stmts stmt NEWLINE        { $$ = $1; stmts_add(&$$, $2); }
    | stmts error NEWLINE       { $$ = $1; }
    ;

stmt
    : pipe                      { $$ = (Stmt){L(@1), {0}, $1}; }
    | names '=' pipe            { $$ = (Stmt){L(@1), $1, $3}; }
    ;

/* train { key value ... }: several settings may share a line */
train_items
    : %empty                    { $$ = (StmtList){0}; }
    | train_items NEWLINE
    | train_items train_item    { $$ = $1; stmts_add(&$$, $2); }
    | train_items error NEWLINE { $$ = $1; }
    ;

train_item
    : IDENT expr                { $$ = (Stmt){L(@1), {0}, $2}; idents_add(&$$.names, $1, L(@1)); }
    | IDENT kwlist              { $$ = (Stmt){L(@1), {0}, $2}; idents_add(&$$.names, $1, L(@1)); }
    | IDENT '=' expr            { $$ = train_sep(p, $1, @1, @2, '=', $3); }
    | IDENT ':' expr            { $$ = train_sep(p, $1, @1, @2, ':', $3); }
    ;

kwlist
    : IDENT ':' expr            { $$ = ast_add(ast_new(AST_LIST, L(@1)), ast_add(ast_name(AST_KW, $1, L(@1)), $3)); }
    | kwlist ',' IDENT ':' expr { $$ = ast_add($1, ast_add(ast_name(AST_KW, $3, L(@3)), $5)); }
    ;

names
    : IDENT                     { $$ = (IdentList){0}; idents_add(&$$, $1, L(@1)); }
    | names ',' IDENT           { $$ = $1; idents_add(&$$, $3, L(@3)); }
    ;

idents_opt
    : %empty                    { $$ = (IdentList){0}; }
    | names
    ;

/* a block's named input: block res(c)(x) { ... } */
block_in
    : %empty                    { $$ = (IdentList){0}; }
    | '(' IDENT ')'             { $$ = (IdentList){0}; idents_add(&$$, $2, L(@2)); }
    ;

flags
    : %empty                    { $$ = (IdentList){0}; }
    | flags IDENT               { $$ = $1; idents_add(&$$, $2, L(@2)); }
    ;

/* a -> b -> c: each stage takes the previous one's value */
pipe
    : expr                      { $$ = $1; }
    | pipe ARROW expr           {
          if ($1->kind == AST_PIPE) $$ = ast_add($1, $3);
          else $$ = ast_add(ast_add(ast_new(AST_PIPE, L(@1)), $1), $3);
          $$->loc = loc_span($$->loc, L(@3));
      }
    ;

expr
    : expr '+' expr             { $$ = ast_bin('+', $1, $3, L(@2)); }
    | expr '-' expr             { $$ = ast_bin('-', $1, $3, L(@2)); }
    | expr '*' expr             { $$ = ast_bin('*', $1, $3, L(@2)); }
    | expr '/' expr             { $$ = ast_bin('/', $1, $3, L(@2)); }
    | expr '^' expr             { $$ = ast_bin('^', $1, $3, L(@2)); }
    | '-' expr %prec NEG        { $$ = ast_add(ast_new(AST_NEG, L(@1)), $2); }
    | PREFIXFN expr %prec NEG   { $$ = ast_add(ast_name(AST_CALL, $1, L(@1)), $2); }
    | primary
    ;

primary
    : INT                       { $$ = ast_num($1, true, L(@1)); }
    | REAL                      { $$ = ast_num($1, false, L(@1)); }
    | STRING                    { $$ = ast_name(AST_STR, $1, L(@1)); }
    | IDENT                     { $$ = ast_name(AST_NAME, $1, L(@1)); }
    | IDENT '(' call_args ')'   { $$ = $3; $$->kind = AST_CALL; $$->name = $1; $$->loc = L(@1); }
    | IDENT '[' pipe ']'        { $$ = ast_add(ast_name(AST_INDEX, $1, L(@1)), $3); }
    | '(' pipe ')'              { $$ = $2; }
    | list
    ;

list
    : '[' ']'                   { $$ = ast_new(AST_LIST, L(@$)); }
    | '[' args ']'              { $$ = $2; $$->loc = L(@$); } /* errors underline it whole */
    ;

call_args
    : %empty                    { $$ = ast_new(AST_LIST, L(@$)); }
    | args
    ;

args
    : pipe                      { $$ = ast_add(ast_new(AST_LIST, L(@1)), $1); }
    | IDENT ':' pipe            { $$ = ast_add(ast_new(AST_LIST, L(@1)), ast_add(ast_name(AST_KW, $1, L(@1)), $3)); }
    | args ',' pipe             { $$ = ast_add($1, $3); }
    | args ',' IDENT ':' pipe   { $$ = ast_add($1, ast_add(ast_name(AST_KW, $3, L(@3)), $5)); }
    ;

%%

static void yyerror(YYLTYPE *l, yyscan_t scanner, Parse *p, const char *msg)
{
    /* bison's stack limit: only hostile nesting reaches it */
    if (strcmp(msg, "memory exhausted") == 0) msg = "nesting too deep";
    /* a bad character or string on this line was reported, and dropping
     * it is what broke the syntax */
    else if (p->lex_error_stmt == p->tok_stmt || p->stop) return;
    diag_error(p->diag, L(*l), "%s", msg);
    /* a bracket left open on an earlier line, or a brace left open before
     * the next declaration, is the likely cause: say where it is */
    ParseOpen o = p->open_before, b = p->brace_before;
    bool decl_start = p->last == LET || p->last == DATA || p->last == NET || p->last == BLOCK ||
                      p->last == MIN || p->last == MAX || p->last == END;
    if (o.line > 0 && o.line < l->first_line)
        diag_note(p->diag, "the '%c' on line %d, column %d is never closed", o.c, o.line, o.col);
    else if (b.line > 0 && b.line < l->first_line && decl_start)
        diag_note(p->diag, "the '{' on line %d, column %d is never closed", b.line, b.col);
}
