/* rng.c: Philox4x32-10 and the distributions built on it. */
#include "exec/rng.h"

#include <tgmath.h> /* log, sqrt, sin, cos in the precision of `real` */

/* The multipliers and Weyl key increments of Random123's philox.h. */
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

/* Blocks counter .. counter + nb - 1 of a stream: the counter is
 * (counter, stream) as four 32-bit words from the lowest, the key is the
 * seed. One block is a chain of ten dependent multiplies; computing
 * several side by side keeps the multiplier busy, which makes the fills
 * about twice as fast. nb is a constant after inlining (1 or RNG_GROUP). */
enum { RNG_GROUP = 8 };

static inline void philox(uint64_t seed, uint64_t stream, uint64_t counter,
                          int nb, uint32_t w[][4])
{
    uint32_t c0[RNG_GROUP], c1[RNG_GROUP], c2[RNG_GROUP], c3[RNG_GROUP];
    for (int b = 0; b < nb; b++) {
        c0[b] = (uint32_t)(counter + (uint64_t)b);
        c1[b] = (uint32_t)((counter + (uint64_t)b) >> 32);
        c2[b] = (uint32_t)stream, c3[b] = (uint32_t)(stream >> 32);
    }
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int round = 0; round < 10; round++) {
        for (int b = 0; b < nb; b++) {
            uint64_t p0 = (uint64_t)PHILOX_M0 * c0[b];
            uint64_t p1 = (uint64_t)PHILOX_M1 * c2[b];
            c0[b] = (uint32_t)(p1 >> 32) ^ c1[b] ^ k0;
            c1[b] = (uint32_t)p1;
            c2[b] = (uint32_t)(p0 >> 32) ^ c3[b] ^ k1;
            c3[b] = (uint32_t)p0;
        }
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    for (int b = 0; b < nb; b++)
        w[b][0] = c0[b], w[b][1] = c1[b], w[b][2] = c2[b], w[b][3] = c3[b];
}

/* The uniforms in [0, 1) of the next nb blocks, RNG_PER_BLOCK from each.
 * Every value k * 2^-24 (float) or k * 2^-53 (double) is exact, so 1 - u
 * is exact too and lies in (0, 1]. */
static inline void next_uniforms(Rng *r, int nb, real *u)
{
    uint32_t w[RNG_GROUP][4];
    philox(r->seed, r->stream, r->counter, nb, w);
    r->counter += (uint64_t)nb;
    for (int b = 0; b < nb; b++, u += RNG_PER_BLOCK) {
#ifdef GENC_DOUBLE
        u[0] = (real)((((uint64_t)w[b][1] << 32) | w[b][0]) >> 11) * 0x1p-53;
        u[1] = (real)((((uint64_t)w[b][3] << 32) | w[b][2]) >> 11) * 0x1p-53;
#else
        for (int j = 0; j < 4; j++) u[j] = (real)(w[b][j] >> 8) * 0x1p-24f;
#endif
    }
}

/* Box-Muller on the next nb blocks: pairs (u, v) give the radius from
 * 1 - u, never 0, and the angle from v. The largest radius,
 * sqrt(-2 log 2^-24) = 5.8 for float (8.6 for double), cuts only tails
 * rarer than 1e-8. */
static inline void next_normals(Rng *r, int nb, real *z)
{
    next_uniforms(r, nb, z);
    for (int j = 0; j < nb * RNG_PER_BLOCK; j += 2) {
        real radius = sqrt((real)-2 * log(1 - z[j]));
        real angle = (real)6.283185307179586 * z[j + 1];
        z[j] = radius * cos(angle);
        z[j + 1] = radius * sin(angle);
    }
}

Rng rng_init(uint64_t seed) { return rng_stream(seed, 0); }

Rng rng_stream(uint64_t seed, uint64_t stream_id)
{
    return (Rng){.seed = seed, .stream = stream_id, .counter = 0};
}

/* 2^64 blocks per stream: the counter never wraps in practice. */
uint64_t rng_u64(Rng *r)
{
    uint32_t w[1][4];
    philox(r->seed, r->stream, r->counter++, 1, w);
    return ((uint64_t)w[0][1] << 32) | w[0][0];
}

uint64_t rng_u64_of(void *r) { return rng_u64(r); }

real rng_uniform(Rng *r)
{
    real u[RNG_PER_BLOCK];
    next_uniforms(r, 1, u);
    return u[0];
}

real rng_normal(Rng *r)
{
    real z[RNG_PER_BLOCK];
    next_normals(r, 1, z);
    return z[0];
}

uint64_t rng_categorical(Rng *r, uint64_t n)
{
    GENC_ASSERT(n > 0);
    /* x % n is unbiased once the lowest 2^64 mod n values are rejected:
     * what is left is a whole number of runs of n. (-n) % n is 2^64 mod n
     * computed in 64 bits; a retry is needed with probability below n/2^64. */
    uint64_t reject_below = -n % n, x;
    do x = rng_u64(r);
    while (x < reject_below);
    return x % n;
}

/* The fills take whole groups of blocks while they fit, then single
 * blocks: block c gives the same values either way. */
enum { GROUP_VALUES = RNG_GROUP * RNG_PER_BLOCK };

void rng_fill_uniform(Rng *r, real *x, size_t n, real lo, real hi)
{
    real u[GROUP_VALUES], width = hi - lo;
    for (size_t i = 0; i < n;) {
        size_t m = GROUP_VALUES;
        if (n - i >= GROUP_VALUES) {
            next_uniforms(r, RNG_GROUP, u);
        } else {
            next_uniforms(r, 1, u);
            m = n - i < RNG_PER_BLOCK ? n - i : RNG_PER_BLOCK;
        }
        for (size_t j = 0; j < m; j++) x[i + j] = lo + width * u[j];
        i += m;
    }
}

void rng_fill_normal(Rng *r, real *x, size_t n, real mean, real std)
{
    real z[GROUP_VALUES];
    for (size_t i = 0; i < n;) {
        size_t m = GROUP_VALUES;
        if (n - i >= GROUP_VALUES) {
            next_normals(r, RNG_GROUP, z);
        } else {
            next_normals(r, 1, z);
            m = n - i < RNG_PER_BLOCK ? n - i : RNG_PER_BLOCK;
        }
        for (size_t j = 0; j < m; j++) x[i + j] = mean + std * z[j];
        i += m;
    }
}

void rng_save(const Rng *r, uint8_t out[RNG_STATE_SIZE])
{
    base_put_le(out, r->seed, 8);
    base_put_le(out + 8, r->stream, 8);
    base_put_le(out + 16, r->counter, 8);
}

Rng rng_load(const uint8_t in[RNG_STATE_SIZE])
{
    return (Rng){.seed = base_get_le(in, 8), .stream = base_get_le(in + 8, 8),
                 .counter = base_get_le(in + 16, 8)};
}
