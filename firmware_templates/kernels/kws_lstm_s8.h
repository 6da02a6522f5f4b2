#ifndef KWS_LSTM_S8_H
#define KWS_LSTM_S8_H

#include "kws_act_s16.h"
#include "kws_kernels.h"
#include "kws_qmath.h"

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
    int32_t forget_mult; /* forget gate * cell -> cell */
    int32_t forget_shift;
    int32_t input_mult;  /* input gate * cell gate -> cell */
    int32_t input_shift;
    int32_t hidden_mult; /* tanh(cell) * output gate -> hidden */
    int32_t hidden_shift;
    int32_t hidden_zp;
    int32_t cell_clip;   /* |cell| bound, 0: none */
    int32_t cell_tanh_mult; /* prescale of tanh(cell) (kws_act_s16_prescale) */
    int32_t cell_tanh_shift;
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
    int32_t z[4], prod, v;
    int16_t gi, gf, gg, go, th;
    int g;
    for (g = 0; g < 4; ++g) {
        const int32_t a = kws_clamp_i32(kws_mul_by_quantized_mul((int32_t)ax[g], p->in_mult[g], p->in_shift[g]),
                                        INT16_MIN, INT16_MAX);
        const int32_t h = kws_clamp_i32(kws_mul_by_quantized_mul((int32_t)ah[g], p->rec_mult[g], p->rec_shift[g]),
                                        INT16_MIN, INT16_MAX);
        z[g] = kws_clamp_i32(a + h, INT16_MIN, INT16_MAX);
    }
    /* gate inputs are Q3.12: a prescale by 3 (no shift) for both */
    gi = kws_sigmoid_s16(z[0] * 3);
    gf = kws_sigmoid_s16(z[1] * 3);
    gg = kws_tanh_s16(z[2] * 3);
    go = kws_sigmoid_s16(z[3] * 3);
    prod = kws_clamp_i32(kws_mul_by_quantized_mul((int32_t)gf * *cell, p->forget_mult, p->forget_shift),
                         INT16_MIN, INT16_MAX);
    v = kws_clamp_i32(kws_mul_by_quantized_mul((int32_t)gi * gg, p->input_mult, p->input_shift),
                      INT16_MIN, INT16_MAX);
    v = kws_clamp_i32(prod + v, INT16_MIN, INT16_MAX);
    if (p->cell_clip > 0) {
        v = kws_clamp_i32(v, -p->cell_clip, p->cell_clip);
    }
    *cell = (int16_t)v;
    th = kws_tanh_s16(kws_act_s16_prescale(v, p->cell_tanh_mult, (int)p->cell_tanh_shift));
    v = kws_mul_by_quantized_mul((int32_t)th * go, p->hidden_mult, p->hidden_shift);
    return (int8_t)kws_clamp_i32(v + p->hidden_zp, -128, 127);
}

#ifdef __cplusplus
}
#endif

#endif /* KWS_LSTM_S8_H */
