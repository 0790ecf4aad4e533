/* stb.h: the image decoders and the resizer genc uses (stb_image and
 * stb_image_resize from Debian's libstb-dev), compiled in stb.c alone, so
 * that the build can treat that third-party code apart (the Makefile's
 * STB_CFLAGS: under make SAN=1, UBSan's null-argument and pointer-overflow
 * checks are off there, for harmless reports inside stb_image). */
#ifndef GENC_STB_H
#define GENC_STB_H

#include <stdint.h>

/* An image's size from its header: 1, or 0 if stb_image does not know it. */
int stb_info(const uint8_t *file, int len, int *w, int *h, int *channels);
/* The image decoded to c channels, interleaved, or NULL (stb_why says why);
 * free it with stb_free. */
uint8_t *stb_load(const uint8_t *file, int len, int *w, int *h, int *channels, int c);
const char *stb_why(void);
void stb_free(uint8_t *px);
/* in (w0 x h0, rows `stride` bytes apart) resized to out (w x h, packed),
 * c channels: 1, or 0 when out of memory */
int stb_resize(const uint8_t *in, int w0, int h0, int stride, uint8_t *out, int w, int h, int c);

#endif
