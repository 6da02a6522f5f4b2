/* MAX_POOL_2D, int8, portable C99. The window is clipped to the image. */
#include "kws_pool_s8.h"
#include "kws_qmath.h"

void kws_maxpool_s8(const kws_pool_params_t *p, const int8_t *input, int8_t *output)
{
    const int ch = p->channels;
    const int row_bytes = p->in_w * ch;
    const size_t image_bytes = (size_t)p->in_h * (size_t)row_bytes;
    int b;
    int oy;
    int ox;
    int c;
    int y;
    int x;

    for (b = 0; b < p->batches; ++b) {
        const int8_t *image = input + (size_t)b * image_bytes;
        for (oy = 0; oy < p->out_h; ++oy) {
            for (ox = 0; ox < p->out_w; ++ox) {
                const kws_window_t w = KWS_POOL_WINDOW(p, oy, ox);
                for (c = 0; c < ch; ++c) {
                    int32_t best = -128;
                    for (y = w.y0; y < w.y1; ++y) {
                        int idx = y * row_bytes + w.x0 * ch + c;
                        for (x = w.x0; x < w.x1; ++x, idx += ch) {
                            if (image[idx] > best) {
                                best = image[idx];
                            }
                        }
                    }
                    *output++ = (int8_t)kws_clamp_i32(best, p->act_min, p->act_max);
                }
            }
        }
    }
}
