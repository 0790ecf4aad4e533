/* sema_impl.h: what the files of sema share (sema.c, sema_builtins.c,
 * sema_shapes.c, sema_train.c); sema.h is the pass's interface.
 *
 * Sema evaluates the program abstractly: every expression becomes a Val
 * (a number, a word, a list of numbers, a tensor with a known shape, or a
 * reference to a net, block or builtin). Tensors are TExpr trees, the
 * output of this pass. Errors are reported and evaluation goes on with an
 * error value (V_ERR), which never causes a second message. */
#ifndef GENC_SEMA_IMPL_H
#define GENC_SEMA_IMPL_H

#include "grammar/sema.h"

typedef enum { V_ERR, V_NUM, V_STR, V_WORD, V_LIST, V_TENSOR, V_NET, V_BLOCK, V_BUILTIN } VKind;

typedef struct Val {
    VKind kind;
    double num;
    bool is_int;
    const char *str; /* V_STR, V_WORD */
    int index;       /* V_NET, V_BLOCK, V_BUILTIN */
    int nitems;      /* V_LIST of numbers */
    double items[GENC_MAX_LIST];
    TExpr *t;        /* V_TENSOR */
    SrcLoc loc;
} Val;

typedef struct Binding {
    const char *name;
    Val val;
    SrcLoc loc;
    struct Binding *next;
} Binding;

/* How a call relates to the value flowing in from the left of '->' or
 * from the line above: after '->' it is always the first input; at the
 * start of a line in a net body, it is the first input when the call
 * leaves that input out; inside an expression it never is. */
typedef enum { FLOW_NONE, FLOW_MAYBE, FLOW_MUST } Flow;

/* A layer counter per kind, for paths like G.deconv2 */
typedef struct PathCtx {
    const char *prefix;
    const char *names[32];
    int counts[32];
    int nnames;
} PathCtx;

typedef struct Sema {
    Diag *diag;
    Model *m;
    Program *prog;
    Binding *globals;
    Binding *locals;
    int net;            /* the net being elaborated, -1 at top level */
    PathCtx *path;
    int block_depth;
    bool *block_active; /* per block: being instantiated (a use inside it is a loop) */
    bool *block_bad;    /* per block: a use of it had errors; later uses fail quietly */
    bool block_loop;    /* a loop was reported: the enclosing uses fail quietly */
    bool too_big;       /* GENC_MAX_OPERATIONS reached: evaluation stops */
    bool too_many_phases; /* GENC_MAX_PHASES passed, and said */
    int block_uses;     /* block instantiations so far, bounded like the nodes */
    Decl **netdecl;     /* per net */
    int *sig_state;     /* per net: 0 not yet, 1 in progress, 2 done, 3 failed */
    bool *net_bad;      /* per net: errors reported in its signature or body */
    bool **calls;       /* calls[a][b]: net a calls net b */
    Decl **blocks;
    int nblocks;
    int dropouts; /* dropout sites so far */
    bool *skip;         /* per declaration: a duplicate name, already reported */
} Sema;

static const Val val_err = {.kind = V_ERR};
static const Shape scalar = {0};

static inline Val val_tensor(TExpr *t, SrcLoc loc)
{
    return (Val){.kind = V_TENSOR, .t = t, .loc = loc};
}

static inline Val val_num(double v, bool is_int, SrcLoc loc)
{
    return (Val){.kind = V_NUM, .num = v, .is_int = is_int, .loc = loc};
}

static inline const char *shp(Shape sh, char buf[64]) { return shape_str(sh, buf, 64); }

/* ---- builtins ---------------------------------------------------------- */

typedef enum {
    BK_LAYER,   /* tensor inputs must be tensors; the rest are options */
    BK_FUNC,    /* inputs may be numbers, which broadcast */
    BK_SOURCE,  /* datasets and noise distributions */
    BK_SETTING, /* initialisers and optimizers, in the train block */
    BK_SCHEDULE, /* a value that changes over training (graph.h Schedule) */
} BuiltinKind;

/* The builtins that are not one op of the table: layers, losses made of
 * several ops, sources and settings. An op the language calls by name
 * (ops.h, its lang column) is builtin B_COUNT + op. */
typedef enum {
    B_DENSE, B_CONV, B_DECONV, B_BATCHNORM, B_LAYERNORM, B_EMBEDDING,
    B_DROPOUT, B_RESHAPE, B_FLATTEN, B_UPSAMPLE, B_MAXPOOL, B_AVGPOOL, B_CONCAT,
    B_MATMUL, B_TRANSPOSE, B_PERMUTE, B_SUM, B_MEAN, B_SOFTMAX, B_LOG_SOFTMAX, B_SIZE, B_MAX, B_MIN,
    B_SLICE, B_INDEX, B_SPLIT, B_STACK, B_PAD, B_TRIL, B_SCALE, B_CONV1D, B_DECONV1D, B_GROUPNORM,
    B_INSTANCENORM, B_WHERE,
    B_BCE, B_MSE, B_L1, B_CROSS_ENTROPY, B_KL_NORMAL, B_GRAD, B_NORM,
    B_MNIST, B_FASHION_MNIST, B_IDX, B_IMAGES, B_TEXT, B_WAV, B_NORMAL, B_UNIFORM, B_CATEGORICAL,
    B_XAVIER, B_XAVIER_NORMAL, B_KAIMING, B_KAIMING_NORMAL, B_ZEROS, B_ONES,
    B_SGD, B_ADAM, B_ADAMW, B_RMSPROP,
    B_LINEAR, B_COSINE, B_WARMUP, B_STEP_DECAY,
    B_COUNT
} BuiltinId;

