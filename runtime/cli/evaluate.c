/* evaluate.c: genc sample and genc eval on a trained model. */
#include "cli/evaluate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/image.h"
#include "cli/run.h"

static int eval_judge(RunOpts *o);

/* ---- genc sample ------------------------------------------------------- */

/* --interpolate: each row decodes codes on the line between the codes of
 * two test images (encode setting), from the first image to the second. */
static int interpolate(Run *r, RunOpts *o)
{
    Graph *g = r->g;
    Exec *e = r->e;
    if (g->encode < 0 || !g->data) {
        fprintf(stderr, "genc: error: --interpolate: %s has no 'encode' setting (the code of a "
                "data example, e.g. encode mu)\n", o->file);
        return EXIT_USAGE;
    }
    int rows = o->rows > 0 ? o->rows : 8, cols = o->cols > 0 ? o->cols : 10;
    if (rows * cols > 100 || cols < 2) {
        fprintf(stderr, "genc: error: --interpolate draws at most 100 images in rows of 2 or "
                "more; --grid %dx%d does not fit\n", rows, cols);
        return EXIT_USAGE;
    }
    DataSet ds;
    if (run_load_data(r, "test", &ds)) return EXIT_RUNTIME;
    int k = 0, d = (int)shape_count(g->nodes[g->encode].shape);
    while (!shape_eq(g->noise[k].shape, g->nodes[g->encode].shape)) k++; /* sema made sure */
    /* 2 * rows test images in a fixed random order */
    int *perm = xcalloc((size_t)ds.n, sizeof *perm);
    for (int i = 0; i < ds.n; i++) perm[i] = i;
    Rng rng = rng_stream(o->seed >= 0 ? (uint64_t)o->seed : g->seed, STREAM_FIXED_NOISE);
    data_shuffle(perm, ds.n, rng_u64_of, &rng);
    run_batch(r, &ds, perm, 2 * rows);
    exec_draw_noise(e, &rng, 2 * rows);
    Plan *pe = exec_plan_eval(e, 2 * rows, &g->encode, 1),
         *ps = exec_plan_eval(e, rows * cols, &g->sample, 1);
    real *codes = xcalloc((size_t)(2 * rows * d), sizeof *codes);
    char err[EXEC_ERR_LEN];
    int status = EXIT_OK;
    if (exec_eval(e, pe, err)) status = EXIT_RUNTIME;
    if (status == EXIT_OK) {
        memcpy(codes, exec_value(e, pe, g->encode), sizeof(real) * (size_t)(2 * rows * d));
        exec_draw_noise(e, &rng, rows * cols); /* any other noise the decoder reads */
        for (int i = 0; i < rows; i++)
            for (int c = 0; c < cols; c++) {
                double t = (double)c / (cols - 1);
                real *z = e->noise[k] + (size_t)(i * cols + c) * d;
                for (int j = 0; j < d; j++)
                    z[j] = (real)((1 - t) * codes[(2 * i) * d + j] + t * codes[(2 * i + 1) * d + j]);
            }
        if (exec_eval(e, ps, err)) status = EXIT_RUNTIME;
    }
    if (status == EXIT_OK) {
        const Shape *s = &g->nodes[g->sample].shape;
        real lo, hi;
        run_sample_range(g, &lo, &hi);
        const char *out = o->sample_out ? o->sample_out : "interpolation.png";
        char ierr[IMAGE_ERR_LEN];
        if (image_write_grid(out, exec_value(e, ps, g->sample), rows * cols, s->d[0], s->d[1],
                             s->d[2], rows, cols, 3, lo, hi, ierr)) {
            fprintf(stderr, "genc: error: %s\n", ierr);
            status = EXIT_RUNTIME;
        } else {
            fprintf(stderr, "genc: wrote %d rows of %d interpolations between test images to %s\n",
                    rows, cols, out);
        }
    } else {
        fprintf(stderr, "genc: error: %s\n", err);
    }
    plan_free(pe);
    plan_free(ps);
    free(codes);
    free(perm);
    data_free(&ds);
    return status;
}

