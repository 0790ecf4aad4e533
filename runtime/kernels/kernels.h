/* kernels.h: the compute kernels of the genc runtime, the whole API.
 *
 * Conventions (they hold for every kernel below unless its comment says
 * otherwise):
 *  - Tensors are contiguous, row-major, NCHW. B is the batch size, known
 *    only at run time. "n" is a total element count.
 *  - Outputs come first in the argument list, then inputs, then sizes
 *    (as in memcpy and llm.c).
 *  - Kernels never allocate. A kernel that needs scratch memory takes a
 *    `real *work` argument and has a *_work_size() function giving the
 *    number of reals it needs; the executor plans that memory once.
 *    Work sizes depend on pool_threads(), so plan after pool_init().
 *  - Gradient kernels WRITE (=) their output, they do not accumulate (+=)
 *    as llm.c's do: in genc's graph every gradient is a value of its own
 *    and the sum of several contributions is an explicit add node.
 *  - Elementwise kernels (sections 1, 7 and 10, k_scale, k_copy) allow the
 *    output to be exactly an input (in place); so does k_binary, for an
 *    operand that already has the output's shape. No other kernel allows
 *    any overlap between outputs and inputs.
 *  - Determinism: the same inputs and the same pool_threads() give
 *    bit-identical outputs. Reductions use a fixed order per thread count
 *    and accumulate in double (no float atomics). Across thread counts
 *    results agree to rounding.
 *  - Kernels split large work over the thread pool (runtime/pool.h) and
 *    run small work on the calling thread. They may be called before
 *    pool_init (they then run on one thread).
 *
 * Every fast kernel has a naive reference (ref_ prefix, at the end of this
 * file, in ref.c) that the tests compare it with. */
#ifndef GENC_KERNELS_H
#define GENC_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base.h"
#include "ir/ops.h"

/* Run fn(ctx, lo, hi) over [0, n) on the thread pool, split into ranges
 * when the work (about ns_per_item nanoseconds of one thread per item) is
 * worth it, else on the caller. For elementwise passes outside the
 * kernels too (the optimizers). */
typedef void (*KRangeFn)(void *ctx, long lo, long hi);
void k_par_range(long n, double ns_per_item, KRangeFn fn, void *ctx);

/* ---------------------------------------------------------------------
 * 1. Unary elementwise: y[i] = f(x[i]), x, y [n]
 * ------------------------------------------------------------------ */

/* The unary ops are the IR's (ir/ops.h, GENC_UNARY_OPS): K_neg, K_exp ...
 * `param` of k_unary is the op's one real attribute (powc's exponent,
 * leaky_relu's slope, elu's alpha); the others ignore it. */
typedef enum KUnaryOp {
#define K_UNARY_ENUM(name, arity, attrs, entry, lang, doc) K_##name,
    GENC_UNARY_OPS(K_UNARY_ENUM)
#undef K_UNARY_ENUM
    K_UNARY_COUNT
} KUnaryOp;

extern const char *const k_unary_names[K_UNARY_COUNT];

/* y [n] = f(x [n]) */
void k_unary(KUnaryOp op, real *y, const real *x, int n, real param);

/* Fused gradients: dx [n] from dy [n] and the forward input x or output y.
 * The gradients of the other unary ops are composed by autodiff. relu's
 * and leaky_relu's test v > 0, which for a slope >= 0 holds for the
 * output exactly when it holds for the input: autodiff passes the output. */
void k_relu_grad(real *dx, const real *dy, const real *x, int n);
void k_leaky_relu_grad(real *dx, const real *dy, const real *x, int n, real alpha);
void k_elu_grad(real *dx, const real *dy, const real *x, int n, real alpha);
void k_tanh_grad(real *dx, const real *dy, const real *y, int n);    /* dy*(1-y^2) */
void k_sigmoid_grad(real *dx, const real *dy, const real *y, int n); /* dy*y*(1-y) */
void k_gelu_grad(real *dx, const real *dy, const real *x, int n);

/* y [n] = s * x [n];  y [n] = v;  y [n] = x [n] */
void k_scale(real *y, const real *x, int n, real s);
void k_fill(real *y, int n, real v);
void k_copy(real *y, const real *x, int n);

