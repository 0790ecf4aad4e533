/* kernels_impl.h: what the kernel files share and nobody else needs:
 * type-generic math and the rule for splitting work over the pool. */
#ifndef GENC_KERNELS_IMPL_H
#define GENC_KERNELS_IMPL_H

/* tgmath: exp(x) is expf for float x and exp for double x, so one source
 * serves both builds. Constants are written (real)c so that float
 * expressions are not silently promoted to double. */
#include <tgmath.h>

#include "kernels/kernels.h"
#include "core/pool.h"

/* How work is split. A task is worth handing to another thread only if
 * it outweighs the hand-off, measured on the 2-core VM (tests/unit/
 * test_kernels --bench prints it): back to back a job costs 0.1-0.3 us,
 * but when the worker is asleep, as it is after any single-thread
 * stretch, publishing a job costs the caller 10-20 us (futex wake) and the
 * worker starts 5-300 us later, median ~70 us (the vCPU has to be woken
 * through the hypervisor).
 * So work below ~3 tasks of K_TASK_NS stays on the caller, and larger work
 * is cut into tasks of at least K_TASK_NS (at most 4 per thread) so that
 * the caller can run the share of a worker that is late to wake.
 * Work is estimated in nanoseconds of one thread's time by each kernel
 * (roughly 0.5 ns per element for a copy-like loop, ~5 ns per
 * transcendental, 0.01-0.02 ns per GEMM flop). */
#define K_TASK_NS 40000.0
#define K_MAX_TASKS_PER_THREAD 4

/* The number of tasks for `work_ns` of work that can be split into at most
 * max_split pieces; 1 means run inline. */
int k_tasks(double work_ns, long max_split);

/* [lo, hi) of the t-th of T near-equal parts of [0, n) */
static inline long k_part(long n, int t, int T) { return n * t / T; }

/* multiply-adds x 2 of a convolution of geometry g (to size its tasks) */
double k_conv_flops(const KConv *g);

/* sum of x [n] in double, in a fixed order (8 interleaved partial sums,
 * which the compiler can keep in vector registers) */
double k_sum_d(const real *x, long n);

#endif
