/* wav.c: WAV files (see wav.h). */
#include "io/wav.h"
#include "core/limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t wav_u32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t wav_u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

int wav_read(const char *path, int rate, int length, uint8_t *out, char err[DATA_ERR_LEN])
{
    int64_t bytes;
    FILE *f = data_open(path, GENC_MAX_MEDIA_BYTES, &bytes, err);
    if (!f) return -1;
    uint8_t head[12], chunk[8], fmt[40];
    int rc = -1, channels = 0;
    bool have_fmt = false;
    memset(out, 0, 2 * (size_t)length);
    if (fread(head, 1, 12, f) != 12 || memcmp(head, "RIFF", 4) || memcmp(head + 8, "WAVE", 4)) {
        data_error(err, "%s: not a WAV file (no RIFF/WAVE header)", path);
        goto out;
    }
    for (;;) {
        if (fread(chunk, 1, 8, f) != 8) {
            data_error(err, "%s: truncated: %s", path, have_fmt ? "no data chunk" : "no fmt chunk");
            goto out;
        }
        uint32_t size = wav_u32(chunk + 4);
        if (!memcmp(chunk, "fmt ", 4)) {
            if (size < 16 || size > sizeof fmt || fread(fmt, 1, size, f) != size) {
                data_error(err, "%s: a damaged fmt chunk (%u bytes)", path, size);
                goto out;
            }
            unsigned format = wav_u16(fmt), bits = wav_u16(fmt + 14);
            /* WAVE_FORMAT_EXTENSIBLE names the format in its subformat GUID */
            if (format == 0xFFFE && size >= 26) format = wav_u16(fmt + 24);
            channels = wav_u16(fmt + 2);
            uint32_t hz = wav_u32(fmt + 4);
            if (format != 1 || bits != 16) {
                data_error(err, "%s: not 16-bit PCM (%s, %u bits); convert it with "
                           "sox IN.wav -b 16 -e signed-integer OUT.wav", path,
                           format == 3 ? "floating point" : format == 1 ? "PCM" : "compressed",
                           bits);
                goto out;
            }
            if (channels < 1 || channels > GENC_MAX_WAV_CHANNELS) {
                data_error(err, "%s: %d channels (genc reads 1 to %d)", path, channels,
                           GENC_MAX_WAV_CHANNELS);
                goto out;
            }
            if (hz != (uint32_t)rate) {
                data_error(err, "%s: %u samples per second, but the model reads %d; genc does not "
                           "resample: sox IN.wav -r %d OUT.wav", path, hz, rate, rate);
                goto out;
            }
            have_fmt = true;
        } else if (!memcmp(chunk, "data", 4)) {
            if (!have_fmt) {
                data_error(err, "%s: the data chunk comes before the fmt chunk", path);
                goto out;
            }
            /* frames of `channels` samples, averaged; the first `length`,
             * read a block at a time. A size of 0 or 0xFFFFFFFF (a WAV
             * written as a stream) runs to the end of the file. */
            bool stream = size == 0 || size == 0xFFFFFFFFu;
            size_t frame = 2 * (size_t)channels, want = stream ? (size_t)length : size / frame;
            if (want > (size_t)length) want = (size_t)length;
            uint8_t buf[2 * GENC_MAX_WAV_CHANNELS * 64];
            size_t done = 0;
            while (done < want) {
                size_t block = want - done < 64 ? want - done : 64;
                size_t got = fread(buf, frame, block, f);
                for (size_t i = 0; i < got; i++) {
                    int sum = 0;
                    for (int c = 0; c < channels; c++) sum += (int16_t)wav_u16(buf + i * frame + 2 * c);
                    int v = sum / channels;
                    out[2 * (done + i)] = (uint8_t)(v & 0xFF);
                    out[2 * (done + i) + 1] = (uint8_t)((v >> 8) & 0xFF);
                }
                done += got;
                if (got < block) break;
            }
            if (done < want && !stream) {
                data_error(err, "%s: truncated: the data chunk says %u bytes, fewer follow", path,
                           size);
                goto out;
            }
            rc = 0;
            goto out;
        } else if (fseek(f, (long)size + (size & 1), SEEK_CUR)) { /* chunks are padded to even */
            data_error(err, "%s: truncated inside a %.4s chunk", path, (const char *)chunk);
            goto out;
        }
    }
out:
    fclose(f);
    return rc;
}
