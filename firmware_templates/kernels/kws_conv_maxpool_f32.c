/* A CONV_2D whose output only a MAX_POOL_2D reads, float32, as one step
 * (generator/model/fuse.py). */

#include "kws_f32_impl.h"

/* Per pooled row: the conv rows its window covers (clipped) into `band`,
 * then the pooled row from them. The pool's stride is at least its height
 * (the compiler checks), so no conv row is computed twice. */
void kws_conv2d_maxpool_f32(const kws_conv2d_maxpool_f32_params_t *p, const float *input, float *output,
                            void *band)
{
    int b, oy;
    for (b = 0; b < p->conv.batches; ++b) {
        const float *image = input + (size_t)b * kws_image_f32(p->conv.in_h, p->conv.in_w, p->conv.in_c);
        for (oy = 0; oy < p->pool.out_h; ++oy) {
            const kws_window_t w = KWS_POOL_WINDOW(&p->pool, oy, 0);
            (void)kws_conv2d_rows_f32(&p->conv, image, w.y0, w.y1, (float *)band);
            output = kws_pool_row_f32(&p->pool, (const float *)band, w.y0, oy, 0, output);
        }
    }
}
