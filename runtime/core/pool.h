/* pool.h: the one thread pool of the runtime.
 *
 * Every parallel kernel (and GEMM, which we split ourselves: OpenBLAS is
 * told to use one thread) goes through pool_for, so the machine never runs
 * more threads than pool_init asked for.
 *
 * The calling thread takes part in the work: pool_init(n) starts n-1
 * workers, and pool_init(1) starts none (every pool_for then runs inline).
 * Idle workers sleep on a condition variable instead of spinning: on the
 * 2-core VMs we target, a spinning worker steals the core that the caller
 * or OpenBLAS needs (see DESIGN.md, section 4).
 *
 * Determinism: pool_for hands out task numbers; which thread runs a task is
 * not fixed, so kernels must make each task's result depend only on its
 * task number (per-task partial sums, reduced afterwards in task order).
 * With the same task count the results are then bit-identical run to run.
 *
 * Only one thread (the executor's) may call pool_for at a time. A pool_for
 * issued from inside a task runs inline in that task, so kernels can call
 * parallel helpers (e.g. k_matmul) from inside their own tasks. */
#ifndef GENC_POOL_H
#define GENC_POOL_H

#include <stdbool.h>
#include <stddef.h>

/* Start the pool with nthreads threads in all (including the caller);
 * nthreads < 1 means 1. Calls pool_blas_setup(). May be called
 * again to change the thread count (the old workers are joined first).
 * 0, or the error of a thread that could not start (the pool then runs on
 * the caller alone). */
int pool_init(int nthreads);

/* Set OpenBLAS up for the pool, once (pool_init calls it; k_gemm calls it
 * too, for programs that never call pool_init): one BLAS thread, and, when
 * OpenBLAS did not recognise the CPU, the best kernels the CPU supports
 * (see pool.c; OPENBLAS_CORETYPE in the environment overrides). */
void pool_blas_setup(void);

/* OpenBLAS's buffers for the pool's threads, taken now (see pool.c for
 * why): false, taking nothing, when the address space has no room for
 * them; pool_blas_bytes() is what they need (138 MB per thread). Call it
 * from outside pool tasks, after the executor's own memory is taken. */
size_t pool_blas_bytes(void);
bool pool_blas_reserve(void);

/* Join the workers; afterwards the pool behaves as pool_init(1). */
void pool_shutdown(void);

/* Threads in the pool, counting the caller (1 before pool_init). */
int pool_threads(void);

/* The thread running the current task: 0 .. pool_threads()-1 (0 outside
 * tasks). A thread runs one task at a time, so scratch memory indexed by
 * it (not by task) is private to the task, and only pool_threads() copies
 * are needed however many tasks there are. Results must still depend only
 * on the task number (see above). */
int pool_thread_index(void);

/* Run fn(ctx, task) for task = 0 .. ntasks-1, spread over the pool, and
 * return when all are done. Tasks may run in any order and on any thread. */
typedef void (*PoolFn)(void *ctx, int task);
void pool_for(int ntasks, PoolFn fn, void *ctx);

#endif
