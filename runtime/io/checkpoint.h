/* checkpoint.h: one file holding a training run's state.
 *
 * File format, version 1. All integers are little-endian, whatever the
 * machine; there is no padding.
 *
 *     offset  size  field
 *     0       8     magic "GENCCKPT"
 *     8       4     format version (u32), 1
 *     12      8     model hash (u64): the caller's hash of the compiled
 *                   graph, so that weights never load into another model
 *     20      4     number of sections (u32)
 *     24            the sections, each:
 *                     4  name length k (u32), at least 1
 *                     k  name bytes (no terminating NUL)
 *                     8  payload length m (u64)
 *                     m  payload bytes
 *     end-4   4     CRC-32 (zlib's crc32) of every byte before it
 *
 * Payloads are opaque here: the caller stores parameters, optimizer
 * slabs, RNG state (rng_save), step counters, data position and batchnorm
 * statistics, one section each, and byte order inside a payload is the
 * caller's business (raw `real` arrays are host-order floats).
 *
 * Writing goes to PATH.tmp in the same directory, which is flushed and
 * fsync'ed, then renamed over PATH, and the directory is fsync'ed: a
 * crash at any moment leaves either the old checkpoint or the new one.
 * Reading checks, in order: magic, version, that the section lengths fit
 * the file exactly, the CRC, then the model hash; sections are then
 * looked up by name with their exact size. */
#ifndef GENC_CHECKPOINT_H
#define GENC_CHECKPOINT_H

#include "core/base.h"

#define CKPT_VERSION 1

/* Like data.h and image.h, failures are returned, not printed: -1 (or
 * NULL) and a one-line message in the caller's err[CKPT_ERR_LEN], which
 * starts with the checkpoint's path. Long enough for two paths. */
#define CKPT_ERR_LEN 1024

/* One section to write; the data is read in place, not copied. */
typedef struct CkptSection {
    const char *name; /* non-empty, unique within a checkpoint */
    const void *data;
    size_t size;
} CkptSection;

/* Writes the n sections to path atomically (see above). 0, or -1 with err
 * naming the file and the cause, such as a full disk (ENOSPC) or the file
 * size limit (EFBIG, ulimit -f: SIGXFSZ is held back during the write, so
 * the limit is an error, not the death of the process); then the
 * temporary is removed and an existing checkpoint at path is left as it
 * was, which the message says. */
int ckpt_write(const char *path, uint64_t model_hash,
               const CkptSection *sections, size_t n,
               char err[CKPT_ERR_LEN]);

/* A checkpoint read and verified in memory. */
typedef struct Ckpt Ckpt;

/* NULL with err set when the file cannot be read, is not a genc
 * checkpoint, has another format version, is truncated or corrupted, or
 * was written for a model whose hash is none of hashes[0..nhashes) (the
 * model's hash first, then any older form of it that is still read; 0 is
 * never a hash). With nhashes 0, a checkpoint of any model is read: for a
 * look at what it recorded before its model is compiled. */
Ckpt *ckpt_read(const char *path, const uint64_t *hashes, int nhashes,
                char err[CKPT_ERR_LEN]);

/* The size of section `name` in bytes, or -1 when there is none. */
int64_t ckpt_size(const Ckpt *c, const char *name);

/* Copies section `name`, which must be exactly size bytes, into dst. 0, or
 * -1 with err naming the section when it is missing or of another size. */
int ckpt_get(const Ckpt *c, const char *name, void *dst, size_t size,
             char err[CKPT_ERR_LEN]);

/* Section i of ckpt_count(c), in the file's order: its bytes, its size and
 * its name (cut to fit name[0..n)). For tools that compare checkpoints. */
size_t ckpt_count(const Ckpt *c);
const void *ckpt_section(const Ckpt *c, size_t i, char *name, size_t n, size_t *size);

void ckpt_free(Ckpt *c);

#endif
