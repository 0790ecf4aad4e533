/* evaluate.c: genc sample and genc eval on a trained model. */
#include "evaluate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "run.h"

/* ---- genc sample ------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

int eval_sample(RunOpts *o)
{
    Run r;
    int code = run_open_trained(&r, o);
    if (code) {
        if (r.g) run_close(&r);
        return code;
    }
    Graph *g = r.g;
    if (g->sample < 0) {
        fprintf(stderr, "genc: error: %s has no 'sample' setting in its train block\n", o->file);
        run_close(&r);
        return EXIT_USAGE;
    }
    int c = run_class_noise(g);
    if (o->label >= 0 && (c < 0 || o->label >= g->noise[c].classes)) {
        if (c < 0) fprintf(stderr, "genc: error: --label: %s is not a conditional model\n", o->file);
        else fprintf(stderr, "genc: error: --label must be below %d\n", g->noise[c].classes);
        run_close(&r);
        return EXIT_USAGE;
    }
    int n = o->n > 0 ? o->n : 64;
    int cols = o->cols > 0 ? o->cols : (int)ceil(sqrt((double)n));
    int rows = o->rows > 0 ? o->rows : (n + cols - 1) / cols;
    if (o->rows > 0 && o->cols > 0 && o->n <= 0) n = rows * cols;
    const char *out = o->sample_out ? o->sample_out : "samples.png";
    bool idx = ends_with(out, ".idx");
    if (!idx && rows * cols < n) {
        fprintf(stderr, "genc: error: a %dx%d grid holds %d images, not %d\n", rows, cols,
                rows * cols, n);
        run_close(&r);
        return EXIT_USAGE;
    }
    const Shape *s = &g->nodes[g->sample].shape;
    int64_t per = shape_count(*s);
    real *all = xcalloc((size_t)(n * per), sizeof *all);
    Rng rng = rng_stream(o->seed >= 0 ? (uint64_t)o->seed : g->seed, STREAM_FIXED_NOISE);
    int chunk = n < 100 ? n : 100;
    Plan *p = plan_eval(g, chunk, &g->sample, 1);
    char err[EXEC_ERR_LEN];
    int status = EXIT_OK;
    for (int done = 0; done < n && status == EXIT_OK; done += chunk) {
        const real *x = run_draw_samples(&r, p, chunk, &rng, o->label, c >= 0 && o->label < 0 ? cols : 1, err);
        if (!x) {
            fprintf(stderr, "genc: error: %s\n", err);
            status = EXIT_RUNTIME;
            break;
        }
        int take = n - done < chunk ? n - done : chunk;
        memcpy(all + (int64_t)done * per, x, sizeof(real) * (size_t)(take * per));
    }
    real lo, hi;
    run_sample_range(g, &lo, &hi);
    int ch = s->nd == 3 ? s->d[0] : 1, h = s->nd == 3 ? s->d[1] : 1, w = s->nd == 3 ? s->d[2] : (int)per;
    char ierr[IMAGE_ERR_LEN];
    if (status == EXIT_OK) {
        int bad = idx ? image_write_idx(out, all, n, ch, h, w, lo, hi, ierr)
                      : image_write_grid(out, all, n, ch, h, w, rows, cols, 3, lo, hi, ierr);
        if (bad) {
            fprintf(stderr, "genc: error: %s\n", ierr);
            status = EXIT_RUNTIME;
        } else {
            fprintf(stderr, "genc: wrote %d samples to %s\n", n, out);
        }
    }
    free(all);
    plan_free(p);
    run_close(&r);
    return status;
}

/* ---- genc eval --------------------------------------------------------- */

int eval_test(RunOpts *o)
{
    Run r;
    int code = run_open_trained(&r, o);
    if (code) {
        if (r.g) run_close(&r);
        return code;
    }
    Graph *g = r.g;
    Exec *e = r.e;
    if (!g->data) {
        fprintf(stderr, "genc: error: %s reads no data to evaluate on\n", o->file);
        run_close(&r);
        return EXIT_USAGE;
    }
    DataSet ds;
    if (run_load_data(&r, "test", &ds)) {
        run_close(&r);
        return EXIT_RUNTIME;
    }
    int B = g->batch;
    int nroots = g->nphases + (g->judge >= 0);
    int *roots = xcalloc((size_t)nroots + 1, sizeof *roots);
    for (int p = 0; p < g->nphases; p++) roots[p] = g->phases[p].loss;
    if (g->judge >= 0) roots[g->nphases] = g->judge;
    Plan *plan = plan_eval(g, B, roots, nroots);
    double *sum = xcalloc((size_t)g->nphases + 1, sizeof *sum);
    int64_t correct = 0, seen = 0;
    int *idx = xcalloc((size_t)B, sizeof *idx), *labels = xcalloc((size_t)B, sizeof *labels);
    Rng noise = rng_stream(g->seed, STREAM_FIXED_NOISE);
    char err[EXEC_ERR_LEN];
    int status = EXIT_OK;
    /* whole batches only: the plan's batch is fixed (the rest of the test
     * set, fewer than one batch, is left out and said so below) */
    for (int64_t b = 0; b + B <= ds.n; b += B) {
        for (int i = 0; i < B; i++) idx[i] = (int)(b + i);
        data_batch(&ds, idx, B, (real)g->data->lo, (real)g->data->hi, e->input[0], labels);
        for (int i = 0; i < B; i++) e->input[1][i] = (real)labels[i];
        exec_draw_noise(e, &noise, B);
        if (exec_eval(e, plan, err)) {
            fprintf(stderr, "genc: error: %s\n", err);
            status = EXIT_RUNTIME;
            break;
        }
        for (int p = 0; p < g->nphases; p++) sum[p] += *exec_value(e, plan, g->phases[p].loss) * B;
        if (g->judge >= 0) {
            const real *pr = exec_value(e, plan, g->judge);
            int k = g->nodes[g->judge].shape.d[0];
            for (int i = 0; i < B; i++) {
                int best = 0;
                for (int j = 1; j < k; j++)
                    if (pr[i * k + j] > pr[i * k + best]) best = j;
                correct += best == labels[i];
            }
        }
        seen += B;
    }
    if (status == EXIT_OK) {
        printf("%s on %lld test images (%s)%s\n", o->file, (long long)seen, g->data->dataset,
               seen < ds.n ? " (a last partial batch is left out)" : "");
        for (int p = 0; p < g->nphases; p++)
            printf("  loss %-10s %.4f\n", g->phases[p].name, sum[p] / (double)seen);
        if (g->judge >= 0) printf("  accuracy   %.4f\n", (double)correct / (double)seen);
    }
    free(idx);
    free(labels);
    free(sum);
    free(roots);
    plan_free(plan);
    data_free(&ds);
    run_close(&r);
    return status;
}
