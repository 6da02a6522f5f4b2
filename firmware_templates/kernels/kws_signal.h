#ifndef KWS_SIGNAL_H
#define KWS_SIGNAL_H

/* TFLite Micro's Signal ops (the audio front end as a graph: window, FFT,
 * filterbank, noise reduction, PCAN, log), integer paths. Tensors are passed
 * as void pointers because the graph mixes int16, uint32 and uint64 values
 * in one arena; a uint64 tensor may be only 4-byte aligned (it is read and
 * written with memcpy). See generator/model/ops/signal.py. */
#include "kws_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int32_t size;   /* input values */
    int32_t length; /* window length (size is a multiple) */
    int32_t shift;
    const int16_t *weights;
} kws_sig_window_params_t;

typedef struct {
    int32_t size;
} kws_sig_count_params_t;

typedef struct {
    int32_t input_length;  /* int16 samples, zero-padded to 2 * points */
    int32_t points;        /* complex FFT points: fft_length / 2 */
    const uint16_t *scatter;        /* [points] where input pair q lands */
    const int16_t *twiddles;        /* [points][2] */
    const int16_t *super_twiddles;  /* [points / 2][2] */
} kws_sig_rfft_params_t;

typedef struct {
    int32_t size; /* output values (complex input values) */
    int32_t start;
    int32_t end;
} kws_sig_energy_params_t;

typedef struct {
    int32_t channels;
    const int16_t *weights;
    const int16_t *unweights;
    const int16_t *freq_starts;   /* [channels + 1] */
    const int16_t *weight_starts; /* [channels + 1] */
    const int16_t *widths;        /* [channels + 1] */
} kws_sig_filter_bank_params_t;

typedef struct {
    int32_t channels;
    uint32_t smoothing;
    uint32_t one_minus_smoothing;
    uint32_t alternate_smoothing;
    uint32_t alternate_one_minus_smoothing;
    uint32_t min_signal_remaining;
    int32_t smoothing_bits;
    int32_t spectral_subtraction_bits;
    int32_t clamping;
} kws_sig_spectral_subtraction_params_t;

typedef struct {
    int32_t channels;
    int32_t snr_shift;
    const int16_t *gain_lut;
} kws_sig_pcan_params_t;

typedef struct {
    int32_t channels;
    int32_t correction_bits;
    int32_t output_scale;
    const uint16_t *log_lut; /* generator/frontend/tables.py log_lut, as the frontend's */
} kws_sig_log_params_t;

void kws_sig_window(const kws_sig_window_params_t *p, const void *input, void *output);
/* output: input scaled up to use 16 bits; shift (int32): the bits it was scaled by */
void kws_sig_fft_auto_scale(const kws_sig_count_params_t *p, const void *input, void *output, void *shift);
/* output: bins 0..points, (re, im) int16 pairs; computed in place in output */
void kws_sig_rfft(const kws_sig_rfft_params_t *p, const void *input, void *output);
void kws_sig_energy(const kws_sig_energy_params_t *p, const void *input, void *output);
void kws_sig_filter_bank(const kws_sig_filter_bank_params_t *p, const void *input, void *output);
void kws_sig_filter_bank_sqrt(const kws_sig_count_params_t *p, const void *input, const void *shift,
                              void *output);
/* noise: the state (uint32 per channel), updated; zero after a reset */
void kws_sig_spectral_subtraction(const kws_sig_spectral_subtraction_params_t *p, const void *input,
                                  void *noise, void *output);
void kws_sig_pcan(const kws_sig_pcan_params_t *p, const void *input, const void *noise, void *output);
void kws_sig_filter_bank_log(const kws_sig_log_params_t *p, const void *input, void *output);

#ifdef __cplusplus
}
#endif

#endif /* KWS_SIGNAL_H */
