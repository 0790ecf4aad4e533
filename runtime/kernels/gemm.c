/* gemm.c: the one BLAS entry point and the pool-parallel matrix product.
 *
 * OpenBLAS runs on one thread (pool_init says so); k_matmul splits C into
 * column or row blocks, one BLAS call per task. Each element of C is then
 * computed by exactly one call whose blocking depends only on the split,
 * so results are deterministic for a given thread count. */
#include "kernels/kernels_impl.h"

#include <cblas.h>
#include <string.h>

/* OpenBLAS 0.3.21's "small matrix" path for untransposed products
 * (sgemm_small_kernel_b0_nn on SkylakeX, taken up to about 100^3
 * multiply-adds) calls malloc for some shapes (16x392x64, 100^3), and a
 * training step must not allocate. Those products are small enough for a
 * kernel of our own. */
#define GEMM_SMALL_NN 1000000

/* 64-byte vectors in GCC's vector extension: 16 floats or 8 doubles, one
 * AVX-512 register, two AVX2 or four SSE2 ones. target_clones compiles the
 * kernel for each and picks one when the program starts: without it the
 * kernel is limited to SSE2 and runs at 10-20 GFLOP/s on DCGAN's first
 * layer (64x392x25), against 45-55 with AVX-512. Without FMA contraction
 * (-std=c11), every clone rounds exactly as the plain loops do. */
typedef real vreal __attribute__((vector_size(64)));
#define VL ((int)(sizeof(vreal) / sizeof(real)))

/* C[i0:i1, j0:j1] = alpha A B + beta C, one row of C at a time, updated
 * along the row for each k: the edges of gemm_small_nn */
static inline void gemm_rows_nn(int i0, int i1, int j0, int j1, int K, real alpha,
                                const real *A, int lda, const real *B, int ldb, real beta,
                                real *C, int ldc)
{
    for (int i = i0; i < i1; i++) {
        real *restrict c = C + (size_t)i * ldc;
        for (int j = j0; j < j1; j++) c[j] = beta == 0 ? 0 : beta * c[j];
        for (int k = 0; k < K; k++) {
            real a = alpha * A[(size_t)i * lda + k];
            const real *restrict b = B + (size_t)k * ldb;
            for (int j = j0; j < j1; j++) c[j] += a * b[j];
        }
    }
}

/* C[0:4, 0:nv*VL] = alpha A[0:4, :] B[:, 0:nv*VL] + beta C, nv = 1 or 2
 * vectors per row, rows lda, ldb and ldc apart. The accumulators are named
 * variables, not an array, so that they stay in registers over all of K
 * (GCC keeps an array of vectors in memory); each element sums its
 * products in k order, as gemm_rows_nn does. memcpy: unaligned loads and
 * stores. */
static inline __attribute__((always_inline)) void
gemm_tile_nn(int nv, int K, real alpha, const real *a, int lda, const real *b, int ldb,
             real beta, real *c, size_t ldc)
{
    vreal c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0}, c30 = {0}, c31 = {0};
    vreal b0, b1 = {0};
    if (beta != 0) {
        memcpy(&c00, c, sizeof c00), memcpy(&c10, c + ldc, sizeof c10);
        memcpy(&c20, c + 2 * ldc, sizeof c20), memcpy(&c30, c + 3 * ldc, sizeof c30);
        c00 *= beta, c10 *= beta, c20 *= beta, c30 *= beta;
        if (nv == 2) {
            memcpy(&c01, c + VL, sizeof c01), memcpy(&c11, c + ldc + VL, sizeof c11);
            memcpy(&c21, c + 2 * ldc + VL, sizeof c21), memcpy(&c31, c + 3 * ldc + VL, sizeof c31);
            c01 *= beta, c11 *= beta, c21 *= beta, c31 *= beta;
        }
    }
    for (int k = 0; k < K; k++, b += ldb) {
        real a0 = alpha * a[k], a1 = alpha * a[lda + k];
        real a2 = alpha * a[2 * lda + k], a3 = alpha * a[3 * lda + k];
        memcpy(&b0, b, sizeof b0);
        c00 += a0 * b0, c10 += a1 * b0, c20 += a2 * b0, c30 += a3 * b0;
        if (nv == 2) {
            memcpy(&b1, b + VL, sizeof b1);
            c01 += a0 * b1, c11 += a1 * b1, c21 += a2 * b1, c31 += a3 * b1;
        }
    }
    memcpy(c, &c00, sizeof c00), memcpy(c + ldc, &c10, sizeof c10);
    memcpy(c + 2 * ldc, &c20, sizeof c20), memcpy(c + 3 * ldc, &c30, sizeof c30);
    if (nv == 2) {
        memcpy(c + VL, &c01, sizeof c01), memcpy(c + ldc + VL, &c11, sizeof c11);
        memcpy(c + 2 * ldc + VL, &c21, sizeof c21), memcpy(c + 3 * ldc + VL, &c31, sizeof c31);
    }
}

/* C = alpha A B + beta C: tiles of 4 rows by 2 vectors, then by 1 vector;
 * with beta = 0 the last one-vector tile ends at column N, recomputing
 * (bit for bit) columns the tiles before it wrote, instead of leaving a
 * tail to the slower row loop. */
__attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
static void gemm_small_nn(int M, int N, int K, real alpha, const real *A, int lda,
                          const real *B, int ldb, real beta, real *C, int ldc)
{
    int i = 0, jt = N - N % (2 * VL), jv = beta == 0 && N >= VL ? N : N - N % VL;
    for (; i + 4 <= M; i += 4) {
        const real *a = A + (size_t)i * lda;
        real *c = C + (size_t)i * ldc;
        for (int j = 0; j < jt; j += 2 * VL) gemm_tile_nn(2, K, alpha, a, lda, B + j, ldb, beta, c + j, ldc);
        for (int j = jt; j < jv; j += VL) {
            int j0 = j + VL <= N ? j : N - VL;
            gemm_tile_nn(1, K, alpha, a, lda, B + j0, ldb, beta, c + j0, ldc);
        }
        gemm_rows_nn(i, i + 4, jv, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    }
    gemm_rows_nn(i, M, 0, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void k_gemm(bool ta, bool tb, int M, int N, int K, real alpha,
            const real *A, int lda, const real *B, int ldb, real beta,
            real *C, int ldc)
{
    if (M <= 0 || N <= 0) return;
    if (!ta && !tb && (int64_t)M * N * K <= GEMM_SMALL_NN) {
        gemm_small_nn(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    pool_blas_setup(); /* once: for programs that never call pool_init */
    enum CBLAS_TRANSPOSE tA = ta ? CblasTrans : CblasNoTrans;
    enum CBLAS_TRANSPOSE tB = tb ? CblasTrans : CblasNoTrans;
#ifdef GENC_DOUBLE
    cblas_dgemm(CblasRowMajor, tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#else
    cblas_sgemm(CblasRowMajor, tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}

typedef struct MatmulJob {
    real *C;
    const real *A, *B;
    int M, N, K;
    bool ta, tb, split_rows;
    int T;
} MatmulJob;

/* Block boundaries are rounded to multiples of 16 so that every task but
 * the last gets whole SIMD-width panels. */
static int mm_edge(int n, int t, int T)
{
    if (t == T) return n;
    int e = (int)k_part(n, t, T);
    e -= e % 16;
    return e;
}

static void matmul_task(void *vj, int t)
{
    const MatmulJob *j = vj;
    int lda = j->ta ? j->M : j->K, ldb = j->tb ? j->K : j->N;
    if (j->split_rows) {
        int r0 = mm_edge(j->M, t, j->T), r1 = mm_edge(j->M, t + 1, j->T);
        /* rows r0.. of op(A): row r0 of A, or column r0 of A^T */
        const real *A = j->ta ? j->A + r0 : j->A + (size_t)r0 * lda;
        k_gemm(j->ta, j->tb, r1 - r0, j->N, j->K, 1, A, lda, j->B, ldb, 0,
               j->C + (size_t)r0 * j->N, j->N);
    } else {
        int c0 = mm_edge(j->N, t, j->T), c1 = mm_edge(j->N, t + 1, j->T);
        /* columns c0.. of op(B): column c0 of B, or row c0 of B^T */
        const real *B = j->tb ? j->B + (size_t)c0 * ldb : j->B + c0;
        k_gemm(j->ta, j->tb, j->M, c1 - c0, j->K, 1, j->A, lda, B, ldb, 0,
               j->C + c0, j->N);
    }
}

void k_matmul(real *C, const real *A, const real *B, int M, int N, int K,
              bool ta, bool tb)
{
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        k_fill(C, M * N, 0);
        return;
    }
    MatmulJob j = {C, A, B, M, N, K, ta, tb, M >= N, 1};
    int along = j.split_rows ? M : N;
    /* ~0.015 ns per flop: sgemm runs at 60-70 GFLOP/s per core here */
    j.T = k_tasks(0.015 * 2.0 * M * N * K, along / 16);
    if (j.T == 1) {
        matmul_task(&j, 0);
        return;
    }
    pool_for(j.T, matmul_task, &j);
}

typedef struct BatchJob {
    real *C;
    const real *A, *B;
    int L, M, N, K, T;
    bool ta, tb;
    size_t sa, sb; /* an operand's stride from one lead to the next (0: shared) */
} BatchJob;

static void batch_task(void *vj, int t)
{
    const BatchJob *j = vj;
    int lda = j->ta ? j->M : j->K, ldb = j->tb ? j->K : j->N;
    for (int64_t l = k_part(j->L, t, j->T); l < k_part(j->L, t + 1, j->T); l++)
        k_gemm(j->ta, j->tb, j->M, j->N, j->K, 1, j->A + l * j->sa, lda, j->B + l * j->sb,
               ldb, 0, j->C + l * (size_t)j->M * j->N, j->N);
}

void k_batch_matmul(real *C, const real *A, const real *B, int L, int M, int N, int K,
                    bool ta, bool tb, const bool shared[3])
{
    size_t sa = shared[0] ? 0 : (size_t)M * K, sb = shared[1] ? 0 : (size_t)K * N;
    if (shared[2]) {
        /* a sum over the leads: one product over the stacked leads when
         * they stack along K (A^T B of [L K, M] and [L K, N]), else one
         * product per lead, accumulated */
        if (ta && !tb && sa && sb) {
            k_matmul(C, A, B, M, N, L * K, true, false);
            return;
        }
        k_fill(C, M * N, 0);
        int lda = ta ? M : K, ldb = tb ? K : N;
        for (int64_t l = 0; l < L; l++)
            k_gemm(ta, tb, M, N, K, 1, A + l * sa, lda, B + l * sb, ldb, 1, C, N);
        return;
    }
    if (sa && !sb && !ta) { /* a shared right operand: the leads stack along M */
        k_matmul(C, A, B, L * M, N, K, false, tb);
        return;
    }
    if (L == 1) {
        k_matmul(C, A, B, M, N, K, ta, tb);
        return;
    }
    BatchJob j = {C, A, B, L, M, N, K, 1, ta, tb, sa, sb};
    j.T = k_tasks(0.015 * 2.0 * L * M * N * K, L);
    if (j.T == 1) batch_task(&j, 0);
    else pool_for(j.T, batch_task, &j);
}
