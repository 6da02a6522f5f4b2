#ifndef KWS_LSTM_S8_H
#define KWS_LSTM_S8_H

#include "kws_kernels.h"
#include "kws_lstm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* UNIDIRECTIONAL_SEQUENCE_LSTM, integer path (int8 input, output and hidden
 * state, int8 weights, int32 biases, int16 cell state), one batch. Gates are
 * indexed 0 input, 1 forget, 2 cell, 3 output. */
typedef struct {
    int32_t time_steps;
    int32_t input_size;
    int32_t units;
    int32_t in_mult[4];  /* input * input weights -> gate scale 2^-12 */
    int32_t in_shift[4];
    int32_t rec_mult[4]; /* hidden * recurrent weights -> 2^-12 */
    int32_t rec_shift[4];
    kws_lstm_update_t update; /* cell and hidden update (kws_lstm.h) */
    const int8_t *w_in;     /* [4][units][input_size] (the DSP kernel: interleaved per unit) */
    const int8_t *w_rec;    /* [4][units][units] (likewise) */
    const int32_t *bias_in;  /* [4][units]: bias - input_zp * row sum */
    const int32_t *bias_rec; /* [4][units]: -hidden_zp * row sum */
} kws_lstm_params_t;

/* Runs every time step; hidden (int8_t) and cell (int16_t) are the state
 * buffers, carried over between invokes. Output element (t, k) is written
 * after unit k's products with input row t, before unit k + 1's. */
void kws_lstm_s8(const kws_lstm_params_t *p, const int8_t *input, void *hidden, void *cell, int8_t *output);

/* The same with the DSP extension's dual multiply-accumulates (kws_lstm_s8_dsp.c). */
void kws_lstm_s8_dsp(const kws_lstm_params_t *p, const int8_t *input, void *hidden, void *cell, int8_t *output);

/* One unit's gates, cell update and new hidden value, from its four input
 * and four recurrent sums (biases included, modulo 2^32); both kernels. */
KWS_INLINE int8_t kws_lstm_unit(const kws_lstm_params_t *p, const uint32_t ax[4], const uint32_t ah[4],
                                int16_t *cell)
{
    int32_t z[4];
    int g;
    for (g = 0; g < 4; ++g) {
        const int32_t a = kws_clamp_i32(kws_mul_by_quantized_mul((int32_t)ax[g], p->in_mult[g], p->in_shift[g]),
                                        INT16_MIN, INT16_MAX);
        const int32_t h = kws_clamp_i32(kws_mul_by_quantized_mul((int32_t)ah[g], p->rec_mult[g], p->rec_shift[g]),
                                        INT16_MIN, INT16_MAX);
        z[g] = kws_clamp_i32(a + h, INT16_MIN, INT16_MAX);
    }
    return (int8_t)kws_lstm_update(&p->update, z, cell);
}

#ifdef __cplusplus
}
#endif

#endif /* KWS_LSTM_S8_H */
