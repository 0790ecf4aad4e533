/* test_backends.c: the two backends agree on every shipped model.
 *
 * The "cpu" backend (optimized kernels: OpenBLAS, oneDNN, our own
 * vectorised loops, in float32) and the "ref" backend (the naive
 * reference kernels of kernels/ref.c, double accumulators) compute one
 * training step of each model from the same parameters, data and noise:
 * each phase's loss and the gradient of every parameter, and the layer
 * state after the step. Then the model again with plain SGD (Adam's
 * first step is about lr * sign(g), which turns rounding in a gradient
 * near 0 into a change of 2 lr), and a whole step of every phase with its
 * update, in which the later phases see the earlier ones' updates: the
 * change of every parameter.
 *
 * Tolerance, documented in docs/architecture.md: float32 sums in another
 * order differ by rounding, which grows with the length of the sums (a
 * convolution's weight gradient sums thousands of products). So a tensor
 * agrees when every element is within 1e-3 of the largest element of that
 * tensor, plus 1e-6 absolute; a loss within 1e-4 relative. A kernel with
 * a wrong index or a missing term is off by the size of the values, far
 * beyond that. */
#include <glob.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "compiled.h"
#include "core/pool.h"
#include "exec/exec.h"
#include "exec/rng.h"
#include "passes/compile.h"

enum { BATCH = 4 };

/* the same random batch for both: data in the model's range, labels of
 * its classes, and noise */
static void fill_batch(Exec *e)
{
    const Graph *g = e->g;
    Rng r = rng_init(42);
    if (g->data) {
        rng_fill_uniform(&r, e->input[0], (size_t)(BATCH * shape_count(g->data->shape)),
                         (real)g->data->lo, (real)g->data->hi);
        for (int i = 0; i < BATCH; i++)
            e->input[1][i] = (real)rng_categorical(&r, (uint64_t)g->data->classes);
    }
    exec_draw_noise(e, &r, BATCH);
}

/* a and b [n] agree within the tolerance above; what names them */
static void check_close(const real *a, const real *b, int64_t n, const char *what)
{
    double big = 0, worst = 0;
    int64_t at = 0;
    for (int64_t i = 0; i < n; i++) big = fmax(big, fabs((double)b[i]));
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d > worst) worst = d, at = i;
    }
    CHECKF(worst <= 1e-3 * big + 1e-6, "%s: element %lld is %g on cpu, %g on ref (largest %g)",
           what, (long long)at, (double)a[at], (double)b[at], big);
}

/* The model compiled for each backend, and its run state on each;
 * false (and both closed) when one fails. */
static bool open_both(const char *path, const char *const *sets, int nsets, Compiled *c[2],
                      Exec *e[2])
{
    const Backend *be[2] = {&backend_cpu, &backend_ref};
    char err[EXEC_ERR_LEN] = "";
    for (int k = 0; k < 2; k++) {
        c[k] = compile_for(path, BATCH, be[k], sets, nsets);
        e[k] = c[k] ? exec_new(c[k], be[k], 5, err) : NULL;
    }
    if (e[0] && e[1]) return true;
    CHECKF(false, "%s: %s", path, err);
    for (int k = 0; k < 2; k++) {
        exec_free(e[k]);
        compiled_free(c[k]);
    }
    return false;
}

static void close_both(Compiled *c[2], Exec *e[2])
{
    for (int k = 0; k < 2; k++) {
        exec_free(e[k]);
        compiled_free(c[k]);
    }
}

/* Each phase's loss and gradients, and the layer state after them. */
static void compare_gradients(const char *path)
{
    Compiled *c[2];
    Exec *both[2];
    if (!open_both(path, NULL, 0, c, both)) return;
    Exec *cpu = both[0], *ref = both[1];
    const Graph *g = cpu->g;
    char err[EXEC_ERR_LEN];
    CHECK(cpu->nparams == ref->nparams &&
          memcmp(cpu->params, ref->params, sizeof(real) * (size_t)cpu->nparams) == 0);
    char what[256];
    for (int p = 0; p < g->nphases; p++) {
        Plan *plan[2];
        for (int k = 0; k < 2; k++) {
            plan[k] = exec_plan_step(both[k], 1u << p);
            fill_batch(both[k]);
            CHECKF(exec_gradients(both[k], plan[k], err) == 0, "%s on %s: %s", path,
                   both[k]->be->name, err);
        }
        snprintf(what, sizeof what, "%s phase %s: the loss", path, g->phases[p].name);
        CHECKF(fabs((double)cpu->loss[p] - ref->loss[p]) <= 1e-4 * fmax(1, fabs((double)ref->loss[p])),
               "%s: %g on cpu, %g on ref", what, (double)cpu->loss[p], (double)ref->loss[p]);
        const real *gc = exec_phase_grads(cpu, plan[0], p), *gr = exec_phase_grads(ref, plan[1], p);
        for (int j = 0; j < g->phases[p].nparams; j++) {
            int i = g->phases[p].params[j];
            int64_t off = cpu->poff[i] - cpu->pstart[p];
            snprintf(what, sizeof what, "%s phase %s: the gradient of %s", path, g->phases[p].name,
                     g->params[i].path);
            check_close(gc + off, gr + off, shape_count(g->params[i].shape), what);
        }
        plan_free(plan[0]);
        plan_free(plan[1]);
    }
    for (int i = 0; i < g->nstates; i++) {
        snprintf(what, sizeof what, "%s: the state of %s", path, g->states[i].path);
        check_close(cpu->state + cpu->soff[i], ref->state + ref->soff[i], graph_state_count(g, i),
                    what);
    }
    close_both(c, both);
}

/* A step of every phase with SGD updates: the change of each parameter. */
static void compare_step(const char *path)
{
    const char *sgd[] = {"optimizer sgd(lr: 0.01)"};
    Compiled *c[2];
    Exec *both[2];
    if (!open_both(path, sgd, 1, c, both)) return;
    Exec *cpu = both[0], *ref = both[1];
    const Graph *g = cpu->g;
    char err[EXEC_ERR_LEN];
    real *before = malloc(sizeof(real) * (size_t)cpu->nparams);
    memcpy(before, cpu->params, sizeof(real) * (size_t)cpu->nparams);
    unsigned all = (1u << g->nphases) - 1;
    fill_batch(cpu);
    fill_batch(ref);
    CHECKF(exec_step(cpu, all, err) == 0 && exec_step(ref, all, err) == 0, "%s: %s", path, err);
    for (int64_t i = 0; i < cpu->nparams; i++) {
        cpu->params[i] -= before[i];
        ref->params[i] -= before[i];
    }
    char what[256];
    for (int i = 0; i < g->nparams; i++) {
        snprintf(what, sizeof what, "%s: the change of %s in a step", path, g->params[i].path);
        check_close(cpu->params + cpu->poff[i], ref->params + ref->poff[i],
                    shape_count(g->params[i].shape), what);
    }
    free(before);
    close_both(c, both);
}

int main(void)
{
    pool_init(2);
    glob_t models;
    CHECK(glob("models/*.g", 0, NULL, &models) == 0 && models.gl_pathc >= 8);
    for (size_t m = 0; m < models.gl_pathc; m++) {
        compare_gradients(models.gl_pathv[m]);
        compare_step(models.gl_pathv[m]);
    }
    printf("test_backends: %zu models, one step each on cpu and ref\n", models.gl_pathc);
    globfree(&models);
    pool_shutdown();
    return check_done("test_backends");
}
