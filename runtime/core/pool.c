/* pool.c: a fork-join pool with a condition-variable hand-off.
 *
 * One job at a time: the caller publishes (fn, ctx, ntasks) under the mutex,
 * bumps a generation counter and broadcasts; workers and the caller then
 * claim task numbers until none are left, and the caller sleeps until every
 * task has finished. Nobody spins: a worker with nothing to do sleeps in
 * pthread_cond_wait (a futex wait).
 *
 * Why the caller waits for finished *tasks* and not for the workers: on the
 * 2-core VM a sleeping worker needs 5-300 us to wake (median ~75 us,
 * measured: the vCPU halts and the wake-up goes through the hypervisor).
 * For a job shorter than that the caller simply runs every task itself and
 * returns; a worker that wakes late finds the job gone. The task counter
 * carries the job's generation in its high half, so a late worker can never
 * claim (and run with a stale fn/ctx) a task of a newer job. Kernels split
 * their work into a few tasks per thread, so the caller can take over the
 * share of a worker that is slow to wake. The hand-off cost measured this
 * way is quoted in kernels_impl.h, where it sets the size below which
 * kernels stay on one thread. */
#include "core/pool.h"

#include <cblas.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"

static int pool_n = 1;            /* threads, counting the caller */
static pthread_t *pool_workers;   /* pool_n - 1 of them */
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cv_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t pool_cv_done = PTHREAD_COND_INITIALIZER;

/* the current job; written under pool_mu before the generation changes */
static PoolFn job_fn;
static void *job_ctx;
static int job_ntasks;
static uint32_t job_gen;          /* bumped once per job */
static bool pool_stopping;
/* (generation << 32) | next task number to claim */
static _Atomic uint64_t job_claim;
static atomic_int job_done;       /* tasks finished in the current job */

static bool pool_blas_reserved; /* OpenBLAS's buffers, for the current threads */

/* set while a thread runs tasks, so that nested pool_for calls run inline */
static _Thread_local bool pool_inside;
/* 0 for the caller of pool_for, 1 .. pool_n-1 for the workers */
static _Thread_local int pool_self;

/* Claim and run tasks of job `gen` until none are left. The caller of
 * pool_for passes its own job, so it always finds it current. */
static void pool_run_tasks(uint32_t gen, PoolFn fn, void *ctx, int ntasks)
{
    pool_inside = true;
    uint64_t cur = atomic_load_explicit(&job_claim, memory_order_acquire);
    for (;;) {
        if ((uint32_t)(cur >> 32) != gen || (int)(uint32_t)cur >= ntasks) break;
        if (!atomic_compare_exchange_weak_explicit(&job_claim, &cur, cur + 1,
                                                   memory_order_acq_rel,
                                                   memory_order_acquire))
            continue; /* cur now holds the fresh value */
        fn(ctx, (int)(uint32_t)cur);
        if (atomic_fetch_add_explicit(&job_done, 1, memory_order_acq_rel) + 1 == ntasks) {
            /* the last task: wake the caller if it sleeps */
            pthread_mutex_lock(&pool_mu);
            pthread_cond_signal(&pool_cv_done);
            pthread_mutex_unlock(&pool_mu);
        }
        cur = atomic_load_explicit(&job_claim, memory_order_acquire);
    }
    pool_inside = false;
}

static void *pool_worker(void *arg)
{
    pool_self = (int)(intptr_t)arg;
    uint32_t seen = 0;
    pthread_mutex_lock(&pool_mu);
    for (;;) {
        while (job_gen == seen && !pool_stopping)
            pthread_cond_wait(&pool_cv_work, &pool_mu);
        if (pool_stopping) break;
        seen = job_gen;
        PoolFn fn = job_fn;
        void *ctx = job_ctx;
        int ntasks = job_ntasks;
        pthread_mutex_unlock(&pool_mu);
        pool_run_tasks(seen, fn, ctx, ntasks);
        pthread_mutex_lock(&pool_mu);
    }
    pthread_mutex_unlock(&pool_mu);
    return NULL;
}

