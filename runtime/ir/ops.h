/* ops.h: every operation of the graph IR, and every attribute an operation
 * can carry, each defined once.
 *
 * The op table is one X-macro in sections, one per kind of op:
 *   GENC_LEAF_OPS    no inputs: data, noise, parameters, constants
 *   GENC_UNARY_OPS   elementwise on one input, output shape = input shape;
 *                    one kernel runs them all (k_unary, kernels.h)
 *   GENC_BINARY_OPS  elementwise on two inputs with numpy broadcasting
 *                    (k_binary)
 *   GENC_OTHER_OPS   everything else a model computes
 *   GENC_GRAD_OPS    fused gradients, added by autodiff (inputs: dy first,
 *                    then what the rule needs)
 * A row is X(name, arity, attrs, entry, lang, doc):
 *   arity  the number of inputs (-1: any number)
 *   attrs  the op's attributes, A(stride) | A(pad): which fields of Attrs
 *          (graph.h) mean something for it; they are printed by
 *          `genc graph`, hashed for checkpoints and compared by CSE, in
 *          GENC_ATTRS order, and only they
 *   entry  how a backend runs it: the backends' dispatch has one function
 *          per entry (exec/cpu.c, run_<entry>); ops that share one share
 *          code (every unary op is run_unary)
 *   lang   NONE, or FN(name, options, fold, shape) when a .g file calls
 *          the op as a function: its options ("slope=0.01": the attribute
 *          of that name, with its default), a C function of a double that
 *          folds a call on a number (NULL: none), and its shape rule
 *          (OpShape below). Sema makes its builtins from these.
 *   doc    what it computes
 * From the table come the Op enum, op_info[], the unary and binary kernel
 * enums, the backends' dispatch tables and the language's op builtins.
 * Gradient rules (autodiff.c) switch over Op with no default, and the
 * build has -Werror=switch: a new op does not compile until it has one.
 * Checkpoints hash ops by name (graph_hash), so the order of the rows is
 * free. */
#ifndef GENC_OPS_H
#define GENC_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/limits.h"

#define GENC_LEAF_OPS(X)                                                                   \
    X(input, 0, A(data), leaf, NONE, "the batch's images or labels")                       \
    X(noise, 0, A(noise), leaf, NONE, "a noise source, drawn each step")                   \
    X(param, 0, A(param), leaf, NONE, "a parameter")                                       \
    X(const, 0, A(value), constant, NONE, "an unbatched scalar")                         \
    X(scheduled, 0, A(sched), scheduled, NONE, "a schedule's value at this step (Graph.scheds)")

#define GENC_UNARY_OPS(X)                                                                  \
    X(neg, 1, 0, unary, NONE, "-x")                                                        \
    X(exp, 1, 0, unary, FN("exp", "", exp, SAME), "e^x")                                   \
    X(log, 1, 0, unary, FN("log", "", log, SAME), "natural log")                           \
    X(sqrt, 1, 0, unary, FN("sqrt", "", sqrt, SAME), "square root")                        \
    X(abs, 1, 0, unary, FN("abs", "", fabs, SAME), "|x|")                                  \
    X(sin, 1, 0, unary, FN("sin", "", sin, SAME), "sine")                                  \
    X(cos, 1, 0, unary, FN("cos", "", cos, SAME), "cosine")                                \
    X(sign, 1, 0, unary, NONE, "-1, 0 or 1")                                               \
    X(powc, 1, A(exponent), unary, NONE, "x^exponent; 2 and 0.5 are fast paths")           \
    X(relu, 1, 0, unary, FN("relu", "", NULL, SAME), "max(x, 0)")                          \
    X(leaky_relu, 1, A(slope), unary, FN("leaky_relu", "slope=0.01", NULL, SAME),          \
      "x, or slope*x below 0")                                                             \
    X(elu, 1, A(alpha), unary, FN("elu", "alpha=1", NULL, SAME), "x, or alpha*(e^x - 1) below 0") \
    X(tanh, 1, 0, unary, FN("tanh", "", NULL, SAME), "hyperbolic tangent")                 \
    X(sigmoid, 1, 0, unary, FN("sigmoid", "", NULL, SAME), "1 / (1 + e^-x), stable")       \
    X(softplus, 1, 0, unary, FN("softplus", "", NULL, SAME), "log(1 + e^x), stable")       \
    X(gelu, 1, 0, unary, FN("gelu", "", NULL, SAME), "x * Phi(x), exact")                  \
    X(log_sigmoid, 1, 0, unary, FN("log_sigmoid", "", NULL, SAME), "log(sigmoid(x)), stable")

#define GENC_BINARY_OPS(X)                                                                 \
    X(add, 2, 0, binary, NONE, "a + b")                                                    \
    X(sub, 2, 0, binary, NONE, "a - b")                                                    \
    X(mul, 2, 0, binary, NONE, "a * b")                                                    \
    X(div, 2, 0, binary, NONE, "a / b")