/* params: the options in positional order, "name" required, "name=default"
 * optional; a default of "-" means "not given" (the code decides). */
typedef struct Builtin {
    const char *name;
    BuiltinKind kind;
    int tensors; /* tensor inputs; -1: two or more */
    const char *params;
} Builtin;


#define MAXPARAMS 12 /* options of one builtin */
/* A builtin's options after matching a call's arguments. */
typedef struct Args {
    int n;
    const char *name[MAXPARAMS];
    const char *defval[MAXPARAMS]; /* NULL: required */
    Val v[MAXPARAMS];
    bool given[MAXPARAMS];
    int ntensors;
    Val tensors[8];
    /* reshape: the dimensions */
    int nrest;
    Val rest[GENC_MAX_DIMS + 1];
} Args;


/* ---- sema.c: values, names, shapes, expressions ---- */

/* A copy of str that lives as long as the model. */
const char *sema_str(Sema *s, const char *str);
TExpr *sema_tx_new(Sema *s, TxKind kind, SrcLoc loc, Shape shape);
void sema_tx_kid(TExpr *t, TExpr *k);
TExpr *sema_tx_op(Sema *s, Op op, SrcLoc loc, Shape shape, TExpr *a, TExpr *b);
/* A number used where a tensor is expected becomes a scalar constant. */
TExpr *sema_as_tensor(Sema *s, Val v);
const char *sema_vkind_name(VKind k);
int sema_find_net(Sema *s, const char *name);
/* The binding of name in a scope (a list), or NULL. */
Binding *sema_lookup(Binding *b, const char *name);
void sema_unknown_name(Sema *s, const char *name, SrcLoc loc, const char *what);
/* Where only a net can stand: the hint is a net's name. */
void sema_unknown_net(Sema *s, const char *name, SrcLoc loc);
/* For a value of the wrong kind: true when it needs no message of its
 * own (an error already reported, or a word reported here as unknown). */
bool sema_kind_reported(Sema *s, Val v);
/* A whole number in 1..GENC_MAX_SIZE (0.. when zero_ok), into *out;
 * false after reporting why not. what names it in the message. */
bool sema_size_ok(Sema *s, Val v, const char *what, SrcLoc loc, int *out, bool zero_ok);
/* Whether v is a schedule's value (linear(...), cosine(...) ...). */
bool sema_is_schedule(Val v);
/* The same up to max. */
bool sema_whole_ok(Sema *s, Val v, const char *what, SrcLoc loc, bool zero_ok, int64_t max,
                   int64_t *out);
bool sema_shape_fits(Sema *s, Shape sh, SrcLoc loc);
bool sema_weights_fit(Sema *s, const char *layer, SrcLoc loc, int n, const int *dims);
/* A shape written as [a, b, c] (or a single number for a vector). */
bool sema_shape_of(Sema *s, Val v, Shape *out, bool batch);
bool sema_broadcast(Sema *s, Shape a, Shape b, Shape *out, SrcLoc loc);
/* The value of an expression; in is the value flowing in (flow says how). */
Val sema_eval(Sema *s, Ast *a, Flow flow, Val *in);
/* Whether a value depends on the weights of net n. */
bool texpr_uses_weights(const Model *m, const TExpr *t, int n);

/* ---- sema_builtins.c: the builtins and their arguments ---- */

Builtin sema_builtin(int id);
/* A builtin's id, or -1. */
int sema_find_builtin(const char *name);
int sema_builtin_names(const char **cand, int n, int cap);
/* Matches a call's arguments to builtin id: in is the value coming in (or
 * NULL). False after reporting a mismatch; loc names the builtin. */
bool sema_match_args(Sema *s, int id, Ast *call, Flow flow, Val *in, Args *ar, SrcLoc loc);
/* An option of a matched call, and whether the call gave it. */
Val *sema_opt(Args *ar, const char *name);
bool sema_given(Args *ar, const char *name);
bool sema_opt_int(Sema *s, Args *ar, const char *name, int *out, bool zero_ok);
bool sema_opt_real(Sema *s, Args *ar, const char *name, double lo, double hi, double *out);
Val sema_call_builtin(Sema *s, int id, Ast *call, Flow flow, Val *in, SrcLoc loc);

/* ---- sema_shapes.c: what a layer or function makes of its inputs ---- */

/* "G.deconv2": the next name for a layer of this kind in the current net */
const char *sema_layer_path(Sema *s, const char *kind);
Val sema_apply_layer(Sema *s, int id, Args *ar, SrcLoc loc, Ast *call);
/* a, b, c = split(x, axis, parts): the want parts of x, in parts[];
 * false (reported) on an error */
bool sema_split(Sema *s, Ast *call, Flow flow, Val *in, SrcLoc loc, int want, Val *parts);
Val sema_apply_op(Sema *s, Op op, Args *ar, SrcLoc loc);
Val sema_apply_func(Sema *s, int id, Args *ar, SrcLoc loc);
/* An elementwise op of two tensors with broadcasting; NULL after saying
 * that their shapes do not broadcast. */
TExpr *sema_binop(Sema *s, Op op, TExpr *a, TExpr *b, SrcLoc loc);

/* ---- sema_train.c: objectives and the train block ---- */

/* linear(0, 1, epochs: 10) ...: a scalar tensor whose value follows a
 * schedule (Model.scheds). */
Val sema_schedule(Sema *s, int id, Args *ar, SrcLoc loc);

void sema_check_objective(Sema *s, Decl *d);
void sema_check_train(Sema *s, Decl *d);
/* init: normal(0, 0.02), xavier, kaiming(slope: 0.2), zeros ... */
bool sema_init_of(Sema *s, Ast *a, Init *out);
void sema_setting_free(Setting *st);

#endif
