#ifndef KWS_LSTM_H
#define KWS_LSTM_H

#include "kws_act_s16.h"
#include "kws_qmath.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the integer LSTM kernels (8x8: kws_lstm_s8.h, 16x8: kws_lstm_s16.h)
 * share: from a unit's four gate inputs (Q3.12) to its new cell state (int16)
 * and hidden value. Only the gate sums and the hidden state's type differ
 * between them. Gates are indexed 0 input, 1 forget, 2 cell, 3 output. */
typedef struct {
    int32_t forget_mult; /* forget gate * cell -> cell */
    int32_t forget_shift;
    int32_t input_mult;  /* input gate * cell gate -> cell */
    int32_t input_shift;
    int32_t hidden_mult; /* tanh(cell) * output gate -> hidden */
    int32_t hidden_shift;
    int32_t hidden_zp;
    int32_t hidden_min;  /* the hidden state type's range */
    int32_t hidden_max;
    int32_t cell_clip;   /* |cell| bound, 0: none */
    int32_t cell_tanh_mult; /* prescale of tanh(cell) (kws_act_s16_prescale) */
    int32_t cell_tanh_shift;
} kws_lstm_update_t;

/* The gates from z (each already saturated to int16), then the cell state
 * update in place and the new hidden value, in the hidden state's range. */
KWS_INLINE int32_t kws_lstm_update(const kws_lstm_update_t *u, const int32_t z[4], int16_t *cell)
{
    /* gate inputs are Q3.12: a prescale by 3 (no shift) for all four */
    const int16_t gi = kws_sigmoid_s16(z[0] * 3);
    const int16_t gf = kws_sigmoid_s16(z[1] * 3);
    const int16_t gg = kws_tanh_s16(z[2] * 3);
    const int16_t go = kws_sigmoid_s16(z[3] * 3);
    const int32_t kept = kws_clamp_i32(kws_mul_by_quantized_mul((int32_t)gf * *cell, u->forget_mult,
                                                                u->forget_shift), INT16_MIN, INT16_MAX);
    int32_t v = kws_clamp_i32(kws_mul_by_quantized_mul((int32_t)gi * gg, u->input_mult, u->input_shift),
                              INT16_MIN, INT16_MAX);
    int16_t th;
    v = kws_clamp_i32(kept + v, INT16_MIN, INT16_MAX);
    if (u->cell_clip > 0) {
        v = kws_clamp_i32(v, -u->cell_clip, u->cell_clip);
    }
    *cell = (int16_t)v;
    th = kws_tanh_s16(kws_act_s16_prescale(v, u->cell_tanh_mult, (int)u->cell_tanh_shift));
    v = kws_mul_by_quantized_mul((int32_t)th * go, u->hidden_mult, u->hidden_shift);
    return kws_clamp_i32(v + u->hidden_zp, u->hidden_min, u->hidden_max);
}

#ifdef __cplusplus
}
#endif

#endif /* KWS_LSTM_H */