/* ---------------------------------------------------------------------
 * 2. Binary elementwise with numpy broadcasting
 *
 * Shapes are int arrays of rank <= K_MAXRANK, aligned on the right: a
 * missing leading dim or a dim of 1 broadcasts. Rank 0 is a scalar.
 * ------------------------------------------------------------------ */

#define K_MAXRANK 5

/* The IR's binary ops (ir/ops.h, GENC_BINARY_OPS): K_add, K_sub ... */
typedef enum KBinaryOp {
#define K_BINARY_ENUM(name, arity, attrs, entry, lang, doc) K_##name,
    GENC_BINARY_OPS(K_BINARY_ENUM)
#undef K_BINARY_ENUM
    K_BINARY_COUNT
} KBinaryOp;

extern const char *const k_binary_names[K_BINARY_COUNT];

/* The broadcast shape of a and b into cshape [K_MAXRANK]; returns its rank
 * (max of the two), or -1 when the shapes do not broadcast. */
int k_broadcast_shape(int *cshape, const int *ashape, int arank,
                      const int *bshape, int brank);

/* c [broadcast(A, B)] = a [A] op b [B]. Fast paths (no index arithmetic in
 * the inner loop): equal shapes, a scalar operand, per-channel operands
 * such as [C,1,1] against [B,C,H,W] and [F] against [B,F]. */
void k_binary(KBinaryOp op, real *c, const real *a, const int *ashape, int arank,
              const real *b, const int *bshape, int brank);

/* The gradient of broadcasting: y [Y] = x [X] summed over the dims where Y
 * broadcasts to X (X must be broadcast(X, Y)). Accumulates in double. */
void k_sum_to(real *y, const int *yshape, int yrank,
              const real *x, const int *xshape, int xrank);

/* The adjoint of k_sum_to: y [Y] = scale * x [X] broadcast up to the larger
 * shape Y (Y must be broadcast(X, Y)). With scale = 1/B it is the gradient
 * of a batch mean. */
void k_expand(real *y, const int *yshape, int yrank,
              const real *x, const int *xshape, int xrank, real scale);

/* ---------------------------------------------------------------------
 * 3. Reductions (double accumulators, fixed order)
 * ------------------------------------------------------------------ */

/* y [B] = sum over each example's n elements of x [B, n] */
void k_sum_rows(real *y, const real *x, int B, int n);

/* y [1] = mean of x [B] */
void k_mean_batch(real *y, const real *x, int B);

/* ---------------------------------------------------------------------
 * 4. Matrix product (OpenBLAS, one BLAS thread; we split over the pool)
 * ------------------------------------------------------------------ */

/* C [M,N] = op(A) op(B), op(A) [M,K], op(B) [K,N]. A is stored [M,K], or
 * [K,M] when ta; B is stored [K,N], or [N,K] when tb. Split over the pool
 * by rows or columns of C when large. Gradients, with dC [M,N]:
 *   !ta: dA [M,K] = k_matmul(dA, dC, B, M, K, N, false, !tb)
 *    ta: dA [K,M] = k_matmul(dA, B, dC, K, M, N, tb, true)
 *   !tb: dB [K,N] = k_matmul(dB, A, dC, K, N, M, !ta, false)
 *    tb: dB [N,K] = k_matmul(dB, dC, A, N, K, M, true, ta)
 * (all four are gradient-checked in tests/unit/f64_gradcheck_kernels.c) */
void k_matmul(real *C, const real *A, const real *B, int M, int N, int K,
              bool ta, bool tb);

/* L products at once: C_l [M,N] = op(A_l) op(B_l) for l < L, the operands
 * stored as L matrices back to back, as k_matmul stores one. shared[0]
 * (A), shared[1] (B): one matrix used by every l; shared[2]: C is one
 * matrix, the sum over l (the gradient of a shared operand). */
void k_batch_matmul(real *C, const real *A, const real *B, int L, int M, int N, int K,
                    bool ta, bool tb, const bool shared[3]);

/* The one BLAS call, on the calling thread: cblas_sgemm or cblas_dgemm as
 * `real` is float or double, row-major, C = alpha op(A) op(B) + beta C. */
void k_gemm(bool ta, bool tb, int M, int N, int K, real alpha,
            const real *A, int lda, const real *B, int ldb, real beta,
            real *C, int ldc);

