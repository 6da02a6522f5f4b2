/* int16 columns times int8 weight rows with SMLAD: see kws_dot_s16_dsp.h. */
#include "kws_dot_s16_dsp.h"
#include "kws_simd.h"

int16_t *kws_s16_channels_dsp(const kws_requant_s16_t *rq, const int8_t *weights, const int16_t *x, int oc,
                              int end, int depth, int16_t *out)
{
    const int8_t *w = weights + (size_t)oc * (size_t)depth;
    const int groups = depth >> 2;
    const int rest = depth & 3;
    int64_t acc[4];
    int k;
    for (; oc + 4 <= end; oc += 4, w += 4 * depth) {
        acc[0] = acc[1] = acc[2] = acc[3] = 0;
        kws_s16_block4_dsp(acc, x, w, depth);
        for (k = 0; k < 4; ++k) {
            *out++ = kws_requant_s16_dsp(rq, oc + k, acc[k]);
        }
    }
    for (; oc < end; ++oc, w += depth) {
        const int16_t *xp = x;
        const int8_t *w0 = w;
        int left = groups;
        int64_t sum = 0;
        while (left > 0) {
            const int len = left < KWS_S16_DSP_GROUPS ? left : KWS_S16_DSP_GROUPS;
            int32_t a0 = 0;
            int g;
            for (g = len; g > 0; --g, xp += 4, w0 += 4) {
                const uint32_t x01 = kws_read_u32(xp);
                const uint32_t x23 = kws_read_u32(xp + 2);
                KWS_S16_GROUP(a0, w0);
            }
            sum += a0;
            left -= len;
        }
        *out++ = kws_requant_s16_dsp(rq, oc, sum + kws_s16_tail(xp, w0, rest));
    }
    return out;
}
