/* train.c: the training loop (genc run).
 *
 * One step takes one batch of data (the epoch's shuffled order, the last
 * partial batch dropped) and fresh noise, then runs the phases due at this
 * step in the order of the graph: for `min G max D` the D phase first,
 * which computes G(z) and treats it as a constant, then the G phase, which
 * reuses G(z) and differentiates through the just-updated D (plan.c).
 * Everything a run needs to continue bit for bit is in its checkpoint:
 * parameters, layer state, optimizer state, the noise generator, the step
 * (which keys dropout masks and the epoch's shuffle), and the settings a
 * resume must match (rundir.h). At an epoch's end the log's rows come
 * first, then the checkpoint, then the sample grid. */
#include "cli/train.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/loader.h"
#include "cli/run.h"
#include "cli/rundir.h"
#include "core/pool.h"
#include "io/atomic.h"

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) { stop_requested = sig; }

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
    double avg[GENC_MAX_PHASES]; /* moving averages of the phases' losses */
    bool seen[GENC_MAX_PHASES];
    double t0, last_print;
    int64_t step0;
} Progress;

static void progress(Run *r, Progress *pr, int64_t step, int64_t total, int epoch, bool end)
{
    if (pr->quiet) return;
    double t = base_seconds();
    if (!end && pr->tty && t - pr->last_print < 0.25) return;
    if (!end && !pr->tty) return;
    pr->last_print = t;
    double rate = (double)(step - pr->step0) * r->g->batch / fmax(t - pr->t0, 1e-9);
    char eta[32], line[512];
    fmt_time((double)(total - step) * r->g->batch / fmax(rate, 1e-9), eta, sizeof eta);
    int len = snprintf(line, sizeof line, "epoch %d/%d  step %lld/%lld", epoch + 1, r->g->epochs,
                       (long long)step, (long long)total);
    for (int p = 0; p < r->g->nphases; p++)
        if (pr->seen[p])
            len += snprintf(line + len, sizeof line - (size_t)len, "  %s %.4f", r->g->phases[p].name,
                            pr->avg[p]);
    snprintf(line + len, sizeof line - (size_t)len, "  %.0f img/s  ETA %s", rate, eta);
    if (pr->tty) fprintf(stderr, "\r%s\033[K%s", line, end ? "\n" : "");
    else fprintf(stderr, "%s\n", line);
    fflush(stderr);
}

/* ---- genc run ---------------------------------------------------------- */

/* log.csv keeps its header and the rows up to `step` (a resumed run
 * rewrites the rest; a new run keeps none), or gets a header. They go to a
 * new file that replaces log.csv only once all are written, so a full disk
 * cannot cut the log short, and the rows to come are appended to that
 * file, never through a symlink. NULL with errno set when the log cannot
 * be written. */
static FILE *open_log(Run *r, uint64_t step)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/log.csv", r->dir);
    AtomicFile a;
    int e = atomic_open(&a, path);
    if (e) {
        errno = e;
        return NULL;
    }
    errno = 0;
    FILE *in = step > 0 ? fopen(path, "r") : NULL;
    if (step > 0 && !in && errno != ENOENT) e = errno; /* a log there, unreadable */
    if (in) {
        char line[4096];
        bool header = true;
        while (!e && fgets(line, sizeof line, in))
            /* not a row cut short by a full disk */
            if (header || (strtoull(line, NULL, 10) <= step && strchr(line, '\n'))) {
                if (fputs(line, a.f) == EOF) e = errno ? errno : EIO;
                header = false;
            }
        if (!e && ferror(in)) e = EIO;
        fclose(in);
    } else if (!e) {
        fprintf(a.f, "step,epoch");
        for (int p = 0; p < r->g->nphases; p++) fprintf(a.f, ",loss_%s", r->g->phases[p].name);
        for (int i = 0; i < r->g->nscheds; i++) fprintf(a.f, ",%s", r->g->scheds[i].name);
        fprintf(a.f, ",images_per_s,wall_s\n");
    }
    const char *what;
    if (!e) e = atomic_commit(&a, &what);
    else atomic_abort(&a);
    int fd = e ? -1 : open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
    FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
    if (!f) {
        if (!e) e = errno;
        if (fd >= 0) close(fd);
        errno = e;
    }
    return f;
}

