/* int16 columns times int8 weight rows with SMLAD: see kws_dot_s16_dsp.h. */
#include "kws_dot_s16_dsp.h"
#include "kws_simd.h"

/* one group of four weights of the row at w against the column words (x01,
 * x23), into the int32 accumulator a */
#define KWS_S16_GROUP(a, w)                               \
    do {                                                  \
        const uint32_t u_ = kws_read_u32(w);              \
        a = kws_smlad(kws_sxtb16(u_), x01, a);            \
        a = kws_smlad(kws_sxtb16_ror8(u_), x23, a);       \
    } while (0)

/* the last depth % 4 products of one row, in order */
static int32_t tail(const int16_t *x, const int8_t *w, int n)
{
    int32_t a = 0;
    int i;
    for (i = 0; i < n; ++i) {
        a += (int32_t)x[i] * (int32_t)w[i];
    }
    return a;
}

void kws_s16_block4_dsp(int64_t acc[4], const int16_t *x, const int8_t *w, int depth)
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
        acc[k] += tail(x, w + k * rest, rest);
    }
}

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
        *out++ = kws_requant_s16_dsp(rq, oc, sum + tail(xp, w0, rest));
    }
    return out;
}
