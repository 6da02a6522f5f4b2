/* tinykws fixed-point audio frontend: see kws_frontend.h and docs/frontend.md.
 *
 * The integer arithmetic reproduces TFLite Micro's microfrontend (and the
 * 16-bit kissfft it uses) step for step, including where intermediate values
 * are truncated to 16 bits, so that the output is bit-identical. The code is
 * organised differently: an iterative in-place FFT fed by a scatter table, the
 * power spectrum folded into the filterbank loop, and one per-channel pass for
 * square root, noise reduction, PCAN, log and output conversion.
 *
 * Implementation-defined behaviour relied upon (as the reference does):
 * right shift of a negative signed value is arithmetic, and converting an
 * out-of-range value to a signed type wraps modulo 2^N. GCC and Clang on
 * every target tinykws supports behave this way. */
#include "kws_frontend.h"

#include <string.h>

#include "kws_audio_fixed.h"
#include "kws_fft16.h"

#define FE_WINDOW_BITS 12
#define FE_NR_BITS 14

/* The window and the normalising shift have an ARMv7E-M DSP path too, two
 * int16 values a 32-bit word, where kws_fft16.h turns on its own (FFT16_DSP,
 * with its word loads and stores; KWS_FE_NO_DSP forces the portable path). */

/* ------------------------------------------------------- square roots --- */

/* floor(sqrt(x)) for x < 2^32 (Newton from above, exact). */
static uint32_t fe_isqrt32(uint32_t x)
{
    uint32_t r, y;
    if (x < 2u) {
        return x;
    }
    r = 1u << ((kws_msb32(x) + 1) >> 1); /* >= sqrt(x) */
    for (;;) {
        y = (r + x / r) >> 1;
        if (y >= r) {
            return r;
        }
        r = y;
    }
}

/* The reference's rounded square root of a 64-bit filterbank sum: values
 * below 2^32 take a 32-bit path whose result saturates at 0xFFFF, others a
 * 64-bit path saturating at 0xFFFFFFFF; both round to nearest. */
static uint32_t fe_sqrt_round(uint64_t x)
{
    uint32_t r;
    if ((x >> 32) == 0) {
        uint32_t x32 = (uint32_t)x;
        r = fe_isqrt32(x32);
        if (x32 - r * r > r && r != 0xFFFFu) {
            ++r;
        }
        return r;
    } else {
        /* floor(sqrt(x)) >> s == floor(sqrt(x >> 2s)): take the top bits with
         * the 32-bit root, then settle the s low bits one at a time. */
        int s = (kws_msb64(x) - 31) >> 1;
        int i;
        r = fe_isqrt32((uint32_t)(x >> (2 * s))) << s;
        for (i = s - 1; i >= 0; --i) {
            uint32_t t = r | (1u << i);
            if ((uint64_t)t * t <= x) {
                r = t;
            }
        }
        if (x - (uint64_t)r * r > r && r != 0xFFFFFFFFu) {
            ++r;
        }
        return r;
    }
}

/* -------------------------------------------------------------- frame --- */

