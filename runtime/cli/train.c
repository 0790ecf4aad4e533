/* train.c: the training loop (genc run).
 *
 * One step takes one batch of data (the epoch's shuffled order, the last
 * partial batch dropped) and fresh noise, then runs the phases due at this
 * step in the order of the graph: for `min G max D` the D phase first,
 * which computes G(z) and treats it as a constant, then the G phase, which
 * reuses G(z) and differentiates through the just-updated D (plan.c).
 * Everything a run needs to continue bit for bit is in its checkpoint:
 * parameters, batchnorm statistics, optimizer state, the noise generator,
 * the step (which keys dropout masks and the epoch's shuffle). */
#include "cli/train.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/pool.h"
#include "cli/run.h"

static uint64_t next_u64(void *rng) { return rng_u64(rng); }

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

/* log.csv keeps the rows up to `step` (a resumed run rewrites the rest).
 * The kept rows go to log.csv.tmp, which replaces log.csv only once all
 * are written, so a full disk cannot cut the log short. NULL with errno
 * set when the log cannot be written. */
static FILE *open_log(Run *r, uint64_t step)
{
    char path[1100], tmp[1200];
    snprintf(path, sizeof path, "%s/log.csv", r->dir);
    FILE *in = step > 0 ? fopen(path, "r") : NULL;
    if (in) {
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        FILE *out = fopen(tmp, "w");
        int e = out ? 0 : errno;
        char line[4096];
        bool header = true;
        while (!e && fgets(line, sizeof line, in))
            if (header || strtoull(line, NULL, 10) <= step) {
                if (fputs(line, out) == EOF) e = errno;
                header = false;
            }
        if (!e && fflush(out) != 0) e = errno;
        if (out && fclose(out) != 0 && !e) e = errno;
        fclose(in);
        if (!e && rename(tmp, path) != 0) e = errno;
        if (e) {
            remove(tmp);
            errno = e;
            return NULL;
        }
        return fopen(path, "a");
    }
    FILE *f = fopen(path, "w");
    if (!f) return NULL;
    fprintf(f, "step,epoch");
    for (int p = 0; p < r->g->nphases; p++) fprintf(f, ",loss_%s", r->g->phases[p].name);
    fprintf(f, ",images_per_s,wall_s\n");
    return f;
}

/* Writes out log.csv's rows before a checkpoint. When they cannot be
 * written (a full disk), the run stops without that checkpoint, so that
 * the log still holds every step up to the last one. */
static int flush_log(const Run *r, FILE *log)
{
    errno = 0;
    if (fflush(log) == 0 && !ferror(log)) return 0;
    int e = errno ? errno : EIO;
    fprintf(stderr, "genc: error: cannot write %s/log.csv: %s%s%s\n", r->dir, strerror(e),
            base_errno_hint(e), access(r->ckpt, F_OK) == 0 ? "; the last checkpoint is kept" : "");
    return -1;
}

int train_run(RunOpts *o)
{
    Run r;
    int code = run_open(&r, o, true);
    if (code) return code;
    Graph *g = r.g;
    Exec *e = r.e;
    DataSet ds;
    if (run_load_data(&r, g->data->split, &ds)) {
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
    if (run_mkdirs(g->sample >= 0 ? sdir : r.dir)) {
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
        if (run_load_checkpoint(&r, r.ckpt, &st)) {
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
    int status = EXIT_OK;
    FILE *log = open_log(&r, st.step);
    if (!log) {
        fprintf(stderr, "genc: error: cannot write %s/log.csv: %s%s\n", r.dir, strerror(errno),
                base_errno_hint(errno));
        status = EXIT_RUNTIME;
    }
    Plan *sp = run_sample_plan(&r);
    int *perm = xcalloc((size_t)ds.n, sizeof *perm);
    Progress pr = {.tty = isatty(2), .quiet = o->quiet, .t0 = base_seconds(), .step0 = (int64_t)st.step};
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    stop_requested = 0;
    char err[EXEC_ERR_LEN];
    if (!o->quiet && status == EXIT_OK) {
        fprintf(stderr, "genc: training %s: %lld steps of %d (%lld per epoch), %d threads, %.1f MB, "
                "run directory %s\n",
                o->file, (long long)total, B, (long long)per_epoch, pool_threads(),
                (double)exec_bytes(e) / 1e6, r.dir);
    }
    double t_start = base_seconds();
    while (status == EXIT_OK && (int64_t)st.step < total) {
        /* the epoch's order depends only on the seed and the epoch */
        Rng sh = rng_stream(g->seed, STREAM_SHUFFLE + st.epoch);
        for (int i = 0; i < ds.n; i++) perm[i] = i;
        data_shuffle(perm, ds.n, next_u64, &sh);
        for (; st.pos < (uint64_t)per_epoch && (int64_t)st.step < total; st.pos++) {
            run_batch(&r, &ds, perm + st.pos * (uint64_t)B, B);
            exec_draw_noise(e, &noise, B);
            unsigned mask = plan_mask(g, st.step);
            if (exec_step(e, mask, err)) {
                fprintf(stderr, "%sgenc: error: %s\n", pr.tty && !o->quiet ? "\n" : "", err);
                if (access(r.ckpt, F_OK) == 0)
                    fprintf(stderr, "genc: the last good checkpoint is kept: %s\n", r.ckpt);
                status = EXIT_RUNTIME;
                break;
            }
            st.step++;
            for (int p = 0; p < g->nphases; p++) {
                if (!(mask & (1u << p))) continue;
                pr.avg[p] = pr.seen[p] ? 0.98 * pr.avg[p] + 0.02 * e->loss[p] : e->loss[p];
                pr.seen[p] = true;
            }
            double t = base_seconds();
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
                int bad = flush_log(&r, log) || run_save_checkpoint(&r, &st);
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
                if (run_write_grid(&r, sp, path)) status = EXIT_RUNTIME;
            }
            st.epoch++;
            st.pos = 0;
        }
        rng_save(&noise, st.noise_rng);
        if (status == EXIT_OK && (flush_log(&r, log) || run_save_checkpoint(&r, &st)))
            status = EXIT_RUNTIME;
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
            if (run_write_grid(&r, sp, path)) status = EXIT_RUNTIME;
            else if (!o->quiet) fprintf(stderr, "genc: samples in %s\n", path);
        }
        if (!o->quiet)
            fprintf(stderr, "genc: done: %llu steps in %.1fs; checkpoint %s, log %s/log.csv\n",
                    (unsigned long long)st.step, base_seconds() - t_start, r.ckpt, r.dir);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (log) fclose(log);
    plan_free(sp);
    free(perm);
    data_free(&ds);
    run_close(&r);
    return status;
}
