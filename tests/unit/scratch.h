/* scratch.h: a unit test's own directory for the files it writes,
 * /tmp/genc-test-NAME-XXXXXX: a fresh one per run, so runs side by side
 * (make -j, make test next to make test SAN=1) never share a file; made at
 * the start of main, removed with everything in it at the end. */
#ifndef GENC_SCRATCH_H
#define GENC_SCRATCH_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

static char scratch_dir[64];

/* 0 on success; otherwise says why on stderr */
static inline int scratch_make(const char *name)
{
    snprintf(scratch_dir, sizeof scratch_dir, "/tmp/genc-test-%s-XXXXXX", name);
    if (mkdtemp(scratch_dir)) return 0;
    perror(scratch_dir);
    return -1;
}

/* scratch_dir/name in a static buffer; two at a time, for calls that take
 * a source and a destination */
static inline const char *scratch_at(const char *name)
{
    static char buf[2][512];
    static int k;
    k ^= 1;
    snprintf(buf[k], sizeof buf[k], "%s/%s", scratch_dir, name);
    return buf[k];
}

static inline int scratch_remove_one(const char *path, const struct stat *st, int flag,
                                     struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static inline void scratch_remove(void)
{
    nftw(scratch_dir, scratch_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
