/* Fixed-point helpers the microfrontend (kws_frontend.c) and TFLite Micro's
 * Signal ops (kws_signal.c) share: they are the same computations in both
 * references (bit lengths, PCAN's gain curve and shrink, the natural log). Static
 * inline, so each user compiles its own copy. */
#ifndef KWS_AUDIO_FIXED_H
#define KWS_AUDIO_FIXED_H

#include <stdint.h>

/* Bits of x (0 for 0). */
static inline int kws_msb32(uint32_t x)
{
#if defined(__GNUC__)
    return x ? 32 - __builtin_clz(x) : 0;
#else
    int n = 0;
    while (x) {
        ++n;
        x >>= 1;
    }
    return n;
#endif
}

static inline int kws_msb64(uint64_t x)
{
    uint32_t hi = (uint32_t)(x >> 32);
    return hi ? 32 + kws_msb32(hi) : kws_msb32((uint32_t)x);
}

/* The PCAN gain curve: lut[0..2] for x <= 2, then `stride` values per power
 * of two from lut + 2, a quadratic through the first three (the frontend's
 * table has 3 a segment, the Signal op's 4). */
static inline int16_t kws_pcan_gain(uint32_t x, const int16_t *lut, int stride)
{
    int interval;
    const int16_t *seg;
    int32_t frac, y;
    if (x <= 2u) {
        return lut[x];
    }
    interval = kws_msb32(x);
    seg = lut + 2 + stride * (interval - 2);
    frac = (int32_t)(((interval < 11) ? (x << (11 - interval)) : (x >> (interval - 11))) & 0x3FFu);
    y = ((int32_t)seg[2] * frac) >> 5;
    y += (int32_t)((uint32_t)(int32_t)seg[1] << 5);
    y *= frac;
    y = (y + (1 << 14)) >> 15;
    y += seg[0];
    return (int16_t)y;
}

/* PCAN's output from the gain-scaled value: quadratic below 2 in Q12, then
 * linear, in Q6. */
static inline uint32_t kws_pcan_shrink(uint32_t x)
{
    if (x < (2u << 12)) {
        return (x * x) >> (2 + 2 * 12 - 6);
    }
    return (x >> (12 - 6)) - (1u << 6);
}

/* ln(x) * scale / 2^16, rounded, for x > 1: log2 from the bit length and a
 * 129-entry correction table (log2(1 + i/128) - i/128 in Q16,
 * generator/frontend/tables.py log_lut), then times ln 2 in Q16 (45426). */
static inline uint32_t kws_log_scaled(uint32_t x, uint32_t scale, const uint16_t *lut)
{
    const uint32_t integer = (uint32_t)kws_msb32(x) - 1u;
    int32_t frac = (int32_t)(x - (1u << integer));
    uint32_t seg, log2, loge;
    int32_t c0, c1, rel;
    if (integer < 16u) {
        frac = (int32_t)((uint32_t)frac << (16u - integer));
    } else {
        frac >>= integer - 16u;
    }
    seg = (uint32_t)frac >> 9;
    c0 = lut[seg];
    c1 = lut[seg + 1u];
    rel = ((c1 - c0) * (frac - (int32_t)(seg << 9))) >> 16;
    log2 = (integer << 16) + (uint32_t)(frac + c0 + rel);
    loge = (uint32_t)(((uint64_t)45426u * log2 + 32768u) >> 16);
    return (scale * loge + 32768u) >> 16;
}

#endif /* KWS_AUDIO_FIXED_H */
