/* f64_gradcheck_ops.c: a finite-difference check of every op's gradient,
 * through the whole pipeline (float64 build).
 *
 * Each case is a tiny model that puts one op (or loss) between layers with
 * weights: the gradients of the weights before the op pass through the
 * op's backward rule (autodiff.c) and kernel (kernels/), those after it
 * check the forward. Inputs come from noise sources drawn once; the
 * objective is usually E[sum(F(x) * r)] with r a random direction. Every
 * case runs at batch sizes 1 and 3; every parameter of the model is
 * checked against central differences, relative error below 1e-6.
 *
 * The second-order cases take the same kind of model inside grad: the
 * objective E[sum(grad(sum(F(x) * r), x) * s)] is the first-order
 * gradient of the input, so its gradients with respect to the weights go
 * through the second derivative of every op in F (autodiff.c's rules for
 * the fused gradient ops), checked against central differences of that
 * first-order gradient. A third-order case nests grad twice. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "passes/compile.h"
#include "exec/exec.h"
#include "core/pool.h"
#include "exec/rng.h"
#include "compiled.h"
#include "scratch.h"

typedef struct Case {
    const char *name;
    const char *src;
} Case;

/* x: [5] input; r: random direction of the output's shape */
#define VEC(out, body)                                                               \
    "x ~ normal(5)\nr ~ normal(" out ")\nnet F(x: [5]) -> " out " {\n" body          \
    "\n}\nmin F: E[sum(F(x) * r)]\n"
/* x: an image-like input */
#define IMG(in, out, body)                                                           \
    "x ~ normal(" in ")\nr ~ normal(" out ")\nnet F(x: " in ") -> " out " {\n" body  \
    "\n}\nmin F: E[sum(F(x) * r)]\n"

/* a residual block and SAGAN's attention block (docs/language.md's, with
 * the last conv at its default initialisation: from zeros, the weights
 * before it would have no gradient to check) */
#define BLOCKS                                                                       \
    "block res(c)(x) {\nh = conv(c, 3) -> tanh -> conv(c, 3)\nx + h\n}\n"            \
    "block attention()(x) {\nc = size(x, 0)\nn = size(x, 1) * size(x, 2)\n"          \
    "q = conv(x, c / 8, 1) -> reshape(c / 8, n)\nk = conv(x, c / 8, 1) -> reshape(c / 8, n)\n" \
    "v = conv(x, c / 2, 1) -> reshape(c / 2, n)\n"                                   \
    "a = softmax(matmul(transpose(q), k), axis: -1)\n"                               \
    "o = matmul(v, transpose(a)) -> reshape(c / 2, size(x, 1), size(x, 2))\n"        \
    "x + conv(o, c, 1)\n}\n"

