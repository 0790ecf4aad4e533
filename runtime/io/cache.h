/* cache.h: a folder's decoded examples kept on disk, so that a second run
 * does not decode them again.
 *
 * A cache file is named by a key: a hash of everything the decoded bytes
 * depend on (the kind of files and the shape they are decoded to, and each
 * file's path, size, modification time and label), so that a changed,
 * added or removed file makes another key. The files live in
 * $XDG_CACHE_HOME/genc/, else $HOME/.cache/genc/; with neither set there
 * is no cache. A cache is written whole or not at all (atomic.h); one that
 * cannot be written, or read back as it should be, is simply not used:
 * the examples are decoded as without it. */
#ifndef GENC_CACHE_H
#define GENC_CACHE_H

#include "io/data.h"

/* FNV-1a of n bytes, continuing h (start with CACHE_SEED) */
#define CACHE_SEED 1469598103934665603ULL
uint64_t cache_hash(uint64_t h, const void *p, size_t n);

/* The cache's path for key, or NULL when there is no cache directory. */
char *cache_path(uint64_t key);

/* Reads a cache of at most max examples of `bytes` each into pixels and
 * labels (each below classes): the number kept, and in *skipped and first
 * what the decoding skipped (first: DATA_ERR_LEN); -1 when there is no
 * such cache or it is not whole and sound. */
int cache_read(const char *path, uint64_t key, int max, size_t bytes, int classes, uint8_t *pixels,
               int *labels, int *skipped, char *first);

/* Writes n examples and what was skipped; quietly nothing if it cannot. */
void cache_write(const char *path, uint64_t key, int n, size_t bytes, const uint8_t *pixels,
                 const int *labels, int skipped, const char *first);

#endif
