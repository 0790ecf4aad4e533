/* atomic.c: files written whole or not at all (atomic.h). */
#include "io/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base.h"

/* ---- signals held while a .tmp exists ------------------------------------
 * Process-wide, not by a thread's mask: a signal sent to the process may
 * be delivered to any of its threads (the pool's, OpenMP's). A signal
 * whose action is the default (the end of genc) gets a handler that notes
 * it, and is raised again once the file is renamed or removed; SIGXFSZ
 * is noted and dropped (the write it stopped failed with EFBIG, which says
 * it). A signal genc handles itself (genc run's SIGINT) or ignores is left
 * alone. */

static const int held_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGXFSZ};
static struct sigaction held_old[GENC_COUNT(held_signals)];
static volatile sig_atomic_t held_pending;
static int held_depth; /* AtomicFiles open (written from one thread) */

static void note_signal(int sig)
{
    if (sig != SIGXFSZ) held_pending = sig;
}

static void hold(void)
{
    if (held_depth++ > 0) return;
    held_pending = 0;
    for (size_t i = 0; i < GENC_COUNT(held_signals); i++) {
        struct sigaction now = {.sa_handler = note_signal};
        sigaction(held_signals[i], NULL, &held_old[i]);
        if (held_old[i].sa_handler == SIG_DFL) sigaction(held_signals[i], &now, NULL);
    }
}

static void release(void)
{
    if (--held_depth > 0) return;
    for (size_t i = 0; i < GENC_COUNT(held_signals); i++)
        sigaction(held_signals[i], &held_old[i], NULL);
    if (held_pending) raise(held_pending);
}

static void done(AtomicFile *a)
{
    if (a->lock >= 0) close(a->lock); /* after the rename: the .tmp was ours till then */
    free(a->path);
    free(a->tmp);
    a->f = NULL;
    a->lock = -1;
    a->path = a->tmp = NULL;
    release();
}

/* A .tmp already there: another genc's, being written (EBUSY), or one a
 * crash left, or something planted there (a symlink, a FIFO), which is
 * removed. 0 when it is gone. */
static int clear_stale(const char *tmp)
{
    int fd = open(tmp, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return EBUSY;
    }
    int e = unlink(tmp) != 0 && errno != ENOENT ? errno : 0;
    if (fd >= 0) close(fd);
    return e;
}

int atomic_open(AtomicFile *a, const char *path)
{
    hold();
    a->path = xstrdup(path);
    a->tmp = xsprintf("%s.tmp", path);
    a->f = NULL;
    a->lock = -1;
    int e = 0;
    for (int tries = 0; !e && a->lock < 0 && tries < 5; tries++) {
        int fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0) {
            e = errno == EEXIST ? clear_stale(a->tmp) : errno;
            continue;
        }
        /* locked, and still the file at that name: another genc that took
         * it for stale in between would have removed it */
        struct stat mine, there;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &mine) == 0 &&
            lstat(a->tmp, &there) == 0 && mine.st_ino == there.st_ino &&
            mine.st_dev == there.st_dev)
            a->lock = fd;
        else
            close(fd);
    }
    if (!e && a->lock < 0) e = EBUSY;
    if (!e) {
        int fd = dup(a->lock);
        if (fd < 0 || !(a->f = fdopen(fd, "wb"))) {
            e = errno ? errno : ENOMEM;
            if (fd >= 0) close(fd);
        }
    }
    if (e) {
        if (a->lock >= 0) unlink(a->tmp);
        done(a);
    }
    return e;
}

int atomic_commit(AtomicFile *a, const char **step)
{
    int e = 0;
    *step = "write";
    /* errno is the failed write's: stdio keeps only an error flag */
    if (ferror(a->f) || fflush(a->f) != 0) e = errno ? errno : EIO;
    else if (fsync(fileno(a->f)) != 0) e = errno, *step = "sync";
    /* close reports write errors some file systems (NFS) defer */
    if (fclose(a->f) != 0 && !e) e = errno, *step = "write";
    if (!e && rename(a->tmp, a->path) != 0) e = errno, *step = "rename";
    if (e) unlink(a->tmp);
    done(a);
    return e;
}

void atomic_abort(AtomicFile *a)
{
    fclose(a->f);
    unlink(a->tmp);
    done(a);
}
