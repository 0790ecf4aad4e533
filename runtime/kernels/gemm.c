/* gemm.c: the one BLAS entry point and the pool-parallel matrix product.
 *
 * OpenBLAS runs on one thread (pool_init says so); k_matmul splits C into
 * column or row blocks, one BLAS call per task. Each element of C is then
 * computed by exactly one call whose blocking depends only on the split,
 * so results are deterministic for a given thread count. */
#include "kernels_impl.h"

#include <cblas.h>

/* OpenBLAS 0.3.21's "small matrix" path for untransposed products
 * (sgemm_small_kernel_b0_nn on SkylakeX, taken up to about 100^3
 * multiply-adds) calls malloc on every product, and a training step must
 * not allocate. Those products are small enough for a plain loop, which
 * the compiler vectorises along the rows of B and C. */
#define GEMM_SMALL_NN 1000000

static void gemm_small_nn(int M, int N, int K, real alpha, const real *A, int lda,
                          const real *B, int ldb, real beta, real *C, int ldc)
{
    /* four rows of C at a time: each row of B loaded once feeds four
     * accumulating rows, and restrict lets the compiler vectorise along j */
    int i = 0;
    for (; i < M; i += 4) {
        int rows = M - i < 4 ? M - i : 4;
        for (int r = 0; r < rows; r++) {
            real *restrict c = C + (size_t)(i + r) * ldc;
            if (beta == 0)
                for (int j = 0; j < N; j++) c[j] = 0;
            else if (beta != 1)
                for (int j = 0; j < N; j++) c[j] *= beta;
        }
        if (rows < 4) {
            for (int r = 0; r < rows; r++) {
                real *restrict c = C + (size_t)(i + r) * ldc;
                for (int k = 0; k < K; k++) {
                    real a = alpha * A[(size_t)(i + r) * lda + k];
                    const real *restrict b = B + (size_t)k * ldb;
                    for (int j = 0; j < N; j++) c[j] += a * b[j];
                }
            }
            continue;
        }
        real *restrict c0 = C + (size_t)i * ldc, *restrict c1 = c0 + ldc;
        real *restrict c2 = c1 + ldc, *restrict c3 = c2 + ldc;
        for (int k = 0; k < K; k++) {
            const real *restrict b = B + (size_t)k * ldb;
            real a0 = alpha * A[(size_t)i * lda + k], a1 = alpha * A[(size_t)(i + 1) * lda + k];
            real a2 = alpha * A[(size_t)(i + 2) * lda + k], a3 = alpha * A[(size_t)(i + 3) * lda + k];
            for (int j = 0; j < N; j++) {
                real bj = b[j];
                c0[j] += a0 * bj;
                c1[j] += a1 * bj;
                c2[j] += a2 * bj;
                c3[j] += a3 * bj;
            }
        }
    }
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
