/* atomic.h: a file written whole or not at all.
 *
 * The bytes go to PATH.tmp, which is made afresh and never through a
 * symlink (O_EXCL | O_NOFOLLOW: a link planted at PATH.tmp is replaced,
 * not followed), and locked (flock) while it is written: a .tmp a crash
 * left is removed, one another genc is writing is not (EBUSY). PATH is
 * replaced by a rename only when every byte is written and synced. From
 * open to commit or abort, the signals that would end genc (SIGINT,
 * SIGTERM, SIGHUP) wait, whichever thread they reach, so that an
 * interruption comes after the rename and no .tmp is left behind; a write
 * past the file size limit fails with EFBIG instead of raising SIGXFSZ.
 * The checkpoints, log.csv, sample grids and IDX output are written this
 * way. One thread writes them. */
#ifndef GENC_ATOMIC_H
#define GENC_ATOMIC_H

#include <stdio.h>

typedef struct AtomicFile {
    FILE *f;  /* write to this */
    char *path, *tmp;
    int lock; /* the .tmp's descriptor holding its lock */
} AtomicFile;

/* 0, or the errno of creating PATH.tmp (EBUSY: another genc is writing
 * PATH), with the signals back as they were. */
int atomic_open(AtomicFile *a, const char *path);
/* Flushes, syncs, closes and renames over PATH. 0, or the errno of the
 * step that failed, which *step names ("write", "sync", "rename"); the
 * .tmp is then removed. Either way the file is closed and the signals
 * released. */
int atomic_commit(AtomicFile *a, const char **step);
/* Closes and removes the .tmp, PATH untouched. */
void atomic_abort(AtomicFile *a);

#endif
