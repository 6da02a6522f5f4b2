/* The integer pooling loops, written once and instantiated per element type
 * (kws_avgpool_s8.c, kws_avgpool_s16.c, kws_maxpool_s8.c, kws_maxpool_s16.c):
 * the same windows (KWS_POOL_WINDOW, clipped to the image), the same int32
 * sum and rounding, only the element type and the max pool's start differ. */
#ifndef KWS_POOL_IMPL_H
#define KWS_POOL_IMPL_H

#include "kws_pool_s8.h"
#include "kws_qmath.h"

/* Defines `static void NAME(const kws_pool_params_t *p, const T *input,
 * T *output)`: the average over the clipped window, summed in int32 and
 * divided by the pixels covered, rounding half away from zero like the
 * reference (the generator bounds the window so the sum cannot overflow). */
#define KWS_DEFINE_AVGPOOL(NAME, T)                                                                     \
    static void NAME(const kws_pool_params_t *p, const T *input, T *output)                             \
    {                                                                                                   \
        const int ch = p->channels;                                                                     \
        const int row_elems = p->in_w * ch;                                                             \
        const size_t image_elems = (size_t)p->in_h * (size_t)row_elems;                                 \
        int b, oy, ox, c, y, x;                                                                         \
        for (b = 0; b < p->batches; ++b) {                                                              \
            const T *image = input + (size_t)b * image_elems;                                           \
            for (oy = 0; oy < p->out_h; ++oy) {                                                         \
                for (ox = 0; ox < p->out_w; ++ox) {                                                     \
                    const kws_window_t w = KWS_POOL_WINDOW(p, oy, ox);                                  \
                    const int32_t count = (w.y1 - w.y0) * (w.x1 - w.x0);                                \
                    const int cols = w.x1 - w.x0;                                                       \
                    for (c = 0; c < ch; ++c) {                                                          \
                        const T *row = image + (size_t)(w.y0 * row_elems + w.x0 * ch + c);              \
                        int32_t acc = 0;                                                                \
                        for (y = w.y0; y < w.y1; ++y, row += row_elems) {                               \
                            const T *px = row;                                                          \
                            for (x = 0; x < cols; ++x, px += ch) {                                      \
                                acc += *px;                                                             \
                            }                                                                           \
                        }                                                                               \
                        if (count > 0) {                                                                \
                            acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;      \
                        }                                                                               \
                        *output++ = (T)kws_clamp_i32(acc, p->act_min, p->act_max);                      \
                    }                                                                                   \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
    }

/* Defines `static void NAME(const kws_pool_params_t *p, const T *input,
 * T *output)`: the maximum over the clipped window, starting from LOWEST
 * (the type's minimum, as the reference does). */
#define KWS_DEFINE_MAXPOOL(NAME, T, LOWEST)                                                             \
    static void NAME(const kws_pool_params_t *p, const T *input, T *output)                             \
    {                                                                                                   \
        const int ch = p->channels;                                                                     \
        const int row_elems = p->in_w * ch;                                                             \
        const size_t image_elems = (size_t)p->in_h * (size_t)row_elems;                                 \
        int b, oy, ox, c, y, x;                                                                         \
        for (b = 0; b < p->batches; ++b) {                                                              \
            const T *image = input + (size_t)b * image_elems;                                           \
            for (oy = 0; oy < p->out_h; ++oy) {                                                         \
                for (ox = 0; ox < p->out_w; ++ox) {                                                     \
                    const kws_window_t w = KWS_POOL_WINDOW(p, oy, ox);                                  \
                    const int cols = w.x1 - w.x0;                                                       \
                    for (c = 0; c < ch; ++c) {                                                          \
                        const T *row = image + (size_t)(w.y0 * row_elems + w.x0 * ch + c);              \
                        int32_t best = (LOWEST);                                                        \
                        for (y = w.y0; y < w.y1; ++y, row += row_elems) {                               \
                            const T *px = row;                                                          \
                            for (x = 0; x < cols; ++x, px += ch) {                                      \
                                best = *px > best ? *px : best;                                         \
                            }                                                                           \
                        }                                                                               \
                        *output++ = (T)kws_clamp_i32(best, p->act_min, p->act_max);                     \
                    }                                                                                   \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
    }

#endif /* KWS_POOL_IMPL_H */
