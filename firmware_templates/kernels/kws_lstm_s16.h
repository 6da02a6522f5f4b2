#ifndef KWS_LSTM_S16_H
#define KWS_LSTM_S16_H

#include "kws_kernels.h"
#include "kws_lstm.h"

#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* UNIDIRECTIONAL_SEQUENCE_LSTM of a 16x8 model: int16 input, output and
 * hidden state, int8 weights, int64 biases, int16 cell state, one batch. The
 * gate sums are int64 and requantized with the multiplier rounded to 16 bits
 * (kws_mul_by_quantized_mul_wide), as TFLite Micro's 16x8 fully connected;
 * the rest is the 8x8 kernel's update (kws_lstm.h). */
typedef struct {
    int32_t time_steps;
    int32_t input_size;
    int32_t units;
    int32_t in_mult[4];  /* input * input weights -> gate scale 2^-12 */
    int32_t in_shift[4];
    int32_t rec_mult[4]; /* hidden * recurrent weights -> 2^-12 */
    int32_t rec_shift[4];
    kws_lstm_update_t update;
    const int8_t *w_in;      /* [4][units][input_size] */
    const int8_t *w_rec;     /* [4][units][units] */
    const int64_t *bias_in;  /* [4][units]: bias - input_zp * row sum */
    const int64_t *bias_rec; /* [4][units]: -hidden_zp * row sum */
} kws_lstm_s16_params_t;

/* Runs every time step; hidden (int16_t) and cell (int16_t) are the state
 * buffers, carried over between invokes. Output element (t, k) is written
 * after unit k's products with input row t, before unit k + 1's. */
void kws_lstm_s16(const kws_lstm_s16_params_t *p, const void *input, void *hidden, void *cell, void *output);

/* The same for cores with the DSP extension (kws_lstm_s16_dsp.c): each
 * unit's four gate rows of w_in and of w_rec one block of kws_dot_s16_dsp.h
 * (unit k's at k * 4 * row length). */
void kws_lstm_s16_dsp(const kws_lstm_s16_params_t *p, const void *input, void *hidden, void *cell, void *output);

/* Adds unit k's four input-gate sums (x . w_in rows) to ax and recurrent
 * sums (hidden . w_rec rows) to ah, exactly. */
typedef void (*kws_lstm_s16_sums_fn)(const kws_lstm_s16_params_t *p, const int16_t *x, const int16_t *hidden,
                                     int32_t k, int64_t ax[4], int64_t ah[4]);

/* clamp16 of one gate's requantized sum */
KWS_INLINE int32_t kws_lstm_s16_gate(int64_t acc, int32_t mult, int32_t shift)
{
    return kws_clamp_i32(kws_mul_by_quantized_mul_wide(acc, mult, (int)shift), INT16_MIN, INT16_MAX);
}

/* The time and unit walk both kernels share. Inline: each kernel passes its
 * own sums function, which the compiler then calls directly (through the
 * pointer, the portable kernel took 30 % more instructions). */
KWS_INLINE void kws_lstm_s16_with(const kws_lstm_s16_params_t *p, const void *input_v, void *hidden_v,
                                  void *cell_v, void *output_v, kws_lstm_s16_sums_fn sums)
{
    const int16_t *input = (const int16_t *)input_v;
    int16_t *hidden = (int16_t *)hidden_v;
    int16_t *cell = (int16_t *)cell_v;
    int16_t *output = (int16_t *)output_v;
    const int32_t n_in = p->input_size;
    const int32_t units = p->units;
    int32_t t, k, g;

    for (t = 0; t < p->time_steps; ++t) {
        const int16_t *x = input + (size_t)t * (size_t)n_in;
        int16_t *y = output + (size_t)t * (size_t)units;
        for (k = 0; k < units; ++k) {
            int64_t ax[4], ah[4];
            int32_t z[4];
            for (g = 0; g < 4; ++g) {
                ax[g] = p->bias_in[g * units + k];
                ah[g] = p->bias_rec[g * units + k];
            }
            sums(p, x, hidden, k, ax, ah);
            for (g = 0; g < 4; ++g) {
                z[g] = kws_clamp_i32(kws_lstm_s16_gate(ax[g], p->in_mult[g], p->in_shift[g])
                                     + kws_lstm_s16_gate(ah[g], p->rec_mult[g], p->rec_shift[g]), INT16_MIN, INT16_MAX);
            }
            y[k] = (int16_t)kws_lstm_update(&p->update, z, &cell[k]);
        }
        memcpy(hidden, y, (size_t)units * sizeof(int16_t));
    }
}

#ifdef __cplusplus
}
#endif

#endif /* KWS_LSTM_S16_H */
