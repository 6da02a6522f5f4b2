/* See kws_stft.h: the STFT magnitude frontend, bit-exact between the
 * device and the host. */
#include "kws_stft.h"

#include <string.h>

/* No a*b+c contracted into a fused multiply-add: the device's FPU has one,
 * the host's may not. GCC: -ffp-contract=off (the build's flags; also its
 * default under -std=c99); clang honours the standard pragma. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

int kws_stft_check(const kws_stft_config_t *cfg)
{
    unsigned n = cfg->fft_length;
    if (cfg->abi_version != KWS_STFT_ABI_VERSION) {
        return KWS_STFT_ERR_ABI;
    }
    if (cfg->frame_length > KWS_STFT_MAX_FRAME || n > KWS_STFT_MAX_FFT) {
        return KWS_STFT_ERR_SIZE;
    }
    if (n < 2u || (n & (n - 1u)) || cfg->frame_length == 0u || cfg->frame_length > n ||
        cfg->frame_step == 0u || cfg->frame_step > cfg->frame_length ||
        cfg->bins != n / 2u + 1u || !(cfg->input_scale > 0.0f)) {
        return KWS_STFT_ERR_CONFIG;
    }
    return KWS_STFT_OK;
}

void kws_stft_reset(kws_stft_state_t *st, const kws_stft_config_t *cfg)
{
    (void)cfg;
    memset(st, 0, sizeof *st);
}

typedef union {
    float f;
    uint32_t u;
} kws_f32_bits;

float kws_stft_sqrt(float x)
{
    kws_f32_bits v;
    uint32_t m, shift;
    int32_t e;
    uint64_t big, rem, root = 0, bit;
    v.f = x;
    if (!(x > 0.0f) || (v.u >> 23) >= 0xffu) {
        return x > 0.0f ? x : 0.0f; /* 0, negative (never: a sum of squares), inf */
    }
    e = (int32_t)(v.u >> 23);
    m = v.u & 0x7fffffu;
    if (e == 0) { /* subnormal: normalize */
        e = 1;
        while (!(m & 0x800000u)) {
            m <<= 1;
            e--;
        }
    } else {
        m |= 0x800000u;
    }
    e -= 150; /* x = m * 2^e, 2^23 <= m < 2^24 */
    shift = (e & 1) ? 23u : 24u; /* e - shift even; m << shift in [2^46, 2^48) */
    big = (uint64_t)m << shift;
    e -= (int32_t)shift;
    /* floor(sqrt(big)) bit by bit: root in [2^23, 2^24) */
    rem = big;
    bit = (uint64_t)1 << 46;
    while (bit > rem) {
        bit >>= 2;
    }
    while (bit != 0u) {
        if (rem >= root + bit) {
            rem -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    if (rem > root) { /* sqrt(big) > root + 1/2 (never exactly a half) */
        root++;
    }
    /* root * 2^(e/2); root == 2^24 carries into the exponent */
    v.u = ((uint32_t)(e / 2 + 150) << 23) + (uint32_t)(root - 0x800000u);
    return v.f;
}

/* The magnitude's square root: the FPU's VSQRT.F32 where there is one (IEEE
 * 754 requires it correctly rounded, like kws_stft_sqrt, so the bits are the
 * same; it is several times faster), else the integer one. */
static float magnitude_sqrt(float x)
{
#if defined(__ARM_FP) && (__ARM_FP & 4) && !defined(KWS_STFT_PORTABLE_SQRT)
    float r;
    __asm__("vsqrt.f32 %0, %1" : "=t"(r) : "t"(x));
    return r;
#else
    return kws_stft_sqrt(x);
#endif
}

int8_t kws_stft_quantize(const kws_stft_config_t *cfg, float mag)
{
    float v = mag / cfg->input_scale;
    int32_t r, q;
    if (!(v < 1024.0f)) {
        v = 1024.0f; /* far past int8 either way; also inf */
    }
    r = (int32_t)v; /* v >= 0: truncation is floor */
    if (v - (float)r >= 0.5f) {
        r++; /* halves away from zero */
    }
    q = r + cfg->input_zero_point;
    if (q < -128) {
        q = -128;
    }
    if (q > 127) {
        q = 127;
    }
    return (int8_t)q;
}

/* The spectrum of the frame in st->pcm: window, radix-2 FFT, magnitude. */
static void stft_frame(kws_stft_state_t *st, const kws_stft_config_t *cfg, int8_t *out, float *mag)
{
    const unsigned n = cfg->fft_length;
    float *re = st->re, *im = st->im;
    unsigned i, len, half, start, k, stride;
    for (i = 0; i < n; i++) {
        unsigned src = cfg->bitrev[i];
        float x = 0.0f;
        if (src < cfg->frame_length) {
            x = ((float)st->pcm[src] * (1.0f / 32768.0f)) * cfg->window[src];
        }
        re[i] = x;
        im[i] = 0.0f;
    }
    for (len = 2; len <= n; len <<= 1) {
        half = len >> 1;
        stride = n / len;
        for (start = 0; start < n; start += len) {
            for (k = 0; k < half; k++) {
                const float wr = cfg->twiddles[2u * k * stride];
                const float wi = cfg->twiddles[2u * k * stride + 1u];
                const unsigned a = start + k, b = a + half;
                const float pr = wr * re[b], qi = wi * im[b];
                const float pi = wr * im[b], qr = wi * re[b];
                const float tr = pr - qi, ti = pi + qr;
                const float ar = re[a], ai = im[a];
                re[b] = ar - tr;
                im[b] = ai - ti;
                re[a] = ar + tr;
                im[a] = ai + ti;
            }
        }
    }
    for (i = 0; i < cfg->bins; i++) {
        const float rr = re[i] * re[i], ii = im[i] * im[i];
        const float m = magnitude_sqrt(rr + ii);
        if (mag != NULL) {
            mag[i] = m;
        }
        out[i] = kws_stft_quantize(cfg, m);
    }
}

int kws_stft_push(kws_stft_state_t *st, const kws_stft_config_t *cfg, const int16_t *samples,
                  size_t n, size_t *consumed, int8_t *out, float *mag)
{
    size_t room = (size_t)cfg->frame_length - st->fill, take = n < room ? n : room;
    memcpy(st->pcm + st->fill, samples, take * sizeof samples[0]);
    st->fill = (uint16_t)(st->fill + take);
    *consumed = take;
    if (st->fill < cfg->frame_length) {
        return 0;
    }
    stft_frame(st, cfg, out, mag);
    st->fill = (uint16_t)(cfg->frame_length - cfg->frame_step);
    memmove(st->pcm, st->pcm + cfg->frame_step, st->fill * sizeof st->pcm[0]);
    return 1;
}