/* ---------------------------------------------------------------------
 * 5. Convolution and transposed convolution (im2col + GEMM)
 * ------------------------------------------------------------------ */

/* The geometry of a convolution: x [B,C,H,W] * w [K,C,R,S] -> y [B,K,P,Q]
 * with stride (sh, sw), symmetric zero padding (ph, pw),
 * P = (H + 2ph - R)/sh + 1, Q = (W + 2pw - S)/sw + 1 (floor). */
typedef struct KConv {
    int B, C, H, W;     /* input */
    int K, R, S;        /* output channels, kernel height and width */
    int sh, sw, ph, pw; /* stride, padding */
    int P, Q;           /* output height and width */
    int dh, dv;         /* dilation: the kernel's taps dh rows and dv columns apart */
} KConv;

/* Fill in a KConv (computes P, Q): the kernel spans dh*(R-1)+1 rows and
 * dv*(S-1)+1 columns. */
KConv k_conv_geom(int B, int C, int H, int W, int K, int R, int S,
                  int sh, int sw, int ph, int pw, int dh, int dv);

/* Transposed convolution (PyTorch ConvTranspose2d):
 * x [B,C,H,W], w [C,K,R,S] (in, out, kh, kw), stride (sh,sw), padding
 * (ph,pw), output padding (oph,opw), each < its stride, dilation (dh,dv) ->
 * y [B,K,P,Q], P = (H-1)*sh - 2ph + dh(R-1)+1 + oph, likewise Q.
 * It is the adjoint of a convolution, and is computed as one: this returns
 * the geometry of the convolution that maps y back to x, i.e. a KConv with
 * g.C = K, g.H = P, g.W = Q (the deconv's output) and g.K = C, g.P = H,
 * g.Q = W (the deconv's input); its weight [g.K, g.C, R, S] = [C,K,R,S] is
 * exactly the deconv's weight. Pass this g to the k_deconv2d_* kernels. */
KConv k_deconv_geom(int B, int C, int H, int W, int K, int R, int S,
                    int sh, int sw, int ph, int pw, int oph, int opw, int dh, int dv);

/* The three convolution kernels; a deconv runs them with roles swapped
 * (k_deconv2d_forward is K_CONV_BWD_DATA; its gradients are conv2d and
 * conv2d_wgrad nodes, K_CONV_FORWARD and K_CONV_BWD_FILTER). */
typedef enum KConvKind { K_CONV_FORWARD, K_CONV_BWD_DATA, K_CONV_BWD_FILTER } KConvKind;

/* Reals of `work` needed by kind's kernel with geometry g: buffers for a
 * group of images per thread, plus per-thread partial weight gradients for
 * the filter gradient. In the float32 build this also makes (and caches)
 * the oneDNN primitives the kernel will run, so that a training step makes
 * none. Depends on pool_threads(): plan after pool_init(). */
size_t k_conv_work_size(const KConv *g, KConvKind kind);

/* Bytes of address space kept free for oneDNN (the float32 build's
 * convolutions; 0 in the float64 build): out of memory while it generated
 * a kernel, or ran one for the first time, Debian's oneDNN 2.6 crashed
 * (SIGSEGV, under ulimit -v) instead of returning dnnl_out_of_memory. So
 * a kernel is made only with this much room, and the executor leaves this
 * much free after taking its own memory. */
size_t k_conv_room(void);

/* Non-zero while this thread is inside a oneDNN call (the float32 build's
 * convolutions, conv_dnnl.c): its allocations are oneDNN's own. */
int k_conv_in_library(void);

/* y [B,K,P,Q] = conv(x [B,C,H,W], w [K,C,R,S]) */
void k_conv2d_forward(real *y, const real *x, const real *w, real *work, const KConv *g);
/* dx [B,C,H,W] = col2im(w^T dy), dy [B,K,P,Q] */
void k_conv2d_bwd_data(real *dx, const real *dy, const real *w, real *work, const KConv *g);
/* dw [K,C,R,S] = sum over the batch of dy im2col(x)^T */
void k_conv2d_bwd_filter(real *dw, const real *x, const real *dy, real *work, const KConv *g);

