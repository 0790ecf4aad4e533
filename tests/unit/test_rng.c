/* test_rng.c: Philox known answers, reproducibility, stream independence,
 * and the distributions' statistics. All draws are seeded, so the
 * statistical bounds are deterministic: a failure means the generator
 * changed, not bad luck. */
#include "exec/rng.h"

#include "check.h"

#include <stdlib.h>

/* Random123's tests/kat_vectors, "philox4x32 10" lines: counter words
 * (c0..c3), key words (k0, k1), and the first two result words, which
 * rng_u64 returns as one number (low word first). Our counter is
 * (counter, stream), our key the seed. */
static void test_known_answers(void)
{
    struct {
        uint64_t seed, stream, counter, want;
    } kat[] = {
        {0, 0, 0, 0xe169c58d6627e8d5u},
        {UINT64_MAX, UINT64_MAX, UINT64_MAX, 0x41c83b0e408f276du},
        {0x299f31d0a4093822u, 0x0370734413198a2eu, 0x85a308d3243f6a88u,
         0x94fdccebd16cfe09u},
    };
    for (size_t i = 0; i < GENC_COUNT(kat); i++) {
        Rng r = {kat[i].seed, kat[i].stream, kat[i].counter};
        uint64_t got = rng_u64(&r);
        CHECKF(got == kat[i].want, "vector %zu: %016llx, want %016llx", i,
               (unsigned long long)got, (unsigned long long)kat[i].want);
        CHECK(r.counter == kat[i].counter + 1);
    }
}

/* Pinned when the generator was written: a change to it shows up here. */
static void test_golden_seed1(void)
{
    static const uint64_t want[] = {
        0xe50a0ebce3e80670u, 0xdfc5ccbeac08141bu, 0x8e76cc9d3f55b3f0u,
        0x095aef64c1f3cfa1u,
    };
    Rng r = rng_init(1);
    for (size_t i = 0; i < GENC_COUNT(want); i++) {
        uint64_t got = rng_u64(&r);
        CHECKF(got == want[i], "draw %zu: 0x%016llx, want 0x%016llx", i,
               (unsigned long long)got, (unsigned long long)want[i]);
    }
}

