/* TFLite Micro's Signal ops, integer paths (see kws_signal.h and
 * generator/model/ops/signal.py). Bit-exact with TFLite Micro: every
 * intermediate is kept at the width the reference keeps it; the FFT is the
 * 16-bit kissfft the frontend shares (kws_fft16.h). Relies, as the reference
 * does, on arithmetic right shifts of negative values and on conversions to
 * narrower signed types wrapping. */
#include <string.h>

#include "kws_fft16.h"
#include "kws_signal.h"

/* Bits of x (0 for 0), like TFLite Micro's MostSignificantBit32 except at 0,
 * where the callers below handle 0 themselves. */
static int sig_msb32(uint32_t x)
{
    int n = 0;
    while (x) {
        ++n;
        x >>= 1;
    }
    return n;
}

static int sig_msb64(uint64_t x)
{
    uint32_t hi = (uint32_t)(x >> 32);
    return hi ? 32 + sig_msb32(hi) : sig_msb32((uint32_t)x);
}

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
    bits = 15 - (max > 0 ? sig_msb32((uint32_t)max) : 32);
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
    bit = (uint64_t)1 << ((sig_msb64(x) - 1) & ~1); /* the largest power of 4 <= x */
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

#define SIG_PCAN_SNR_BITS 12
#define SIG_PCAN_OUT_BITS 6

/* The gain curve: lut[0..2] for x <= 2, then 4 values per power of two
 * (a quadratic through 3 of them). */
static int16_t sig_pcan_gain(uint32_t x, const int16_t *lut)
{
    int32_t interval, frac, y;
    const int16_t *seg;
    if (x <= 2u) {
        return lut[x];
    }
    interval = sig_msb32(x);
    seg = lut + 4 * interval - 6;
    frac = (int32_t)(((interval < 11) ? (x << (11 - interval)) : (x >> (interval - 11))) & 0x3FFu);
    y = ((int32_t)seg[2] * frac) >> 5;
    y += (int32_t)((uint32_t)(int32_t)seg[1] << 5);
    y *= frac;
    y = (y + (1 << 14)) >> 15;
    y += seg[0];
    return (int16_t)y;
}

void kws_sig_pcan(const kws_sig_pcan_params_t *p, const void *input, const void *noise, void *output)
{
    const uint32_t *in = (const uint32_t *)input;
    const uint32_t *est = (const uint32_t *)noise;
    uint32_t *out = (uint32_t *)output;
    int32_t i;
    for (i = 0; i < p->channels; ++i) {
        const uint32_t gain = (uint32_t)(int32_t)sig_pcan_gain(est[i], p->gain_lut);
        const uint32_t snr = (uint32_t)(((uint64_t)in[i] * gain) >> p->snr_shift);
        out[i] = snr < (2u << SIG_PCAN_SNR_BITS)
                     ? (snr * snr) >> (2 + 2 * SIG_PCAN_SNR_BITS - SIG_PCAN_OUT_BITS)
                     : (snr >> (SIG_PCAN_SNR_BITS - SIG_PCAN_OUT_BITS)) - (1u << SIG_PCAN_OUT_BITS);
    }
}

/* ------------------------------------------------------------------ log --- */

/* log2 correction per 1/128 of an octave, Q16 */
static const uint16_t sig_log_lut[130] = {
    0,    224,  442,  654,  861,  1063, 1259, 1450, 1636, 1817, 1992, 2163, 2329, 2490, 2646, 2797,
    2944, 3087, 3224, 3358, 3487, 3611, 3732, 3848, 3960, 4068, 4172, 4272, 4368, 4460, 4549, 4633,
    4714, 4791, 4864, 4934, 5001, 5063, 5123, 5178, 5231, 5280, 5326, 5368, 5408, 5444, 5477, 5507,
    5533, 5557, 5578, 5595, 5610, 5622, 5631, 5637, 5640, 5641, 5638, 5633, 5626, 5615, 5602, 5586,
    5568, 5547, 5524, 5498, 5470, 5439, 5406, 5370, 5332, 5291, 5249, 5203, 5156, 5106, 5054, 5000,
    4944, 4885, 4825, 4762, 4697, 4630, 4561, 4490, 4416, 4341, 4264, 4184, 4103, 4020, 3935, 3848,
    3759, 3668, 3575, 3481, 3384, 3286, 3186, 3084, 2981, 2875, 2768, 2659, 2549, 2437, 2323, 2207,
    2090, 1971, 1851, 1729, 1605, 1480, 1353, 1224, 1094, 963,  830,  695,  559,  421,  282,  142,
    0,    0};

/* ln(x) * out_scale in Q0 (x > 1): log2 by its integer part and the table */
static uint32_t sig_log(uint32_t x, uint32_t out_scale)
{
    const uint32_t integer = (uint32_t)sig_msb32(x) - 1u;
    int32_t frac = (int32_t)(x - (1u << integer));
    uint32_t seg, log2, loge;
    int32_t c0, c1, rel;
    if (integer < 16u) {
        frac = (int32_t)((uint32_t)frac << (16u - integer));
    } else {
        frac >>= integer - 16u;
    }
    seg = (uint32_t)frac >> 9;
    c0 = sig_log_lut[seg];
    c1 = sig_log_lut[seg + 1u];
    rel = ((c1 - c0) * (frac - (int32_t)(seg << 9))) >> 16;
    log2 = (integer << 16) + (uint32_t)(frac + c0 + rel);
    loge = (uint32_t)(((uint64_t)45426u * log2 + 32768u) >> 16); /* 45426: ln 2 in Q16 */
    return (out_scale * loge + 32768u) >> 16;
}

void kws_sig_filter_bank_log(const kws_sig_log_params_t *p, const void *input, void *output)
{
    const uint32_t *in = (const uint32_t *)input;
    int16_t *out = (int16_t *)output;
    int32_t i;
    for (i = 0; i < p->channels; ++i) {
        const uint32_t x = in[i] << p->correction_bits;
        uint32_t v = x > 1u ? sig_log(x, (uint32_t)p->output_scale) : 0u;
        out[i] = (int16_t)(v < 32767u ? v : 32767u);
    }
}