static const Case cases[] = {
    {"dense", VEC("[4]", "dense(4)")},
    {"relu", VEC("[3]", "dense(6) -> relu -> dense(3)")},
    {"leaky_relu", VEC("[3]", "dense(6) -> leaky_relu(0.2) -> dense(3)")},
    {"elu", VEC("[3]", "dense(6) -> elu(0.7) -> dense(3)")},
    {"tanh", VEC("[3]", "dense(6) -> tanh -> dense(3)")},
    {"sigmoid", VEC("[3]", "dense(6) -> sigmoid -> dense(3)")},
    {"softplus", VEC("[3]", "dense(6) -> softplus -> dense(3)")},
    {"gelu", VEC("[3]", "dense(6) -> gelu -> dense(3)")},
    {"log_sigmoid", VEC("[3]", "dense(6) -> log_sigmoid -> dense(3)")},
    {"exp", VEC("[4]", "dense(4) -> exp")},
    {"log", VEC("[4]", "dense(4) -> softplus -> log")},
    {"sqrt", VEC("[4]", "dense(4) -> softplus -> sqrt")},
    {"abs", VEC("[4]", "dense(4) -> abs")},
    {"sin", VEC("[3]", "dense(6) -> sin -> dense(3)")},
    {"cos", VEC("[3]", "dense(6) -> cos -> dense(3)")},
    {"sin_cos_product", VEC("[4]", "h = dense(x, 4)\nsin(h) * cos(h) * cos(2) + sin(1)")},
    {"neg", VEC("[4]", "h = dense(x, 4)\n-h")},
    {"powc_2", VEC("[4]", "h = dense(x, 4)\nh ^ 2")},
    {"powc_3", VEC("[4]", "h = dense(x, 4)\nh ^ 3")},
    {"powc_half", VEC("[4]", "h = dense(x, 4) -> softplus\nh ^ 0.5")},
    {"add_sub", VEC("[4]", "a = dense(x, 4)\nb = dense(x, 4)\na - b + a")},
    {"mul_div", VEC("[4]", "a = dense(x, 4)\nb = dense(x, 4) -> softplus\na * b / (b + 1)")},
    {"broadcast_rows", VEC("[4]", "a = dense(x, 4)\nb = dense(x, 1)\na * b + a / (b * b + 1) - b")},
    {"broadcast_inner", VEC("[2, 3]", "a = dense(x, 6) -> reshape(2, 3)\nb = dense(x, 3)\na * b - b")},
    {"broadcast_const", VEC("[4]", "a = dense(x, 4)\n2 * a - 1 / (a * a + 3)")},
    {"conv_s1_same", IMG("[2, 5, 5]", "[3, 5, 5]", "conv(3, 3)")},
    {"conv_s2_valid_odd", IMG("[2, 9, 7]", "[3, 4, 3]", "conv(3, 3, stride: 2, padding: valid)")},
    {"conv_s2_pad1_k4", IMG("[2, 8, 8]", "[3, 4, 4]", "conv(3, 4, stride: 2, padding: 1)")},
    {"conv_s2_same_nonsquare", IMG("[2, 3, 6]", "[3, 2, 3]", "conv(3, 2, stride: 2)")},
    {"conv_chain", IMG("[1, 6, 6]", "[2, 3, 3]", "conv(3, 3, stride: 1) -> tanh -> conv(2, 3, stride: 2)")},
    {"deconv_s1_same", IMG("[2, 4, 4]", "[3, 4, 4]", "deconv(3, 3)")},
    {"deconv_s2_outpad", IMG("[2, 4, 3]", "[3, 8, 6]",
                             "deconv(3, 3, stride: 2, padding: 1, output_padding: 1)")},
    {"deconv_s2_k5_same", IMG("[2, 3, 3]", "[2, 6, 6]", "deconv(2, 5, stride: 2) -> tanh")},
    {"deconv_chain", IMG("[2, 3, 3]", "[1, 12, 12]",
                         "deconv(3, 4, stride: 2) -> tanh -> deconv(1, 4, stride: 2)")},
    {"spectral_norm_dense", VEC("[3]", "dense(6, spectral_norm: true) -> tanh -> dense(3)")},
    {"spectral_norm_conv", IMG("[2, 5, 5]", "[3, 3, 3]",
                               "conv(3, 3, stride: 2, spectral_norm: true) -> tanh")},
    {"spectral_norm_deconv", IMG("[3, 3, 3]", "[2, 6, 6]",
                                 "deconv(2, 4, stride: 2, spectral_norm: true) -> tanh")},
    {"batchnorm_dense", VEC("[3]", "dense(4) -> batchnorm -> dense(3)")},
    {"batchnorm_conv", IMG("[2, 4, 4]", "[3, 4, 4]", "conv(3, 3) -> batchnorm -> tanh")},
    {"layernorm", VEC("[3]", "dense(6) -> layernorm -> dense(3)")},
    {"dropout", VEC("[3]", "dense(8) -> dropout(0.4) -> dense(3)")},
    {"maxpool", IMG("[2, 6, 6]", "[2, 3, 3]", "conv(2, 3) -> maxpool(2)")},
    {"maxpool_overlap_odd", IMG("[2, 7, 7]", "[2, 3, 3]", "conv(2, 3) -> maxpool(3, stride: 2)")},
    {"avgpool", IMG("[2, 6, 6]", "[2, 3, 3]", "conv(2, 3) -> avgpool(2)")},
    {"upsample", IMG("[2, 3, 3]", "[2, 6, 6]", "conv(2, 3) -> upsample(2)")},
    {"reshape_flatten", IMG("[2, 3, 3]", "[4]", "conv(2, 3) -> flatten -> dense(4)")},
    {"reshape_inferred", IMG("[2, 3, 3]", "[3, 6]", "conv(2, 3) -> reshape(3, -1) -> tanh")},
    {"concat", VEC("[5]", "a = dense(x, 3)\nb = dense(x, 2)\nconcat(a, b) -> tanh")},
    {"concat_axis1", IMG("[1, 3, 3]", "[2, 6, 3]",
                         "a = conv(x, 2, 3)\nb = conv(x, 2, 3, stride: 2, padding: 1)\n"
                         "concat(a, b -> upsample(2) -> conv(2, 2, padding: valid), axis: 1)")},
    {"dense_sequence", IMG("[3, 4]", "[3, 2]", "dense(5) -> tanh -> dense(2)")},
    {"matmul_batched", IMG("[3, 4]", "[3, 3]", "a = dense(x, 5)\nb = dense(x, 5)\nmatmul(a, transpose(b))")},
    {"matmul_transposed_left", IMG("[3, 4]", "[5, 2]", "a = dense(x, 5)\nb = dense(x, 2)\nmatmul(transpose(a), b)")},
    {"matmul_broadcast", IMG("[2, 3, 4]", "[2, 3, 2]",
                             "a = flatten -> dense(24) -> reshape(2, 3, 4)\n"
                             "b = flatten(x) -> dense(8) -> reshape(1, 4, 2)\nmatmul(a, b)")},
    {"permute", IMG("[2, 3, 4]", "[4, 2, 3]",
                    "flatten -> dense(24) -> reshape(2, 3, 4) -> permute(2, 0, 1) -> tanh")},
    {"softmax_axis", IMG("[3, 4]", "[3, 4]", "dense(4) -> softmax(axis: 0)")},
    {"log_softmax_axis", IMG("[3, 4]", "[3, 4]", "dense(4) -> log_softmax(axis: -2)")},
    {"sum_mean_axis", IMG("[3, 4]", "[3, 4]", "h = dense(x, 4)\n"
                          "sum(h * h, axis: 0) + mean(h, axis: -2) + sum(h, axis: 1, keep: true) * h")},
    {"attention", IMG("[4, 6]", "[4, 6]", "q = dense(x, 3)\nk = dense(x, 3)\nv = dense(x, 6)\n" "a = softmax(matmul(q, transpose(k)) / 2, axis: -1)\nmatmul(a, v) + x")},
    {"residual_attention_blocks", BLOCKS IMG("[8, 2, 3]", "[8, 2, 3]", "res(8) -> attention -> tanh")},
    {"max_min_axis", IMG("[3, 4]", "[4]", "h = dense(x, 4)\nmax(h, axis: 0) + min(h, axis: 0) + max(h) - min(h)")},
    {"split", IMG("[4, 6]", "[2, 3]", "h = dense(x, 6) -> tanh\n"
                  "a, b = split(h, 0, 2)\nc, d = split(h, 1, [2, 4])\n"
                  "slice(a, 1, 0, 3) * slice(b, 1, 3) + slice(transpose(c), 1, 0, 3) - "
                  "slice(slice(d, 0, 1, 3), 1, 1, 4)")},
    {"slice_index_stack", IMG("[4, 6]", "[3, 6]", "h = dense(x, 6) -> tanh\n"
                              "stack(index(h, 0, 0), index(h, 0, 1), index(h, 0, -1)) + slice(h, 0, 1)")},
    {"pad_tril", IMG("[4, 6]", "[4, 7]", "dense(6) -> pad(axis: 1, before: 1, after: 0, value: 0.5) -> tril(fill: -3) -> tanh")},
    {"minibatch_std", IMG("[4, 6]", "[5, 6]", "h = dense(x, 6)\ns = sqrt(E[(h - E[h]) ^ 2] + 1e-8)\nconcat(h, mean(s))")},
    {"causal_attention", IMG("[4, 6]", "[4, 6]", "q = dense(x, 3)\nk = dense(x, 3)\nv = dense(x, 6)\n" "a = softmax(tril(matmul(q, transpose(k)), fill: -1000000000), axis: -1)\nmatmul(a, v) + x")},
    {"scale", VEC("[4]", "dense(4) -> scale -> tanh -> scale(init: normal(0, 1))")},
    {"conv_nonsquare", IMG("[2, 7, 8]", "[3, 4, 3]", "conv(3, [3, 2], stride: [2, 3], padding: [1, 0])")},
    {"deconv_nonsquare", IMG("[2, 3, 4]", "[2, 6, 9]", "deconv(2, [4, 3], stride: [2, 2], padding: [1, 0], output_padding: [0, 0]) -> tanh")},
    {"conv1d", IMG("[3, 9]", "[4, 5]", "conv1d(4, 3, stride: 2) -> tanh -> conv1d(4, 1)")},
    {"deconv1d", IMG("[3, 5]", "[2, 10]", "deconv1d(2, 4, stride: 2, spectral_norm: true) -> tanh")},
    {"conv_dilated", IMG("[2, 7, 6]", "[3, 7, 4]", "conv(3, 3, dilation: 2) -> tanh -> conv(3, [3, 2], stride: [1, 2], dilation: [1, 3], padding: [1, 2])")},
    {"deconv_dilated", IMG("[2, 3, 4]", "[2, 6, 8]", "deconv(2, 3, stride: 2, dilation: 2) -> tanh")},
    {"conv1d_dilated", IMG("[3, 12]", "[2, 12]", "conv1d(4, 3, dilation: 4) -> tanh -> deconv1d(2, 2, dilation: 3, padding: valid) -> conv1d(2, 2, dilation: 3, padding: valid)")},
    {"groupnorm", IMG("[4, 3, 3]", "[4, 3, 3]", "conv(4, 3) -> groupnorm(2) -> tanh")},
    {"instancenorm", IMG("[3, 6]", "[3, 6]", "conv1d(3, 3, bias: false) -> instancenorm(affine: true) -> tanh -> instancenorm")},
    {"upsample_bilinear", IMG("[2, 3, 4]", "[2, 9, 12]", "conv(2, 3) -> upsample(3, mode: bilinear)")},
    {"where", VEC("[4]", "c = dense(x, 4)\na = dense(x, 4)\nwhere(c, a, tanh(a)) + where(c - 0.5, 1, a)")},
    {"layernorm_last_axis", IMG("[3, 4]", "[3, 4]", "dense(4) -> layernorm(axis: -1) -> tanh -> layernorm(axis: 1)")},
    {"embedding", "c ~ categorical(7)\nr ~ normal(3)\nnet F(c: []) -> [3] {\n"
                  "embedding(c, 7, 4) -> tanh -> dense(3)\n}\nmin F: E[sum(F(c) * r)]\n"},
    {"embedding_sequence", "c ~ categorical(7)\nd ~ categorical(7)\nr ~ normal([2, 3])\n"
                           "net F(c: [], d: []) -> [2, 3] {\nembedding(stack(c, d, c), 7, 4) -> tanh -> slice(0, 1) -> dense(3)\n}\n"
                           "min F: E[sum(F(c, d) * r)]\n"},
    {"onehot", "x ~ normal(5)\nc ~ categorical(4)\nr ~ normal(2)\n"
               "net F(x: [5], c: []) -> [2] {\nconcat(dense(x, 3), onehot(c, 4)) -> dense(2)\n}\n"
               "min F: E[sum(F(x, c) * r)]\n"},
    {"softmax", VEC("[4]", "dense(4) -> softmax")},
    {"log_softmax", VEC("[4]", "dense(4) -> log_softmax")},
    {"sum_mean", VEC("[]", "h = dense(x, 6) -> reshape(2, 3)\nsum(h * h) + mean(h)")},
    {"bce", "x ~ normal(5)\nt ~ uniform(4, low: 0, high: 1)\nnet F(x: [5]) -> [4] {\n"
            "0.5 * tanh(dense(x, 4)) + 0.5\n}\nmin F: E[bce(F(x), t)]\n"},
    {"bce_logits", "x ~ normal(5)\nt ~ uniform(4, low: 0, high: 1)\nnet F(x: [5]) -> [4] {\n"
                   "dense(4) -> sigmoid\n}\nmin F: E[bce(F(x), t)]\n"},
    {"bce_const_target", "x ~ normal(5)\nnet F(x: [5]) -> [1] {\ndense(1) -> sigmoid\n}\n"
                         "min F: E[bce(F(x), 1)] + E[bce(F(x), 0)]\n"},
    {"mse", "x ~ normal(5)\nt ~ normal(4)\nnet F(x: [5]) -> [4] {\ndense(4)\n}\n"
            "min F: E[mse(F(x), t)]\n"},
    {"l1", "x ~ normal(5)\nt ~ normal(4)\nnet F(x: [5]) -> [4] {\ndense(4)\n}\n"
           "min F: E[l1(F(x), t)]\n"},
    {"cross_entropy_labels", "x ~ normal(5)\nc ~ categorical(4)\nnet F(x: [5]) -> [4] {\n"
                             "dense(4) -> softmax\n}\nmin F: E[cross_entropy(F(x), c)]\n"},
    {"cross_entropy_sequence", "x ~ normal([3, 5])\na ~ categorical(4)\nb ~ categorical(4)\n"
                               "c ~ categorical(4)\nnet F(x: [3, 5]) -> [3, 4] {\n"
                               "dense(4) -> softmax(axis: -1)\n}\n"
                               "min F: E[cross_entropy(F(x), stack(a, b, c))]\n"},
    {"cross_entropy_probs", "x ~ normal(5)\nc ~ categorical(3)\nnet F(x: [5]) -> [3] {\n"
                            "dense(3) -> softplus\n}\n"
                            "min F: E[cross_entropy(F(x) / sum(F(x)), onehot(c, 3))]\n"},
    {"kl_normal", "x ~ normal(5)\nnet F(x: [5]) -> (mu: [3], lv: [3]) {\nmu = dense(x, 3)\n"
                  "lv = dense(x, 3)\n}\nlet mu, lv = F(x)\nmin F: E[kl_normal(mu, lv)]\n"},
    {"gan_terms", "x ~ normal(5)\nz ~ normal(5)\nnet F(x: [5]) -> [1] {\ndense(4) -> tanh -> "
                  "dense(1) -> sigmoid\n}\nmin F: E[log F(x)] + E[log(1 - F(z))]\n"},
    {"reparameterise", "x ~ normal(5)\ne ~ normal(3)\nnet F(x: [5]) -> (mu: [3], lv: [3]) {\n"
                       "mu = dense(x, 3)\nlv = dense(x, 3)\n}\nlet mu, lv = F(x)\n"
                       "let z = mu + exp(lv / 2) * e\nmin F: E[sum(z * z) + kl_normal(mu, lv)]\n"},
};

