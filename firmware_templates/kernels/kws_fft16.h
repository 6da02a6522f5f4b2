#ifndef KWS_FFT16_H
#define KWS_FFT16_H

/* kissfft's 16-bit fixed-point real FFT (FIXED_POINT=16), which TFLite
 * Micro's microfrontend and its Signal RFFT both run: shared by tinykws's
 * frontend (kws_frontend.c) and the Signal RFFT kernel (kws_signal.c). The
 * integer arithmetic is the reference's step for step, including where
 * intermediate values are truncated to 16 bits, so the result is
 * bit-identical; the organisation differs: an iterative in-place FFT over an
 * input already in digit-reversed order (a scatter table, see
 * generator/frontend/tables.py, which also computes the twiddles). Static
 * inline: each user compiles its own copy, so no build lists another file.
 * Relies on arithmetic right shifts of negative values and on conversions to
 * int16 wrapping, as the reference does. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Q15 multipliers kissfft uses to divide by 2 and by 4 (32767 / k). */
#define FFT16_DIV2 16383
#define FFT16_DIV4 8191

/* Q15 scaling with kissfft's rounding, result truncated to 16 bits. */
static inline int16_t fft16_q15(int32_t x) { return (int16_t)((x + 16384) >> 15); }

/* ARMv7E-M DSP path (Cortex-M4/M7/M33...): a complex value is one 32-bit
 * word, real part in the low half. The SIMD instructions used keep the
 * reference's arithmetic exactly: SADD16/SSUB16/SASX/SSAX wrap each lane
 * modulo 2^16 as the reference's int16 stores do, SMLSD/SMLADX form the same
 * 32-bit products and sums, SHADD16/SHSUB16 are (a +/- b) >> 1 on 17 bits.
 * Define KWS_FE_NO_DSP to force the portable path. */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && !defined(KWS_FE_NO_DSP)
#define FFT16_DSP 1
#include <arm_acle.h>