/* With g = k_deconv_geom(...), shapes in the deconv's own terms:
 * y [B,K,P,Q] = deconv(x [B,C,H,W], w [C,K,R,S])   (= conv2d_bwd_data)
 * Its gradients are the other two kernels on g:
 * dx [B,C,H,W] from dy [B,K,P,Q]: k_conv2d_forward(dx, dy, w, work, g)
 * dw [C,K,R,S] from x and dy: k_conv2d_bwd_filter(dw, dy, x, work, g) */
void k_deconv2d_forward(real *y, const real *x, const real *w, real *work, const KConv *g);

/* ---------------------------------------------------------------------
 * 6. Normalisation (no affine part: gamma and beta are separate mul and
 *    add nodes). x [B,C,S] with S = H*W, or S = 1 after a dense layer.
 * ------------------------------------------------------------------ */

/* Training mode: per channel c, mean and biased variance over B*S values;
 * y = xhat [B,C,S] = (x - mean) * invstd, invstd [C] = 1/sqrt(var + eps)
 * (saved for the backward). running_mean [C], running_var [C] are updated
 * in place as PyTorch does: r = (1-momentum)*r + momentum*batch, with the
 * unbiased variance var*N/(N-1) (N = B*S; plain var when N = 1). */
void k_bn_forward_train(real *y, real *invstd, real *running_mean, real *running_var,
                        const real *x, int B, int C, int S, real eps, real momentum);

/* Evaluation mode: y = (x - running_mean) / sqrt(running_var + eps) */
void k_bn_forward_eval(real *y, const real *x, const real *running_mean,
                       const real *running_var, int B, int C, int S, real eps);

/* Training mode: dx [B,C,S] = invstd * (dy - mean(dy) - xhat*mean(dy*xhat)),
 * means per channel over B*S; xhat and invstd from k_bn_forward_train. */
void k_bn_backward(real *dx, const real *dy, const real *xhat, const real *invstd,
                   int B, int C, int S);

/* Layer norm over each example's n elements: y = xhat [B,n],
 * invstd [B] = 1/sqrt(var + eps) (biased variance). */
void k_ln_forward(real *y, real *invstd, const real *x, int B, int n, real eps);
/* dx [B,n] = invstd * (dy - mean(dy) - xhat*mean(dy*xhat)), means per row */
void k_ln_backward(real *dx, const real *dy, const real *xhat, const real *invstd,
                   int B, int n);

/* Spectral normalisation (Miyato et al. 2018): the largest singular value
 * of a weight w seen as a matrix M of `rows` rows, w [d0, rows, rest] with
 * M[j, (i, r)] = w[i, j, r] (d0 = 1: the first axis is the rows, as for
 * PyTorch's dense and conv; d0 > 1: the second, a deconv's). uv holds u
 * [rows] then v [d0 * rest]. Training: v = M^T u / |M^T u|, u = M v / |M v|
 * (one power iteration, stored), sigma = u^T M v; evaluation: sigma =
 * u^T M v / (|u| |v|) with u, v as stored. The plain loops are their own
 * reference. */
real k_spectral_sigma(const real *w, int d0, int rows, int rest, real *uv, bool train);
/* dw [d0, rows, rest] = dy u v^T in w's layout (u, v constants, as the
 * paper's gradient through sigma treats them) */
void k_spectral_sigma_backward(real *dw, real dy, int d0, int rows, int rest, const real *uv);

/* ---------------------------------------------------------------------
 * 7. Dropout with a stateless mask
 * ------------------------------------------------------------------ */

/* splitmix64's finaliser: a bijective 64-bit mix */
static inline uint64_t k_mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The key of a (seed, stream) pair, from which dropout's mask is a pure
 * function of the element's index (counter-based: no stored mask, and the
 * backward replays the same mask). */
static inline uint64_t k_hash_key(uint64_t seed, uint64_t stream)
{
    return k_mix64(k_mix64(seed) ^ stream);
}

/* Dropout's mask, four elements per 64-bit hash: element i keeps its
 * value when its 16 bits, u in [0, 65536), are at least thr =
 * round(p * 65536). One mix per four elements instead of two per element
 * made dropout 8x cheaper; the keep rate is 1-p to within 2^-17. */