/* the gradient with respect to x of F(x) along r, along s */
#define VEC2(out, body)                                                              \
    "x ~ normal(5)\nr ~ normal(" out ")\ns ~ normal(5)\nnet F(x: [5]) -> " out " {\n"  \
    body "\n}\nmin F: E[sum(grad(sum(F(x) * r), x) * s)]\n"
#define IMG2(in, out, body)                                                          \
    "x ~ normal(" in ")\nr ~ normal(" out ")\ns ~ normal(" in ")\nnet F(x: " in     \
    ") -> " out " {\n" body "\n}\nmin F: E[sum(grad(sum(F(x) * r), x) * s)]\n"
/* a loss of F(x) differentiated with respect to x */
#define LOSS2(out, body, loss)                                                       \
    "x ~ normal(5)\nt ~ uniform(" out ", low: 0, high: 1)\ns ~ normal(5)\n"           \
    "net F(x: [5]) -> " out " {\n" body "\n}\n"                                      \
    "min F: E[sum(grad(" loss ", x) * s)]\n"

static const Case second[] = {
    {"2nd_spectral_norm_critic",
     "x ~ normal([1, 6, 6])\nnet D(x: [1, 6, 6]) -> [1] {\n"
     "conv(3, 3, stride: 2, spectral_norm: true) -> tanh -> flatten -> dense(1, spectral_norm: true)\n}\n"
     "min D: E[(norm(grad(D(x), x)) - 1) ^ 2] + E[D(x)]\n"},
    {"2nd_dense", VEC2("[4]", "dense(4)")},
    {"2nd_relu", VEC2("[3]", "dense(6) -> relu -> dense(3)")},
    {"2nd_leaky_relu", VEC2("[3]", "dense(6) -> leaky_relu(0.2) -> dense(3)")},
    {"2nd_elu", VEC2("[3]", "dense(6) -> elu(0.7) -> dense(3)")},
    {"2nd_tanh", VEC2("[3]", "dense(6) -> tanh -> dense(3)")},
    {"2nd_sigmoid", VEC2("[3]", "dense(6) -> sigmoid -> dense(3)")},
    {"2nd_softplus", VEC2("[3]", "dense(6) -> softplus -> dense(3)")},
    {"2nd_gelu", VEC2("[3]", "dense(6) -> gelu -> dense(3)")},
    {"2nd_log_sigmoid", VEC2("[3]", "dense(6) -> log_sigmoid -> dense(3)")},
    {"2nd_exp_log_sqrt", VEC2("[4]", "h = dense(x, 4) -> softplus\nexp(h / 4) + log(h) + sqrt(h)")},
    {"2nd_sin_cos_abs", VEC2("[4]", "h = dense(x, 4)\nsin(h) * cos(h) + abs(h)")},
    {"2nd_powc", VEC2("[4]", "h = dense(x, 4)\nh ^ 3 + (softplus(h)) ^ 0.5 - h ^ 2")},
    {"2nd_mul_div", VEC2("[4]", "a = dense(x, 4)\nb = dense(x, 4) -> softplus\na * b / (b + 1)")},
    {"2nd_broadcast", VEC2("[2, 3]", "a = dense(x, 6) -> reshape(2, 3)\nb = dense(x, 3)\n"
                                     "c = dense(x, 1)\na * b - b / (c * c + 1) + 2 * a")},
    {"2nd_conv_s1_same", IMG2("[2, 5, 5]", "[3, 5, 5]", "conv(3, 3) -> tanh")},
    {"2nd_conv_s2_valid_odd", IMG2("[2, 9, 7]", "[3, 4, 3]",
                                   "conv(3, 3, stride: 2, padding: valid) -> elu")},
    {"2nd_conv_s2_pad1_k4", IMG2("[2, 8, 8]", "[3, 4, 4]",
                                 "conv(3, 4, stride: 2, padding: 1) -> sigmoid")},
    {"2nd_deconv_s2_outpad", IMG2("[2, 4, 3]", "[3, 8, 6]",
                                  "deconv(3, 3, stride: 2, padding: 1, output_padding: 1) -> tanh")},
    {"2nd_conv_chain", IMG2("[1, 6, 6]", "[2, 3, 3]",
                            "conv(3, 3) -> leaky_relu(0.2) -> conv(2, 3, stride: 2) -> tanh")},
    {"2nd_layernorm", VEC2("[3]", "dense(6) -> layernorm -> tanh -> dense(3)")},
    {"2nd_layernorm_conv", IMG2("[2, 4, 4]", "[2, 4, 4]", "conv(2, 3) -> layernorm -> tanh")},
    {"2nd_dropout", VEC2("[3]", "dense(8) -> tanh -> dropout(0.4) -> dense(3)")},
    {"2nd_maxpool", IMG2("[2, 6, 6]", "[2, 3, 3]", "conv(2, 3) -> tanh -> maxpool(2)")},
    {"2nd_maxpool_overlap_odd", IMG2("[2, 7, 7]", "[2, 3, 3]",
                                     "conv(2, 3) -> tanh -> maxpool(3, stride: 2)")},
    {"2nd_avgpool", IMG2("[2, 6, 6]", "[2, 3, 3]", "conv(2, 3) -> tanh -> avgpool(2)")},
    {"2nd_upsample", IMG2("[2, 3, 3]", "[2, 6, 6]", "conv(2, 3) -> tanh -> upsample(2)")},
    {"2nd_concat_slice", VEC2("[5]", "a = dense(x, 3)\nb = dense(x, 2)\nconcat(a, b) -> tanh")},
    {"2nd_concat_axis1", IMG2("[1, 3, 3]", "[2, 6, 3]",
                              "a = conv(x, 2, 3) -> tanh\nb = conv(x, 2, 3) -> sigmoid\n"
                              "concat(a, b, axis: 1)")},
    {"2nd_softmax", VEC2("[4]", "dense(4) -> softmax")},
    {"2nd_log_softmax", VEC2("[4]", "dense(4) -> log_softmax")},
    {"2nd_sum_mean", VEC2("[]", "h = dense(x, 6) -> reshape(2, 3)\nsum(h * h) + mean(h)")},
    {"2nd_dense_sequence", IMG2("[3, 4]", "[3, 2]", "dense(5) -> tanh -> dense(2)")},
    {"2nd_matmul_permute", IMG2("[2, 3, 4]", "[4, 2, 2]",
                                "a = flatten -> dense(24) -> reshape(2, 3, 4) -> tanh\n"
                                "b = flatten(x) -> dense(8) -> reshape(1, 4, 2)\n"
                                "matmul(a, b) -> permute(2, 0, 1) -> matmul(a) -> permute(2, 0, 1)")},
    {"2nd_softmax_sum_axis", IMG2("[3, 4]", "[4]", "h = dense(x, 4)\n"
                                  "sum(softmax(h, axis: 0) * h, axis: 0) + mean(log_softmax(h, axis: 0), axis: 0)")},
    {"2nd_attention", IMG2("[4, 6]", "[4, 6]", "q = dense(x, 3)\nk = dense(x, 3)\nv = dense(x, 6)\n" "a = softmax(matmul(q, transpose(k)) / 2, axis: -1)\nmatmul(a, v) + x")},
    {"2nd_residual_attention_blocks", BLOCKS IMG2("[8, 2, 3]", "[8, 2, 3]", "res(8) -> attention -> tanh")},
    {"2nd_max_min_axis", IMG2("[3, 4]", "[4]", "h = dense(x, 4) -> tanh\nmax(h, axis: 0) * min(h, axis: 0) + max(h * h)")},
    {"2nd_slice_stack_pad", IMG2("[4, 6]", "[3, 7]", "h = dense(x, 6) -> tanh\n"
                                 "stack(index(h, 0, 0), index(h, 0, 1), index(h, 0, -1)) * slice(h, 0, 1) -> "
                                 "pad(axis: 1, before: 1, after: 0) -> tril(fill: 2)")},
    {"2nd_minibatch_std", IMG2("[4, 6]", "[5, 6]", "h = dense(x, 6) -> tanh\ns = sqrt(E[(h - E[h]) ^ 2] + 1e-8)\nconcat(h, mean(s))")},
    {"2nd_causal_attention", IMG2("[4, 6]", "[4, 6]", "q = dense(x, 3)\nk = dense(x, 3)\nv = dense(x, 6)\n" "a = softmax(tril(matmul(q, transpose(k)), fill: -1000000000), axis: -1)\nmatmul(a, v) + x")},
    {"2nd_conv1d_deconv1d", IMG2("[3, 8]", "[2, 8]", "conv1d(4, 3, stride: 2) -> tanh -> deconv1d(2, 4, stride: 2) -> tanh")},
    {"2nd_dilated", IMG2("[2, 6, 6]", "[2, 6, 6]", "conv(3, 3, dilation: 2) -> tanh -> deconv(2, 3, dilation: [2, 1]) -> tanh")},
    {"2nd_groupnorm", IMG2("[4, 3, 3]", "[4, 3, 3]", "conv(4, 3) -> groupnorm(2) -> tanh")},
    {"2nd_upsample_bilinear", IMG2("[2, 3, 3]", "[2, 6, 6]", "conv(2, 3) -> tanh -> upsample(mode: bilinear) -> tanh")},
    {"2nd_where", VEC2("[4]", "c = dense(x, 4)\na = dense(x, 4)\nwhere(c, a * a, tanh(a))")},
    {"2nd_layernorm_last_axis", IMG2("[3, 4]", "[3, 4]", "dense(4) -> layernorm(axis: -1) -> tanh")},
    /* p and t both made from x and the weights: the rules' every input */
    {"2nd_bce", "x ~ normal(5)\ns ~ normal(5)\nnet F(x: [5]) -> (p: [4], t: [4]) {\n"
                "p = 0.5 * tanh(dense(x, 4)) + 0.5\nt = dense(x, 4) -> sigmoid\n}\n"
                "let p, t = F(x)\nmin F: E[sum(grad(bce(p, t), x) * s)]\n"},
    {"2nd_bce_logits", "x ~ normal(5)\ns ~ normal(5)\nnet F(x: [5]) -> (p: [4], t: [4]) {\n"
                       "p = dense(x, 4) -> sigmoid\nt = 0.5 * tanh(dense(x, 4)) + 0.5\n}\n"
                       "let p, t = F(x)\nmin F: E[sum(grad(bce(p, t), x) * s)]\n"},
    {"2nd_mse_l1", LOSS2("[4]", "dense(4) -> tanh", "mse(F(x), t) + l1(F(x), t)")},
    {"2nd_cross_entropy", "x ~ normal(5)\nc ~ categorical(4)\ns ~ normal(5)\n"
                          "net F(x: [5]) -> [4] {\ndense(4) -> softmax\n}\n"
                          "min F: E[sum(grad(cross_entropy(F(x), c), x) * s)]\n"},
    {"2nd_kl_normal", "x ~ normal(5)\ns ~ normal(5)\nnet F(x: [5]) -> (mu: [3], lv: [3]) {\n"
                      "mu = dense(x, 3) -> tanh\nlv = dense(x, 3) -> tanh\n}\nlet mu, lv = F(x)\n"
                      "min F: E[sum(grad(kl_normal(mu, lv), x) * s)]\n"},
    {"2nd_norm_penalty", "x ~ normal([2, 4, 4])\nnet D(x: [2, 4, 4]) -> [1] {\n"
                         "conv(3, 3, stride: 2) -> leaky_relu(0.2) -> flatten -> layernorm -> dense(1)\n}\n"
                         "min D: E[(norm(grad(D(x), x)) - 1) ^ 2] + E[norm(grad(D(x), x)) ^ 2]\n"},
    {"3rd_conv_maxpool", "x ~ normal([1, 6, 6])\nr ~ normal([2, 2, 2])\ns ~ normal([1, 6, 6])\n"
                         "u ~ normal([1, 6, 6])\nnet F(x: [1, 6, 6]) -> [2, 2, 2] {\n"
                         "conv(2, 3, stride: 1) -> tanh -> maxpool(3, stride: 2)\n}\n"
                         "min F: E[sum(grad(sum(grad(sum(F(x) * r), x) * s), x) * u)]\n"},
    /* a grad whose every path to x runs through a zero derivative (a
     * leaky_relu's mask, abs's sign): zeros, beside a term that is not */
    {"3rd_leaky_relu_zero", "x ~ normal(5)\nr ~ normal(3)\ns ~ normal(5)\nu ~ normal(5)\n"
                            "net F(x: [5]) -> [3] {\ndense(6) -> leaky_relu(0.2) -> dense(3)\n}\n"
                            "min F: E[sum(grad(sum(grad(sum(F(x) * r), x) * s), x) * u)] + "
                            "E[sum(F(x) * r)]\n"},
    {"3rd_abs_zero", "x ~ normal(5)\nr ~ normal(3)\ns ~ normal(5)\nu ~ normal(5)\n"
                     "net F(x: [5]) -> [3] {\ndense(6) -> abs -> dense(3)\n}\n"
                     "min F: E[sum(grad(sum(grad(sum(F(x) * r), x) * s), x) * u)] + "
                     "E[sum(F(x) * r)]\n"},
    /* p saturated to exactly 0 or 1 (a slope of 10^6: a finite difference
     * of a tanh merely near saturation loses its digits to 1 - y^2):
     * inside bce's clamp, where its gradient's derivative is 0 and its
     * derivative in t finite (they were 0 / 0 and log 0) */
    {"2nd_bce_saturated", "x ~ normal(5)\ns ~ normal(5)\nnet F(x: [5]) -> (p: [4], t: [4]) {\n"
                          "p = 0.5 * tanh(1000000 * dense(x, 4)) + 0.5\nt = dense(x, 4) -> sigmoid\n}\n"
                          "let p, t = F(x)\nmin F: E[sum(grad(bce(p, t), x) * s)] + E[sum(t)]\n"},
};