int eval_sample(RunOpts *o)
{
    Run r;
    int code = run_open_trained(&r, o, false);
    if (code) return code;
    Graph *g = r.g;
    if (g->sample < 0) {
        fprintf(stderr, "genc: error: %s has no 'sample' setting in its train block\n", o->file);
        run_close(&r);
        return EXIT_USAGE;
    }
    if (o->interpolate) {
        code = interpolate(&r, o);
        run_close(&r);
        return code;
    }
    int c = run_class_noise(g);
    if (o->label_name) { /* a class folder's name from the checkpoint, else a number */
        int k = 0;
        for (size_t at = 0; at < r.classes_len && o->label < 0; at += strlen(r.classes + at) + 1, k++)
            if (strcmp(r.classes + at, o->label_name) == 0) o->label = k;
        char *end;
        long n = o->label < 0 ? strtol(o->label_name, &end, 10) : 0;
        if (o->label < 0 && o->label_name[0] >= '0' && o->label_name[0] <= '9' && !*end && n <= 1000000)
            o->label = (int)n;
        if (o->label < 0) {
            if (r.classes_len)
                fprintf(stderr, "genc: error: --label %s: no class of that name in the checkpoint "
                        "(it has %d, numbered 0 to %d)\n", o->label_name, k, k - 1);
            else
                fprintf(stderr, "genc: error: --label %s: the checkpoint has no class names (a "
                        "model trained on images(\"dir\") has); give the class's number\n",
                        o->label_name);
            run_close(&r);
            return EXIT_USAGE;
        }
    }
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
    bool idx = base_ends_with(out, ".idx");
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
    Plan *p = exec_plan_eval(r.e, chunk, &g->sample, 1);
    char err[EXEC_ERR_LEN];
    int status = EXIT_OK;
    for (int done = 0; done < n && status == EXIT_OK; done += chunk) {
        const real *x = run_draw_samples(&r, p, chunk, done, &rng, o->label, c >= 0 && o->label < 0 ? cols : 1, err);
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
    if (o->judge || o->images) return eval_judge(o);
    Run r;
    int code = run_open_trained(&r, o, true);
    if (code) return code;
    Graph *g = r.g;
    Exec *e = r.e;
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
    Plan *plan = exec_plan_eval(e, B, roots, nroots);
    double *sum = xcalloc((size_t)g->nphases + 1, sizeof *sum);
    int64_t correct = 0, seen = 0;
    int *idx = xcalloc((size_t)B, sizeof *idx);
    Rng noise = rng_stream(g->seed, STREAM_FIXED_NOISE);
    char err[EXEC_ERR_LEN];
    int status = EXIT_OK;
    /* batches of the model's size, then one plan for the rest */
    Plan *rest = NULL;
    for (int64_t at = 0; at < ds.n; at += B) {
        int n = ds.n - at < B ? (int)(ds.n - at) : B;
        Plan *p = plan;
        if (n < B) p = rest = exec_plan_eval(e, n, roots, nroots);
        for (int i = 0; i < n; i++) idx[i] = (int)(at + i);
        run_batch(&r, &ds, idx, n);
        exec_draw_noise(e, &noise, n);
        if (exec_eval(e, p, err)) {
            fprintf(stderr, "genc: error: %s\n", err);
            status = EXIT_RUNTIME;
            break;
        }
        /* each loss is a batch mean: weight it by the batch's size */
        for (int q = 0; q < g->nphases; q++) sum[q] += *exec_value(e, p, g->phases[q].loss) * n;
        if (g->judge >= 0) {
            const real *pr = exec_value(e, p, g->judge);
            int k = g->nodes[g->judge].shape.d[0];
            for (int i = 0; i < n; i++) {
                int best = 0;
                for (int j = 1; j < k; j++)
                    if (pr[i * k + j] > pr[i * k + best]) best = j;
                correct += best == (int)e->input[1][i];
            }
        }
        seen += n;
    }
    plan_free(rest);
    if (status == EXIT_OK) {
        /* a text model's cross-entropy is per character: also in bits */
        bool text = ds.tokens != NULL;
        if (text)
            printf("%s on %lld test windows of %d characters (%s)\n", o->file, (long long)seen,
                   ds.context, g->data->dataset);
        else
            printf("%s on %lld test %s (%s)\n", o->file, (long long)seen,
                   ds.audio ? "sounds" : "images", g->data->dataset);
        for (int p = 0; p < g->nphases; p++) {
            double loss = sum[p] / (double)seen;
            printf("  loss %-10s %.4f", g->phases[p].name, loss);
            if (text) printf(" (%.4f in bits)", loss / log(2.0));
            printf("\n");
        }
        if (g->judge >= 0) printf("  accuracy   %.4f\n", (double)correct / (double)seen);
    }
    free(idx);
    free(sum);
    free(roots);
    plan_free(plan);
    data_free(&ds);
    run_close(&r);
    return status;
}

/* ---- genc eval --judge ------------------------------------------------- */

/* Eigenvalues (w) and eigenvectors (columns of v) of the symmetric n x n
 * matrix a, by cyclic Jacobi rotations; a is destroyed. n is small here
 * (the judge's feature width), so simplicity wins over speed. */
static void jacobi_eigen(double *a, int n, double *w, double *v)
{
    for (int i = 0; i < n * n; i++) v[i] = 0;
    for (int i = 0; i < n; i++) v[i * n + i] = 1;
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
        if (off < 1e-22) break;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) {
                double apq = a[p * n + q];
                if (fabs(apq) < 1e-300) continue;
                double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < n; k++) { /* columns p and q */
                    double akp = a[k * n + p], akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for (int k = 0; k < n; k++) { /* rows p and q */
                    double apk = a[p * n + k], aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for (int k = 0; k < n; k++) {
                    double vkp = v[k * n + p], vkq = v[k * n + q];
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
    }
    for (int i = 0; i < n; i++) w[i] = a[i * n + i];
}

/* mean [d] and covariance [d, d] of n feature rows */
static void moments(const real *f, int n, int d, double *mean, double *cov)
{
    for (int j = 0; j < d; j++) {
        mean[j] = 0;
        for (int i = 0; i < n; i++) mean[j] += f[(size_t)i * d + j];
        mean[j] /= n;
    }
    for (int a = 0; a < d; a++)
        for (int b = a; b < d; b++) {
            double s = 0;
            for (int i = 0; i < n; i++)
                s += (f[(size_t)i * d + a] - mean[a]) * (f[(size_t)i * d + b] - mean[b]);
            cov[a * d + b] = cov[b * d + a] = s / (n - 1);
        }
}

/* Frechet distance between Gaussians fitted to two feature sets:
 * |m1 - m2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)), with tr (S1 S2)^(1/2) the
 * sum of the square roots of the eigenvalues of S1^(1/2) S2 S1^(1/2). */
static double frechet(const real *f1, const real *f2, int n, int d)
{
    double *m1 = xcalloc((size_t)d, sizeof *m1), *m2 = xcalloc((size_t)d, sizeof *m2);
    double *s1 = xcalloc((size_t)d * d, sizeof *s1), *s2 = xcalloc((size_t)d * d, sizeof *s2);
    double *w = xcalloc((size_t)d, sizeof *w), *v = xcalloc((size_t)d * d, sizeof *v);
    double *r = xcalloc((size_t)d * d, sizeof *r), *t = xcalloc((size_t)d * d, sizeof *t);
    moments(f1, n, d, m1, s1);
    moments(f2, n, d, m2, s2);
    double dist = 0, tr = 0;
    for (int j = 0; j < d; j++) dist += (m1[j] - m2[j]) * (m1[j] - m2[j]);
    for (int j = 0; j < d; j++) tr += s1[j * d + j] + s2[j * d + j];
    /* r = S1^(1/2) = V sqrt(W) V^T */
    memcpy(t, s1, sizeof *t * (size_t)d * d);
    jacobi_eigen(t, d, w, v);
    for (int a = 0; a < d; a++)
        for (int b = 0; b < d; b++) {
            double s = 0;
            for (int k = 0; k < d; k++) s += v[a * d + k] * sqrt(fmax(w[k], 0)) * v[b * d + k];
            r[a * d + b] = s;
        }
    /* t = r S2 r */
    for (int a = 0; a < d; a++)
        for (int b = 0; b < d; b++) {
            double s = 0;
            for (int k = 0; k < d; k++) s += s2[a * d + k] * r[k * d + b];
            v[a * d + b] = s; /* v = S2 r */
        }
    for (int a = 0; a < d; a++)
        for (int b = 0; b < d; b++) {
            double s = 0;
            for (int k = 0; k < d; k++) s += r[a * d + k] * v[k * d + b];
            t[a * d + b] = s;
        }
    jacobi_eigen(t, d, w, v);
    for (int j = 0; j < d; j++) tr -= 2 * sqrt(fmax(w[j], 0));
    free(m1);
    free(m2);
    free(s1);
    free(s2);
    free(w);
    free(v);
    free(r);
    free(t);
    return dist + tr;
}

#define JUDGE_N 1000
#define JUDGE_CHUNK 100

/* The judge's probabilities [n, classes] and features [n, d] of n images
 * given in the judge's own range. */
static int classify(Run *j, Plan *p, const real *imgs, int n, real *probs, real *feats,
                    char err[EXEC_ERR_LEN])
{
    const Graph *g = j->g;
    int64_t per = shape_count(g->data->shape);
    int k = g->nodes[g->judge].shape.d[0], d = (int)shape_count(g->nodes[g->features].shape);
    for (int at = 0; at < n; at += JUDGE_CHUNK) {
        memcpy(j->e->input[0], imgs + (int64_t)at * per, sizeof(real) * (size_t)(JUDGE_CHUNK * per));
        memset(j->e->input[1], 0, sizeof(real) * JUDGE_CHUNK);
        if (exec_eval(j->e, p, err)) return -1;
        memcpy(probs + (int64_t)at * k, exec_value(j->e, p, g->judge), sizeof(real) * (size_t)(JUDGE_CHUNK * k));
        memcpy(feats + (int64_t)at * d, exec_value(j->e, p, g->features),
               sizeof(real) * (size_t)(JUDGE_CHUNK * d));
    }
    return 0;
}

/* An unsupervised code (InfoGAN's) with at most this many values is
 * matched to the judge's classes */
#define JUDGE_MAX_CODES 16

typedef struct JudgeScore {
    double confident, coverage, fd, agreement;
    int match[JUDGE_MAX_CODES]; /* a matched code: its value -> a class */
} JudgeScore;

/* The one-to-one assignment of m code values to k classes (m, k <= 16)
 * that agrees most with the counts conf[code][class], exactly, by dynamic
 * programming over the sets of classes taken; match[code] gets its class.
 * Returns how many samples agree. */
static int best_matching(const int conf[][JUDGE_MAX_CODES], int m, int k, int *match)
{
    int states = 1 << k;
    int *best = xcalloc((size_t)states, sizeof *best), *from = xcalloc((size_t)states, sizeof *from);
    for (int x = 1; x < states; x++) best[x] = -1;
    int top = 0, top_mask = 0;
    for (int x = 0; x < states; x++) {
        int i = __builtin_popcount((unsigned)x); /* codes assigned so far */
        if (best[x] < 0) continue;
        if (i == m) {
            if (best[x] > top) top = best[x], top_mask = x;
            continue;
        }
        for (int c = 0; c < k; c++) {
            int y = x | 1 << c;
            if (y != x && best[x] + conf[i][c] > best[y]) best[y] = best[x] + conf[i][c], from[y] = c;
        }
    }
    for (int x = top_mask, i = m - 1; i >= 0; i--) {
        match[i] = from[x];
        x &= ~(1 << from[x]);
    }
    free(best);
    free(from);
    return top;
}

/* want: the class each sample was drawn for, or NULL; matched: want is an
 * unsupervised code of `codes` values, matched to the classes first */
static JudgeScore score(const real *probs, const real *feats, const real *test_feats, int n, int k,
                        int d, const int *want, bool matched, int codes)
{
    JudgeScore s = {0};
    int hist[256] = {0}, agree = 0, conf[JUDGE_MAX_CODES][JUDGE_MAX_CODES] = {{0}};
    for (int i = 0; i < n; i++) {
        int best = 0;
        for (int c = 1; c < k; c++)
            if (probs[i * k + c] > probs[i * k + best]) best = c;
        s.confident += probs[i * k + best] > 0.9;
        hist[best]++;
        agree += want && best == want[i];
        if (matched) conf[want[i]][best]++;
    }
    s.confident /= n;
    for (int c = 0; c < k; c++)
        if (hist[c]) s.coverage -= (double)hist[c] / n * log((double)hist[c] / n);
    s.coverage /= log((double)k);
    if (matched) agree = best_matching(conf, codes, k, s.match);
    s.agreement = want ? (double)agree / n : -1;
    s.fd = fmax(0, frechet(feats, test_feats, n, d)); /* rounding can give -1e-6 */
    return s;
}

static void print_score(const char *what, int width, JudgeScore s)
{
    printf("  %-*s %9.3f %9.3f %9.2f", width, what, s.confident, s.coverage, s.fd);
    if (s.agreement >= 0) printf(" %9.3f", s.agreement);
    printf("\n");
}

/* Whether a model's class noise is trained to be the data's label. */
static bool judge_labelled(const Graph *g)
{
    return g->data && g->data->label_name;
}

/* The images to judge, in the judge's range: 1,000 samples of the model
 * o->file (with the labels a conditional model was asked for, in *want), or
 * the first 1,000 images of the IDX file o->images (first = 0..999). */
static int judge_candidates(RunOpts *o, Run *m, const Graph *jg, const int *first, real *imgs,
                            int **want)
{
    int64_t per = shape_count(jg->data->shape);
    if (o->images) {
        DataIdx idx;
        char err[DATA_ERR_LEN];
        if (data_idx_read(o->images, &idx, err)) {
            fprintf(stderr, "genc: error: %s\n", err);
            return EXIT_RUNTIME;
        }
        /* [n, rows, cols] is one channel, as data_load reads it */
        bool images = idx.rank >= 3;
        DataSet ds = {.n = idx.dims[0], .c = idx.rank == 4 ? idx.dims[1] : 1,
                      .h = images ? idx.dims[idx.rank - 2] : 0,
                      .w = images ? idx.dims[idx.rank - 1] : 0, .pixels = idx.data};
        Shape reads = jg->data->shape, have = shape_make(false, 3, (int[]){ds.c, ds.h, ds.w});
        reads.batch = false;
        char b1[64], b2[64];
        int status = EXIT_OK;
        if (!images) {
            fprintf(stderr, "genc: error: %s: an IDX file of rank %d, not images (rank 3 or 4)\n",
                    o->images, idx.rank);
            status = EXIT_RUNTIME;
        } else if (!shape_eq(have, reads)) {
            fprintf(stderr, "genc: error: %s: images of %s, but %s reads %s\n", o->images,
                    shape_str(have, b1, sizeof b1), o->file, shape_str(reads, b2, sizeof b2));
            status = EXIT_RUNTIME;
        } else if (ds.n < JUDGE_N) {
            fprintf(stderr, "genc: error: %s: %d images; judging needs %d\n", o->images, ds.n, JUDGE_N);
            status = EXIT_RUNTIME;
        } else {
            data_batch(&ds, first, JUDGE_N, (real)jg->data->lo, (real)jg->data->hi, imgs, NULL);
        }
        data_idx_free(&idx);
        return status;
    }
    Plan *mp = exec_plan_eval(m->e, JUDGE_CHUNK, &m->g->sample, 1);
    char err[EXEC_ERR_LEN];
    int c = run_class_noise(m->g);
    /* a code trained to be the data's label is compared with it; an
     * unsupervised one (InfoGAN) is matched to the classes first (score) */
    if (c >= 0 && (judge_labelled(m->g) || m->g->noise[c].classes <= JUDGE_MAX_CODES))
        *want = xcalloc(JUDGE_N, sizeof **want);
    Rng rng = rng_stream(o->seed >= 0 ? (uint64_t)o->seed : m->g->seed, STREAM_FIXED_NOISE);
    real lo, hi;
    run_sample_range(m->g, &lo, &hi);
    int status = EXIT_OK;
    /* generated images, mapped from the model's range to the judge's */
    for (int at = 0; at < JUDGE_N; at += JUDGE_CHUNK) {
        /* a conditional model draws rows of 10 per class, in turn */
        const real *x = run_draw_samples(m, mp, JUDGE_CHUNK, at, &rng, -1, 10, err);
        if (!x) {
            fprintf(stderr, "genc: error: %s\n", err);
            status = EXIT_RUNTIME;
            break;
        }
        for (int64_t i = 0; i < JUDGE_CHUNK * per; i++)
            imgs[at * per + i] = (real)((x[i] - lo) / (hi - lo) * (jg->data->hi - jg->data->lo) + jg->data->lo);
        for (int i = 0; *want && i < JUDGE_CHUNK; i++)
            (*want)[at + i] = (int)m->e->noise[c][i];
    }
    plan_free(mp);
    return status;
}

/* Scores 1,000 samples of a generator (or the images of --images) with a
 * trained classifier, and 1,000 real training images the same way, as the
 * reference. */
static int eval_judge(RunOpts *o)
{
    Run m, j;
    memset(&m, 0, sizeof m);
    memset(&j, 0, sizeof j);
    /* with --images, o->file is the judge itself; --data names where the
     * real images are: only the judge reads any */
    const char *judge = o->images ? o->file : o->judge;
    const char *judge_ckpt = o->images ? o->checkpoint : o->judge_checkpoint;
    RunOpts jo = {.file = judge, .checkpoint = judge_ckpt, .seed = -1, .label = -1,
                  .threads = o->threads, .data_dir = o->data_dir};
    int code = o->images ? EXIT_OK : run_open_trained(&m, o, false);
    if (!code && !o->images && m.g->sample < 0) {
        fprintf(stderr, "genc: error: %s has no 'sample' setting to judge\n", o->file);
        code = EXIT_USAGE;
    }
    if (!code) code = run_open_trained(&j, &jo, false);
    if (!code && (j.g->judge < 0 || j.g->features < 0 || !j.g->data)) {
        fprintf(stderr, "genc: error: %s%s is not a classifier (its objective has no "
                "cross_entropy of a net ending in dense -> softmax)\n", o->images ? "--images: " : "--judge: ", judge);
        code = EXIT_USAGE;
    }
    if (!code && !o->images && !shape_eq(m.g->nodes[m.g->sample].shape, j.g->data->shape)) {
        char b1[64], b2[64];
        fprintf(stderr, "genc: error: --judge: %s draws %s but %s reads %s\n", o->file,
                shape_str(m.g->nodes[m.g->sample].shape, b1, sizeof b1), judge,
                shape_str(j.g->data->shape, b2, sizeof b2));
        code = EXIT_USAGE;
    }
    DataSet train = {0}, test = {0};
    if (!code && (run_load_data(&j, "train", &train) || run_load_data(&j, "test", &test)))
        code = EXIT_RUNTIME;
    if (!code && test.n < JUDGE_N) {
        fprintf(stderr, "genc: error: judging needs %d test images; %s has %d\n", JUDGE_N, judge, test.n);
        code = EXIT_RUNTIME;
    }
    const Graph *jg = j.g;
    /* 0..999: the first JUDGE_N images of a set, in order */
    int *idx = xcalloc(JUDGE_N, sizeof *idx), *want = NULL;
    for (int i = 0; i < JUDGE_N; i++) idx[i] = i;
    real *cand = NULL;
    if (!code) {
        cand = xcalloc((size_t)(JUDGE_N * shape_count(jg->data->shape)), sizeof *cand);
        code = judge_candidates(o, &m, jg, idx, cand, &want);
    }
    if (code) {
        free(cand);
        free(idx);
        data_free(&train);
        data_free(&test);
        run_close(&j);
        run_close(&m);
        return code;
    }
    int k = jg->nodes[jg->judge].shape.d[0], d = (int)shape_count(jg->nodes[jg->features].shape);
    real *imgs = xcalloc((size_t)(JUDGE_N * shape_count(jg->data->shape)), sizeof *imgs);
    real *probs = xcalloc((size_t)JUDGE_N * k, sizeof *probs);
    real *feats = xcalloc((size_t)JUDGE_N * d, sizeof *feats);
    real *test_feats = xcalloc((size_t)JUDGE_N * d, sizeof *test_feats);
    int roots[2] = {jg->judge, jg->features};
    Plan *jp = exec_plan_eval(j.e, JUDGE_CHUNK, roots, 2);
    char err[EXEC_ERR_LEN];
    int status = EXIT_OK;
    /* the test images' features: the reference distribution */
    data_batch(&test, idx, JUDGE_N, (real)jg->data->lo, (real)jg->data->hi, imgs, NULL);
    if (classify(&j, jp, imgs, JUDGE_N, probs, test_feats, err)) status = EXIT_RUNTIME;
    JudgeScore gen = {0}, real_s = {0};
    if (status == EXIT_OK && classify(&j, jp, cand, JUDGE_N, probs, feats, err)) status = EXIT_RUNTIME;
    int cn = o->images ? -1 : run_class_noise(m.g);
    bool matched = want && !judge_labelled(m.g);
    /* a code with more values than the judge has classes, or a judge with
     * more classes than the matching takes: no code column */
    if (matched && (m.g->noise[cn].classes > k || k > JUDGE_MAX_CODES)) want = (free(want), NULL);
    if (status == EXIT_OK)
        gen = score(probs, feats, test_feats, JUDGE_N, k, d, want, matched && want,
                    cn >= 0 ? m.g->noise[cn].classes : 0);
    /* 1,000 real training images in a fixed random order, the reference */
    if (status == EXIT_OK) {
        int *perm = xcalloc((size_t)train.n, sizeof *perm);
        for (int i = 0; i < train.n; i++) perm[i] = i;
        Rng sh = rng_init(12345);
        data_shuffle(perm, train.n, rng_u64_of, &sh);
        int n = train.n < JUDGE_N ? train.n : JUDGE_N;
        data_batch(&train, perm, n, (real)jg->data->lo, (real)jg->data->hi, imgs, NULL);
        free(perm);
        if (n < JUDGE_N || classify(&j, jp, imgs, JUDGE_N, probs, feats, err)) status = EXIT_RUNTIME;
        else real_s = score(probs, feats, test_feats, JUDGE_N, k, d, NULL, false, 0);
    }
    if (status == EXIT_OK) {
        printf("judged by %s (%s), %d images each; fd against %d test images\n", judge,
               judge_ckpt ? judge_ckpt : j.ckpt, JUDGE_N, JUDGE_N);
        const char *what = o->images ? o->images : o->file;
        int width = strlen(what) > 26 ? (int)strlen(what) : 26; /* a long path keeps the columns */
        printf("  %-*s %9s %9s %9s%s\n", width, "", "confident", "coverage", "fd",
               !want ? "" : matched ? "      code" : "     label");
        print_score(what, width, gen);
        print_score("real training images", width, real_s);
        if (want && matched) {
            printf("code: the share of samples whose code's class the judge reads, codes matched "
                   "one to one to classes:");
            for (int i = 0; i < m.g->noise[cn].classes; i++) printf(" %d->%d", i, gen.match[i]);
            printf("\n");
        }
    } else {
        fprintf(stderr, "genc: error: %s\n", err);
    }
    plan_free(jp);
    free(cand);
    free(imgs);
    free(probs);
    free(feats);
    free(test_feats);
    free(idx);
    free(want);
    data_free(&train);
    data_free(&test);
    run_close(&j);
    run_close(&m);
    return status;
}
