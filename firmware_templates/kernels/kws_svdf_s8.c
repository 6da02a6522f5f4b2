/* SVDF, integer path, bit-exact with TFLite Micro's reference kernel, for
 * both of its state widths (int16 time weights and state, or int8 time
 * weights and state; one body, the width a parameter):
 *   1. the state moves one step left (the whole buffer, by one value);
 *   2. each filter's newest value (the last of its memory row) is the feature
 *      dot product, requantized to the state's scale and clamped to the
 *      state type, then the state's zero point is added and the sum
 *      truncated to the state type (wrapping, as the reference's store does);
 *   3. each filter's memory row is dotted with its time weights;
 *   4. each unit sums the bias and its rank filters, is requantized to the
 *      output and clamped to int8 (no fused activation is applied, as in
 *      TFLite Micro's integer path).
 * Sums wrap modulo 2^32 (unsigned arithmetic) as the reference's int32 sums
 * do on the targets it runs on. */
#include "kws_svdf_s8.h"
#include "kws_qmath.h"

/* Element i of an int16 (wide) or int8 array. */
KWS_INLINE int32_t svdf_load(const void *a, int wide, int32_t i)
{
    return wide ? (int32_t)((const int16_t *)a)[i] : (int32_t)((const int8_t *)a)[i];
}

/* Stores v modulo 2^16 (wide) or 2^8, as a conversion to the type wraps on
 * the reference's targets; the explicit wrap keeps the C conversion in range. */
KWS_INLINE void svdf_store(void *a, int wide, int32_t i, int32_t v)
{
    if (wide) {
        ((int16_t *)a)[i] = (int16_t)((int32_t)(((uint32_t)v & 0xFFFFu) ^ 0x8000u) - 0x8000);
    } else {
        ((int8_t *)a)[i] = (int8_t)((int32_t)(((uint32_t)v & 0xFFu) ^ 0x80u) - 0x80);
    }
}

KWS_INLINE void svdf_shift_state(void *state, int wide, int32_t total)
{
    int32_t i;
    for (i = 0; i + 1 < total; ++i) {
        svdf_store(state, wide, i, svdf_load(state, wide, i + 1));
    }
}

KWS_INLINE void svdf_features(const kws_svdf_params_t *p, const int8_t *input, void *state, int wide)
{
    const int32_t lo = wide ? INT16_MIN : INT8_MIN;
    const int32_t hi = wide ? INT16_MAX : INT8_MAX;
    int32_t b, f, i;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *x = input + b * p->input_size;
        const int8_t *w = p->weights_feature;
        const int32_t row0 = b * p->filters * p->memory;
        for (f = 0; f < p->filters; ++f) {
            uint32_t acc = 0;
            int32_t v;
            for (i = 0; i < p->input_size; ++i) {
                acc += (uint32_t)((int32_t)w[i] * ((int32_t)x[i] - p->input_zp));
            }
            w += p->input_size;
            v = kws_clamp_i32(kws_mul_by_quantized_mul((int32_t)acc, p->feature_mult, p->feature_shift), lo, hi);
            svdf_store(state, wide, row0 + f * p->memory + p->memory - 1,
                       (int32_t)((uint32_t)v + (uint32_t)p->state_zp));
        }
    }
}

KWS_INLINE void svdf_time(const kws_svdf_params_t *p, const void *state, int8_t *output, int wide)
{
    const int32_t memory = p->memory;
    int32_t b, u, r, i;
    for (b = 0; b < p->batches; ++b) {
        int32_t s = b * p->filters * memory; /* state index of this batch's first filter */
        int32_t w = 0;                       /* time weight index */
        int8_t *y = output + b * p->units;
        for (u = 0; u < p->units; ++u) {
            uint32_t sum = p->bias != NULL ? (uint32_t)p->bias[u] : 0u;
            int32_t v;
            for (r = 0; r < p->rank; ++r) {
                for (i = 0; i < memory; ++i) {
                    const int64_t d = (int64_t)svdf_load(state, wide, s + i) - p->state_zp;
                    sum += (uint32_t)((int64_t)svdf_load(p->weights_time, wide, w + i) * d);
                }
                w += memory;
                s += memory;
            }
            v = kws_mul_by_quantized_mul((int32_t)sum, p->time_mult, p->time_shift);
            v = (int32_t)((uint32_t)v + (uint32_t)p->output_zp);
            y[u] = (int8_t)kws_clamp_i32(v, -128, 127);
        }
    }
}

/* Inlined into each constant-width call below: one specialised copy per width. */
KWS_INLINE void svdf_run(const kws_svdf_params_t *p, const int8_t *input, void *state, int8_t *output,
                                int wide)
{
    svdf_shift_state(state, wide, p->batches * p->filters * p->memory);
    svdf_features(p, input, state, wide);
    svdf_time(p, state, output, wide);
}

void kws_svdf_s8(const kws_svdf_params_t *p, const int8_t *input, void *state, int8_t *output)
{
    if (p->state_bytes == 2) {
        svdf_run(p, input, state, output, 1);
    } else {
        svdf_run(p, input, state, output, 0);
    }
}
