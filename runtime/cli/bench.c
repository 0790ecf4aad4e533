/* bench.c: times training steps on random data of the model's shape.
 *
 * The data are uniform in the model's range and the labels uniform over
 * the classes: the speed of a step does not depend on what the pixels
 * show, and the benchmark then needs no dataset. The result line is
 * meant for bench/run.sh as much as for people:
 *   bench dcgan_mnist batch 64 threads 2 steps 20: 190.3 images/s ...
 * With --profile, the time per op kind and per phase follows. */
#include "cli/bench.h"
#include "cli/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/pool.h"
#include "kernels/kernels.h"

static int by_time_desc(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return (x[0] < y[0]) - (x[0] > y[0]);
}

/* e->prof holds the seconds of `steps` steps that took `total` */
static void print_profile(Exec *e, double total, int steps)
{
    const Graph *g = e->g;
    double kind[OP_COUNT][2] = {{0}}; /* seconds, op */
    for (int i = 0; i < OP_COUNT; i++) kind[i][1] = i;
    for (int n = 0; n < g->nnodes; n++) kind[g->nodes[n].op][0] += e->prof[n];
    double upd = 0;
    for (int p = 0; p < g->nphases; p++) upd += e->prof[g->nnodes + p];
    qsort(kind, OP_COUNT, sizeof kind[0], by_time_desc);
    printf("profile: share of step time by op (all phases)\n");
    for (int i = 0; i < OP_COUNT && kind[i][0] > 0; i++)
        printf("  %-18s %6.1f%%  %8.2f ms/step\n", op_info[(int)kind[i][1]].name,
               100 * kind[i][0] / total, 1e3 * kind[i][0] / steps);
    printf("  %-18s %6.1f%%  %8.2f ms/step\n", "(optimizer)", 100 * upd / total, 1e3 * upd / steps);
    /* the costliest nodes, with their speed: the next thing to optimise */
    const Plan *p = e->steps[(1u << g->nphases) - 1]; /* the step of every phase */
    double (*node)[2] = xcalloc((size_t)g->nnodes, sizeof *node);
    for (int n = 0; n < g->nnodes; n++) node[n][0] = e->prof[n], node[n][1] = n;
    qsort(node, (size_t)g->nnodes, sizeof node[0], by_time_desc);
    printf("profile: the 12 costliest nodes (genc graph --after=plan shows them in order)\n");
    for (int i = 0; i < 12 && i < g->nnodes && node[i][0] > 0; i++) {
        int n = (int)node[i][1];
        double flops = 0;
        for (int t = 0; t < p->nins; t++)
            if (p->ins[t].kind == INS_COMPUTE && p->ins[t].node == n) flops += plan_flops(g, p, &p->ins[t]);
        char b[64];
        printf("  %%%-4d %-16s %-16s %8.2f ms/step %7.1f GFLOP/s  %s\n", n, op_info[g->nodes[n].op].name,
               shape_str(g->nodes[n].shape, b, sizeof b), 1e3 * node[i][0] / steps,
               flops * steps / node[i][0] / 1e9, g->nodes[n].path);
    }
    free(node);
}

/* The practical ceiling: OpenBLAS sgemm on a large square product, split
 * over the pool like genc's own products. */
static double sgemm_gflops(void)
{
    enum { N = 1024 };
    real *a = xcalloc((size_t)N * N, sizeof *a), *b = xcalloc((size_t)N * N, sizeof *b),
         *c = xcalloc((size_t)N * N, sizeof *c);
    for (int i = 0; i < N * N; i++) a[i] = (real)(i % 7), b[i] = (real)(i % 5);
    k_matmul(c, a, b, N, N, N, false, false); /* warm-up */
    double best = 0;
    for (int r = 0; r < 5; r++) {
        double t = base_seconds();
        k_matmul(c, a, b, N, N, N, false, false);
        double gf = 2.0 * N * N * N / (base_seconds() - t) / 1e9;
        if (gf > best) best = gf;
    }
    free(a);
    free(b);
    free(c);
    return best;
}

int bench_run(RunOpts *o)
{
    if (o->sgemm) {
        if (run_pool(o->threads > 0 ? o->threads : (int)sysconf(_SC_NPROCESSORS_ONLN)))
            return EXIT_RUNTIME;
        printf("sgemm threads %d: %.2f GFLOP/s (1024x1024x1024, best of 5)\n", pool_threads(),
               sgemm_gflops());
        pool_shutdown();
        return EXIT_OK;
    }
    int steps = o->steps > 0 ? (int)o->steps : 20, warmup = o->warmup >= 0 ? o->warmup : 3;
    Run run;
    int status = run_open(&run, o, false);
    if (status) return status;
    Graph *g = run.g;
    Exec *e = run.e;
    Rng r = rng_init(1);
    int B = g->batch;
    if (g->data) {
        /* a text's windows and labels are character indices, images' labels
         * class indices */
        const DataSrc *d = g->data;
        bool text = strcmp(d->dataset, "text") == 0;
        size_t nx = (size_t)(B * shape_count(d->shape)), ny = (size_t)(B * shape_count(d->label_shape));
        for (size_t i = 0; text && i < nx; i++) e->input[0][i] = (real)rng_categorical(&r, (uint64_t)d->classes);
        if (!text) rng_fill_uniform(&r, e->input[0], nx, (real)d->lo, (real)d->hi);
        for (size_t i = 0; i < ny; i++) e->input[1][i] = (real)rng_categorical(&r, (uint64_t)d->classes);
    }
    char err[EXEC_ERR_LEN];
    double flops = 0, t0 = 0;
    for (int s = 0; s < warmup + steps && status == EXIT_OK; s++) {
        if (s == warmup) {
            if (o->profile) exec_profile(e);
            t0 = base_seconds();
        }
        exec_draw_noise(e, &r, B);
        unsigned mask = plan_mask(g, (uint64_t)s);
        if (exec_step(e, mask, err)) {
            fprintf(stderr, "genc: error: %s\n", err);
            status = EXIT_RUNTIME;
        }
        if (s >= warmup) {
            const Plan *p = e->steps[mask];
            for (int t = 0; t < p->nins; t++) flops += plan_flops(g, p, &p->ins[t]);
        }
    }
    double dt = base_seconds() - t0;
    if (status == EXIT_OK) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        const char *base = strrchr(o->file, '/');
        printf("bench %s batch %d threads %d steps %d: %.1f images/s, %.4f s/step, "
               "%.2f GFLOP/s, %.1f MFLOP/example, peak RSS %.1f MB\n",
               base ? base + 1 : o->file, B, pool_threads(), steps, steps * B / dt, dt / steps, flops / dt / 1e9,
               flops / steps / B / 1e6, ru.ru_maxrss / 1024.0);
        if (o->profile) print_profile(e, dt, steps);
    }
    run_close(&run);
    return status;
}
