/* RESIZE_BILINEAR, int8, portable C99: TFLite's ResizeBilinearInteger with
 * the sample positions precomputed on the host (see kws_resize_s8.h).
 * |sum| <= 128 * 2048 * 2048 = 2^29 (fy, fx >= -512 only where both
 * neighbours are the same pixel), so int32 holds every partial sum. */
#include "kws_resize_s8.h"

void kws_resize_bilinear_s8(const kws_resize_params_t *p, const int8_t *input, int8_t *output)
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
            const int8_t *const top = image + rows[3 * y];
            const int8_t *const bottom = image + rows[3 * y + 1];
            const int32_t fy = rows[3 * y + 2];
            for (x = 0; x < out_w; ++x) {
                const int32_t left = cols[3 * x];
                const int32_t right = cols[3 * x + 1];
                const int32_t fx = cols[3 * x + 2];
                const int32_t w_tl = (1024 - fy) * (1024 - fx);
                const int32_t w_bl = fy * (1024 - fx);
                const int32_t w_tr = (1024 - fy) * fx;
                const int32_t w_br = fy * fx;
                const int8_t *const tl = top + left;
                const int8_t *const bl = bottom + left;
                const int8_t *const tr = top + right;
                const int8_t *const br = bottom + right;
                for (c = 0; c < channels; ++c) {
                    const int32_t sum = tl[c] * w_tl + bl[c] * w_bl + tr[c] * w_tr + br[c] * w_br;
                    /* round half away from zero; C division truncates toward zero */
                    const int32_t half = sum > 0 ? (1 << 19) : -(1 << 19);
                    *output++ = (int8_t)((sum + half) / (1 << 20));
                }
            }
        }
        image += image_bytes;
    }
}