static void fe_frame(kws_frontend_state_t *st, const kws_frontend_config_t *cfg, void *out)
{
    const size_t W = cfg->window_size;
    const size_t n = cfg->fft_size / 2u;
    const int16_t *win = cfg->window;
    const uint16_t *scatter = cfg->fft_scatter;
    int16_t *buf = st->fft;
    int32_t max_abs = 0;
    int shift;
    size_t q, c;

    /* 1. Window, written straight into the FFT's input order. */
#ifdef FFT16_DSP
    {
        /* The shift needs only the top bit of the largest |v|, i.e. of the OR
         * of all |v|. -32768 (whose negation stays negative in 16 bits, so
         * the reference never counts it) shows up as bit 15 alone: masked. */
        uint32_t acc = 0;
        for (q = 0; 2u * q + 1u < W; ++q) {
            uint32_t x = fft16_ld(st->input + 2u * q), w = fft16_ld(win + 2u * q);
            int32_t lo = (int32_t)(int16_t)x * (int16_t)w;                 /* SMULBB */
            int32_t hi = ((int32_t)x >> 16) * ((int32_t)w >> 16);           /* SMULTT */
            uint32_t v = ((uint32_t)(lo >> FE_WINDOW_BITS) & 0xFFFFu) |
                         (((uint32_t)hi << (16 - FE_WINDOW_BITS)) & 0xFFFF0000u);
            uint32_t sign = (uint32_t)__ssat16((int32_t)v, 1); /* -1 per negative lane */
            acc |= __ssub16(v ^ sign, sign);
            fft16_st(buf + 2u * scatter[q], v);
        }
        max_abs = (int32_t)((acc | (acc >> 16)) & 0x7FFFu);
    }
#else
    for (q = 0; 2u * q + 1u < W; ++q) {
        int16_t *dst = buf + 2u * scatter[q];
        int16_t v0 = (int16_t)((st->input[2u * q] * win[2u * q]) >> FE_WINDOW_BITS);
        int16_t v1 = (int16_t)((st->input[2u * q + 1u] * win[2u * q + 1u]) >> FE_WINDOW_BITS);
        int16_t a0 = (int16_t)(v0 < 0 ? -v0 : v0); /* -(-32768) stays negative */
        int16_t a1 = (int16_t)(v1 < 0 ? -v1 : v1);
        dst[0] = v0;
        dst[1] = v1;
        if (a0 > max_abs) {
            max_abs = a0;
        }
        if (a1 > max_abs) {
            max_abs = a1;
        }
    }
#endif
    if (2u * q < W) { /* odd window: last sample pairs with a zero */
        int16_t *dst = buf + 2u * scatter[q];
        int16_t v0 = (int16_t)((st->input[2u * q] * win[2u * q]) >> FE_WINDOW_BITS);
        int16_t a0 = (int16_t)(v0 < 0 ? -v0 : v0);
        dst[0] = v0;
        dst[1] = 0;
        if (a0 > max_abs) {
            max_abs = a0;
        }
        ++q;
    }
    for (; q < n; ++q) {
        int16_t *dst = buf + 2u * scatter[q];
        dst[0] = 0;
        dst[1] = 0;
    }

    /* 2. Normalise so the FFT uses the full 16 bits. */
    shift = 15 - kws_msb32((uint32_t)max_abs);
    if (shift > 0) {
#ifdef FFT16_DSP
        for (q = 0; q < 2u * n; q += 2u) {
            uint32_t w = fft16_ld(buf + q);
            fft16_st(buf + q, ((w & 0xFFFF0000u) << shift) | ((w << shift) & 0xFFFFu));
        }
#else
        for (q = 0; q < 2u * n; ++q) {
            buf[q] = (int16_t)(uint16_t)((uint32_t)(uint16_t)buf[q] << shift);
        }
#endif
    }

    /* 3. Real FFT: n-point complex FFT + split into bins 0..n. */
    kws_fft16_complex(buf, n, cfg->fft_twiddles);
    kws_fft16_real_split(buf, n, cfg->fft_super_twiddles);

    /* 4. Mel filterbank on the power spectrum, then rounded square root.
     * Output channel c-1 takes band c's rising weights and band c-1's
     * falling ones (the "unweights"); band 0 only feeds channel 0. */
    {
        const uint16_t *bstart = cfg->band_start;
        const uint16_t *bwidth = cfg->band_width;
        const int16_t *wts = cfg->weights - cfg->bin_start;
        const int16_t *uwts = cfg->unweights - cfg->bin_start;
        const size_t C = cfg->num_channels;
        uint64_t carry = 0;
        for (c = 0; c <= C; ++c) {
            const size_t b0 = bstart[c], b1 = b0 + bwidth[c];
            uint64_t acc_w = carry, acc_u = 0;
            size_t b;
            for (b = b0; b < b1; ++b) {
                const int32_t re = buf[2u * b], im = buf[2u * b + 1u];
                /* the reference keeps the power in an int32 (2^31 wraps) */
                const int64_t e = (int32_t)((uint32_t)(re * re) + (uint32_t)(im * im));
                acc_w += (uint64_t)((int64_t)wts[b] * e);
                acc_u += (uint64_t)((int64_t)uwts[b] * e);
            }
            if (c > 0) {
                st->signal[c - 1u] = fe_sqrt_round(acc_w) >> shift;
            }
            carry = acc_u;
        }
    }

    /* 5. Noise reduction, PCAN, log, output. */
    {
        const int sbits = cfg->smoothing_bits;
        const uint32_t min_rem = cfg->min_signal_remaining;
        const int16_t *plut = cfg->pcan_lut;
        const int corr = cfg->correction_bits;
        uint16_t *out16 = (uint16_t *)out;
        int8_t *out8 = (int8_t *)out;
        for (c = 0; c < cfg->num_channels; ++c) {
            uint32_t sig = st->signal[c];
            const uint32_t smoothing = (c & 1u) ? cfg->odd_smoothing : cfg->even_smoothing;
            const uint32_t scaled = sig << sbits;
            uint32_t est = (uint32_t)(((uint64_t)scaled * smoothing +
                                       (uint64_t)st->noise_estimate[c] *
                                           ((1u << FE_NR_BITS) - smoothing)) >>
                                      FE_NR_BITS);
            uint32_t floor_v, sub, v;
            st->noise_estimate[c] = est;
            if (est > scaled) {
                est = scaled;
            }
            floor_v = (uint32_t)(((uint64_t)sig * min_rem) >> FE_NR_BITS);
            sub = (scaled - est) >> sbits;
            sig = sub > floor_v ? sub : floor_v;

            if (cfg->enable_pcan) {
                const uint32_t gain = (uint32_t)(int32_t)kws_pcan_gain(st->noise_estimate[c], plut, 3);
                sig = kws_pcan_shrink((uint32_t)(((uint64_t)sig * gain) >> cfg->snr_shift));
            }

            v = sig;
            if (cfg->enable_log) {
                v = corr < 0 ? v >> -corr : v << corr;
                v = v > 1u ? kws_log_scaled(v, 1u << cfg->scale_shift, cfg->log_lut) : 0u;
            }
            if (v > 0xFFFFu) {
                v = 0xFFFFu;
            }
            if (cfg->out_scale > 1u) {
                v /= cfg->out_scale;
            }
            if (cfg->output_type == KWS_FE_OUT_INT8) {
                const uint32_t num = v * cfg->int8_mul + cfg->int8_add;
                int32_t r = (int32_t)(((uint64_t)num * cfg->int8_magic) >> cfg->int8_shift) +
                            cfg->int8_zero;
                out8[c] = (int8_t)(r < -128 ? -128 : (r > 127 ? 127 : r));
            } else {
                out16[c] = (uint16_t)v;
            }
        }
    }
}