void pool_shutdown(void)
{
    if (pool_n > 1) {
        pthread_mutex_lock(&pool_mu);
        pool_stopping = true;
        pthread_cond_broadcast(&pool_cv_work);
        pthread_mutex_unlock(&pool_mu);
        for (int i = 0; i < pool_n - 1; i++) pthread_join(pool_workers[i], NULL);
        free(pool_workers);
        pool_workers = NULL;
        pool_stopping = false;
    }
    pool_n = 1;
}

/* OpenBLAS with DYNAMIC_ARCH picks its kernels by CPU model at load time.
 * Debian 12's 0.3.21 does not know recent Xeons (model 207 on our VMs)
 * and falls back to its generic "Prescott" (SSE3) kernels, at a quarter of
 * the speed: sgemm 1024^3 runs at ~25 GFLOP/s on one core instead of ~110
 * with the SkylakeX (AVX-512) kernels. Unless the user chose a core with
 * OPENBLAS_CORETYPE, re-run OpenBLAS's core selection with the best kernel
 * set the CPU (and OS) supports. The entry points are weak, so a BLAS
 * without DYNAMIC_ARCH links and is left alone. __builtin_cpu_supports
 * sees the CPU valgrind emulates (no AVX-512), so valgrind gets Haswell. */
char *openblas_get_corename(void) __attribute__((weak));
void gotoblas_dynamic_init(void) __attribute__((weak));
void gotoblas_dynamic_quit(void) __attribute__((weak));

static void pool_blas_pick_core(void)
{
    if (!openblas_get_corename || !gotoblas_dynamic_init || !gotoblas_dynamic_quit) return;
    if (getenv("OPENBLAS_CORETYPE")) return;
    const char *core = openblas_get_corename();
    if (!core || strcmp(core, "Prescott") != 0) return;
    __builtin_cpu_init();
    const char *want = __builtin_cpu_supports("avx512f") ? "SkylakeX"
                       : __builtin_cpu_supports("avx2") ? "Haswell" : NULL;
    if (!want) return;
    setenv("OPENBLAS_CORETYPE", want, 0);
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
}

static void pool_blas_setup_once(void)
{
    /* BLAS threads would compete with ours; we split GEMMs ourselves. */
    openblas_set_num_threads(1);
    pool_blas_pick_core();
}

void pool_blas_setup(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, pool_blas_setup_once);
}

int pool_init(int nthreads)
{
    /* one malloc arena for every thread: a worker's first malloc (inside
     * OpenBLAS) would otherwise reserve an arena of its own, up to 128 MB
     * of address space that pool_blas_reserve does not count. Nothing here
     * mallocs in a training step, so the shared arena costs nothing. */
    mallopt(M_ARENA_MAX, 1);
    pool_blas_setup();
    pool_blas_reserved = false;
    pool_shutdown();
    if (nthreads < 1) nthreads = 1;
    if (nthreads == 1) return 0;
    pool_workers = xmalloc(sizeof(pthread_t) * (size_t)(nthreads - 1));
    for (int i = 0; i < nthreads - 1; i++) {
        int e = pthread_create(&pool_workers[i], NULL, pool_worker, (void *)(intptr_t)(i + 1));
        pool_n = i + 1;
        if (e) {
            pool_shutdown(); /* the i workers started */
            return e;
        }
    }
    pool_n = nthreads;
    return 0;
}