#define GENC_OTHER_OPS(X)                                                                  \
    /* losses: elementwise on two inputs of one shape */                                   \
    X(bce, 2, 0, bce, NONE, "-(t log p + (1-t) log(1-p)), logs clamped at -100")           \
    X(bce_logits, 2, 0, bce_logits, NONE, "bce(sigmoid(a), t), stable")                    \
    X(kl_normal, 2, 0, kl_normal, NONE, "KL(N(mu, e^logvar) || N(0, 1)) per element")      \
    /* reductions and their adjoints */                                                    \
    X(sum, 1, 0, sum, NONE, "sum over each example's elements (all if unbatched)")         \
    X(mean, 1, 0, mean, NONE, "mean over each example's elements")                         \
    X(batch_mean, 1, 0, batch_mean, NONE, "E[x]: mean over the batch of one value per example") \
    X(sum_to, 1, 0, sum_to, NONE, "sum broadcast dims away, to this node's shape")         \
    X(expand, 1, A(scale) | A(per_batch), expand, NONE,                                    \
      "broadcast to this node's shape, times scale (divided by B if per_batch)")           \
    /* layers */                                                                           \
    X(matmul, 2, A(ta) | A(tb), matmul, NONE, "op(a) op(b), op transposing when ta, tb")   \
    X(conv2d, 2, A(stride) | A(pad) | A(dilation), conv, NONE, "x[B,C,H,W] * w[K,C,R,S]")  \
    X(deconv2d, 2, A(stride) | A(pad) | A(outpad) | A(dilation), conv, NONE,               \
      "x[B,C,H,W] transposed-convolved with w[C,K,R,S]")                                   \
    X(batchnorm, 1, A(state) | A(eps) | A(momentum), batchnorm, NONE,                      \
      "normalise per channel; the running statistics are layer state")                     \
    X(layernorm, 1, A(eps), layernorm, NONE, "normalise each example")                     \
    X(spectral_sigma, 1, A(state) | A(axis), spectral_sigma, NONE,                         \
      "w: its largest singular value, by a power iteration each run in training (u, v: state)") \
    X(dropout, 1, A(p) | A(stream), dropout, NONE, "inverted dropout; the mask's stream")  \
    X(maxpool, 1, A(kernel) | A(stride), maxpool, NONE, "max over kernel x kernel windows") \
    X(avgpool, 1, A(kernel) | A(stride), avgpool, NONE, "mean over kernel x kernel windows") \
    X(upsample, 1, A(factor), upsample, NONE, "nearest neighbour, by factor")              \
    X(upsample_bilinear, 1, A(factor), upsample, NONE,                            \
      "bilinear, by factor (PyTorch's align_corners=False)")                               \
    X(reshape, 1, 0, reshape, NONE, "same elements, this node's shape")                    \
    X(permute, 1, A(perm), permute, NONE,                                                  \
      "the per-example axes reordered: axis i of the result is axis perm[i] of x")         \
    X(batch_matmul, 2, A(ta) | A(tb), batch_matmul, NONE,                                  \
      "op(a) op(b) for each index of the axes before the last two, op transposing "        \
      "the last two when ta, tb; an unbatched [m, n] operand or result is shared "         \
      "by all of them (a result: summed over them)")                                       \
    X(concat, -1, A(axis), concat, NONE, "join along a per-example axis")                  \
    X(slice, 1, A(axis) | A(from), slice, NONE, "part of a per-example axis, from `from`") \
    X(max_last, 1, 0, max_last, NONE, "the largest value along the last axis, as an axis of 1") \
    X(tril, 1, A(value), tril, NONE,                                                       \
      "x on and below the diagonal of its last two axes, value above it")                  \
    X(embedding, 2, 0, embedding, NONE, "ids[B] table[V,D] -> [B,D]")                      \
    X(onehot, 1, A(classes), onehot, FN("onehot", "classes", NULL, ONEHOT), "ids[B] -> [B,classes]") \
    X(softmax, 1, 0, softmax, NONE, "over the last axis")                                  \
    X(log_softmax, 1, 0, log_softmax, NONE, "over the last axis, stable")                  \
    /* a gradient inside an objective: autodiff replaces it by its nodes */                \
    X(grad, 2, 0, grad, NONE, "y, x: dy/dx (x's shape) of y, one value per example or a scalar")

