/* rng.h: the one random number generator of the runtime.
 *
 * A counter-based generator (Philox4x32-10, Salmon et al., SC'11): output
 * block number c of stream s under seed k is a pure function of (k, s, c).
 * So the whole state is three integers, a checkpoint restores it exactly,
 * streams never overlap (they are different counter ranges, not hashed
 * seeds that might collide), and any slice of a fill could be computed on
 * another thread without changing a single bit.
 *
 * Each block is 128 bits. A single draw (rng_u64, rng_uniform, rng_normal,
 * one rng_categorical try) uses one block; the fills use all of it:
 * a fill of n values uses ceil(n / RNG_PER_BLOCK) blocks, so the values
 * depend on how a caller splits its fills, never on threads or timing.
 *
 * Integers and uniforms are bit-identical on every machine (IEEE
 * arithmetic, and -std=c11 keeps the compiler from fusing a*b+c). Normals
 * go through the C library's log, sqrt, sin and cos, so they are
 * identical wherever the same libm runs (DESIGN.md promises "the same
 * machine").
 * The float and the double build (GENC_DOUBLE) pack different numbers of
 * values per block and so draw different uniforms and normals. */
#ifndef GENC_RNG_H
#define GENC_RNG_H

#include "core/base.h"

/* Plain data: copying it forks the generator; rng_save/rng_load give the
 * portable byte form for checkpoints. */
typedef struct Rng {
    uint64_t seed;    /* the Philox key */
    uint64_t stream;  /* high half of the 128-bit Philox counter */
    uint64_t counter; /* low half: blocks used so far in this stream */
} Rng;

/* Uniforms (and normals) one block yields: 4 of 24 bits for float, 2 of
 * 53 bits for double. */
#ifdef GENC_DOUBLE
#define RNG_PER_BLOCK 2
#else
#define RNG_PER_BLOCK 4
#endif

/* rng_init(seed) is stream 0 of that seed: number the runtime's other
 * streams (noise sources, shuffling, dropout) from 1. */
Rng rng_init(uint64_t seed);
Rng rng_stream(uint64_t seed, uint64_t stream_id);

uint64_t rng_u64(Rng *r);
/* rng_u64 of an Rng passed as void *, for data_shuffle */
uint64_t rng_u64_of(void *r);
/* in [0, 1), 24 random bits for float, 53 for double */
real rng_uniform(Rng *r);
/* a standard normal */
real rng_normal(Rng *r);
/* uniform integer in [0, n), n >= 1, with no modulo bias */
uint64_t rng_categorical(Rng *r, uint64_t n);

/* x[i] = lo + (hi - lo) * u, u in [0, 1): in [lo, hi) except that rounding
 * may give hi itself when hi - lo is large compared with lo. */
void rng_fill_uniform(Rng *r, real *x, size_t n, real lo, real hi);
/* x[i] = mean + std * z, z standard normal (Box-Muller) */
void rng_fill_normal(Rng *r, real *x, size_t n, real mean, real std);

/* The state as RNG_STATE_SIZE little-endian bytes (seed, stream, counter),
 * the same on every machine. Every byte string is a valid state. */
#define RNG_STATE_SIZE 24
void rng_save(const Rng *r, uint8_t out[RNG_STATE_SIZE]);
Rng rng_load(const uint8_t in[RNG_STATE_SIZE]);

#endif
