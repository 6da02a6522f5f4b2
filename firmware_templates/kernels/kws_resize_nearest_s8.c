/* RESIZE_NEAREST_NEIGHBOR, int8, portable C99: a gather of whole pixels
 * from the source offsets precomputed on the host (see kws_resize_s8.h). */
#include "kws_resize_s8.h"

void kws_resize_nearest_s8(const kws_resize_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t batches = p->batches;
    const int32_t image_bytes = p->image_bytes;
    const int32_t channels = p->channels;
    const int32_t out_h = p->out_h;
    const int32_t out_w = p->out_w;
    const int32_t *const rows = p->rows;
    const int32_t *const cols = p->cols;
    const int8_t *image = input;
    int32_t b;
    int32_t y;
    int32_t x;
    int32_t c;

    for (b = 0; b < batches; ++b) {
        for (y = 0; y < out_h; ++y) {
            const int8_t *const row = image + rows[y];
            for (x = 0; x < out_w; ++x) {
                /* byte by byte, in order: the memory plan may overlap the
                 * output with the input as far as this order allows */
                const int8_t *const src = row + cols[x];
                for (c = 0; c < channels; ++c) {
                    *output++ = src[c];
                }
            }
        }
        image += image_bytes;
    }
}
