/* run.c: what every command that runs a model shares: compiling it with
 * the command line's settings, its data, its checkpoints and its samples. */
#include "cli/run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/rundir.h"
#include "io/folder.h"
#include "io/text.h"
#include "io/checkpoint.h"
#include "passes/compile.h"
#include "io/image.h"
#include "core/pool.h"

int run_mkdirs(const char *path)
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

static int run_open_state(Run *r, RunOpts *o, bool need_data);

int run_open(Run *r, RunOpts *o, bool need_data)
{
    memset(r, 0, sizeof *r);
    int code = run_open_state(r, o, need_data);
    if (code) run_close(r);
    return code;
}

int run_pool(int threads)
{
    int e = pool_init(threads);
    if (e)
        fprintf(stderr, "genc: error: cannot start %d threads: %s; use fewer with --threads\n",
                threads, strerror(e));
    return e ? -1 : 0;
}

/* --epochs, --batch, --seed and --lr as the train settings they stand
 * for, after --set's: the one way settings reach a model. */
static int overrides(const RunOpts *o, char text[4][64])
{
    int n = 0;
    if (o->epochs > 0) snprintf(text[n++], 64, "epochs %d", o->epochs);
    if (o->batch > 0) snprintf(text[n++], 64, "batch %d", o->batch);
    if (o->seed >= 0) snprintf(text[n++], 64, "seed %lld", (long long)o->seed);
    if (o->lr > 0) snprintf(text[n++], 64, "lr %.17g", o->lr);
    return n;
}

/* Compiles the model with the command line's train settings (after, on
 * --resume, those the run was made with), creates the run state; run_open
 * closes what was opened when this fails. */