static inline uint32_t k_dropout_threshold(double p)
{
    return (uint32_t)(p * 65536.0 + 0.5);
}
static inline bool k_dropout_keep(uint64_t key, uint64_t i, uint32_t thr)
{
    return ((k_mix64(key ^ (i >> 2)) >> (16 * (i & 3))) & 0xffff) >= thr;
}

/* Inverted dropout: y [n] = keep[i] ? x[i] / (1-p) : 0 with
 * keep[i] = k_dropout_keep(k_hash_key(seed, stream), i, thr) (i the flat
 * index).
 * Linear in x, so the backward is this same kernel applied to dy with the
 * same (p, seed, stream). p = 0 copies, p >= 1 gives zeros. */
void k_dropout(real *y, const real *x, int n, real p, uint64_t seed, uint64_t stream);

/* ---------------------------------------------------------------------
 * 8. Pooling and upsampling, x [B,C,H,W] -> y [B,C,P,Q]
 * ------------------------------------------------------------------ */

/* A square k x k window, stride, zero padding pad <= k/2 on every side;
 * P = (H + 2pad - k)/stride + 1 (floor, as PyTorch with ceil_mode=False). */
typedef struct KPool {
    int B, C, H, W;
    int k, stride, pad;
    int P, Q;
} KPool;

KPool k_pool_geom(int B, int C, int H, int W, int k, int stride, int pad);

/* Max pooling; padded positions never win (they are -infinity). */
void k_maxpool2d_forward(real *y, const real *x, const KPool *g);
/* dx [B,C,H,W]: each dy goes to the argmax of its window, recomputed from
 * x; the first maximum in scan order (row by row) wins ties, as in the
 * forward, so the choice is deterministic. Overlapping windows add up. */
void k_maxpool2d_backward(real *dx, const real *dy, const real *x, const KPool *g);
/* y [B,C,P,Q]: for each window, gx [B,C,H,W] at the window's argmax in x
 * (the same choice): the adjoint of the backward, for second derivatives. */
void k_maxpool2d_pick(real *y, const real *gx, const real *x, const KPool *g);

/* Average pooling; divides by k*k, padding included (PyTorch's default
 * count_include_pad=True). */
void k_avgpool2d_forward(real *y, const real *x, const KPool *g);
void k_avgpool2d_backward(real *dx, const real *dy, const KPool *g);

/* Nearest upsampling by an integer factor f: x [B,C,H,W] -> y [B,C,H*f,W*f]
 * (B*C = planes). Backward: dx [B,C,H,W] = sum of each f x f block of dy. */
void k_upsample_nearest_forward(real *y, const real *x, int planes, int H, int W, int f);
void k_upsample_nearest_backward(real *dx, const real *dy, int planes, int H, int W, int f);
/* y [planes, fH, fW] bilinear from x [planes, H, W], each output pixel
 * between the four input pixels around its centre (PyTorch's
 * align_corners=False, clamped at the borders); and its adjoint, dx from
 * dy. Plain loops: both backends run them. */
void k_upsample_bilinear_forward(real *y, const real *x, int planes, int H, int W, int f);
void k_upsample_bilinear_backward(real *dx, const real *dy, int planes, int H, int W, int f);

/* ---------------------------------------------------------------------
 * 9. Softmax over the last axis of [rows, n]
 * ------------------------------------------------------------------ */

void k_softmax(real *y, const real *x, int rows, int n);
void k_log_softmax(real *y, const real *x, int rows, int n);
/* dx = y * (dy - sum(dy*y)), sums per row; y from k_softmax */
void k_softmax_backward(real *dx, const real *dy, const real *y, int rows, int n);
/* dx = dy - exp(y) * sum(dy), sums per row; y from k_log_softmax */
void k_log_softmax_backward(real *dx, const real *dy, const real *y, int rows, int n);

/* ---------------------------------------------------------------------
 * 10. Losses, elementwise over [n] (the executor sums them afterwards)
 * ------------------------------------------------------------------ */

/* l = -(t*log(p) + (1-t)*log(1-p)), each log clamped at >= -100 (PyTorch) */
void k_bce(real *l, const real *p, const real *t, int n);
/* dp = dy * (pc - t) / (pc*(1-pc)) with pc = p clamped to
 * [K_BCE_EPS, 1-K_BCE_EPS], in double: the exact gradient for p inside
 * that range and a finite one at p = 0 or 1 (PyTorch uses the same eps). */