#define GENC_GRAD_OPS(X)                                                                   \
    X(relu_grad, 2, 0, relu_grad, NONE, "dy, y (y > 0 iff x > 0)")                         \
    X(leaky_relu_grad, 2, A(slope), leaky_relu_grad, NONE, "dy, y (slope >= 0)")           \
    X(elu_grad, 2, A(alpha), elu_grad, NONE, "dy, x")                                      \
    X(tanh_grad, 2, 0, tanh_grad, NONE, "dy, y")                                           \
    X(sigmoid_grad, 2, 0, sigmoid_grad, NONE, "dy, y")                                     \
    X(gelu_grad, 2, 0, gelu_grad, NONE, "dy, x")                                           \
    X(bce_grad, 3, 0, bce_grad, NONE, "dy, p, t: d/dp")                                    \
    X(bce_logits_grad, 3, 0, bce_logits_grad, NONE, "dy, a, t: d/da")                      \
    X(conv2d_wgrad, 2, A(stride) | A(pad) | A(dilation), conv, NONE,                       \
      "x, dy -> dw of this node's shape")                                                  \
    X(batchnorm_grad, 2, 0, batchnorm_grad, NONE, "dy, the batchnorm node")                \
    X(layernorm_grad, 2, 0, layernorm_grad, NONE, "dy, the layernorm node")                \
    X(spectral_sigma_grad, 2, A(state) | A(axis), spectral_sigma_grad, NONE,               \
      "dy, w: dy u v^T in w's layout (u, v: the state, constants)")                        \
    X(maxpool_grad, 3, A(kernel) | A(stride), maxpool_grad, NONE, "dy, x, y")              \
    X(maxpool_pick, 3, A(kernel) | A(stride), maxpool_pick, NONE,                          \
      "g, x, y: g at the maximum of each window of x (maxpool_grad's adjoint)")            \
    X(avgpool_grad, 1, A(kernel) | A(stride), avgpool_grad, NONE, "dy; this node has x's shape") \
    X(upsample_grad, 1, A(factor), upsample_grad, NONE, "dy; sums each factor x factor block") \
    X(upsample_bilinear_grad, 1, A(factor), upsample_grad, NONE,                  \
      "dy; upsample_bilinear's adjoint (this node has x's shape)")                         \
    X(max_last_grad, 2, 0, max_last_grad, NONE,                                            \
      "dy, x: dy at the first maximum of each row (last axis) of x, 0 elsewhere")          \
    X(max_last_pick, 2, 0, max_last_pick, NONE,                                            \
      "g, x: g at the first maximum of each row of x (max_last_grad's adjoint)")           \
    X(embedding_grad, 2, 0, embedding_grad, NONE, "dy, ids -> dtable")                     \
    X(softmax_grad, 2, 0, softmax_grad, NONE, "dy, y")                                     \
    X(log_softmax_grad, 2, 0, log_softmax_grad, NONE, "dy, y")

#define GENC_OPS(X) GENC_LEAF_OPS(X) GENC_UNARY_OPS(X) GENC_BINARY_OPS(X) GENC_OTHER_OPS(X) \
    GENC_GRAD_OPS(X)

/* The attributes: X(type, name, dims, print, lo, hi, doc). dims is empty
 * for one value or [2] for a (height, width) pair. print says how
 * `genc graph` shows it (AttrPrint). lo and hi bound a real attribute
 * given in a .g file (an op's option); whole-number options must be
 * positive. */
#define GENC_ATTRS(X)                                                                      \
    X(int, data, , PRINT_DATA, 0, 0, "input: 0 the images, 1 the labels")                  \
    X(int, noise, , PRINT_NOISE, 0, 0, "noise: the source (Graph.noise)")                  \
    X(int, param, , PRINT_PARAM, 0, 0, "param: the parameter (Graph.params)")              \
    X(double, value, , PRINT_BARE, 0, 0, "const: the value; tril: above the diagonal")                               \
    X(double, exponent, , PRINT_NAMED, 0, 0, "powc: x^exponent")                           \
    X(double, slope, , PRINT_NAMED, 0, 1e6, "leaky_relu: the slope below 0")               \
    X(double, alpha, , PRINT_NAMED, 0, 1e6, "elu: the scale below 0")                      \
    X(double, scale, , PRINT_NAMED, 0, 0, "expand: a factor")                              \
    X(int, per_batch, , PRINT_PER_B, 0, 0, "expand: the factor is divided by B")           \
    X(int, ta, , PRINT_FLAG, 0, 0, "matmuls: the first operand transposed")                \
    X(int, tb, , PRINT_FLAG, 0, 0, "matmuls: the second operand transposed")               \
    X(int, kernel, , PRINT_NAMED, 0, 0, "pooling: the window's size")                      \
    X(int, stride, [2], PRINT_NAMED, 0, 0, "convolutions, pooling: step (height, width)")  \
    X(int, pad, [2], PRINT_NAMED, 0, 0, "convolutions: zero padding on each side")         \
    X(int, outpad, [2], PRINT_NAMED, 0, 0, "deconv2d: extra rows and columns at the end")  \
    X(int, dilation, [2], PRINT_UNLESS_ONE, 0, 0, "convolutions: the kernel's taps this far "  \
      "apart (1: next to each other)")                                                     \
    X(int, state, , PRINT_STATE, 0, 0, "batchnorm, spectral_sigma: its layer state")       \
    X(double, eps, , PRINT_NAMED, 0, 0, "normalisation: added to the variance")            \
    X(double, momentum, , PRINT_NAMED, 0, 0, "batchnorm: of the running statistics")       \
    X(double, p, , PRINT_NAMED, 0, 0, "dropout: the probability of dropping")              \
    X(int, stream, , PRINT_NAMED, 0, 0, "dropout: the mask's stream of random numbers")    \
    X(int, factor, , PRINT_NAMED, 0, 0, "upsamplings: the factor")                            \
    X(int, axis, , PRINT_NAMED, 0, 0, "concat, slice: the per-example axis; spectral_sigma: " \
      "w's axis of rows")                                                                  \
    X(int, from, , PRINT_NAMED, 0, 0, "slice: the first index taken")                      \
    X(int, classes, , PRINT_NAMED, 0, 0, "onehot: the number of classes")                  \
    X(int, sched, , PRINT_SCHED, 0, 0, "scheduled: the schedule (Graph.scheds)")         \
    X(int, perm, [GENC_MAX_DIMS], PRINT_AXES, 0, 0, "permute: the input axis of each output axis")