/* OpenBLAS gives each thread that calls it a buffer of BUFFER_SIZE bytes
 * of address space (128 MiB in Debian's 0.3.21), and when that allocation
 * fails it retries forever: under a memory limit (ulimit -v) that our own
 * memory fits but its buffers do not, a matrix product would hang. So the
 * executor reserves them once its own memory is taken: a probe of the
 * address space they need (mapped, never touched, freed at once), then
 * products on every pool thread while that room is known to be there,
 * after which OpenBLAS keeps them. A run without the room is refused with
 * a message instead.
 * The buffers are in one table for all threads: a product takes a free
 * one and allocates only when all are in use. So the warm-up's products
 * must overlap: each thread keeps multiplying until every thread has
 * finished one, and a thread taking a buffer finds the others inside a
 * product, holding theirs. (With one product each, a thread that started
 * late on a busy machine took the buffer another had just freed; the
 * pool's first concurrent products then allocated a second one mid-run,
 * and under ulimit -v hung.) */
/* 128 MiB, with 4 MiB to spare */
#define POOL_BLAS_BUFFER ((size_t)132 << 20)
enum { POOL_WARM_N = 256 }; /* big enough to take OpenBLAS's buffered path */

size_t pool_blas_bytes(void) { return POOL_BLAS_BUFFER * (size_t)pool_n; }

typedef struct BlasWarm {
    pthread_barrier_t all;
    atomic_int finished; /* threads that have finished a product */
    real *mem;
} BlasWarm;

/* c = a b, n x n, through OpenBLAS */
static void pool_blas_product(const real *a, const real *b, real *c, int n)
{
#ifdef GENC_DOUBLE
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
#else
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
#endif
}

static void pool_blas_warm(void *ctx, int t)
{
    BlasWarm *w = ctx;
    /* no task ends before all have started, so each runs on its own thread */
    pthread_barrier_wait(&w->all);
    const int n = POOL_WARM_N;
    real *a = w->mem + (size_t)t * 3 * n * n, *b = a + n * n, *c = b + n * n;
    pool_blas_product(a, b, c, n);
    atomic_fetch_add(&w->finished, 1);
    while (atomic_load(&w->finished) < pool_n) pool_blas_product(a, b, c, n);
}

bool pool_blas_reserve(void)
{
    if (pool_blas_reserved) return true;
    BlasWarm w = {.mem = calloc((size_t)pool_n * 3 * POOL_WARM_N * POOL_WARM_N, sizeof(real))};
    if (!w.mem || !base_room(pool_blas_bytes())) {
        free(w.mem);
        return false;
    }
    pthread_barrier_init(&w.all, NULL, (unsigned)pool_n);
    pool_for(pool_n, pool_blas_warm, &w);
    pthread_barrier_destroy(&w.all);
    free(w.mem);
    pool_blas_reserved = true;
    return true;
}

int pool_threads(void) { return pool_n; }

int pool_thread_index(void) { return pool_self; }

void pool_for(int ntasks, PoolFn fn, void *ctx)
{
    if (ntasks <= 0) return;
    if (pool_n == 1 || ntasks == 1 || pool_inside) {
        for (int t = 0; t < ntasks; t++) fn(ctx, t);
        return;
    }
    pthread_mutex_lock(&pool_mu);
    job_fn = fn;
    job_ctx = ctx;
    job_ntasks = ntasks;
    job_gen++;
    if (job_gen == 0) job_gen = 1; /* 0 is every worker's initial "seen" */
    uint32_t gen = job_gen;
    atomic_store_explicit(&job_done, 0, memory_order_relaxed);
    atomic_store_explicit(&job_claim, (uint64_t)gen << 32, memory_order_release);
    pthread_cond_broadcast(&pool_cv_work);
    pthread_mutex_unlock(&pool_mu);

    pool_run_tasks(gen, fn, ctx, ntasks);

    if (atomic_load_explicit(&job_done, memory_order_acquire) < ntasks) {
        pthread_mutex_lock(&pool_mu);
        while (atomic_load_explicit(&job_done, memory_order_acquire) < ntasks)
            pthread_cond_wait(&pool_cv_done, &pool_mu);
        pthread_mutex_unlock(&pool_mu);
    }
}
