/* TFLite Micro's Signal ops, integer paths (see kws_signal.h and
 * generator/model/ops/signal.py). Bit-exact with TFLite Micro: every
 * intermediate is kept at the width the reference keeps it; the FFT is the
 * 16-bit kissfft the frontend shares (kws_fft16.h). Relies, as the reference
 * does, on arithmetic right shifts of negative values and on conversions to
 * narrower signed types wrapping. */
#include <string.h>

#include "kws_audio_fixed.h"
#include "kws_fft16.h"
#include "kws_signal.h"

void kws_sig_window(const kws_sig_window_params_t *p, const void *input, void *output)
{
    const int16_t *in = (const int16_t *)input;
    int16_t *out = (int16_t *)output;
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        int32_t v = ((int32_t)in[i] * p->weights[i % p->length]) >> p->shift;
        out[i] = (int16_t)(v < -32768 ? -32768 : (v > 32767 ? 32767 : v));
    }
}

void kws_sig_fft_auto_scale(const kws_sig_count_params_t *p, const void *input, void *output, void *shift)
{
    const int16_t *in = (const int16_t *)input;
    int16_t *out = (int16_t *)output;
    int16_t max = 0;
    int32_t i, bits;
    /* The reference's running maximum of |x| in int16: -32768 negates to
     * itself, which then compares below every later value; kept as is. */
    for (i = 0; i < p->size; ++i) {
        const int16_t v = in[i];
        if (v > max) {
            max = v;
        } else if (-v > max) {
            max = (int16_t)-v;
        }
    }
    /* a zero or "negative" maximum has 32 significant bits in the reference */
    bits = 15 - (max > 0 ? kws_msb32((uint32_t)max) : 32);
    if (bits < 0) {
        bits = 0;
    }
    for (i = 0; i < p->size; ++i) {
        out[i] = (int16_t)(uint16_t)((uint32_t)(uint16_t)in[i] << bits);
    }
    memcpy(shift, &bits, sizeof bits);
}

/* ------------------------------------------------------------------ FFT --- */

void kws_sig_rfft(const kws_sig_rfft_params_t *p, const void *input, void *output)
{
    const int16_t *in = (const int16_t *)input;
    int16_t *buf = (int16_t *)output;
    const int32_t n = p->points;
    int32_t q;
    /* the real signal as n complex pairs, zero-padded, in the first stage's
     * input order; then the same 16-bit kissfft the frontend runs */
    for (q = 0; q < n; ++q) {
        int16_t *dst = buf + 2 * p->scatter[q];
        dst[0] = 2 * q < p->input_length ? in[2 * q] : 0;
        dst[1] = 2 * q + 1 < p->input_length ? in[2 * q + 1] : 0;
    }
    kws_fft16_complex(buf, (size_t)n, p->twiddles);
    kws_fft16_real_split(buf, (size_t)n, p->super_twiddles);
}

/* ------------------------------------------------------------- spectrum --- */

void kws_sig_energy(const kws_sig_energy_params_t *p, const void *input, void *output)
{
    const int16_t *in = (const int16_t *)input;
    uint32_t *out = (uint32_t *)output;
    int32_t i;
    /* the reference leaves values outside [start, end) unwritten: zeros here */
    for (i = 0; i < p->size; ++i) {
        const int32_t re = in[2 * i], im = in[2 * i + 1];
        out[i] = (i >= p->start && i < p->end) ? (uint32_t)(re * re) + (uint32_t)(im * im) : 0u;
    }
}

void kws_sig_filter_bank(const kws_sig_filter_bank_params_t *p, const void *input, void *output)
{
    const uint32_t *in = (const uint32_t *)input;
    uint8_t *out = (uint8_t *)output;
    uint64_t carry = 0;
    int32_t c, j;
    /* channel c sums band c's rising weights and band c-1's falling ones
     * (the "unweights"); band 0 only feeds the carry */
    for (c = 0; c <= p->channels; ++c) {
        const uint32_t *x = in + p->freq_starts[c];
        const int16_t *w = p->weights + p->weight_starts[c];
        const int16_t *u = p->unweights + p->weight_starts[c];
        uint64_t acc = carry, next = 0;
        for (j = 0; j < p->widths[c]; ++j) {
            acc += (uint64_t)(int64_t)w[j] * x[j];
            next += (uint64_t)(int64_t)u[j] * x[j];
        }
        if (c > 0) {
            memcpy(out + 8 * (c - 1), &acc, sizeof acc);
        }
        carry = next;
    }
}

