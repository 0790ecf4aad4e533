/* train.c: the training loop and the commands around it.
 *
 * One step takes one batch of data (the epoch's shuffled order, the last
 * partial batch dropped) and fresh noise, then runs the phases due at this
 * step in the order of the graph: for `min G max D` the D phase first,
 * which computes G(z) and treats it as a constant, then the G phase, which
 * reuses G(z) and differentiates through the just-updated D (plan.c).
 * Everything a run needs to continue bit for bit is in its checkpoint:
 * parameters, batchnorm statistics, optimizer state, the noise generator,
 * the step (which keys dropout masks and the epoch's shuffle). */
#include "train.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "compile.h"
#include "data.h"
#include "exec.h"
#include "image.h"
#include "kernels/kernels.h"
#include "pool.h"
#include "rng.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* Streams of the run's seed (rng.h numbers them from 1). */
enum { STREAM_NOISE = 2, STREAM_FIXED_NOISE = 3, STREAM_SHUFFLE = 1u << 20 };

/* A compiled model with its run state. */
typedef struct Run {
    RunOpts *o;
    Graph *g;
    Exec *e;
    char name[256]; /* the model file's base name, without .g */
    char dir[1024]; /* the run directory */
    char ckpt[1100];
    uint64_t hash;
} Run;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t next_u64(void *rng) { return rng_u64(rng); }

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) { stop_requested = sig; }

/* ---- set-up ------------------------------------------------------------ */

static int mkdirs(const char *path)
{
    char buf[1300];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0777) && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}

/* Compiles the model, applies the command line's train settings, creates
 * the run state. */
