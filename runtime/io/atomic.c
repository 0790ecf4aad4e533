/* atomic.c: files written whole or not at all (atomic.h). */
#include "io/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/base.h"

static void signals_held(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGXFSZ);
}

/* The mask as it was; a SIGXFSZ raised meanwhile is dropped (its write
 * failed with EFBIG, which says it), the others are delivered now. */
static void release(AtomicFile *a)
{
    if (!sigismember(&a->old, SIGXFSZ)) {
        sigset_t xfsz;
        sigemptyset(&xfsz);
        sigaddset(&xfsz, SIGXFSZ);
        struct timespec now = {0, 0};
        while (sigtimedwait(&xfsz, NULL, &now) == SIGXFSZ) continue;
    }
    pthread_sigmask(SIG_SETMASK, &a->old, NULL);
}

static void done(AtomicFile *a)
{
    release(a);
    free(a->path);
    free(a->tmp);
    a->f = NULL;
    a->path = a->tmp = NULL;
}

int atomic_open(AtomicFile *a, const char *path)
{
    sigset_t held;
    signals_held(&held);
    pthread_sigmask(SIG_BLOCK, &held, &a->old);
    a->path = xstrdup(path);
    a->tmp = xsprintf("%s.tmp", path);
    a->f = NULL;
    if (unlink(a->tmp) != 0 && errno != ENOENT) {
        int e = errno;
        done(a);
        return e;
    }
    int fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0 && !(a->f = fdopen(fd, "wb"))) close(fd);
    if (!a->f) {
        int e = errno ? errno : ENOMEM;
        if (fd >= 0) unlink(a->tmp);
        done(a);
        return e;
    }
    return 0;
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
