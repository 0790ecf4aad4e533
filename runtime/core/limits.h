/* limits.h: the limits a user can meet, in one place.
 *
 * Each is checked where a model file or a command could go past it, with a
 * message that names it (for a .g file, at the line that does): none is a
 * crash. Most are far beyond any model a CPU trains; they exist so that a
 * hostile or generated file costs bounded time, stack and memory. */
#ifndef GENC_LIMITS_H
#define GENC_LIMITS_H

/* ---- a .g file (the front end) ---- */
#define GENC_MAX_SOURCE_BYTES (64L << 20) /* a model file; larger is not a model */
#define GENC_MAX_ERRORS 50         /* diagnostics before the compiler stops */
#define GENC_MAX_DEPTH 200         /* operations nested in one expression */
/* Names are looked up in lists, quick for any model a person writes; this
 * bounds the time a generated file of a million lines takes. */
#define GENC_MAX_STATEMENTS 10000  /* declarations and statements */
/* Lowering recurses along chains of operations, so this also bounds its
 * stack depth; blocks using blocks stop here, not after exponential work. */
#define GENC_MAX_OPERATIONS 10000  /* typed operations, blocks expanded */
#define GENC_MAX_BLOCK_DEPTH 64    /* blocks used inside blocks */
#define GENC_MAX_ARGS 32           /* arguments of one call */
#define GENC_MAX_LIST 8            /* numbers in a list [a, b, ...] */
#define GENC_MAX_NET_INPUTS 16     /* inputs of a net */
#define GENC_MAX_DIMS 4            /* per-example dimensions of a tensor */
/* Large enough for any model a CPU trains, small enough that every product
 * of sizes fits an int64 without overflow. */
#define GENC_MAX_SIZE 1000000000   /* one dimension, one size or count */
#define GENC_MAX_COUNT 2000000000  /* values of one example, or of one weight tensor */
/* The executor keeps a plan per combination of phases a step can run. */
#define GENC_MAX_PHASES 6          /* phases of training: one per side of each objective */
#define GENC_MAX_STEPS 1000        /* a player's steps in `steps D: 5, G: 1` */

#define GENC_MAX_SEED 4000000000LL /* the seed of a run */
#define GENC_MAX_BATCH 65536       /* batch N, --batch */
#define GENC_MAX_EPOCHS 1000000    /* epochs N, --epochs */
#define GENC_MAX_LR 1e6            /* a learning rate: --lr, lr, an optimizer's lr: */
#define GENC_MAX_VOCABULARY 65535  /* characters of a text: its indices are kept in 16 bits */
#define GENC_MAX_IMAGE_PIXELS (1 << 26) /* an image file of an image folder (a 64-megapixel photo) */
#define GENC_MAX_MEDIA_BYTES (1LL << 30) /* an image or WAV file of a folder */
#define GENC_MAX_TEXT_BYTES (1LL << 28)  /* a text() file (it takes about 9 times its size) */
#define GENC_MAX_WAV_CHANNELS 64         /* channels of a WAV file, averaged to one */

/* ---- the command line ---- */
#define GENC_MAX_SETS 64           /* --set options */
#define GENC_MAX_PATH 1000         /* a path on the command line (genc adds file names to it) */
#define GENC_MAX_SAMPLES 100000    /* images of one genc sample (--n, --grid) */

#endif