static double loss_of(Exec *e, const Plan *p)
{
    char err[EXEC_ERR_LEN];
    if (exec_gradients(e, p, err)) {
        fprintf(stderr, "%s\n", err);
        return NAN;
    }
    return e->loss[0];
}

static void check_case(const Case *c, int B)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s.g", scratch_dir, c->name);
    FILE *f = fopen(path, "w");
    fputs(c->src, f);
    fclose(f);
    Compiled *cm = compile_for(path, B, &backend_cpu, NULL, 0);
    if (!cm) return;
    char err[EXEC_ERR_LEN];
    Exec *e = exec_new(cm, &backend_cpu, 11, err);
    CHECKF(e != NULL, "%s: %s", c->name, err);
    if (!e) {
        compiled_free(cm);
        return;
    }
    Plan *p = exec_plan_step(e, 1);
    Rng r = rng_init(5);
    exec_draw_noise(e, &r, B);
    /* spectral norm's power iteration first converges, where u v^T is
     * sigma's derivative */
    for (int k = 0; strstr(c->src, "spectral_norm") && k < 500; k++) loss_of(e, p);
    /* each run starts from the same layer state (a power iteration moves
     * spectral norm's u and v) */
    real *state = malloc(sizeof(real) * (size_t)(e->nstate + 1));
    memcpy(state, e->state, sizeof(real) * (size_t)e->nstate);
    double l0 = loss_of(e, p);
    CHECKF(isfinite(l0), "%s: loss %g", c->name, l0);
    int64_t n = e->plen[0];
    real *grad = malloc(sizeof(real) * (size_t)n);
    memcpy(grad, exec_phase_grads(e, p, 0), sizeof(real) * (size_t)n);
    double worst = 0;
    for (int64_t k = 0; k < n; k++) {
        real *w = e->params + e->pstart[0] + k, saved = *w;
        double h = 1e-6;
        *w = saved + h;
        memcpy(e->state, state, sizeof(real) * (size_t)e->nstate);
        double lp = loss_of(e, p);
        *w = saved - h;
        memcpy(e->state, state, sizeof(real) * (size_t)e->nstate);
        double lm = loss_of(e, p);
        *w = saved;
        double fd = (lp - lm) / (2 * h), an = grad[k];
        /* relative 1e-6, with an absolute floor of 1e-9 for gradients
         * that are zero (the rounding of a central difference of an O(1)
         * loss with h = 1e-6 is about 1e-10) */
        double diff = fabs(fd - an), scale = fmax(fabs(fd), fabs(an));
        if (diff > 1e-9 && diff / scale > worst) worst = diff / scale;
        CHECKF(diff <= 1e-6 * scale + 1e-9,
               "%s (batch %d): parameter real %lld: autodiff %.12g, finite differences %.12g",
               c->name, B, (long long)k, an, fd);
    }
    if (worst > 1e-7)
        printf("f64_gradcheck_ops: %s batch %d: worst relative error %.1e\n", c->name, B, worst);
    free(grad);
    free(state);
    plan_free(p);
    exec_free(e);
    compiled_free(cm);
}

int main(void)
{
    if (scratch_make("gradcheck")) return 1;
    pool_init(2);
    for (size_t i = 0; i < GENC_COUNT(cases); i++) {
        check_case(&cases[i], 1);
        check_case(&cases[i], 3);
    }
    for (size_t i = 0; i < GENC_COUNT(second); i++) {
        check_case(&second[i], 1);
        check_case(&second[i], 3);
    }
    pool_shutdown();
    scratch_remove();
    printf("f64_gradcheck_ops: %zu ops and losses at batch 1 and 3; %zu second- and "
           "third-order cases\n", GENC_COUNT(cases), GENC_COUNT(second));
    return check_done("f64_gradcheck_ops");
}