/* floor(sqrt(x)) and x - floor(sqrt(x))^2, by binary digits */
static uint64_t sig_isqrt64(uint64_t x, uint64_t *rem)
{
    uint64_t r = 0, bit;
    if (x == 0) {
        *rem = 0;
        return 0;
    }
    bit = (uint64_t)1 << ((kws_msb64(x) - 1) & ~1); /* the largest power of 4 <= x */
    while (bit) {
        if (x >= r + bit) {
            x -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    *rem = x;
    return r;
}

void kws_sig_filter_bank_sqrt(const kws_sig_count_params_t *p, const void *input, const void *shift,
                              void *output)
{
    const uint8_t *in = (const uint8_t *)input;
    uint32_t *out = (uint32_t *)output;
    int32_t s, i;
    memcpy(&s, shift, sizeof s);
    for (i = 0; i < p->size; ++i) {
        uint64_t x, rem, r;
        memcpy(&x, in + 8 * i, sizeof x);
        r = sig_isqrt64(x, &rem);
        /* rounded to nearest, except at the reference's caps (0xFFFF for
         * values below 2^32, 0xFFFFFFFF above) */
        if (rem > r && r != ((x >> 32) ? 0xFFFFFFFFu : 0xFFFFu)) {
            ++r;
        }
        out[i] = (uint32_t)r >> s;
    }
}

/* ------------------------------------------------ noise and gain control --- */

void kws_sig_spectral_subtraction(const kws_sig_spectral_subtraction_params_t *p, const void *input,
                                  void *noise, void *output)
{
    const uint32_t *in = (const uint32_t *)input;
    uint32_t *est = (uint32_t *)noise;
    uint32_t *out = (uint32_t *)output;
    int32_t i;
    for (i = 0; i < p->channels; ++i) {
        const uint32_t sm = (i & 1) ? p->alternate_smoothing : p->smoothing;
        const uint32_t om = (i & 1) ? p->alternate_one_minus_smoothing : p->one_minus_smoothing;
        const uint32_t x = in[i];
        const uint32_t up = x << p->smoothing_bits;
        uint32_t e = (uint32_t)(((uint64_t)up * sm + (uint64_t)est[i] * om) >> p->spectral_subtraction_bits);
        uint32_t floor_v, sub;
        est[i] = e;
        if (e > up) {
            e = up;
            if (p->clamping) {
                est[i] = e;
            }
        }
        floor_v = (uint32_t)(((uint64_t)x * p->min_signal_remaining) >> p->spectral_subtraction_bits);
        sub = (up - e) >> p->smoothing_bits;
        out[i] = sub > floor_v ? sub : floor_v;
    }
}

void kws_sig_pcan(const kws_sig_pcan_params_t *p, const void *input, const void *noise, void *output)
{
    const uint32_t *in = (const uint32_t *)input;
    const uint32_t *est = (const uint32_t *)noise;
    uint32_t *out = (uint32_t *)output;
    int32_t i;
    for (i = 0; i < p->channels; ++i) {
        const uint32_t gain = (uint32_t)(int32_t)kws_pcan_gain(est[i], p->gain_lut, 4);
        const uint32_t snr = (uint32_t)(((uint64_t)in[i] * gain) >> p->snr_shift);
        out[i] = kws_pcan_shrink(snr);
    }
}

/* ------------------------------------------------------------------ log --- */

void kws_sig_filter_bank_log(const kws_sig_log_params_t *p, const void *input, void *output)
{
    const uint32_t *in = (const uint32_t *)input;
    int16_t *out = (int16_t *)output;
    int32_t i;
    for (i = 0; i < p->channels; ++i) {
        const uint32_t x = in[i] << p->correction_bits;
        uint32_t v = x > 1u ? kws_log_scaled(x, (uint32_t)p->output_scale, p->log_lut) : 0u;
        out[i] = (int16_t)(v < 32767u ? v : 32767u);
    }
}