/* ---------------------------------------------------------------- API --- */

int kws_frontend_check(const kws_frontend_config_t *cfg)
{
    size_t n;
    if (cfg == NULL || cfg->abi_version != KWS_FE_ABI_VERSION) {
        return KWS_FE_ERR_ABI;
    }
    if (cfg->window_size > KWS_FE_MAX_WINDOW || cfg->fft_size > KWS_FE_MAX_FFT_SIZE ||
        cfg->num_channels > KWS_FE_MAX_CHANNELS) {
        return KWS_FE_ERR_SIZE;
    }
    n = cfg->fft_size;
    if (n < 16u || (n & (n - 1u)) != 0 || cfg->window_size == 0 || cfg->window_size > n ||
        cfg->step_size == 0 || cfg->step_size > cfg->window_size || cfg->num_channels == 0 ||
        cfg->bin_end > n / 2u || cfg->bin_start > cfg->bin_end ||
        cfg->output_type > KWS_FE_OUT_INT8 || cfg->out_scale == 0) {
        return KWS_FE_ERR_CONFIG;
    }
    return KWS_FE_OK;
}

void kws_frontend_reset(kws_frontend_state_t *st, const kws_frontend_config_t *cfg)
{
    (void)cfg;
    memset(st->input, 0, sizeof(st->input));
    memset(st->noise_estimate, 0, sizeof(st->noise_estimate));
    st->input_used = 0;
}

size_t kws_frontend_value_size(const kws_frontend_config_t *cfg)
{
    return cfg->output_type == KWS_FE_OUT_INT8 ? 1u : 2u;
}

int kws_frontend_push(kws_frontend_state_t *st, const kws_frontend_config_t *cfg,
                      const int16_t *samples, size_t n, size_t *consumed, void *out)
{
    const size_t W = cfg->window_size, step = cfg->step_size;
    size_t take = W - st->input_used;
    if (take > n) {
        take = n;
    }
    if (take) {
        memcpy(st->input + st->input_used, samples, take * sizeof(*samples));
    }
    st->input_used = (uint16_t)(st->input_used + take);
    *consumed = take;
    if (st->input_used < W) {
        return 0;
    }
    fe_frame(st, cfg, out);
    memmove(st->input, st->input + step, (W - step) * sizeof(st->input[0]));
    st->input_used = (uint16_t)(W - step);
    return 1;
}

size_t kws_frontend_process(kws_frontend_state_t *st, const kws_frontend_config_t *cfg,
                            const int16_t *samples, size_t n, void *out, size_t max_frames,
                            size_t *consumed)
{
    const size_t frame_bytes = cfg->num_channels * kws_frontend_value_size(cfg);
    size_t done = 0, frames = 0;
    uint8_t *dst = (uint8_t *)out;
    while (done < n) {
        size_t took = 0;
        if (frames == max_frames && st->input_used + (n - done) >= cfg->window_size) {
            break; /* the next frame would not fit in out */
        }
        if (kws_frontend_push(st, cfg, samples + done, n - done, &took, dst)) {
            dst += frame_bytes;
            ++frames;
        }
        done += took;
    }
    if (consumed != NULL) {
        *consumed = done;
    }
    return frames;
}
