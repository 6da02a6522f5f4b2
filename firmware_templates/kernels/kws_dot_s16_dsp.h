/* Dot products of int16 activations with int8 weight rows by SMLAD, for the
 * DSP-extension 16x8 kernels (kws_conv2d_s16_dsp.c,
 * kws_fully_connected_s16_dsp.c, kws_lstm_s16_dsp.c: a unit's four gate
 * rows are one block).
 *
 * Two consecutive int16 values are one word of 16-bit lanes (x0, x1), read
 * as is. The host stores each group of four weights w0 w1 w2 w3 of a row as
 * w0 w2 w1 w3 (generator/model/ops/dsp.py, s16_pair_order), so SXTB16 of
 * the group's word gives (w0, w1) and SXTB16 ROR #8 gives (w2, w3): one SMLAD
 * each against (x0, x1) and (x2, x3). Channels go in blocks of four from
 * the first of each call (a convolution group's first channel): a block's
 * 4 * depth bytes hold, group by group, the four channels' words, then the
 * four channels' last depth % 4 weights in order (multiplied one by one);
 * the channels after the last whole block are rows in pair order. The flash
 * size is the portable one.
 *
 * Exactness: a product is at most 2^22 in magnitude, so an int32 sum of
 * KWS_S16_DSP_GROUPS groups (508 products, within kws_conv_s16.h's
 * KWS_S16_CHUNK) is exact; SMLAD's wrapping intermediate sums do not matter
 * because the chunk's total fits. Each chunk is widened to int64, so every
 * sum is exactly the portable kernels' (and the reference's) int64 sum. */
#ifndef KWS_DOT_S16_DSP_H
#define KWS_DOT_S16_DSP_H

#include "kws_requant_s16.h"
#include "kws_simd.h"

#ifdef __cplusplus
extern "C" {
#endif

/* kws_requant_s16_out for the DSP kernels. With rq->smmulr the generator
 * (generator/model/ops/dsp.py, _s16_smmulr) has proved for every channel
 * that acc + bias stays below 2^31 in magnitude and that the 64-bit stage's
 * rounding shift t = 15 - shift lies in [16, 32], and stores the bias as
 * int32 and the multiplier r (the reference's, rounded to 16 bits) as
 * r << (32 - t) < 2^31. Then the reference's (a * r + 2^(t - 1)) >> t equals
 * (a * (r << (32 - t)) + 2^31) >> 32, which is one SMMULR, exactly. */
KWS_INLINE int16_t kws_requant_s16_dsp(const kws_requant_s16_t *rq, int32_t c, int64_t acc)
{
    if (rq->smmulr) {
        const int32_t a = (int32_t)acc + (rq->bias32 != NULL ? rq->bias32[c] : 0);
        return (int16_t)kws_clamp_i32(kws_smmulr(a, rq->mult[c * rq->mult_stride]), rq->act_min, rq->act_max);
    }
    return kws_requant_s16_out(rq, c, acc);
}

/* groups of four products per exact int32 chunk: 4 * 127 <= KWS_S16_CHUNK */
#define KWS_S16_DSP_GROUPS 127

/* one group of four weights of the row at w against the column words (x01,
 * x23), into the int32 accumulator a */
#define KWS_S16_GROUP(a, w)                               \
    do {                                                  \
        const uint32_t u_ = kws_read_u32(w);              \
        a = kws_smlad(kws_sxtb16(u_), x01, a);            \
        a = kws_smlad(kws_sxtb16_ror8(u_), x23, a);       \
    } while (0)

/* the last n < 4 products of one row, in order */
KWS_INLINE int32_t kws_s16_tail(const int16_t *x, const int8_t *w, int n)
{
    int32_t a = 0;
    int i;
    for (i = 0; i < n; ++i) {
        a += (int32_t)x[i] * (int32_t)w[i];
    }
    return a;
}

/* Adds to acc[0..3] the dot products of x (depth int16 values) with the
 * four rows of one block at w (the layout above), exactly. Inline: the
 * callers' accumulators then stay in registers (measured faster). */
KWS_INLINE void kws_s16_block4_dsp(int64_t acc[4], const int16_t *x, const int8_t *w, int depth)
{
    const int rest = depth & 3;
    int left = depth >> 2;
    int k;
    /* each column word serves four rows: 2 loads of x, 4 of weights (one
     * pointer), 8 SXTB16 and 8 SMLAD per 16 products */
    while (left > 0) {
        const int len = left < KWS_S16_DSP_GROUPS ? left : KWS_S16_DSP_GROUPS;
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        int g;
        for (g = len; g > 0; --g, x += 4, w += 16) {
            const uint32_t x01 = kws_read_u32(x);
            const uint32_t x23 = kws_read_u32(x + 2);
            KWS_S16_GROUP(a0, w);
            KWS_S16_GROUP(a1, w + 4);
            KWS_S16_GROUP(a2, w + 8);
            KWS_S16_GROUP(a3, w + 12);
        }
        acc[0] += a0;
        acc[1] += a1;
        acc[2] += a2;
        acc[3] += a3;
        left -= len;
    }
    for (k = 0; k < 4 && rest; ++k) {
        acc[k] += kws_s16_tail(x, w + k * rest, rest);
    }
}

/* Output channels [oc, end) at one column x of `depth` int16 values (any
 * alignment of 2): channel c's weights (or its block's, see above) start at
 * weights + c * depth; requantized with rq into out, which is returned
 * advanced. */
int16_t *kws_s16_channels_dsp(const kws_requant_s16_t *rq, const int8_t *weights, const int16_t *x, int oc,
                              int end, int depth, int16_t *out);

#ifdef __cplusplus
}
#endif

#endif /* KWS_DOT_S16_DSP_H */