static int run_open_state(Run *r, RunOpts *o, bool need_data)
{
    r->o = o;
    const Backend *be = o->backend ? o->backend : &backend_cpu;
    /* the kernels' scratch, planned by the compiler, depends on the threads */
    if (run_pool(o->threads > 0 ? o->threads : (int)sysconf(_SC_NPROCESSORS_ONLN))) return EXIT_RUNTIME;
    const char *base = strrchr(o->file, '/');
    snprintf(r->name, sizeof r->name, "%s", base ? base + 1 : o->file);
    char *dot = strrchr(r->name, '.');
    if (dot && strcmp(dot, ".g") == 0) *dot = 0;
    if (o->out) snprintf(r->dir, sizeof r->dir, "%s", o->out);
    else snprintf(r->dir, sizeof r->dir, "runs/%s", r->name);
    snprintf(r->ckpt, sizeof r->ckpt, "%s/checkpoint.genc", r->dir);
    if (o->resume) rundir_recall(r);
    if (o->data_dir) r->data_dir = o->data_dir;
    char text[4][64];
    const char *now[GENC_MAX_SETS + 4];
    int nnow = o->nsets, code;
    memcpy(now, o->sets, sizeof *now * (size_t)o->nsets);
    for (int i = 0, n = overrides(o, text); i < n; i++) now[nnow++] = text[i];
    SetFile sets[2] = {{"--resume", (const char *const *)r->recalled, r->nrecalled},
                       {"--set", now, nnow}};
    r->c = compile(o->file, sets, 2, STOP_PLAN, be->work_size, stderr, &code);
    if (!r->c) return code;
    rundir_record(r, now, nnow);
    Graph *g = r->g = r->c->g;
    if (need_data && !g->data) {
        fprintf(stderr, "genc: error: %s reads no data (it has no 'data' declaration)\n", o->file);
        return EXIT_USAGE;
    }
    r->hash = graph_hash(g);
    char err[EXEC_ERR_LEN];
    r->e = exec_new(r->c, be, g->seed, err);
    if (!r->e) {
        fprintf(stderr, "genc: error: %s: %s\n", o->file, err);
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}

void run_close(Run *r)
{
    if (r->locked) close(r->lock_fd); /* releases the lock */
    rundir_free(r);
    data_free(&r->sample_own);
    free(r->sample_order);
    free(r->classes);
    exec_free(r->e);
    compiled_free(r->c);
    pool_shutdown();
    r->e = NULL;
    r->c = NULL;
    r->g = NULL;
    r->locked = false;
}

/* The progress line of a folder's first decoding: a second after it
 * starts, then every second, and its end. */
static void run_decoding(int done, int total, const char *noun)
{
    static double start, last;
    double now = base_seconds();
    if (done == 0) start = last = now;
    if (done == total ? now - start < 1 : now - last < 1) return;
    last = now;
    fprintf(stderr, "\rgenc: decoding %d of %d %s%s", done, total, noun, done == total ? "\n" : "");
}

/* r->classes from ds's class names */
static void run_keep_classes(Run *r, const DataSet *ds)
{
    free(r->classes);
    r->classes_len = 0;
    for (int i = 0; i < ds->classes; i++) r->classes_len += strlen(ds->class_names[i]) + 1;
    r->classes = xmalloc(r->classes_len);
    for (size_t i = 0, at = 0; i < (size_t)ds->classes; i++) {
        size_t len = strlen(ds->class_names[i]) + 1;
        memcpy(r->classes + at, ds->class_names[i], len);
        at += len;
    }
}

int run_load_data(Run *r, const char *split, DataSet *ds)
{
    const DataSrc *d = r->g->data;
    const char *dir = r->data_dir ? r->data_dir : d->dir;
    char err[DATA_ERR_LEN], warn[DATA_ERR_LEN] = "";
    bool images = strcmp(d->dataset, "images") == 0, sounds = strcmp(d->dataset, "wav") == 0;
    bool folder = images || sounds, text = strcmp(d->dataset, "text") == 0;
    FolderProgress progress = r->o->quiet || !isatty(2) ? NULL : run_decoding;
    if (images    ? folder_load(dir, split, d->shape.d[0], d->shape.d[1], d->shape.d[2], d->holdout,
                                progress, ds, warn, err)
        : sounds  ? folder_load_sounds(dir, split, d->rate, d->shape.d[1], d->holdout, progress,
                                       ds, warn, err)
        : text    ? text_load(dir, split, d->shape.d[0], d->holdout, ds, err)
                  : data_load_named(d->dataset, dir, split, ds, err)) {
        fprintf(stderr, "genc: error: %s\n", err);
        return -1;
    }
    if (warn[0]) fprintf(stderr, "genc: warning: %s: %s\n", dir, warn);
    if (text) {
        run_keep_classes(r, ds);
        if (ds->classes != d->classes) {
            fprintf(stderr, "genc: error: %s has %d different characters, but %s declares "
                    "vocabulary: %d\n", dir, ds->classes, r->o->file, d->classes);
            data_free(ds);
            return -1;
        }
        if (!r->o->quiet)
            fprintf(stderr, "genc: %s text of %s: %zu characters, %d windows of %d\n", split, dir,
                    ds->ntokens, ds->n, ds->context);
        return 0;
    }
    if (folder && d->label_name && ds->classes != d->classes) {
        fprintf(stderr, "genc: error: %s: %d class folder%s, but %s declares classes: %d\n", dir,
                ds->classes, ds->classes == 1 ? "" : "s", r->o->file, d->classes);
        data_free(ds);
        return -1;
    }
    if (ds->class_names) run_keep_classes(r, ds);
    if (ds->class_names && !r->o->quiet) {
        fprintf(stderr, "genc: classes of %s:", dir);
        for (int i = 0; i < ds->classes; i++) fprintf(stderr, " %d %s%s", i, ds->class_names[i],
                                                      i + 1 < ds->classes ? "," : "\n");
    }
    int64_t want = shape_count(d->shape);
    if ((int64_t)ds->c * ds->h * ds->w != want) {
        char b[64];
        Shape example = d->shape;
        example.batch = false;
        fprintf(stderr, "genc: error: %s: the model's data is %s per example but the %s images "
                "are %dx%dx%d\n",
                r->o->file, shape_str(example, b, sizeof b), split, ds->c, ds->h, ds->w);
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

void run_batch(Run *r, const DataSet *ds, const int *idx, int n)
{
    const DataSrc *d = r->g->data;
    data_batch(ds, idx, n, (real)d->lo, (real)d->hi, r->e->input[0], r->e->input[1]);
}

/* ---- checkpoints ------------------------------------------------------- */

/* run, params, state, their averages, the schedules' values, settings,
 * command, and per phase its step and optimizer slabs */
#define CKPT_MAX_SECTIONS (8 + GENC_MAX_PHASES * (1 + OPTIM_MAX_SLABS))
int run_save_checkpoint(Run *r, const RunState *st)
{
    Exec *e = r->e;
    uint8_t meta[4 * 8 + RNG_STATE_SIZE];
    base_put_le(meta, st->step, 8);
    base_put_le(meta + 8, st->epoch, 8);
    base_put_le(meta + 16, st->pos, 8);
    base_put_le(meta + 24, st->batch, 8);
    memcpy(meta + 32, st->noise_rng, RNG_STATE_SIZE);
    CkptSection s[CKPT_MAX_SECTIONS];
    char names[CKPT_MAX_SECTIONS][48];
    uint8_t steps[GENC_MAX_PHASES][8];
    size_t n = 0;
    s[n++] = (CkptSection){"run", meta, sizeof meta};
    s[n++] = (CkptSection){"params", e->params, sizeof(real) * (size_t)e->nparams};
    s[n++] = (CkptSection){"state", e->state, sizeof(real) * (size_t)e->nstate};
    if (e->ema) {
        s[n++] = (CkptSection){"ema", e->ema, sizeof(real) * (size_t)e->nparams};
        s[n++] = (CkptSection){"ema_state", e->ema_state, sizeof(real) * (size_t)e->nstate};
    }
    /* the values training last used, for sample and eval; a resumed run
     * computes them again from the step */
    if (r->g->nscheds)
        s[n++] = (CkptSection){"schedules", e->sched, sizeof(double) * (size_t)r->g->nscheds};
    if (r->settings) s[n++] = (CkptSection){"settings", r->settings, strlen(r->settings)};
    if (r->command_len) s[n++] = (CkptSection){"command", r->command, r->command_len};
    if (r->classes_len) s[n++] = (CkptSection){"classes", r->classes, r->classes_len};
    for (int p = 0; p < r->g->nphases; p++) {
        Optim *o = &e->optim[p];
        base_put_le(steps[p], o->step, 8);
        snprintf(names[n], sizeof names[n], "optim%d.step", p);
        s[n] = (CkptSection){names[n], steps[p], 8};
        n++;
        for (int k = 0; k < o->nslabs; k++) {
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

int run_load_checkpoint(Run *r, const char *path, RunState *st, bool averages)
{
    Exec *e = r->e;
    char err[CKPT_ERR_LEN];
    /* and the checkpoints of genc 0.1.0, whose hash and name for the
     * layer state (then batchnorm's only) were other */
    uint64_t hashes[2] = {r->hash, graph_hash_legacy(r->g)};
    Ckpt *c = ckpt_read(path, hashes, 2, err);
    if (!c) {
        fprintf(stderr, "genc: error: %s\n", err);
        return -1;
    }
    uint8_t meta[4 * 8 + RNG_STATE_SIZE];
    int bad = ckpt_get(c, "run", meta, sizeof meta, err) ||
              ckpt_get(c, "params", e->params, sizeof(real) * (size_t)e->nparams, err) ||
              ckpt_get(c, ckpt_size(c, "state") >= 0 ? "state" : "batchnorm", e->state,
                       sizeof(real) * (size_t)e->nstate, err);
    /* the averages go where they are asked for: in place of the weights
     * (whether or not this compilation has `ema`: a --set of training's),
     * or beside them to go on averaging; a run made before the model had
     * an `ema` starts them from its weights */
    bool saved = ckpt_size(c, "ema") >= 0;
    r->averaged = !bad && averages && saved;
    real *avg = r->averaged ? e->params : e->ema, *avg_state = r->averaged ? e->state : e->ema_state;
    if (!bad && avg && saved)
        bad = ckpt_get(c, "ema", avg, sizeof(real) * (size_t)e->nparams, err) ||
              ckpt_get(c, "ema_state", avg_state, sizeof(real) * (size_t)e->nstate, err);
    else if (!bad && avg) {
        memcpy(e->ema, e->params, sizeof(real) * (size_t)e->nparams);
        memcpy(e->ema_state, e->state, sizeof(real) * (size_t)e->nstate);
    }
    /* (a run made with other schedules for its learning rates has other
     * values; training computes them again anyway) */
    if (!bad && ckpt_size(c, "schedules") == (int64_t)(sizeof(double) * (size_t)r->g->nscheds))
        bad = ckpt_get(c, "schedules", e->sched, sizeof(double) * (size_t)r->g->nscheds, err);
    int64_t nclasses = ckpt_size(c, "classes");
    if (!bad && nclasses > 0) { /* the data's class names, for sample --label NAME */
        free(r->classes);
        r->classes = xmalloc((size_t)nclasses);
        r->classes_len = (size_t)nclasses;
        bad = ckpt_get(c, "classes", r->classes, r->classes_len, err);
        if (!bad && r->classes[r->classes_len - 1] != 0) r->classes_len = 0; /* not names: ignored */
    }
    for (int p = 0; !bad && p < r->g->nphases; p++) {
        Optim *o = &e->optim[p];
        char name[48];
        uint8_t step[8];
        snprintf(name, sizeof name, "optim%d.step", p);
        bad = ckpt_get(c, name, step, 8, err);
        o->step = base_get_le(step, 8);
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
    st->step = base_get_le(meta, 8);
    st->epoch = base_get_le(meta + 8, 8);
    st->pos = base_get_le(meta + 16, 8);
    st->batch = base_get_le(meta + 24, 8);
    memcpy(st->noise_rng, meta + 32, RNG_STATE_SIZE);
    e->step = st->step;
    return 0;
}

/* ---- samples ----------------------------------------------------------- */

/* The first categorical noise source, whose value a conditional model's
 * generator is told (the class to draw); -1 if none. */
int run_class_noise(const Graph *g)
{
    for (int i = 0; i < g->nnoise; i++)
        if (g->noise[i].kind == NOISE_CATEGORICAL) return i;
    return -1;
}

/* Draws n images of the sample node in eval mode with noise from rng; for
 * a conditional model, class `label` (or, with label < 0, one row of `cols`
 * images per class). Returns the values (n x per-image), owned by e. */
/* Whether node's value depends on the data input. */
static bool node_reads_data(const Graph *g, int node)
{
    bool *seen = xcalloc((size_t)g->nnodes, sizeof *seen);
    int *stack = xmalloc(sizeof *stack * (size_t)g->nnodes), top = 0;
    bool reads = false;
    stack[top++] = node;
    seen[node] = true;
    while (top && !reads) {
        const Node *n = &g->nodes[stack[--top]];
        reads = n->op == OP_input;
        for (int j = 0; j < n->nin; j++)
            if (!seen[n->in[j]]) seen[n->in[j]] = true, stack[top++] = n->in[j];
    }
    free(seen);
    free(stack);
    return reads;
}

const real *run_draw_samples(Run *r, Plan *p, int n, int first, Rng *rng, int label, int cols,
                                char err[EXEC_ERR_LEN])
{
    Exec *e = r->e;
    Graph *g = r->g;
    if (g->data && node_reads_data(g, g->sample)) {
        if (!r->sample_data) {
            if (run_load_data(r, "test", &r->sample_own)) {
                snprintf(err, EXEC_ERR_LEN, "the sample reads the data, and there are no test "
                         "examples to draw it from");
                return NULL;
            }
            r->sample_data = &r->sample_own;
        }
        int m = r->sample_data->n;
        if (!r->sample_order) {
            r->sample_order = xmalloc(sizeof *r->sample_order * (size_t)m);
            Rng order = rng_stream(g->seed, STREAM_SAMPLE_ORDER);
            data_shuffle(r->sample_order, m, rng_u64_of, &order);
        }
        int *idx = xmalloc(sizeof *idx * (size_t)n);
        for (int i = 0; i < n; i++) idx[i] = r->sample_order[((int64_t)first + i) % m];
        run_batch(r, r->sample_data, idx, n);
        free(idx);
    }
    exec_draw_noise(e, rng, n);
    int c = run_class_noise(g);
    if (c >= 0)
        for (int i = 0; i < n; i++)
            e->noise[c][i] = (real)(label >= 0 ? label : (i / cols) % g->noise[c].classes);
    if (exec_eval(e, p, err)) return NULL;
    return exec_value(e, p, g->sample);
}

void run_sample_range(const Graph *g, real *lo, real *hi)
{
    *lo = g->data ? (real)g->data->lo : -1;
    *hi = g->data ? (real)g->data->hi : 1;
}

/* An image grid of the sample node with the run's fixed noise; during
 * training, drawn with the averaged weights when the model has them. */
int run_write_grid(Run *r, Plan *p, const char *path, bool averaged)
{
    Graph *g = r->g;
    const Shape *s = &g->nodes[g->sample].shape;
    int c = run_class_noise(g);
    int rows = c >= 0 ? g->noise[c].classes : 8, cols = 8;
    if (rows * cols > p->B) rows = p->B / cols;
    Rng fixed = rng_stream(g->seed, STREAM_FIXED_NOISE);
    char err[EXEC_ERR_LEN];
    /* with the averages (and statistics of their own, which the averages
     * of the state are kept apart from) in place of the weights */
    real *state = NULL;
    averaged = averaged && r->e->ema;
    if (averaged) {
        exec_swap_ema(r->e);
        if (exec_averages_batchnorm(r->e)) {
            state = xmalloc(sizeof(real) * (size_t)(r->e->nstate + 1));
            memcpy(state, r->e->state, sizeof(real) * (size_t)r->e->nstate);
        }
    }
    bool stats_ok = !state || run_standing_stats(r) == 0; /* which says why not */
    const real *x = stats_ok ? run_draw_samples(r, p, p->B, 0, &fixed, -1, cols, err) : NULL;
    if (state) {
        memcpy(r->e->state, state, sizeof(real) * (size_t)r->e->nstate);
        free(state);
    }
    if (averaged) exec_swap_ema(r->e);
    if (!x) {
        if (stats_ok) fprintf(stderr, "genc: error: %s\n", err);
        return -1;
    }
    real lo, hi;
    run_sample_range(g, &lo, &hi);
    int ch = s->nd == 3 ? s->d[0] : 1, h = s->nd == 3 ? s->d[1] : 1, w = s->nd == 3 ? s->d[2] : (int)shape_count(*s);
    char ierr[IMAGE_ERR_LEN];
    if (image_write_grid(path, x, rows * cols, ch, h, w, rows, cols, 3, lo, hi, ierr)) {
        fprintf(stderr, "genc: error: %s\n", ierr);
        return -1;
    }
    return 0;
}

int run_standing_stats(Run *r)
{
    if (r->g->sample < 0) return 0;
    Rng rng = rng_stream(r->g->seed, STREAM_STATS);
    char err[EXEC_ERR_LEN];
    if (exec_standing_stats(r->e, r->g->sample, 100, &rng, 20, err) == 0) return 0;
    fprintf(stderr, "genc: error: %s\n", err);
    return -1;
}

Plan *run_sample_plan(Run *r)
{
    Graph *g = r->g;
    if (g->sample < 0) return NULL;
    int c = run_class_noise(g);
    int n = c >= 0 && g->noise[c].classes <= 12 ? g->noise[c].classes * 8 : 64;
    return exec_plan_eval(r->e, n, &g->sample, 1);
}

int run_open_trained(Run *r, RunOpts *o, bool need_data)
{
    int code = run_open(r, o, need_data);
    if (code) return code;
    const char *path = o->checkpoint ? o->checkpoint : r->ckpt;
    RunState st;
    code = EXIT_OK;
    if (access(path, F_OK)) {
        fprintf(stderr, "genc: error: no checkpoint at %s; train first with: genc run %s\n", path,
                o->file);
        code = EXIT_USAGE;
    } else if (run_load_checkpoint(r, path, &st, !o->raw_weights)) {
        code = EXIT_RUNTIME; /* samples and evaluations use the averages */
    } else if (r->averaged && run_standing_stats(r)) {
        code = EXIT_RUNTIME;
    }
    if (code) run_close(r);
    return code;
}

