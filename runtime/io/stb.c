/* stb.c: stb_image and stb_image_resize, compiled here and only here (see
 * stb.h); STATIC keeps their symbols out of the library's namespace. Only
 * the formats genc documents are compiled in. */
#include "io/stb.h"

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_NO_STDIO
/* for the whole file: GCC reports stb's declared-but-undefined static
 * functions at the end of the file, after a pop */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wmisleading-indentation"
/* stb_image adds 0 to a null pointer, and copies 0 bytes from one, on a
 * PNG with empty data chunks (harmless; UBSan reports both, found by
 * fuzz_media): off for stb's functions under clang here, and for this
 * file under gcc by the Makefile */
#ifdef __clang__
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow", "nonnull-attribute"))), \
                             apply_to = function)
#endif
#include <stb/stb_image.h>
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#define STB_IMAGE_RESIZE_STATIC
#include <stb/stb_image_resize.h>
#ifdef __clang__
#pragma clang attribute pop
#endif
#pragma GCC diagnostic pop

int stb_info(const uint8_t *file, int len, int *w, int *h, int *channels)
{
    return stbi_info_from_memory(file, len, w, h, channels);
}

uint8_t *stb_load(const uint8_t *file, int len, int *w, int *h, int *channels, int c)
{
    return stbi_load_from_memory(file, len, w, h, channels, c);
}

const char *stb_why(void) { return stbi_failure_reason(); }

void stb_free(uint8_t *px) { stbi_image_free(px); }

int stb_resize(const uint8_t *in, int w0, int h0, int stride, uint8_t *out, int w, int h, int c)
{
    return stbir_resize_uint8(in, w0, h0, stride, out, w, h, w * c, c);
}