/* Writes out log.csv's rows; 0, or the errno of a failed write. */
static int flush_log(FILE *log)
{
    errno = 0;
    if (fflush(log) == 0 && !ferror(log)) return 0;
    return errno ? errno : EIO;
}

/* The state of a run of genc run. */
typedef struct Train {
    RunOpts *o;
    Run r;
    DataSet ds;
    RunState st;
    Rng noise;
    FILE *log;
    Plan *sample;
    Loader *loader;
    int64_t per_epoch, total;
    int64_t saved; /* the step of the last checkpoint, -1 before the first */
    char samples[1200]; /* the grids' folder */
} Train;

static void train_close(Train *t)
{
    if (t->log) fclose(t->log);
    plan_free(t->sample);
    loader_free(t->loader); /* before the data it reads */
    data_free(&t->ds);
    run_close(&t->r);
}

/* The run, its folder and its data, and on --resume the checkpoint, which
 * must have been made with the same settings. An exit status. */
static int train_open(Train *t, RunOpts *o)
{
    Run *r = &t->r;
    int code = run_open(r, o, true);
    if (code) return code;
    if ((code = rundir_claim(r, o->resume, o->restart))) return code;
    const Graph *g = r->g;
    if (run_load_data(r, g->data->split, &t->ds)) return EXIT_RUNTIME;
    int B = g->batch;
    t->per_epoch = t->ds.n / B;
    if (t->per_epoch == 0) {
        fprintf(stderr, "genc: error: %s: batch %d is larger than the %d training images of %s\n",
                o->file, B, t->ds.n, g->data->dataset);
        return EXIT_USAGE;
    }
    t->total = t->per_epoch * g->epochs;
    /* schedules span the run the model asks for, whatever --steps cuts */
    exec_schedules(r->e, t->per_epoch, t->total);
    if (o->steps > 0 && o->steps < t->total) t->total = o->steps;
    snprintf(t->samples, sizeof t->samples, "%s/samples", r->dir);
    if (g->sample >= 0 && run_mkdirs(t->samples)) {
        fprintf(stderr, "genc: error: cannot create %s: %s\n", t->samples, strerror(errno));
        return EXIT_RUNTIME;
    }
    r->settings = rundir_settings(r, &t->ds);
    t->st = (RunState){.batch = (uint64_t)B};
    t->noise = rng_stream(g->seed, STREAM_NOISE);
    t->saved = -1;
    /* the run is ready: only now may --restart delete the one before */
    if (!o->resume) return o->restart && rundir_restart(r) ? EXIT_RUNTIME : EXIT_OK;
    if ((code = rundir_check_resume(r))) return code;
    RunState *st = &t->st;
    if (run_load_checkpoint(r, r->ckpt, st, false)) return EXIT_RUNTIME;
    if (st->batch != (uint64_t)B) {
        fprintf(stderr, "genc: error: %s was made with batch %llu; resume with --batch %llu\n",
                r->ckpt, (unsigned long long)st->batch, (unsigned long long)st->batch);
        return EXIT_USAGE;
    }
    if (st->pos > (uint64_t)t->per_epoch) {
        fprintf(stderr, "genc: error: %s stopped at batch %llu of an epoch, but the data has %lld "
                "batches an epoch; resume on the data it was made with\n",
                r->ckpt, (unsigned long long)st->pos, (long long)t->per_epoch);
        return EXIT_USAGE;
    }
    t->noise = rng_load(st->noise_rng);
    t->saved = (int64_t)st->step;
    if (!o->quiet)
        fprintf(stderr, "genc: resuming %s from step %llu (epoch %llu)\n", r->ckpt,
                (unsigned long long)st->step, (unsigned long long)st->epoch + 1);
    return EXIT_OK;
}

/* The rows of log.csv up to this step, then the checkpoint. In this order
 * a kill between the two loses nothing (a resume drops the rows past its
 * checkpoint), and a log that cannot be written (a full disk) never costs
 * the checkpoint: the run stops after saving it. */