static inline uint32_t fft16_ld(const int16_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline void fft16_st(int16_t *p, uint32_t v) { memcpy(p, &v, sizeof(v)); }

/* low half of lo, bits 15..30 of hi_raw (i.e. hi_raw >> 15) as the high
 * half: one PKHBT (GCC does not form it from the C expression). */
static inline uint32_t fft16_pack15(int32_t lo, int32_t hi_raw)
{
#if defined(__GNUC__)
    uint32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #1" : "=r"(r) : "r"(lo), "r"(hi_raw));
    return r;
#else
    return ((uint32_t)lo & 0xFFFFu) | (((uint32_t)hi_raw << 1) & 0xFFFF0000u);
#endif
}

/* Both lanes times k (Q15), kissfft-rounded (C_FIXDIV). */
static inline uint32_t fft16_fixdiv_p(uint32_t x, int32_t k)
{
    return fft16_pack15(__smlabb((int32_t)x, k, 16384) >> 15, __smlatb((int32_t)x, k, 16384));
}

/* Complex product, kissfft-rounded (C_MUL). */
static inline uint32_t fft16_cmul_p(uint32_t a, uint32_t w)
{
    return fft16_pack15(__smlsd((int32_t)a, (int32_t)w, 16384) >> 15,
                     __smladx((int32_t)a, (int32_t)w, 16384));
}

static inline void fft16_bfly2_dsp(int16_t *f, size_t m, size_t fstride, const int16_t *tw)
{
    int16_t *g = f + 2u * m;
    size_t k;
    for (k = 0; k < m; ++k) {
        uint32_t a = fft16_fixdiv_p(fft16_ld(f), FFT16_DIV2);
        uint32_t b = fft16_fixdiv_p(fft16_ld(g), FFT16_DIV2);
        uint32_t t = fft16_cmul_p(b, fft16_ld(tw + 2u * k * fstride));
        fft16_st(g, __ssub16(a, t));
        fft16_st(f, __sadd16(a, t));
        f += 2;
        g += 2;
    }
}

static inline void fft16_bfly4_dsp(int16_t *f, size_t m, size_t fstride, const int16_t *tw)
{
    const size_t s1 = 2u * m, s2 = 4u * m, s3 = 6u * m;
    const size_t step1 = 2u * fstride, step2 = 4u * fstride, step3 = 6u * fstride;
    const int16_t *w1 = tw, *w2 = tw, *w3 = tw;
    size_t k;
    for (k = 0; k < m; ++k) {
        uint32_t x0 = fft16_fixdiv_p(fft16_ld(f), FFT16_DIV4);
        uint32_t x1 = fft16_fixdiv_p(fft16_ld(f + s1), FFT16_DIV4);
        uint32_t x2 = fft16_fixdiv_p(fft16_ld(f + s2), FFT16_DIV4);
        uint32_t x3 = fft16_fixdiv_p(fft16_ld(f + s3), FFT16_DIV4);
        uint32_t p1 = fft16_cmul_p(x1, fft16_ld(w1));
        uint32_t p2 = fft16_cmul_p(x2, fft16_ld(w2));
        uint32_t p3 = fft16_cmul_p(x3, fft16_ld(w3));
        uint32_t d = __ssub16(x0, p2), e = __sadd16(x0, p2);
        uint32_t sm = __sadd16(p1, p3), df = __ssub16(p1, p3);
        fft16_st(f + s2, __ssub16(e, sm));
        fft16_st(f, __sadd16(e, sm));
        fft16_st(f + s1, __ssax(d, df)); /* (d.r + df.i, d.i - df.r) */
        fft16_st(f + s3, __sasx(d, df)); /* (d.r - df.i, d.i + df.r) */
        w1 += step1;
        w2 += step2;
        w3 += step3;
        f += 2;
    }
}
#define fft16_bfly2 fft16_bfly2_dsp
#define fft16_bfly4 fft16_bfly4_dsp
#endif

#ifndef FFT16_DSP
/* In-place radix-2 butterflies over one group of 2*m complex values. */
static inline void fft16_bfly2(int16_t *f, size_t m, size_t fstride, const int16_t *tw)
{
    int16_t *g = f + 2u * m;
    size_t k;
    for (k = 0; k < m; ++k) {
        const int16_t *w = tw + 2u * k * fstride;
        int32_t ar = fft16_q15(f[0] * FFT16_DIV2), ai = fft16_q15(f[1] * FFT16_DIV2);
        int32_t br = fft16_q15(g[0] * FFT16_DIV2), bi = fft16_q15(g[1] * FFT16_DIV2);
        int32_t tr = fft16_q15(br * w[0] - bi * w[1]);
        int32_t ti = fft16_q15(br * w[1] + bi * w[0]);
        g[0] = (int16_t)(ar - tr);
        g[1] = (int16_t)(ai - ti);
        f[0] = (int16_t)(ar + tr);
        f[1] = (int16_t)(ai + ti);
        f += 2;
        g += 2;
    }
}

/* In-place forward radix-4 butterflies over one group of 4*m complex values. */
static inline void fft16_bfly4(int16_t *f, size_t m, size_t fstride, const int16_t *tw)
{
    const size_t s1 = 2u * m, s2 = 4u * m, s3 = 6u * m;
    const size_t step1 = 2u * fstride, step2 = 4u * fstride, step3 = 6u * fstride;
    const int16_t *w1 = tw, *w2 = tw, *w3 = tw;
    size_t k;
    for (k = 0; k < m; ++k) {
        int32_t x0r = fft16_q15(f[0] * FFT16_DIV4), x0i = fft16_q15(f[1] * FFT16_DIV4);
        int32_t x1r = fft16_q15(f[s1] * FFT16_DIV4), x1i = fft16_q15(f[s1 + 1] * FFT16_DIV4);
        int32_t x2r = fft16_q15(f[s2] * FFT16_DIV4), x2i = fft16_q15(f[s2 + 1] * FFT16_DIV4);
        int32_t x3r = fft16_q15(f[s3] * FFT16_DIV4), x3i = fft16_q15(f[s3 + 1] * FFT16_DIV4);
        /* Twiddled inputs (each a 16-bit value). */
        int32_t p1r = fft16_q15(x1r * w1[0] - x1i * w1[1]);
        int32_t p1i = fft16_q15(x1r * w1[1] + x1i * w1[0]);
        int32_t p2r = fft16_q15(x2r * w2[0] - x2i * w2[1]);
        int32_t p2i = fft16_q15(x2r * w2[1] + x2i * w2[0]);
        int32_t p3r = fft16_q15(x3r * w3[0] - x3i * w3[1]);
        int32_t p3i = fft16_q15(x3r * w3[1] + x3i * w3[0]);
        /* Every sum below is stored as 16 bits in the reference. */
        int32_t dr = (int16_t)(x0r - p2r), di = (int16_t)(x0i - p2i);
        int32_t er = (int16_t)(x0r + p2r), ei = (int16_t)(x0i + p2i);
        int32_t sr = (int16_t)(p1r + p3r), si = (int16_t)(p1i + p3i);
        int32_t tr = (int16_t)(p1r - p3r), ti = (int16_t)(p1i - p3i);
        f[s2] = (int16_t)(er - sr);
        f[s2 + 1] = (int16_t)(ei - si);
        f[0] = (int16_t)(er + sr);
        f[1] = (int16_t)(ei + si);
        f[s1] = (int16_t)(dr + ti);
        f[s1 + 1] = (int16_t)(di - tr);
        f[s3] = (int16_t)(dr - ti);
        f[s3 + 1] = (int16_t)(di + tr);
        w1 += step1;
        w2 += step2;
        w3 += step3;
        f += 2;
    }
}
#endif

/* Complex FFT of n = fft_size/2 points, in place, input already in
 * digit-reversed order. Stages run innermost first: kissfft factors n as
 * 4*4*...*4 (*2), the radix-2 stage (if any) being the innermost. */
static inline void kws_fft16_complex(int16_t *buf, size_t n, const int16_t *tw)
{
    size_t m = 1, g;
    if (n & 0xAAAAAAAAu) { /* odd power of two: one radix-2 stage */
        for (g = 0; g < n / 2u; ++g) {
            fft16_bfly2(buf + 4u * g, 1u, n / 2u, tw);
        }
        m = 2;
    }
    while (m < n) {
        const size_t fstride = n / (4u * m);
        for (g = 0; g < fstride; ++g) {
            fft16_bfly4(buf + 8u * m * g, m, fstride, tw);
        }
        m *= 4u;
    }
}

/* Turns the n-point complex FFT of the packed real signal into bins 0..n
 * of the 2n-point real FFT, in place (buf holds n+1 complex values). */
static inline void kws_fft16_real_split(int16_t *buf, size_t n, const int16_t *stw)
{
    size_t k;
    int32_t dcr = fft16_q15(buf[0] * FFT16_DIV2), dci = fft16_q15(buf[1] * FFT16_DIV2);
    buf[0] = (int16_t)(dcr + dci);
    buf[1] = 0;
    buf[2u * n] = (int16_t)(dcr - dci);
    buf[2u * n + 1u] = 0;
#ifdef FFT16_DSP
    for (k = 1; k <= n / 2u; ++k) {
        int16_t *pa = buf + 2u * k, *pb = buf + 2u * (n - k);
        uint32_t b = fft16_ld(pb);
        uint32_t bc = (b & 0xFFFFu) | (__ssub16(0, b) & 0xFFFF0000u); /* conjugate */
        uint32_t fa = fft16_fixdiv_p(fft16_ld(pa), FFT16_DIV2), fb = fft16_fixdiv_p(bc, FFT16_DIV2);
        uint32_t f1 = __sadd16(fa, fb), f2 = __ssub16(fa, fb);
        uint32_t t = fft16_cmul_p(f2, fft16_ld(stw + 2u * (k - 1u)));
        fft16_st(pa, __shadd16(f1, t));
        fft16_st(pb, (__shsub16(f1, t) & 0xFFFFu) | (__shsub16(t, f1) & 0xFFFF0000u));
    }
#else
    for (k = 1; k <= n / 2u; ++k) {
        int16_t *a = buf + 2u * k, *b = buf + 2u * (n - k);
        const int16_t *w = stw + 2u * (k - 1u);
        int32_t ar = fft16_q15(a[0] * FFT16_DIV2), ai = fft16_q15(a[1] * FFT16_DIV2);
        int32_t br = fft16_q15(b[0] * FFT16_DIV2);
        int32_t bi = fft16_q15((int16_t)(-b[1]) * FFT16_DIV2); /* conjugate, 16 bits */
        int32_t f1r = (int16_t)(ar + br), f1i = (int16_t)(ai + bi);
        int32_t f2r = (int16_t)(ar - br), f2i = (int16_t)(ai - bi);
        int32_t twr = fft16_q15(f2r * w[0] - f2i * w[1]);
        int32_t twi = fft16_q15(f2r * w[1] + f2i * w[0]);
        a[0] = (int16_t)((f1r + twr) >> 1);
        a[1] = (int16_t)((f1i + twi) >> 1);
        b[0] = (int16_t)((f1r - twr) >> 1);
        b[1] = (int16_t)((twi - f1i) >> 1);
    }
#endif
}

#endif /* KWS_FFT16_H */
