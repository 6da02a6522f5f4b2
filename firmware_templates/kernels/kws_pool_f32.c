/* MAX_POOL_2D and AVERAGE_POOL_2D, float32 (reference pooling.h). */

#include "kws_f32_impl.h"

float *kws_pool_row_f32(const kws_pool_f32_params_t *p, const float *rows, int row0, int oy, int average,
                        float *output)
{
    int ox, c, y, x;
    for (ox = 0; ox < p->out_w; ++ox) {
        const kws_window_t w = KWS_POOL_WINDOW(p, oy, ox);
        for (c = 0; c < p->channels; ++c) {
            /* max starts at std::numeric_limits<float>::lowest() */
            float acc = average ? 0.0f : -3.40282347e+38f;
            float count = 0.0f;
            for (y = w.y0; y < w.y1; ++y) {
                for (x = w.x0; x < w.x1; ++x) {
                    const float v = rows[((size_t)(y - row0) * (size_t)p->in_w + (size_t)x) * (size_t)p->channels + (size_t)c];
                    if (average) {
                        acc += v;
                        count += 1.0f;
                    } else {
                        acc = (acc < v) ? v : acc; /* std::max(acc, v) */
                    }
                }
            }
            *output++ = kws_act_f32(average ? acc / count : acc, p->act_min, p->act_max);
        }
    }
    return output;
}

static void kws_pool_f32(const kws_pool_f32_params_t *p, const float *input, int average, float *output)
{
    int b, oy;
    for (b = 0; b < p->batches; ++b) {
        const float *image = input + (size_t)b * kws_image_f32(p->in_h, p->in_w, p->channels);
        for (oy = 0; oy < p->out_h; ++oy) {
            output = kws_pool_row_f32(p, image, 0, oy, average, output);
        }
    }
}

void kws_maxpool_f32(const kws_pool_f32_params_t *p, const float *input, float *output)
{
    kws_pool_f32(p, input, 0, output);
}

void kws_avgpool_f32(const kws_pool_f32_params_t *p, const float *input, float *output)
{
    kws_pool_f32(p, input, 1, output);
}