static bool same(const real *a, const real *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

static void test_reproducible(void)
{
    enum { N = 1001 };
    real a[N], b[N];
    Rng r1 = rng_init(42), r2 = rng_init(42);
    rng_fill_normal(&r1, a, N, 0, 1);
    rng_fill_normal(&r2, b, N, 0, 1);
    CHECK(same(a, b, N));
    CHECK(r1.counter == (N + RNG_PER_BLOCK - 1) / RNG_PER_BLOCK);

    /* a restored state continues exactly where the saved one was */
    uint8_t bytes[RNG_STATE_SIZE];
    rng_save(&r1, bytes);
    Rng r3 = rng_load(bytes);
    CHECK(r3.seed == r1.seed && r3.stream == r1.stream &&
          r3.counter == r1.counter);
    rng_fill_uniform(&r1, a, N, -1, 1);
    rng_fill_uniform(&r3, b, N, -1, 1);
    CHECK(same(a, b, N));
    CHECK(rng_u64(&r1) == rng_u64(&r3));

    /* the byte form is little-endian whatever the machine */
    Rng k = {0x0102030405060708u, 0x1112131415161718u, 0x2122232425262728u};
    rng_save(&k, bytes);
    CHECK(bytes[0] == 0x08 && bytes[7] == 0x01);
    CHECK(bytes[8] == 0x18 && bytes[15] == 0x11);
    CHECK(bytes[16] == 0x28 && bytes[23] == 0x21);

    /* whole-block fills split anywhere on a block boundary give the same
     * values as one fill, and a single draw is the first of a block */
    Rng w = rng_stream(7, 3), s = rng_stream(7, 3);
    rng_fill_normal(&w, a, 4 * RNG_PER_BLOCK, 0, 1);
    rng_fill_normal(&s, b, RNG_PER_BLOCK, 0, 1);
    rng_fill_normal(&s, b + RNG_PER_BLOCK, 3 * RNG_PER_BLOCK, 0, 1);
    CHECK(same(a, b, 4 * RNG_PER_BLOCK));
    /* one long fill (groups of blocks at a time) agrees with block-sized
     * fills (one block at a time), uniform and normal */
    enum { M = 100 * RNG_PER_BLOCK + 3 };
    static real long_fill[M], short_fills[M];
    for (int normal = 0; normal < 2; normal++) {
        Rng g1 = rng_stream(11, 5), g2 = rng_stream(11, 5);
        if (normal)
            rng_fill_normal(&g1, long_fill, M, 1, 2);
        else
            rng_fill_uniform(&g1, long_fill, M, 1, 2);
        for (size_t i = 0; i < M; i += RNG_PER_BLOCK) {
            size_t m = M - i < RNG_PER_BLOCK ? M - i : RNG_PER_BLOCK;
            if (normal)
                rng_fill_normal(&g2, short_fills + i, m, 1, 2);
            else
                rng_fill_uniform(&g2, short_fills + i, m, 1, 2);
        }
        CHECK(same(long_fill, short_fills, M));
        CHECK(g1.counter == g2.counter &&
              g1.counter == (M + RNG_PER_BLOCK - 1) / RNG_PER_BLOCK);
    }
    Rng one = rng_stream(7, 3);
    CHECK(rng_normal(&one) == a[0]);
    Rng u1 = rng_stream(7, 3), u2 = rng_stream(7, 3);
    rng_fill_uniform(&u1, a, 1, 0, 1);
    CHECK(rng_uniform(&u2) == a[0]);
}

static void test_seeds_and_streams_differ(void)
{
    enum { N = 64 };
    real a[N], b[N], c[N];
    Rng r1 = rng_init(1), r2 = rng_init(2), r3 = rng_stream(1, 1);
    rng_fill_uniform(&r1, a, N, 0, 1);
    rng_fill_uniform(&r2, b, N, 0, 1);
    rng_fill_uniform(&r3, c, N, 0, 1);
    int ab = 0, ac = 0, bc = 0;
    for (int i = 0; i < N; i++) {
        ab += a[i] == b[i];
        ac += a[i] == c[i];
        bc += b[i] == c[i];
    }
    CHECKF(ab == 0 && ac == 0 && bc == 0, "equal values: %d %d %d", ab, ac,
           bc);
    CHECK(rng_init(5).stream == 0 && rng_stream(5, 9).stream == 9);
}

static void test_normal_statistics(void)
{
    enum { N = 1000000 };
    real *x = xmalloc(N * sizeof *x);
    Rng r = rng_init(2024);
    rng_fill_normal(&r, x, N, 0, 1);
    double sum = 0, sq = 0, cross = 0, maxabs = 0;
    long beyond2 = 0;
    for (int i = 0; i < N; i++) {
        sum += x[i];
        sq += (double)x[i] * x[i];
        if (i > 0) cross += (double)x[i] * x[i - 1];
        if (fabs(x[i]) > maxabs) maxabs = fabs(x[i]);
        beyond2 += fabs(x[i]) > 2;
    }
    double mean = sum / N, var = sq / N - mean * mean;
    CHECKF(fabs(mean) < 0.005, "mean %g", mean);
    CHECKF(fabs(var - 1) < 0.01, "variance %g", var);
    /* neighbours, which share a Box-Muller pair, are uncorrelated */
    CHECKF(fabs(cross / N) < 0.005, "lag-1 correlation %g", cross / N);
    /* P(|z| > 2) = 0.0455; the binomial sd over 1e6 draws is 0.0002 */
    CHECKF(fabs(beyond2 / (double)N - 0.0455) < 0.001, "tail %g",
           beyond2 / (double)N);
    CHECKF(maxabs > 4 && maxabs < 9, "max |z| %g", maxabs);

    /* mean and std are applied */
    rng_fill_normal(&r, x, N, 3, 0.5);
    sum = sq = 0;
    for (int i = 0; i < N; i++) {
        sum += x[i];
        sq += (double)x[i] * x[i];
    }
    mean = sum / N, var = sq / N - mean * mean;
    CHECKF(fabs(mean - 3) < 0.005, "mean %g", mean);
    CHECKF(fabs(var - 0.25) < 0.01 * 0.25, "variance %g", var);

    double s1 = 0;
    for (int i = 0; i < 100000; i++) s1 += rng_normal(&r);
    CHECKF(fabs(s1 / 100000) < 0.015, "rng_normal mean %g", s1 / 100000);
    free(x);
}

static void test_uniform(void)
{
    enum { N = 1000000 };
    real *x = xmalloc(N * sizeof *x);
    Rng r = rng_init(99);
    rng_fill_uniform(&r, x, N, 0, 1);
    double sum = 0, sq = 0, lo = 1, hi = 0;
    for (int i = 0; i < N; i++) {
        sum += x[i];
        sq += (double)x[i] * x[i];
        lo = fmin(lo, x[i]);
        hi = fmax(hi, x[i]);
    }
    double mean = sum / N, var = sq / N - mean * mean;
    CHECK(lo >= 0 && hi < 1);
    CHECKF(lo < 1e-4 && hi > 1 - 1e-4, "range [%g, %g]", lo, hi);
    CHECKF(fabs(mean - 0.5) < 0.002, "mean %g", mean);
    CHECKF(fabs(var - 1.0 / 12) < 0.001, "variance %g", var);

    rng_fill_uniform(&r, x, N, -3, 5);
    lo = 5, hi = -3;
    for (int i = 0; i < N; i++) {
        lo = fmin(lo, x[i]);
        hi = fmax(hi, x[i]);
    }
    CHECKF(lo >= -3 && hi <= 5 && lo < -2.99 && hi > 4.99, "range [%g, %g]",
           lo, hi);

    bool in_range = true;
    for (int i = 0; i < 10000; i++) {
        real u = rng_uniform(&r);
        in_range &= u >= 0 && u < 1;
    }
    CHECK(in_range);
    free(x);
}

static void test_categorical(void)
{
    enum { K = 10, N = 1000000 };
    long count[K] = {0};
    Rng r = rng_init(3);
    for (int i = 0; i < N; i++) {
        uint64_t k = rng_categorical(&r, K);
        if (k < K) count[k]++;
    }
    double chi2 = 0, expect = (double)N / K;
    long total = 0;
    for (int k = 0; k < K; k++) {
        chi2 += (count[k] - expect) * (count[k] - expect) / expect;
        total += count[k];
        CHECKF(count[k] > 0, "value %d never drawn", k);
    }
    CHECK(total == N);
    /* the 0.999 quantile of chi-square with 9 degrees of freedom */
    CHECKF(chi2 < 27.88, "chi-square %g", chi2);

    bool ok = true;
    for (int i = 0; i < 1000; i++) ok &= rng_categorical(&r, 1) == 0;
    CHECK(ok);

    /* n just above 2^63: almost half of all u64 values are rejected, so
     * retries happen, and each result is still below n */
    uint64_t n = (UINT64_C(1) << 63) + 1, before = r.counter;
    ok = true;
    for (int i = 0; i < 1000; i++) ok &= rng_categorical(&r, n) < n;
    CHECK(ok);
    CHECKF(r.counter - before > 1200, "only %llu blocks for 1000 draws",
           (unsigned long long)(r.counter - before));
}

int main(void)
{
    test_known_answers();
    test_golden_seed1();
    test_reproducible();
    test_seeds_and_streams_differ();
    test_normal_statistics();
    test_uniform();
    test_categorical();
    return check_done("test_rng");
}
