/* wav.h: reading a WAV file's samples, for wav("dir").
 *
 * A WAV file is RIFF/WAVE with a "fmt " chunk of 16-bit PCM (format 1,
 * or WAVE_FORMAT_EXTENSIBLE with the PCM subformat) and a "data" chunk;
 * other chunks are skipped. Several channels are averaged to one. A file
 * at another sample rate is refused (genc does not resample: the message
 * says how to, with sox). The clip is cut to its first `length` samples,
 * or padded with silence at the end. */
#ifndef GENC_WAV_H
#define GENC_WAV_H

#include "io/data.h"

/* path's first `length` samples into out (2*length bytes, little-endian
 * int16). Returns 0, or -1 with what is wrong, naming path, in err. */
int wav_read(const char *path, int rate, int length, uint8_t *out, char err[DATA_ERR_LEN]);

#endif