static int save(Train *t)
{
    int e = flush_log(t->log);
    rng_save(&t->noise, t->st.noise_rng);
    if (run_save_checkpoint(&t->r, &t->st)) return -1;
    t->saved = (int64_t)t->st.step;
    if (!e) return 0;
    fprintf(stderr, "genc: error: cannot write %s/log.csv: %s%s; the checkpoint is saved\n",
            t->r.dir, strerror(e), base_errno_hint(e));
    return -1;
}

/* The end of an epoch: its checkpoint, then its sample grid. */
static int end_epoch(Train *t)
{
    RunState *st = &t->st;
    st->epoch++;
    st->pos = 0;
    if (save(t)) return -1;
    if (!t->sample) return 0;
    char path[1300];
    snprintf(path, sizeof path, "%s/epoch_%03llu.png", t->samples, (unsigned long long)st->epoch);
    if (run_write_grid(&t->r, t->sample, path, true) == 0) return 0;
    fprintf(stderr, "genc: the checkpoint of epoch %llu is saved: %s\n",
            (unsigned long long)st->epoch, t->r.ckpt);
    return -1;
}

static const char *signal_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
}

int train_run(RunOpts *o)
{
    Train t = {.o = o};
    /* output to a closed pipe is dropped, never the run (from the first
     * line a run prints) */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
    sigaction(SIGPIPE, &ign, &old_pipe);
    int status = train_open(&t, o);
    if (status) {
        train_close(&t);
        sigaction(SIGPIPE, &old_pipe, NULL);
        return status;
    }
    Run *r = &t.r;
    Graph *g = r->g;
    Exec *e = r->e;
    RunState *st = &t.st;
    int B = g->batch;
    t.log = open_log(r, st->step);
    if (!t.log) {
        fprintf(stderr, "genc: error: cannot write %s/log.csv: %s%s\n", r->dir, strerror(errno),
                base_errno_hint(errno));
        train_close(&t);
        sigaction(SIGPIPE, &old_pipe, NULL);
        return EXIT_RUNTIME;
    }
    t.sample = run_sample_plan(r);
    r->sample_data = &t.ds; /* a grid that reads the data: the first training examples */
    t.loader = loader_new(&t.ds, g->data, B, g->seed, t.per_epoch);
    Progress pr = {.tty = isatty(2), .quiet = o->quiet, .t0 = base_seconds(), .step0 = (int64_t)st->step};
    /* a stop asked for (Ctrl-C, kill, a closed terminal) ends the step and
     * checkpoints */
    struct sigaction sa = {.sa_handler = on_signal}, old[3];
    stop_requested = 0;
    sigaction(SIGINT, &sa, &old[0]);
    sigaction(SIGTERM, &sa, &old[1]);
    sigaction(SIGHUP, &sa, &old[2]);
    char err[EXEC_ERR_LEN];
    if (!o->quiet) {
        fprintf(stderr, "genc: training %s: %lld steps of %d (%lld per epoch), %d threads, %.1f MB, "
                "run directory %s\n",
                o->file, (long long)t.total, B, (long long)t.per_epoch, pool_threads(),
                (double)exec_bytes(e) / 1e6, r->dir);
    }
    double t_start = base_seconds();
    while (status == EXIT_OK && (int64_t)st->step < t.total) {
        for (; st->pos < (uint64_t)t.per_epoch && (int64_t)st->step < t.total; st->pos++) {
            /* the epoch's order and the augmentation depend only on the
             * seed, the epoch and the step (loader.h) */
            loader_get(t.loader, st->epoch, st->pos, st->step, e->input[0], e->input[1]);
            exec_draw_noise(e, &t.noise, B);
            unsigned mask = plan_mask(g, st->step);
            if (exec_step(e, mask, err)) {
                fprintf(stderr, "%sgenc: error: %s\n", pr.tty && !o->quiet ? "\n" : "", err);
                if (access(r->ckpt, F_OK) == 0)
                    fprintf(stderr, "genc: the last good checkpoint is kept: %s\n", r->ckpt);
                status = EXIT_RUNTIME;
                break;
            }
            st->step++;
            for (int p = 0; p < g->nphases; p++) {
                if (!(mask & (1u << p))) continue;
                pr.avg[p] = pr.seen[p] ? 0.98 * pr.avg[p] + 0.02 * e->loss[p] : e->loss[p];
                pr.seen[p] = true;
            }
            double now = base_seconds();
            fprintf(t.log, "%llu,%llu", (unsigned long long)st->step, (unsigned long long)st->epoch + 1);
            for (int p = 0; p < g->nphases; p++)
                if (mask & (1u << p)) fprintf(t.log, ",%.6g", (double)e->loss[p]);
                else fprintf(t.log, ",");
            for (int i = 0; i < g->nscheds; i++) fprintf(t.log, ",%.6g", e->sched[i]);
            fprintf(t.log, ",%.1f,%.3f\n",
                    (double)(st->step - (uint64_t)pr.step0) * B / fmax(now - pr.t0, 1e-9), now - t_start);
            progress(r, &pr, (int64_t)st->step, t.total, (int)st->epoch, false);
            /* a checkpoint now, unless this is the epoch's last batch,
             * whose end comes next and saves */
            bool ckpt_now = o->checkpoint_every > 0 && st->step % (uint64_t)o->checkpoint_every == 0;
            if ((stop_requested || ckpt_now) && st->pos + 1 < (uint64_t)t.per_epoch) {
                st->pos++;
                int bad = save(&t);
                st->pos--;
                if (bad || stop_requested) {
                    status = bad ? EXIT_RUNTIME : status;
                    break;
                }
            }
        }
        if (status) break;
        if (st->pos == (uint64_t)t.per_epoch) {
            progress(r, &pr, (int64_t)st->step, t.total, (int)st->epoch, true);
            if (end_epoch(&t)) status = EXIT_RUNTIME;
        } else if ((int64_t)st->step != t.saved) {
            /* --steps ended the run inside an epoch, or a stop came after
             * the step's own chance to save */
            if (save(&t)) status = EXIT_RUNTIME;
        }
        if (stop_requested) break;
    }
    if (stop_requested && status == EXIT_OK) {
        char *cmd = rundir_continue_command(o);
        progress(r, &pr, (int64_t)st->step, t.total, (int)st->epoch, true);
        fprintf(stderr, "genc: stopped by %s at step %llu; checkpoint %s\n"
                "genc: continue with: %s\n",
                signal_name(stop_requested), (unsigned long long)st->step, r->ckpt, cmd);
        free(cmd);
        status = 128 + stop_requested;
    } else if (status == EXIT_OK) {
        if (!o->quiet && st->pos) progress(r, &pr, (int64_t)st->step, t.total, (int)st->epoch, true);
        if (t.sample) {
            char path[1200];
            snprintf(path, sizeof path, "%s/final.png", r->dir);
            if (run_write_grid(r, t.sample, path, true)) {
                fprintf(stderr, "genc: the checkpoint of step %llu is saved: %s\n",
                        (unsigned long long)st->step, r->ckpt);
                status = EXIT_RUNTIME;
            } else if (!o->quiet) {
                fprintf(stderr, "genc: samples in %s\n", path);
            }
        }
        if (!o->quiet)
            fprintf(stderr, "genc: done: %llu steps in %.1fs; checkpoint %s, log %s/log.csv\n",
                    (unsigned long long)st->step, base_seconds() - t_start, r->ckpt, r->dir);
    }
    int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (int i = 0; i < 3; i++) sigaction(sigs[i], &old[i], NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    /* the last rows were flushed with the last checkpoint; a close that
     * fails now (a deferred write error) still means a log cut short */
    if (fclose(t.log) != 0 && status == EXIT_OK) {
        fprintf(stderr, "genc: error: cannot write %s/log.csv: %s%s\n", r->dir, strerror(errno),
                base_errno_hint(errno));
        status = EXIT_RUNTIME;
    }
    t.log = NULL;
    train_close(&t);
    return status;
}
