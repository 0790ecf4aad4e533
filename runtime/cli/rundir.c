/* rundir.c: claiming a run folder, and what a resume must match
 * (rundir.h). */
#include "cli/rundir.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/checkpoint.h"

/* genc's files in a run folder, which --restart deletes */
static const char *const run_files[] = {"checkpoint.genc", "log.csv", "final.png"};

/* A part of the folder that exists must be what genc writes there. */
static int check_part(const char *dir, const char *name, bool want_dir)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    if (stat(path, &st) != 0) return 0;
    if (want_dir && !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "genc: error: %s is not a directory; genc writes the sample grids there\n",
                path);
        return -1;
    }
    if (!want_dir && !S_ISREG(st.st_mode)) {
        fprintf(stderr, "genc: error: %s %s\n", path, base_not_a_file(st.st_mode));
        return -1;
    }
    return 0;
}

int rundir_restart(const Run *r)
{
    char path[PATH_MAX];
    for (size_t i = 0; i < GENC_COUNT(run_files); i++) {
        snprintf(path, sizeof path, "%s/%s", r->dir, run_files[i]);
        if (unlink(path) != 0 && errno != ENOENT) {
            fprintf(stderr, "genc: error: --restart: cannot delete %s: %s\n", path, strerror(errno));
            return -1;
        }
    }
    snprintf(path, sizeof path, "%s/samples/epoch_[0-9][0-9][0-9]*.png", r->dir);
    glob_t grids;
    int bad = 0;
    if (glob(path, 0, NULL, &grids) == 0)
        for (size_t i = 0; i < grids.gl_pathc && !bad; i++)
            if (unlink(grids.gl_pathv[i]) != 0 && errno != ENOENT) {
                fprintf(stderr, "genc: error: --restart: cannot delete %s: %s\n",
                        grids.gl_pathv[i], strerror(errno));
                bad = -1;
            }
    globfree(&grids);
    return bad;
}

/* The folder's lock, held while r is open: a second run is told whose. */
static int lock(Run *r)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/lock", r->dir);
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) {
        fprintf(stderr, "genc: error: cannot lock %s: %s\n", path, strerror(errno));
        return EXIT_RUNTIME;
    }
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_SETLK, &fl) != 0) {
        struct flock who = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        if (fcntl(fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK)
            fprintf(stderr, "genc: error: %s is in use by another genc run (process %d); wait "
                    "for it to end, or give this run another --out\n", r->dir, (int)who.l_pid);
        else
            fprintf(stderr, "genc: error: cannot lock %s: %s\n", path, strerror(errno));
        close(fd);
        return EXIT_USAGE;
    }
    /* for people: who holds it */
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    if (ftruncate(fd, 0) != 0 || write(fd, pid, (size_t)n) != n) { /* the lock still holds */ }
    r->lock_fd = fd;
    r->locked = true;
    return EXIT_OK;
}

