/* f64_gradcheck_models.c: whole-model gradient checks (float64 build).
 *
 * For each model, each phase's gradient with respect to a sample of its
 * parameters, as computed by the autodiff graph and the kernels, must
 * match central finite differences of the phase's loss. Inputs are random
 * images in the model's range and random labels; the noise is drawn once
 * and kept, and dropout masks depend only on the step, which does not
 * advance, and each run starts from the same layer state, so the loss is a
 * deterministic function of the parameters. */
#include <stdlib.h>

#include "check.h"
#include "compiled.h"
#include "passes/compile.h"
#include "exec/exec.h"
#include "core/pool.h"
#include "exec/rng.h"

static double phase_loss(Exec *e, const Plan *p, int phase)
{
    char err[EXEC_ERR_LEN];
    if (exec_gradients(e, p, err)) {
        fprintf(stderr, "%s\n", err);
        return NAN;
    }
    return e->loss[phase];
}

static void check_model(const char *path, int B, int samples)
{
    Compiled *c = compile_for(path, B, &backend_cpu, NULL, 0);
    if (!c) return;
    const Graph *g = c->g;
    char err[EXEC_ERR_LEN];
    Exec *e = exec_new(c, &backend_cpu, 7, err);
    CHECKF(e != NULL, "%s", err);
    if (!e) {
        compiled_free(c);
        return;
    }
    Rng r = rng_init(3);
    if (g->data) {
        int64_t n = B * shape_count(g->data->shape);
        rng_fill_uniform(&r, e->input[0], (size_t)n, (real)g->data->lo, (real)g->data->hi);
        for (int i = 0; i < B; i++) e->input[1][i] = (real)rng_categorical(&r, 10);
    }
    exec_draw_noise(e, &r, B);
    /* spectral norm's power iterations first converge (where u v^T is
     * sigma's derivative), and every run starts from the same layer state */
    bool spectral = false;
    for (int n = 0; n < g->nnodes; n++) spectral |= g->nodes[n].op == OP_spectral_sigma;
    real *state = malloc(sizeof(real) * (size_t)(e->nstate + 1));
    for (int p = 0; p < g->nphases; p++) {
        Plan *plan = exec_plan_step(e, 1u << p);
        for (int k = 0; spectral && k < 300; k++) phase_loss(e, plan, p);
        memcpy(state, e->state, sizeof(real) * (size_t)e->nstate);
        double l0 = phase_loss(e, plan, p);
        CHECKF(isfinite(l0), "%s phase %s: loss %g", path, g->phases[p].name, l0);
        real *grad = malloc(sizeof(real) * (size_t)e->plen[p]);
        memcpy(grad, exec_phase_grads(e, plan, p), sizeof(real) * (size_t)e->plen[p]);
        int worst = -1, large = 0;
        double worst_err = 0;
        for (int s = 0; s < samples; s++) {
            int64_t k = (int64_t)rng_categorical(&r, (uint64_t)e->plen[p]);
            real *w = e->params + e->pstart[p] + k, saved = *w;
            double h = 1e-6 * fmax(1.0, fabs(saved));
            *w = saved + h;
            memcpy(e->state, state, sizeof(real) * (size_t)e->nstate);
            double lp = phase_loss(e, plan, p);
            *w = saved - h;
            memcpy(e->state, state, sizeof(real) * (size_t)e->nstate);
            double lm = phase_loss(e, plan, p);
            *w = saved;
            double fd = (lp - lm) / (2 * h), an = grad[k];
            /* A central difference of a loss of size |L| carries an
             * absolute rounding error near |L| * 1e-16 / h = |L| * 1e-10;
             * the floor allows ten times that (the VAE's loss is ~550
             * nats, its gradients ~1e-3). Above it: 1e-5 relative. */
            double floor_abs = 1e-9 * fmax(1.0, fabs(l0));
            double rel = fabs(fd - an) / fmax(fabs(fd), fabs(an));
            bool ok = fabs(fd - an) <= 1e-5 * fmax(fabs(fd), fabs(an)) + floor_abs;
            if (fabs(fd - an) > floor_abs && rel > worst_err) worst_err = rel, worst = (int)k;
            large += fabs(an) > 1e3 * floor_abs;
            CHECKF(ok, "%s phase %s param real %lld: autodiff %.10g, finite differences %.10g",
                   path, g->phases[p].name, (long long)k, an, fd);
        }
        printf("f64_gradcheck_models: %s phase %s: %d parameters (%d gradients above "
               "1000 x the floor), ",
               path, g->phases[p].name, samples, large);
        if (worst < 0) /* no difference above the floor: no relative error to report */
            printf("every difference within the absolute floor\n");
        else
            printf("worst relative error %.2e (real %d)\n", worst_err, worst);
        free(grad);
        plan_free(plan);
    }
    free(state);
    exec_free(e);
    compiled_free(c);
}

int main(void)
{
    pool_init(2);
    check_model("models/gan_mlp_mnist.g", 3, 40);
    check_model("models/vae_mnist.g", 3, 40);
    check_model("models/cgan_mnist.g", 3, 40);
    check_model("models/dcgan_mnist.g", 3, 30);
    check_model("models/conv_vae_mnist.g", 1, 30);
    check_model("models/classifier_mnist.g", 3, 30);
    check_model("models/wgan_mnist.g", 3, 30);
    check_model("models/wgan_gp_mnist.g", 3, 30);
    check_model("models/r1_gan_mnist.g", 3, 30);
    check_model("models/sngan_mnist.g", 3, 30);
    check_model("models/infogan_mnist.g", 3, 30);
    check_model("models/acgan_mnist.g", 3, 30);
    pool_shutdown();
    return check_done("f64_gradcheck_models");
}
