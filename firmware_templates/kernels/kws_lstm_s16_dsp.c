/* UNIDIRECTIONAL_SEQUENCE_LSTM with int16 activations (16x8), for cores
 * with the DSP extension: the portable kernel's walk and update
 * (kws_lstm_s16_with), each unit's four gate rows one SMLAD block
 * (kws_s16_block4_dsp; the weights interleaved on the host,
 * generator/model/ops/lstm.py), the same exact int64 sums. */
#include "kws_dot_s16_dsp.h"
#include "kws_lstm_s16.h"

static void gate_sums(const kws_lstm_s16_params_t *p, const int16_t *x, const int16_t *hidden, int32_t k,
                      int64_t ax[4], int64_t ah[4])
{
    kws_s16_block4_dsp(ax, x, p->w_in + (size_t)k * 4u * (size_t)p->input_size, p->input_size);
    kws_s16_block4_dsp(ah, hidden, p->w_rec + (size_t)k * 4u * (size_t)p->units, p->units);
}

void kws_lstm_s16_dsp(const kws_lstm_s16_params_t *p, const void *input, void *hidden, void *cell, void *output)
{
    kws_lstm_s16_with(p, input, hidden, cell, output, gate_sums);
}
