/* SVDF, integer path, bit-exact with TFLite Micro's reference kernel:
 *   1. the state moves one step left (the whole buffer, by one value);
 *   2. each filter's newest value (the last of its memory row) is the feature
 *      dot product, requantized to the state's scale, plus the state's zero
 *      point, clamped to int16;
 *   3. each filter's memory row is dotted with its time weights;
 *   4. each unit sums the bias and its rank filters, is requantized to the
 *      output and clamped to int8 (no fused activation is applied, as in
 *      TFLite Micro's integer path).
 * Sums wrap modulo 2^32 (unsigned arithmetic) as the reference's int32 sums
 * do on the targets it runs on. */
#include "kws_svdf_s8.h"
#include "kws_qmath.h"

void kws_svdf_s8(const kws_svdf_params_t *p, const int8_t *input, void *state_v, int8_t *output)
{
    int16_t *state = (int16_t *)state_v;
    const int32_t filters = p->filters;
    const int32_t memory = p->memory;
    const int32_t total = p->batches * filters * memory;
    int32_t b, f, i, u, r;

    for (i = 0; i + 1 < total; ++i) {
        state[i] = state[i + 1];
    }
    for (b = 0; b < p->batches; ++b) {
        const int8_t *x = input + b * p->input_size;
        int16_t *s = state + b * filters * memory;
        const int8_t *w = p->weights_feature;
        for (f = 0; f < filters; ++f) {
            uint32_t acc = 0;
            int32_t v;
            for (i = 0; i < p->input_size; ++i) {
                acc += (uint32_t)((int32_t)w[i] * ((int32_t)x[i] - p->input_zp));
            }
            w += p->input_size;
            v = kws_mul_by_quantized_mul((int32_t)acc, p->feature_mult, p->feature_shift);
            v = (int32_t)((uint32_t)v + (uint32_t)p->state_zp);
            s[f * memory + memory - 1] = (int16_t)kws_clamp_i32(v, INT16_MIN, INT16_MAX);
        }
    }
    for (b = 0; b < p->batches; ++b) {
        const int16_t *s = state + b * filters * memory;
        const int16_t *wt = p->weights_time;
        int8_t *y = output + b * p->units;
        for (u = 0; u < p->units; ++u) {
            uint32_t sum = p->bias != NULL ? (uint32_t)p->bias[u] : 0u;
            int32_t v;
            for (r = 0; r < p->rank; ++r) {
                uint32_t dot = 0;
                for (i = 0; i < memory; ++i) {
                    dot += (uint32_t)(int32_t)((int64_t)wt[i] * ((int32_t)s[i] - p->state_zp));
                }
                sum += dot;
                wt += memory;
                s += memory;
            }
            v = kws_mul_by_quantized_mul((int32_t)sum, p->time_mult, p->time_shift);
            v = (int32_t)((uint32_t)v + (uint32_t)p->output_zp);
            y[u] = (int8_t)kws_clamp_i32(v, -128, 127);
        }
    }
}