static int run_open(Run *r, RunOpts *o, bool need_data)
{
    memset(r, 0, sizeof *r);
    r->o = o;
    int code;
    r->g = compile_file(o->file, STOP_AUTODIFF, stderr, &code);
    if (!r->g) return code;
    Graph *g = r->g;
    const char *base = strrchr(o->file, '/');
    snprintf(r->name, sizeof r->name, "%s", base ? base + 1 : o->file);
    char *dot = strrchr(r->name, '.');
    if (dot && strcmp(dot, ".g") == 0) *dot = 0;
    if (o->out) snprintf(r->dir, sizeof r->dir, "%s", o->out);
    else snprintf(r->dir, sizeof r->dir, "runs/%s", r->name);
    snprintf(r->ckpt, sizeof r->ckpt, "%s/checkpoint.genc",
             r->dir);
    if (o->epochs > 0) g->epochs = o->epochs;
    if (o->batch > 0) g->batch = o->batch;
    if (o->seed >= 0) g->seed = (uint64_t)o->seed;
    if (o->lr > 0)
        for (int p = 0; p < g->nphases; p++) {
            Setting *s = &g->phases[p].optim;
            int i = 0;
            while (i < s->nkw && strcmp(s->kw[i], "lr")) i++;
            if (i == s->nkw && s->nkw < GRAPH_MAXKW) s->kw[s->nkw++] = xstrdup("lr");
            s->val[i] = o->lr;
        }
    if (need_data && !g->data) {
        fprintf(stderr, "genc: error: %s reads no data (it has no 'data' declaration)\n", o->file);
        return EXIT_USAGE;
    }
    pool_init(o->threads > 0 ? o->threads : (int)sysconf(_SC_NPROCESSORS_ONLN));
    r->hash = graph_hash(g);
    char err[EXEC_ERR_LEN];
    r->e = exec_new(g, g->batch, g->seed, err);
    if (!r->e) {
        fprintf(stderr, "genc: error: %s: %s\n", o->file, err);
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}

static void run_close(Run *r)
{
    exec_free(r->e);
    graph_free(r->g);
    pool_shutdown();
}

static int load_data(Run *r, const char *split, DataSet *ds)
{
    const DataSrc *d = r->g->data;
    const char *dir = r->o->data_dir ? r->o->data_dir : d->dir;
    char err[DATA_ERR_LEN];
    if (data_load_named(d->dataset, dir, split, ds, err)) {
        fprintf(stderr, "genc: error: %s\n", err);
        return -1;
    }
    int64_t want = shape_count(d->shape);
    if ((int64_t)ds->c * ds->h * ds->w != want) {
        char b[64];
        fprintf(stderr, "genc: error: %s: the model's data is %s per example but the %s images "
                "are %dx%dx%d\n",
                r->o->file, shape_str(d->shape, b, sizeof b), split, ds->c, ds->h, ds->w);
        data_free(ds);
        return -1;
    }
    if (d->label_name && ds->classes > d->classes) {
        fprintf(stderr, "genc: error: %s: labels go up to %d but the model expects %d classes\n",
                r->o->file, ds->classes - 1, d->classes);
        data_free(ds);
        return -1;
    }
    return 0;
}

/* ---- checkpoints ------------------------------------------------------- */

/* What a checkpoint holds besides the slabs. */
typedef struct RunState {
    uint64_t step, epoch, pos; /* pos: batches of this epoch already done */
    uint64_t batch;
    uint8_t noise_rng[RNG_STATE_SIZE];
} RunState;

static void u64le(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

#define CKPT_MAX_SECTIONS 64
static int save_checkpoint(Run *r, const RunState *st)
{
    Exec *e = r->e;
    uint8_t meta[4 * 8 + RNG_STATE_SIZE];
    u64le(meta, st->step);
    u64le(meta + 8, st->epoch);
    u64le(meta + 16, st->pos);
    u64le(meta + 24, st->batch);
    memcpy(meta + 32, st->noise_rng, RNG_STATE_SIZE);
    CkptSection s[CKPT_MAX_SECTIONS];
    char names[CKPT_MAX_SECTIONS][48];
    uint8_t steps[16][8];
    size_t n = 0;
    s[n++] = (CkptSection){"run", meta, sizeof meta};
    s[n++] = (CkptSection){"params", e->params, sizeof(real) * (size_t)e->nparams};
    s[n++] = (CkptSection){"batchnorm", e->bn, sizeof(real) * (size_t)e->nbn};
    for (int p = 0; p < r->g->nphases && p < 16; p++) {
        Optim *o = &e->optim[p];
        u64le(steps[p], o->step);
        snprintf(names[n], sizeof names[n], "optim%d.step", p);
        s[n] = (CkptSection){names[n], steps[p], 8};
        n++;
        for (int k = 0; k < o->nslabs && n < CKPT_MAX_SECTIONS; k++) {
            snprintf(names[n], sizeof names[n], "optim%d.%s", p, o->slab[k].name);
            s[n] = (CkptSection){names[n], o->slab[k].x, sizeof(real) * o->n};
            n++;
        }
    }
    char err[CKPT_ERR_LEN];
    if (ckpt_write(r->ckpt, r->hash, s, n, err)) {
        fprintf(stderr, "genc: error: %s\n", err);
        return -1;
    }
    return 0;
}

static int load_checkpoint(Run *r, const char *path, RunState *st)
{
    Exec *e = r->e;
    char err[CKPT_ERR_LEN];
    Ckpt *c = ckpt_read(path, r->hash, err);
    if (!c) {
        fprintf(stderr, "genc: error: %s\n", err);
        return -1;
    }
    uint8_t meta[4 * 8 + RNG_STATE_SIZE];
    int bad = ckpt_get(c, "run", meta, sizeof meta, err) ||
              ckpt_get(c, "params", e->params, sizeof(real) * (size_t)e->nparams, err) ||
              ckpt_get(c, "batchnorm", e->bn, sizeof(real) * (size_t)e->nbn, err);
    for (int p = 0; !bad && p < r->g->nphases; p++) {
        Optim *o = &e->optim[p];
        char name[48];
        uint8_t step[8];
        snprintf(name, sizeof name, "optim%d.step", p);
        bad = ckpt_get(c, name, step, 8, err);
        o->step = le64(step);
        for (int k = 0; !bad && k < o->nslabs; k++) {
            snprintf(name, sizeof name, "optim%d.%s", p, o->slab[k].name);
            bad = ckpt_get(c, name, o->slab[k].x, sizeof(real) * o->n, err);
        }
    }
    ckpt_free(c);
    if (bad) {
        fprintf(stderr, "genc: error: %s\n", err);
        return -1;
    }
    st->step = le64(meta);
    st->epoch = le64(meta + 8);
    st->pos = le64(meta + 16);
    st->batch = le64(meta + 24);
    memcpy(st->noise_rng, meta + 32, RNG_STATE_SIZE);
    e->step = st->step;
    return 0;
}

/* ---- samples ----------------------------------------------------------- */

/* The first categorical noise source, whose value a conditional model's
 * generator is told (the class to draw); -1 if none. */
static int class_noise(const Graph *g)
{
    for (int i = 0; i < g->nnoise; i++)
        if (g->noise[i].kind == NOISE_CATEGORICAL) return i;
    return -1;
}

/* Draws n images of the sample node in eval mode with noise from rng; for
 * a conditional model, class `label` (or, with label < 0, one row of `cols`
 * images per class). Returns the values (n x per-image), owned by e. */
static const real *draw_samples(Run *r, Plan *p, int n, Rng *rng, int label, int cols,
                                char err[EXEC_ERR_LEN])
{
    Exec *e = r->e;
    Graph *g = r->g;
    exec_draw_noise(e, rng, n);
    int c = class_noise(g);
    if (c >= 0)
        for (int i = 0; i < n; i++)
            e->noise[c][i] = (real)(label >= 0 ? label : (i / cols) % g->noise[c].classes);
    if (exec_eval(e, p, err)) return NULL;
    return exec_value(e, p, g->sample);
}

static void sample_range(const Graph *g, real *lo, real *hi)
{
    *lo = g->data ? (real)g->data->lo : -1;
    *hi = g->data ? (real)g->data->hi : 1;
}

/* An image grid of the sample node with the run's fixed noise. */
static int write_grid(Run *r, Plan *p, const char *path)
{
    Graph *g = r->g;
    const Shape *s = &g->nodes[g->sample].shape;
    int c = class_noise(g);
    int rows = c >= 0 ? g->noise[c].classes : 8, cols = 8;
    if (rows * cols > p->B) rows = p->B / cols;
    Rng fixed = rng_stream(g->seed, STREAM_FIXED_NOISE);
    char err[EXEC_ERR_LEN];
    const real *x = draw_samples(r, p, p->B, &fixed, -1, cols, err);
    if (!x) {
        fprintf(stderr, "genc: error: %s\n", err);
        return -1;
    }
    real lo, hi;
    sample_range(g, &lo, &hi);
    int ch = s->nd == 3 ? s->d[0] : 1, h = s->nd == 3 ? s->d[1] : 1, w = s->nd == 3 ? s->d[2] : (int)shape_count(*s);
    char ierr[IMAGE_ERR_LEN];
    if (image_write_grid(path, x, rows * cols, ch, h, w, rows, cols, 3, lo, hi, ierr)) {
        fprintf(stderr, "genc: error: %s\n", ierr);
        return -1;
    }
    return 0;
}

static Plan *sample_plan(Run *r)
{
    Graph *g = r->g;
    if (g->sample < 0) return NULL;
    int c = class_noise(g);
    int n = c >= 0 && g->noise[c].classes <= 12 ? g->noise[c].classes * 8 : 64;
    return plan_eval(g, n, &g->sample, 1);
}

/* ---- progress ---------------------------------------------------------- */

static void fmt_time(double s, char *buf, size_t n)
{
    if (s < 0 || !isfinite(s)) snprintf(buf, n, "?");
    else if (s < 60) snprintf(buf, n, "%.0fs", s);
    else if (s < 3600) snprintf(buf, n, "%dm%02ds", (int)s / 60, (int)s % 60);
    else snprintf(buf, n, "%dh%02dm", (int)s / 3600, (int)s / 60 % 60);
}

typedef struct Progress {
    bool tty, quiet;
    double avg[16]; /* moving averages of the phases' losses */
    bool seen[16];
    double t0, last_print;
    int64_t step0;
} Progress;

static void progress(Run *r, Progress *pr, int64_t step, int64_t total, int epoch, bool end)
{
    if (pr->quiet) return;
    double t = now();
    if (!end && pr->tty && t - pr->last_print < 0.25) return;
    if (!end && !pr->tty) return;
    pr->last_print = t;
    double rate = (double)(step - pr->step0) * r->g->batch / fmax(t - pr->t0, 1e-9);
    char eta[32], line[512];
    fmt_time((double)(total - step) * r->g->batch / fmax(rate, 1e-9), eta, sizeof eta);
    int len = snprintf(line, sizeof line, "epoch %d/%d  step %lld/%lld", epoch + 1, r->g->epochs,
                       (long long)step, (long long)total);
    for (int p = 0; p < r->g->nphases && p < 16; p++)
        if (pr->seen[p])
            len += snprintf(line + len, sizeof line - (size_t)len, "  %s %.4f", r->g->phases[p].name,
                            pr->avg[p]);
    snprintf(line + len, sizeof line - (size_t)len, "  %.0f img/s  ETA %s", rate, eta);
    if (pr->tty) fprintf(stderr, "\r%s\033[K%s", line, end ? "\n" : "");
    else fprintf(stderr, "%s\n", line);
    fflush(stderr);
}

/* ---- genc run ---------------------------------------------------------- */

/* log.csv keeps the rows up to `step` (a resumed run rewrites the rest). */
static FILE *open_log(Run *r, uint64_t step)
{
    char path[1100], tmp[1200];
    snprintf(path, sizeof path, "%s/log.csv", r->dir);
    if (step > 0) {
        FILE *in = fopen(path, "r");
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        FILE *out = in ? fopen(tmp, "w") : NULL;
        if (in && out) {
            char line[4096];
            bool header = true;
            while (fgets(line, sizeof line, in))
                if (header || strtoull(line, NULL, 10) <= step) {
                    fputs(line, out);
                    header = false;
                }
            fclose(out);
            rename(tmp, path);
        } else if (out) {
            fclose(out);
        }
        if (in) fclose(in);
        FILE *f = fopen(path, "a");
        if (f) return f;
    }
    FILE *f = fopen(path, "w");
    if (!f) return NULL;
    fprintf(f, "step,epoch");
    for (int p = 0; p < r->g->nphases; p++) fprintf(f, ",loss_%s", r->g->phases[p].name);
    fprintf(f, ",images_per_s,wall_s\n");
    return f;
}

int train_run(RunOpts *o)
{
    Run r;
    int code = run_open(&r, o, true);
    if (code) {
        if (r.g) run_close(&r);
        return code;
    }
    Graph *g = r.g;
    Exec *e = r.e;
    DataSet ds;
    if (load_data(&r, g->data->split, &ds)) {
        run_close(&r);
        return EXIT_RUNTIME;
    }
    int B = g->batch;
    int64_t per_epoch = ds.n / B;
    if (per_epoch == 0) {
        fprintf(stderr, "genc: error: batch %d is larger than the %d training images\n", B, ds.n);
        data_free(&ds);
        run_close(&r);
        return EXIT_USAGE;
    }
    int64_t total = per_epoch * g->epochs;
    if (o->steps > 0 && o->steps < total) total = o->steps;
    char sdir[1200];
    snprintf(sdir, sizeof sdir, "%s/samples", r.dir);
    if (mkdirs(g->sample >= 0 ? sdir : r.dir)) {
        fprintf(stderr, "genc: error: cannot create %s: %s\n", g->sample >= 0 ? sdir : r.dir,
                strerror(errno));
        data_free(&ds);
        run_close(&r);
        return EXIT_RUNTIME;
    }
    RunState st = {.batch = (uint64_t)B};
    Rng noise = rng_stream(g->seed, STREAM_NOISE);
    if (o->resume) {
        if (access(r.ckpt, F_OK)) {
            fprintf(stderr, "genc: error: --resume: there is no checkpoint at %s\n", r.ckpt);
            data_free(&ds);
            run_close(&r);
            return EXIT_USAGE;
        }
        if (load_checkpoint(&r, r.ckpt, &st)) {
            data_free(&ds);
            run_close(&r);
            return EXIT_RUNTIME;
        }
        if (st.batch != (uint64_t)B) {
            fprintf(stderr, "genc: error: %s was made with batch %llu; resume with --batch %llu\n",
                    r.ckpt, (unsigned long long)st.batch, (unsigned long long)st.batch);
            data_free(&ds);
            run_close(&r);
            return EXIT_USAGE;
        }
        noise = rng_load(st.noise_rng);
        if (!o->quiet)
            fprintf(stderr, "genc: resuming %s from step %llu (epoch %llu)\n", r.ckpt,
                    (unsigned long long)st.step, (unsigned long long)st.epoch + 1);
    }
    FILE *log = open_log(&r, st.step);
    Plan *sp = sample_plan(&r);
    int *perm = xcalloc((size_t)ds.n, sizeof *perm), *labels = xcalloc((size_t)B, sizeof *labels);
    Progress pr = {.tty = isatty(2), .quiet = o->quiet, .t0 = now(), .step0 = (int64_t)st.step};
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    stop_requested = 0;
    char err[EXEC_ERR_LEN];
    int status = EXIT_OK;
    if (!log) {
        fprintf(stderr, "genc: error: cannot write %s/log.csv: %s\n", r.dir, strerror(errno));
        status = EXIT_RUNTIME;
    }
    if (!o->quiet && status == EXIT_OK) {
        fprintf(stderr, "genc: training %s: %lld steps of %d (%lld per epoch), %d threads, %.1f MB, "
                "run directory %s\n",
                o->file, (long long)total, B, (long long)per_epoch, pool_threads(),
                (double)exec_bytes(e) / 1e6, r.dir);
    }
    double t_start = now();
    while (status == EXIT_OK && (int64_t)st.step < total) {
        /* the epoch's order depends only on the seed and the epoch */
        Rng sh = rng_stream(g->seed, STREAM_SHUFFLE + st.epoch);
        for (int i = 0; i < ds.n; i++) perm[i] = i;
        data_shuffle(perm, ds.n, next_u64, &sh);
        for (; st.pos < (uint64_t)per_epoch && (int64_t)st.step < total; st.pos++) {
            data_batch(&ds, perm + st.pos * (uint64_t)B, B, (real)g->data->lo, (real)g->data->hi,
                       e->input[0], labels);
            for (int i = 0; i < B; i++) e->input[1][i] = (real)labels[i];
            exec_draw_noise(e, &noise, B);
            unsigned mask = 0;
            for (int p = 0; p < g->nphases; p++)
                if ((st.step + 1) % (uint64_t)g->phases[p].every == 0) mask |= 1u << p;
            if (exec_step(e, mask, err)) {
                fprintf(stderr, "%sgenc: error: %s\n", pr.tty && !o->quiet ? "\n" : "", err);
                if (access(r.ckpt, F_OK) == 0)
                    fprintf(stderr, "genc: the last good checkpoint is kept: %s\n", r.ckpt);
                status = EXIT_RUNTIME;
                break;
            }
            st.step++;
            for (int p = 0; p < g->nphases && p < 16; p++) {
                if (!(mask & (1u << p))) continue;
                pr.avg[p] = pr.seen[p] ? 0.98 * pr.avg[p] + 0.02 * e->loss[p] : e->loss[p];
                pr.seen[p] = true;
            }
            double t = now();
            fprintf(log, "%llu,%llu", (unsigned long long)st.step, (unsigned long long)st.epoch + 1);
            for (int p = 0; p < g->nphases; p++)
                if (mask & (1u << p)) fprintf(log, ",%.6g", (double)e->loss[p]);
                else fprintf(log, ",");
            fprintf(log, ",%.1f,%.3f\n",
                    (double)(st.step - (uint64_t)pr.step0) * B / fmax(t - pr.t0, 1e-9), t - t_start);
            progress(&r, &pr, (int64_t)st.step, total, (int)st.epoch, false);
            bool ckpt_now = o->checkpoint_every > 0 && st.step % (uint64_t)o->checkpoint_every == 0;
            if (stop_requested || ckpt_now) {
                st.pos++;
                rng_save(&noise, st.noise_rng);
                fflush(log);
                int bad = save_checkpoint(&r, &st);
                st.pos--;
                if (bad) status = EXIT_RUNTIME;
                if (stop_requested) break;
                if (bad) break;
            }
        }
        if (status || stop_requested) break;
        if (st.pos == (uint64_t)per_epoch) {
            /* end of an epoch: its sample grid and a checkpoint */
            progress(&r, &pr, (int64_t)st.step, total, (int)st.epoch, true);
            if (sp) {
                char path[1300];
                snprintf(path, sizeof path, "%s/epoch_%03llu.png", sdir, (unsigned long long)st.epoch + 1);
                if (write_grid(&r, sp, path)) status = EXIT_RUNTIME;
            }
            st.epoch++;
            st.pos = 0;
        }
        rng_save(&noise, st.noise_rng);
        fflush(log);
        if (status == EXIT_OK && save_checkpoint(&r, &st)) status = EXIT_RUNTIME;
    }
    if (stop_requested && status == EXIT_OK) {
        progress(&r, &pr, (int64_t)st.step, total, (int)st.epoch, true);
        fprintf(stderr, "genc: stopped at step %llu; checkpoint %s\n"
                "genc: continue with: genc run %s --resume%s%s\n",
                (unsigned long long)st.step, r.ckpt, o->file, o->out ? " --out " : "",
                o->out ? o->out : "");
        status = 130;
    } else if (status == EXIT_OK) {
        if (!o->quiet && st.pos) progress(&r, &pr, (int64_t)st.step, total, (int)st.epoch, true);
        if (sp) {
            char path[1200];
            snprintf(path, sizeof path, "%s/final.png", r.dir);
            if (write_grid(&r, sp, path)) status = EXIT_RUNTIME;
            else if (!o->quiet) fprintf(stderr, "genc: samples in %s\n", path);
        }
        if (!o->quiet)
            fprintf(stderr, "genc: done: %llu steps in %.1fs; checkpoint %s, log %s/log.csv\n",
                    (unsigned long long)st.step, now() - t_start, r.ckpt, r.dir);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (log) fclose(log);
    plan_free(sp);
    free(perm);
    free(labels);
    data_free(&ds);
    run_close(&r);
    return status;
}

/* ---- genc sample ------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int open_trained(Run *r, RunOpts *o)
{
    int code = run_open(r, o, false);
    if (code) return code;
    const char *path = o->checkpoint ? o->checkpoint : r->ckpt;
    RunState st;
    if (access(path, F_OK)) {
        fprintf(stderr, "genc: error: no checkpoint at %s; train first with: genc run %s\n", path,
                o->file);
        return EXIT_USAGE;
    }
    return load_checkpoint(r, path, &st) ? EXIT_RUNTIME : EXIT_OK;
}

int train_sample(RunOpts *o)
{
    Run r;
    int code = open_trained(&r, o);
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
    int c = class_noise(g);
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
        const real *x = draw_samples(&r, p, chunk, &rng, o->label, c >= 0 && o->label < 0 ? cols : 1, err);
        if (!x) {
            fprintf(stderr, "genc: error: %s\n", err);
            status = EXIT_RUNTIME;
            break;
        }
        int take = n - done < chunk ? n - done : chunk;
        memcpy(all + (int64_t)done * per, x, sizeof(real) * (size_t)(take * per));
    }
    real lo, hi;
    sample_range(g, &lo, &hi);
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

int train_eval(RunOpts *o)
{
    Run r;
    int code = open_trained(&r, o);
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
    if (load_data(&r, "test", &ds)) {
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