typedef enum {
#define GENC_OP_ENUM(name, arity, attrs, entry, lang, doc) OP_##name,
    GENC_OPS(GENC_OP_ENUM)
#undef GENC_OP_ENUM
    OP_COUNT
} Op;

typedef enum {
#define GENC_ATTR_ENUM(type, name, dims, print, lo, hi, doc) ATTR_##name,
    GENC_ATTRS(GENC_ATTR_ENUM)
#undef GENC_ATTR_ENUM
    ATTR_COUNT
} AttrId;
_Static_assert(ATTR_COUNT <= 32, "an op's attributes are a 32-bit mask");

/* An op's attributes as a mask, for the table's attrs column. */
#define A(name) (1u << ATTR_##name)

/* The named attributes of a node: an op reads the fields its row lists
 * and leaves the others zero. */
typedef struct Attrs {
#define GENC_ATTR_FIELD(type, name, dims, print, lo, hi, doc) type name dims;
    GENC_ATTRS(GENC_ATTR_FIELD)
#undef GENC_ATTR_FIELD
} Attrs;

typedef enum { OPK_LEAF, OPK_UNARY, OPK_BINARY, OPK_OTHER, OPK_GRAD } OpKind;

/* How a .g file's call of an op gets its shape (grammar/sema_shapes.c). */
typedef enum {
    SHAPE_NONE,        /* not a function of the language */
    SHAPE_SAME,        /* the input's */
    SHAPE_ONEHOT,      /* one class index per example -> [classes] */
} OpShape;

typedef struct OpInfo {
    const char *name;
    int arity;
    OpKind kind;
    unsigned attrs;       /* A(...) mask */
    const char *doc;
    /* in the language (NULL lang: not a function of .g files) */
    const char *lang, *options;
    double (*fold)(double); /* a call on a number, computed by sema */
    OpShape shape;
} OpInfo;

extern const OpInfo op_info[OP_COUNT];

/* How `genc graph` prints an attribute. */
typedef enum {
    PRINT_NAMED, /* name=value, or name=h,w for a pair that differs */
    PRINT_UNLESS_ONE, /* as PRINT_NAMED, but only when not 1; nor is it hashed then, so
                       * that adding the attribute left older graphs and checkpoints as
                       * they were */
    PRINT_BARE,  /* the value alone */
    PRINT_FLAG,  /* the name when non-zero, else nothing */
    PRINT_PER_B, /* "/B" right after the attribute before it, when non-zero */
    PRINT_DATA,  /* images or labels */
    PRINT_NOISE, /* the noise source's name */
    PRINT_PARAM, /* the parameter's path */
    PRINT_STATE, /* state=the layer state's path */
    PRINT_SCHED, /* the schedule, as written */
    PRINT_AXES,  /* name=a,b,c: one entry per axis of the node */
} AttrPrint;

typedef struct AttrInfo {
    const char *name;
    bool real;        /* double, else int */
    int count;        /* 1, or 2 for a pair */
    size_t offset;    /* in Attrs */
    AttrPrint print;
    double lo, hi;    /* a real option's bounds in a .g file */
} AttrInfo;

extern const AttrInfo attr_info[ATTR_COUNT];

/* Component k of attribute a of x, as a double (ints are exact). */
double attr_get(const Attrs *x, AttrId a, int k);
void attr_set(Attrs *x, AttrId a, int k, double v);

#endif
