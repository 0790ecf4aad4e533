/* ast.c: building and freeing the syntax tree. */
#include "grammar/ast.h"

#include <stdlib.h>
#include <string.h>

SrcLoc loc_span(SrcLoc a, SrcLoc b)
{
    if (a.line == b.line && b.col + b.len > a.col) a.len = b.col + b.len - a.col;
    return a;
}

Ast *ast_new(AstKind kind, SrcLoc loc)
{
    Ast *a = xcalloc(1, sizeof *a);
    a->kind = kind;
    a->loc = loc;
    a->depth = 1;
    return a;
}

Ast *ast_add(Ast *parent, Ast *kid)
{
    if (!kid) return parent;
    if (parent->too_deep || kid->depth + 1 > GENC_MAX_DEPTH) {
        parent->too_deep = true;
        ast_free(kid);
        return parent;
    }
    parent->kids = xgrow(parent->kids, sizeof *parent->kids, (size_t)parent->nkids);
    parent->kids[parent->nkids++] = kid;
    if (kid->depth + 1 > parent->depth) parent->depth = kid->depth + 1;
    if (kid->too_deep) parent->too_deep = true;
    return parent;
}

Ast *ast_num(double v, bool is_int, SrcLoc loc)
{
    Ast *a = ast_new(AST_NUM, loc);
    a->num = v;
    a->is_int = is_int;
    return a;
}

Ast *ast_name(AstKind kind, char *name, SrcLoc loc)
{
    Ast *a = ast_new(kind, loc);
    a->name = name;
    return a;
}

Ast *ast_bin(int op, Ast *x, Ast *y, SrcLoc loc)
{
    Ast *a = ast_new(AST_BIN, loc);
    a->op = op;
    ast_add(a, x);
    ast_add(a, y);
    return a;
}

void ast_free(Ast *a)
{
    if (!a) return;
    for (int i = 0; i < a->nkids; i++) ast_free(a->kids[i]);
    free(a->kids);
    free(a->name);
    free(a);
}

void idents_add(IdentList *l, char *name, SrcLoc loc)
{
    l->v = xgrow(l->v, sizeof *l->v, (size_t)l->n);
    l->v[l->n++] = (Ident){name, loc};
}

void idents_free(IdentList *l)
{
    for (int i = 0; i < l->n; i++) free(l->v[i].name);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

void stmts_add(StmtList *l, Stmt s)
{
    l->v = xgrow(l->v, sizeof *l->v, (size_t)l->n);
    l->v[l->n++] = s;
}

void stmts_free(StmtList *l)
{
    for (int i = 0; i < l->n; i++) {
        idents_free(&l->v[i].names);
        ast_free(l->v[i].value);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

void program_add(Program *p, Decl *d)
{
    p->v = xgrow(p->v, sizeof *p->v, (size_t)p->n);
    p->v[p->n++] = d;
}

void decl_free(Decl *d)
{
    if (!d) return;
    free(d->name.name);
    for (int i = 0; i < d->names.n && d->shapes; i++) ast_free(d->shapes[i]);
    free(d->shapes);
    idents_free(&d->names);
    idents_free(&d->ins);
    for (int i = 0; i < d->nouts; i++) ast_free(d->oshapes[i]);
    free(d->oshapes);
    idents_free(&d->outs);
    idents_free(&d->maxes);
    idents_free(&d->flags);
    ast_free(d->value);
    stmts_free(&d->body);
    free(d);
}

void program_free(Program *p)
{
    for (int i = 0; i < p->n; i++) decl_free(p->v[i]);
    free(p->v);
    p->v = NULL;
    p->n = 0;
}
