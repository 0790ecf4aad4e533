/* sema.h: semantic analysis, Program -> Model.
 *
 * Sema resolves every name, checks every call's arguments against the
 * layer or builtin it names, evaluates constants, instantiates blocks,
 * infers the shape of every value, and checks nets and objectives. Its
 * output is a typed expression tree per net output and per objective
 * (TExpr), in which every layer is resolved and every shape is known;
 * lower.c turns it into the graph IR. */
#ifndef GENC_SEMA_H
#define GENC_SEMA_H

#include "grammar/ast.h"
#include "grammar/diag.h"
#include "ir/graph.h"

typedef enum {
    TX_ARG,   /* a net's parameter; ival = its position */
    TX_DATA,  /* ival 0: images, 1: labels */
    TX_NOISE, /* ival = index into Model.noise */
    TX_NUM,   /* an unbatched scalar constant */
    TX_OP,    /* a graph op on kids; op and attr as in ops.h */
    TX_LAYER, /* a layer with weights; layer, spec and attr; kids[0] input */
    TX_CALL,  /* a net call; ival = net index, kids = arguments, out = output */
} TxKind;

/* Layers with weights. Their settings are a LayerSpec; the attributes
 * their ops take (conv's stride and padding, batchnorm's eps and
 * momentum) are already in Attrs form. */
typedef enum { LAYER_DENSE, LAYER_CONV, LAYER_DECONV, LAYER_BATCHNORM, LAYER_LAYERNORM,
               LAYER_EMBEDDING, LAYER_SCALE, LAYER_GROUPNORM } LayerKind;

typedef struct LayerSpec {
    int units;                 /* dense: outputs; conv, deconv: filters */
    bool bias;                 /* dense, conv, deconv */
    bool spectral_norm;        /* dense, conv, deconv: the weight divided by its sigma */
    int kernel[2];             /* conv, deconv: the kernel's height and width */
    bool one_d;                /* conv, deconv: conv1d, deconv1d ([C, L], kernel height 1) */
    int vocabulary, dimension; /* embedding */
    int groups;                /* groupnorm (instancenorm: one per channel); layernorm: the
                                * rows normalised alone (1: the whole example) */
    bool affine;               /* groupnorm: with a scale and shift per channel */
} LayerSpec;

typedef struct TExpr {
    TxKind kind;
    Op op;
    LayerKind layer;
    int ival, out;
    Attrs attr;     /* TX_OP: the op's; TX_LAYER: its ops'; TX_NUM: value */
    LayerSpec spec; /* TX_LAYER */
    Init init;      /* a layer's init: option (INIT_DEFAULT if none) */
    int layer_id;   /* a layer's index in Model.layers */
    int id;         /* its index in Model.all, for passes that mark nodes */
    Shape shape;
    SrcLoc loc;
    const char *path; /* the net, block or layer it belongs to */
    int nkids;
    struct TExpr **kids;
} TExpr;

/* A layer with weights, as written once in a net (a block used twice is
 * two layers): lowering creates its parameters once, whoever calls the net. */
typedef struct Layer {
    char *path; /* "G.deconv2" */
    int net;
} Layer;

typedef struct Net {
    char *name;
    SrcLoc loc;
    int nargs;
    char **argname;
    Shape *argshape;
    int nouts;
    char **outname; /* NULL entries for a single unnamed output */
    Shape *outshape;
    TExpr **outs;
    int nlayers;    /* layers with weights written in this net's body */
    int player;     /* index into Model.players, -1 if none */
} Net;

/* One objective as written: `min A max B: value`. */
typedef struct Objective {
    int nmin, nmax;
    int *min, *max;      /* net indices */
    TExpr *value;
    bool nonsaturating;
    SrcLoc loc;
} Objective;

/* Training settings of one player (a net), from the train block. */
typedef struct Player {
    int net;
    Setting optim;
    int every;
    double clip, grad_clip;
    bool lr_scheduled;
    int lr_sched;   /* when scheduled: its learning rate's, in Model.scheds */
    double ema;     /* the decay of the average of its weights; 0: none */
} Player;

typedef struct Model {
    const char *file;
    Net *nets;
    int nnets;
    Layer *layers;
    int nlayers;
    Noise *noise;
    int nnoise;
    DataSrc *data;
    Objective *objs;
    int nobjs;
    TExpr *sample;  /* what `genc sample` draws, NULL if the model has none */
    TExpr *judge;   /* class probabilities: the first cross_entropy's input */
    TExpr *encode;  /* a data example's code, for genc sample --interpolate */
    int batch, epochs;
    uint64_t seed;
    uint64_t ema_start; /* averaging starts at this training step */
    Init init;
    Player *players; /* per net, indexed by Net.player */
    int nplayers;
    Schedule *scheds; /* learning rates' and constants' (graph.h) */
    int nscheds;
    /* everything above points into these, freed by sema_free */
    TExpr **all;
    int nall;
    char **strs;
    int nstrs;
} Model;

/* Returns NULL (errors reported to diag) or the checked model. */
Model *sema_check(Diag *diag, Program *prog, const char *file);
void sema_free(Model *m);

/* Whether t depends on net n, through calls of nets that call it too. */
bool texpr_uses_net(const Model *m, const TExpr *t, int n);

#endif