#define K_BCE_EPS 1e-12
void k_bce_grad(real *dp, const real *dy, const real *p, const real *t, int n);

/* On logits a: l = max(a,0) - a*t + log1p(exp(-|a|)) = bce(sigmoid(a), t) */
void k_bce_logits(real *l, const real *a, const real *t, int n);
/* da = dy * (sigmoid(a) - t) */
void k_bce_logits_grad(real *da, const real *dy, const real *a, const real *t, int n);

/* KL(N(mu, exp(logvar)) || N(0,1)) per element:
 * l = -0.5 * (1 + logvar - mu^2 - exp(logvar)); its gradient is composed
 * by autodiff */
void k_kl_normal(real *l, const real *mu, const real *logvar, int n);

/* ---------------------------------------------------------------------
 * 11. Layout and lookup
 * ------------------------------------------------------------------ */

/* Concatenate nx tensors along one axis. Tensor j has shape
 * [outer, sizes[j], inner] (outer = B for per-example tensors, inner = the
 * product of the dims after the axis); y [outer, sum(sizes), inner]. */
void k_concat(real *y, const real *const *xs, const int *sizes, int nx,
              int outer, int inner);

/* y [outer, len, inner] = x [outer, total, inner][:, start:start+len, :]
 * (the gradient of k_concat, one input at a time) */
void k_slice(real *y, const real *x, int outer, int total, int start, int len, int inner);

/* y = x with its axes reordered, per example: x [B, dims[0..nd)], axis i
 * of y is axis perm[i] of x (nd <= K_MAXRANK). */
void k_permute(real *y, const real *x, int B, int nd, const int *dims, const int *perm);

/* Rows of n along the last axis, plain loops (no references of their
 * own): y [rows] = the largest of each row; its gradient dx [rows, n] =
 * dy at the row's first largest element, 0 elsewhere; and that
 * gradient's adjoint, y [rows] = g [rows, n] at the same elements. */
void k_max_last(real *y, const real *x, int rows, int n);
void k_max_last_backward(real *dx, const real *dy, const real *x, int rows, int n);
void k_max_last_pick(real *y, const real *g, const real *x, int rows, int n);

/* y [outer, r, c] = x where column <= row, value above the diagonal */
void k_tril(real *y, const real *x, int outer, int r, int c, real value);

/* Ids are reals that hold integers (they flow through the graph like any
 * tensor). An id that is not an integer in [0, V) gives a row of zeros and
 * is counted in the return value, so the executor can report bad data. */

/* y [n, D] = table [V, D] rows ids [n] */
int k_embedding(real *y, const real *ids, const real *table, int n, int V, int D);
/* dtable [V, D] = sum of the rows of dy [n, D] with each id (rows never
 * looked up are zero); fixed order, deterministic. */
int k_embedding_backward(real *dtable, const real *dy, const real *ids, int n, int V, int D);
/* y [n, classes] = one-hot rows of ids [n] */
int k_onehot(real *y, const real *ids, int n, int classes);

/* ---------------------------------------------------------------------
 * Tuning
 * ------------------------------------------------------------------ */

/* The least work (in ~nanoseconds of single-thread time) worth handing to
 * another thread. 0 restores the measured default; tests pass 1 to force
 * every kernel through its multi-task path even on tiny inputs. */
void k_set_par_min_work(double ns);

/* ---------------------------------------------------------------------
 * Naive references (ref.c), for the tests and the reference backend. Same shapes and argument
 * order as the kernel of the same name; written for obviousness: direct
 * loops from the definitions, double accumulators, one thread. The conv
 * and deconv references use the plain dims. They may allocate.
 * ------------------------------------------------------------------ */

void ref_unary(KUnaryOp op, real *y, const real *x, int n, real param);
void ref_relu_grad(real *dx, const real *dy, const real *x, int n);
void ref_leaky_relu_grad(real *dx, const real *dy, const real *x, int n, real alpha);
void ref_elu_grad(real *dx, const real *dy, const real *x, int n, real alpha);
void ref_tanh_grad(real *dx, const real *dy, const real *y, int n);
void ref_sigmoid_grad(real *dx, const real *dy, const real *y, int n);
void ref_gelu_grad(real *dx, const real *dy, const real *x, int n);
void ref_binary(KBinaryOp op, real *c, const real *a, const int *ashape, int arank,
                const real *b, const int *bshape, int brank);
