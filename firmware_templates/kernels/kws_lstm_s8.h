#ifndef KWS_LSTM_S8_H
#define KWS_LSTM_S8_H

#include "kws_kernels.h"

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
    const int8_t *w_in;     /* [4][units][input_size] */
    const int8_t *w_rec;    /* [4][units][units] */
    const int32_t *bias_in;  /* [4][units]: bias - input_zp * row sum */
    const int32_t *bias_rec; /* [4][units]: -hidden_zp * row sum */
} kws_lstm_params_t;

/* Runs every time step; hidden (int8_t) and cell (int16_t) are the state
 * buffers, carried over between invokes. Output row t is written once input
 * row t has been read for every unit. */
void kws_lstm_s8(const kws_lstm_params_t *p, const int8_t *input, void *hidden, void *cell, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* KWS_LSTM_S8_H */
