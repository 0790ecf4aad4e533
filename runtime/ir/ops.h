/* ops.h: every operation of the graph IR, defined once.
 *
 * X(name, arity, kind, doc): arity is the number of inputs (-1: any number);
 * kind says how the op's shape and kernels behave:
 *   LEAF  no inputs (data, noise, parameters, constants)
 *   UNARY elementwise on one input, output shape = input shape
 *   BIN   elementwise on two inputs with broadcasting
 *   GRAD  a fused gradient op added by autodiff
 *   OTHER anything else
 * Attributes live in Node.ia[] / Node.fa[]; the doc column names them.
 * Gradient rules are in autodiff.c, kernels in kernels/, shape rules in
 * graph.c; all switch over this table, so a new op fails to compile until
 * each place knows it (-Wswitch). */
#ifndef GENC_OPS_H
#define GENC_OPS_H

#define GENC_OPS(X)                                                                   \
    /* leaves */                                                                      \
    X(input, 0, LEAF, "ia0: data slot (0 images, 1 labels)")                          \
    X(noise, 0, LEAF, "ia0: noise source index")                                      \
    X(param, 0, LEAF, "ia0: parameter index")                                         \
    X(const, 0, LEAF, "fa0: the value (an unbatched scalar)")                         \
    /* elementwise, one input */                                                      \
    X(neg, 1, UNARY, "-x")                                                            \
    X(exp, 1, UNARY, "e^x")                                                           \
    X(log, 1, UNARY, "natural log")                                                   \
    X(sqrt, 1, UNARY, "square root")                                                  \
    X(abs, 1, UNARY, "|x|")                                                           \
    X(sign, 1, UNARY, "-1, 0 or 1")                                                   \
    X(powc, 1, UNARY, "x^fa0 for a constant exponent fa0")                            \
    X(relu, 1, UNARY, "max(x, 0)")                                                    \
    X(leaky_relu, 1, UNARY, "x or fa0*x below 0")                                     \
    X(elu, 1, UNARY, "x or fa0*(e^x - 1) below 0")                                    \
    X(tanh, 1, UNARY, "hyperbolic tangent")                                           \
    X(sigmoid, 1, UNARY, "1 / (1 + e^-x)")                                            \
    X(softplus, 1, UNARY, "log(1 + e^x)")                                             \
    X(gelu, 1, UNARY, "x * Phi(x), exact")                                            \
    X(log_sigmoid, 1, UNARY, "log(sigmoid(x)), stable")                               \
    /* elementwise, two inputs, numpy broadcasting */                                 \
    X(add, 2, BIN, "a + b")                                                           \
    X(sub, 2, BIN, "a - b")                                                           \
    X(mul, 2, BIN, "a * b")                                                           \
    X(div, 2, BIN, "a / b")                                                           \
    X(bce, 2, BIN, "-(t log p + (1-t) log(1-p)), logs clamped at -100")               \
    X(bce_logits, 2, BIN, "bce(sigmoid(a), t), stable")                               \
    X(kl_normal, 2, BIN, "KL(N(mu, e^logvar) || N(0, 1)) per element")                \
    /* reductions and their adjoints */                                               \
    X(sum, 1, OTHER, "sum over each example's elements (all if unbatched)")           \
    X(mean, 1, OTHER, "mean over each example's elements")                            \
    X(batch_mean, 1, OTHER, "E[x]: mean over the batch of one value per example")     \
    X(sum_to, 1, OTHER, "sum broadcast dims away, to this node's shape")              \
    X(expand, 1, OTHER, "broadcast to this node's shape, times fa0 (/B if ia0)")      \
    /* layers */                                                                      \
    X(matmul, 2, OTHER, "op(a) op(b); ia0: transpose a, ia1: transpose b")            \
    X(conv2d, 2, OTHER, "x[B,C,H,W] w[K,C,R,S]; ia0,1 stride; ia2,3 pad")             \
    X(deconv2d, 2, OTHER, "x[B,C,H,W] w[C,K,R,S]; stride, pad, ia4,5 out pad")        \
    X(batchnorm, 1, OTHER, "normalise per channel; ia0 state index; fa0 eps, fa1 mom") \
    X(layernorm, 1, OTHER, "normalise each example; fa0 eps")                         \
    X(dropout, 1, OTHER, "inverted dropout, fa0 = p, ia0 = mask stream")              \
    X(maxpool, 1, OTHER, "ia0 kernel, ia1 stride")                                    \
    X(avgpool, 1, OTHER, "ia0 kernel, ia1 stride")                                    \
    X(upsample, 1, OTHER, "nearest neighbour, ia0 factor")                            \
    X(reshape, 1, OTHER, "same elements, this node's shape")                          \
    X(concat, -1, OTHER, "join along per-example axis ia0")                           \
    X(slice, 1, OTHER, "per-example axis ia0, from ia1, this node's shape")           \
    X(embedding, 2, OTHER, "ids[B] table[V,D] -> [B,D]")                              \
    X(onehot, 1, OTHER, "ids[B] -> [B,ia0]")                                          \
    X(softmax, 1, OTHER, "over the last axis")                                        \
    X(log_softmax, 1, OTHER, "over the last axis, stable")                            \
    /* fused gradients (inputs: dy first, then what the rule needs) */                \
    X(relu_grad, 2, GRAD, "dy, y (y > 0 iff x > 0)")                                  \
    X(leaky_relu_grad, 2, GRAD, "dy, y (slope >= 0); fa0 slope")                      \
    X(elu_grad, 2, GRAD, "dy, x; fa0 alpha")                                          \
    X(tanh_grad, 2, GRAD, "dy, y")                                                    \
    X(sigmoid_grad, 2, GRAD, "dy, y")                                                 \
    X(gelu_grad, 2, GRAD, "dy, x")                                                    \
    X(bce_grad, 3, GRAD, "dy, p, t: d/dp")                                            \
    X(bce_logits_grad, 3, GRAD, "dy, a, t: d/da")                                     \
    X(conv2d_wgrad, 2, GRAD, "x, dy -> dw of this node's shape; conv attrs")          \
    X(batchnorm_grad, 2, GRAD, "dy, the batchnorm node")                              \
    X(layernorm_grad, 2, GRAD, "dy, the layernorm node")                              \
    X(maxpool_grad, 3, GRAD, "dy, x, y")                                              \
    X(avgpool_grad, 1, GRAD, "dy; shape of x")                                        \
    X(upsample_grad, 1, GRAD, "dy; sums each factor x factor block")                  \
    X(embedding_grad, 2, GRAD, "dy, ids -> dtable")                                   \
    X(softmax_grad, 2, GRAD, "dy, y")                                                 \
    X(log_softmax_grad, 2, GRAD, "dy, y")

typedef enum {
#define GENC_OP_ENUM(name, arity, kind, doc) OP_##name,
    GENC_OPS(GENC_OP_ENUM)
#undef GENC_OP_ENUM
    OP_COUNT
} Op;

typedef enum { OPK_LEAF, OPK_UNARY, OPK_BIN, OPK_GRAD, OPK_OTHER } OpKind;

typedef struct OpInfo {
    const char *name;
    int arity;
    OpKind kind;
    const char *doc;
} OpInfo;

extern const OpInfo op_info[OP_COUNT];

#endif