void ref_sum_to(real *y, const int *yshape, int yrank,
                const real *x, const int *xshape, int xrank);
void ref_expand(real *y, const int *yshape, int yrank,
                const real *x, const int *xshape, int xrank, real scale);
void ref_sum_rows(real *y, const real *x, int B, int n);
void ref_matmul(real *C, const real *A, const real *B, int M, int N, int K,
                bool ta, bool tb);
/* conv: x [B,C,H,W], w [K,C,R,S] -> y [B,K,P,Q] */
void ref_conv2d_forward(real *y, const real *x, const real *w, const KConv *g);
void ref_conv2d_bwd_data(real *dx, const real *dy, const real *w, const KConv *g);
void ref_conv2d_bwd_filter(real *dw, const real *x, const real *dy, const KConv *g);
/* deconv from its own definition (scatter), x [B,C,H,W], w [C,K,R,S] ->
 * y [B,K,P,Q]; not through the conv code, so it checks the reuse */
void ref_deconv2d_forward(real *y, const real *x, const real *w, int B, int C, int H,
                          int W, int K, int R, int S, int sh, int sw, int ph, int pw,
                          int oph, int opw, int dh, int dv);
void ref_bn_forward_train(real *y, real *invstd, real *running_mean, real *running_var,
                          const real *x, int B, int C, int S, real eps, real momentum);
void ref_bn_backward(real *dx, const real *dy, const real *xhat, const real *invstd,
                     int B, int C, int S);
void ref_ln_forward(real *y, real *invstd, const real *x, int B, int n, real eps);
void ref_ln_backward(real *dx, const real *dy, const real *xhat, const real *invstd,
                     int B, int n);
void ref_maxpool2d_forward(real *y, const real *x, const KPool *g);
void ref_maxpool2d_backward(real *dx, const real *dy, const real *x, const KPool *g);
void ref_maxpool2d_pick(real *y, const real *gx, const real *x, const KPool *g);
void ref_avgpool2d_forward(real *y, const real *x, const KPool *g);
void ref_avgpool2d_backward(real *dx, const real *dy, const KPool *g);
void ref_upsample_nearest_forward(real *y, const real *x, int planes, int H, int W, int f);
void ref_upsample_nearest_backward(real *dx, const real *dy, int planes, int H, int W, int f);
void ref_softmax(real *y, const real *x, int rows, int n);
void ref_log_softmax(real *y, const real *x, int rows, int n);
void ref_softmax_backward(real *dx, const real *dy, const real *y, int rows, int n);
void ref_log_softmax_backward(real *dx, const real *dy, const real *y, int rows, int n);
void ref_bce(real *l, const real *p, const real *t, int n);
void ref_bce_logits(real *l, const real *a, const real *t, int n);
void ref_bce_logits_grad(real *da, const real *dy, const real *a, const real *t, int n);
void ref_dropout(real *y, const real *x, int n, real p, uint64_t seed, uint64_t stream);
int ref_embedding(real *y, const real *ids, const real *table, int n, int V, int D);
int ref_embedding_backward(real *dtable, const real *dy, const real *ids, int n, int V, int D);
int ref_onehot(real *y, const real *ids, int n, int classes);
void ref_bce_grad(real *dp, const real *dy, const real *p, const real *t, int n);
void ref_kl_normal(real *l, const real *mu, const real *logvar, int n);
void ref_mean_batch(real *y, const real *x, int B);
void ref_bn_forward_eval(real *y, const real *x, const real *running_mean,
                         const real *running_var, int B, int C, int S, real eps);
void ref_concat(real *y, const real *const *xs, const int *sizes, int nx, int outer, int inner);
void ref_slice(real *y, const real *x, int outer, int total, int start, int len, int inner);
void ref_permute(real *y, const real *x, int B, int nd, const int *dims, const int *perm);
void ref_batch_matmul(real *C, const real *A, const real *B, int L, int M, int N, int K,
                      bool ta, bool tb, const bool shared[3]);

#endif