int rundir_claim(Run *r, bool resume, bool restart_asked)
{
    if (run_mkdirs(r->dir)) {
        fprintf(stderr, "genc: error: cannot create %s: %s\n", r->dir, strerror(errno));
        return EXIT_RUNTIME;
    }
    int code = lock(r);
    if (code) return code;
    if (check_part(r->dir, "checkpoint.genc", false) || check_part(r->dir, "log.csv", false) ||
        check_part(r->dir, "samples", true))
        return EXIT_USAGE;
    bool held = access(r->ckpt, F_OK) == 0;
    if (resume && !held) {
        fprintf(stderr, "genc: error: --resume: there is no checkpoint at %s\n", r->ckpt);
        return EXIT_USAGE;
    }
    if (!resume && held && !restart_asked) {
        fprintf(stderr, "genc: error: %s holds a run already (%s); continue it with --resume, "
                "or start over with --restart\n", r->dir, r->ckpt);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* ---- what a resume must match ------------------------------------------ */

typedef struct Text {
    char *s;
    size_t n, cap;
} Text;

static void add(Text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(Text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(t->s + t->n, t->cap - t->n, fmt, ap);
        va_end(ap);
        if (t->n + (size_t)k < t->cap) {
            t->n += (size_t)k;
            return;
        }
        t->cap = 2 * (t->n + (size_t)k + 64);
        t->s = xrealloc(t->s, t->cap);
    }
}

/* The lines of the settings a resume may change: the numbers of a
 * player's optimizer and its clipping, not the optimizer (whose state the
 * checkpoint holds). */
static const char changeable[] = "optimizer options of ";

/* x exactly, as short as it reads: 0.05, not 0.050000000000000003 */
static const char *num(double x, char buf[32])
{
    snprintf(buf, 32, "%.15g", x);
    if (strtod(buf, NULL) != x) snprintf(buf, 32, "%.17g", x);
    return buf;
}

char *rundir_settings(const Run *r, const DataSet *ds)
{
    const Graph *g = r->g;
    char x[2][32];
    Text t = {xmalloc(256), 0, 256};
    t.s[0] = 0;
    char b[64], where[PATH_MAX];
    const DataSrc *d = g->data;
    const char *dir = r->data_dir ? r->data_dir : d->dir ? d->dir : data_default_dir(d->dataset);
    if (!realpath(dir, where)) snprintf(where, sizeof where, "%s", dir);
    add(&t, "data %s from %s, %s split, range [%s, %s], %d examples of %s\n", d->dataset, where,
        d->split, num(d->lo, x[0]), num(d->hi, x[1]), ds->n, shape_str(d->shape, b, sizeof b));
    for (int i = 0; i < g->nnoise; i++) {
        const Noise *z = &g->noise[i];
        if (z->kind == NOISE_CATEGORICAL)
            add(&t, "noise %s ~ categorical(%d)\n", z->name, z->classes);
        else
            add(&t, "noise %s ~ %s(%s, %s) %s\n", z->name,
                z->kind == NOISE_NORMAL ? "normal" : "uniform", num(z->a, x[0]), num(z->b, x[1]),
                shape_str(z->shape, b, sizeof b));
    }
    add(&t, "batch %d\nseed %llu\n", g->batch, (unsigned long long)g->seed);
    for (int p = 0; p < g->nphases; p++) {
        const Phase *ph = &g->phases[p];
        /* the optimizer and the state the checkpoint holds of it (sgd's
         * momentum_buffer comes with momentum > 0): fixed for the run */
        const Optim *o = &r->e->optim[p];
        add(&t, "phase %s: %s", ph->name, ph->optim.name);
        for (int k = 0; k < o->nslabs; k++) add(&t, "%s%s", k ? ", " : " with ", o->slab[k].name);
        add(&t, ", every %d steps\n", ph->every);
        add(&t, "%s%s:", changeable, ph->name);
        for (int k = 0; k < ph->optim.nkw; k++)
            add(&t, " %s %s,", ph->optim.kw[k], num(ph->optim.val[k], x[0]));
        add(&t, " clip %s, grad_clip %s\n", num(ph->clip, x[0]), num(ph->grad_clip, x[1]));
    }
    /* last, so that a setting that changes the graph (batch) is named */
    add(&t, "model %016llx\n", (unsigned long long)r->hash);
    return t.s;
}

/* Line k of text: its start (NULL past the end) and length. */
static const char *line_at(const char *text, int k, size_t *len)
{
    for (; k > 0 && text && *text; k--) {
        text = strchr(text, '\n');
        if (text) text++;
    }
    if (!text || !*text) return NULL;
    *len = strcspn(text, "\n");
    return text;
}

static bool starts(const char *line, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(line, prefix, n) == 0;
}

/* 0 when the checkpoint's settings are the run's, but for a player's
 * optimizer numbers (noted); else the first line that differs, both ways,
 * in a message (-1). Lines are compared whole, however long. */
static int check_settings(const Run *r, const char *saved, const char *now)
{
    const char *a, *b;
    size_t na = 0, nb = 0, skip = strlen(changeable);
    for (int k = 0;; k++) {
        a = line_at(saved, k, &na);
        b = line_at(now, k, &nb);
        if (!a && !b) return 0;
        if (a && b && na == nb && memcmp(a, b, na) == 0) continue;
        if (!a || !b || !starts(a, na, changeable) || !starts(b, nb, changeable)) break;
        /* a learning rate lowered by hand, say */
        fprintf(stderr, "genc: note: %s was made with '%.*s'; this run goes on with '%.*s'\n",
                r->ckpt, (int)(na - skip), a + skip, (int)(nb - skip), b + skip);
    }
    fprintf(stderr, "genc: error: %s was made with '%.*s', but this run has '%.*s'; resume with "
            "the settings it was made with, or start over with --restart\n", r->ckpt,
            a ? (int)na : 7, a ? a : "nothing", b ? (int)nb : 7, b ? b : "nothing");
    return -1;
}

/* ---- what a resumed run is given back ------------------------------------
 * The checkpoint's section "command" holds the train settings and the data
 * folder the command line gave the run (with those its resumes were given
 * back), as NUL-terminated entries "set SETTING" and "data DIR". */

static char *section_text(const Ckpt *c, const char *name, size_t *len)
{
    int64_t n = ckpt_size(c, name);
    char err[CKPT_ERR_LEN];
    if (n < 0) return NULL;
    char *s = xcalloc((size_t)n + 1, 1);
    if (ckpt_get(c, name, s, (size_t)n, err)) { /* its size was just read */
        free(s);
        return NULL;
    }
    if (len) *len = (size_t)n;
    return s;
}

/* The checkpoint at r->ckpt, of any model (a changed model is the
 * settings' to name), or NULL: loading it says why. */
static Ckpt *peek(const Run *r)
{
    char err[CKPT_ERR_LEN];
    return access(r->ckpt, F_OK) == 0 ? ckpt_read(r->ckpt, NULL, 0, err) : NULL;
}

int rundir_check_resume(const Run *r)
{
    Ckpt *c = peek(r);
    char *saved = c ? section_text(c, "settings", NULL) : NULL;
    ckpt_free(c);
    /* genc 0.1.0's checkpoints recorded no settings: those are trusted */
    int bad = saved ? check_settings(r, saved, r->settings) : 0;
    free(saved);
    return bad ? EXIT_USAGE : EXIT_OK;
}

void rundir_recall(Run *r)
{
    Ckpt *c = peek(r);
    if (!c) return;
    size_t len = 0;
    char *cmd = section_text(c, "command", &len);
    ckpt_free(c);
    if (!cmd) return;
    r->recalled = xmalloc(sizeof *r->recalled * (len / 2 + 1));
    for (size_t k = 0; k < len; k += strlen(cmd + k) + 1) {
        char *e = cmd + k;
        if (strncmp(e, "set ", 4) == 0) r->recalled[r->nrecalled++] = xstrdup(e + 4);
        else if (strncmp(e, "data ", 5) == 0 && !r->data_dir) r->data_dir = r->data_dir_buf = xstrdup(e + 5);
    }
    free(cmd);
}

/* A line of the form "NAME VALUE", one setting for every player, which a
 * later line of the same NAME replaces entirely. */
static bool whole(const char *line, const char *later)
{
    size_t n = strcspn(line, " ");
    return line[n] == ' ' && !strchr(line, ':') && !strchr(later, ':') &&
           strncmp(line, later, n) == 0 && later[n] == ' ' && !strchr(line + n + 1, ' ') &&
           !strchr(later + n + 1, ' ');
}

static void record(Text *t, const char *kind, const char *value)
{
    add(t, "%s %s", kind, value);
    add(t, "%c", 0);
}

void rundir_record(Run *r, const char *const *now, int nnow)
{
    int n = r->nrecalled + nnow;
    const char **all = xmalloc(sizeof *all * ((size_t)n + 1));
    for (int i = 0; i < r->nrecalled; i++) all[i] = r->recalled[i];
    for (int i = 0; i < nnow; i++) all[r->nrecalled + i] = now[i];
    Text t = {xmalloc(256), 0, 256};
    for (int i = 0; i < n; i++) {
        bool replaced = false;
        for (int k = i + 1; k < n && !replaced; k++)
            replaced = strcmp(all[i], all[k]) == 0 || whole(all[i], all[k]);
        if (!replaced) record(&t, "set", all[i]);
    }
    free(all);
    char where[PATH_MAX];
    if (r->data_dir) record(&t, "data", realpath(r->data_dir, where) ? where : r->data_dir);
    r->command = t.s;
    r->command_len = t.n;
}

void rundir_free(Run *r)
{
    for (int i = 0; i < r->nrecalled; i++) free(r->recalled[i]);
    free(r->recalled);
    free(r->settings);
    free(r->command);
    free(r->data_dir_buf);
    r->recalled = NULL;
    r->nrecalled = 0;
    r->settings = r->command = r->data_dir_buf = NULL;
    r->command_len = 0;
}

/* ---- the command that continues a run ---------------------------------- */

/* arg as the shell reads it back: quoted unless every character is safe */
static void quoted(Text *t, const char *arg)
{
    bool safe = *arg != 0;
    for (const char *c = arg; *c && safe; c++)
        safe = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-",
                      *c) != NULL;
    if (safe) {
        add(t, "%s", arg);
        return;
    }
    add(t, "'");
    for (const char *c = arg; *c; c++)
        if (*c == '\'') add(t, "'\\''"); /* close, an escaped quote, open again */
        else add(t, "%c", *c);
    add(t, "'");
}

char *rundir_continue_command(const RunOpts *o)
{
    Text t = {xmalloc(256), 0, 256};
    t.s[0] = 0;
    bool resume = false;
    for (int i = 0; i < o->argc; i++) {
        if (strcmp(o->argv[i], "--restart") == 0) continue;
        resume |= strcmp(o->argv[i], "--resume") == 0;
        if (i) add(&t, " ");
        quoted(&t, o->argv[i]);
    }
    if (!resume) add(&t, " --resume");
    return t.s;
}
