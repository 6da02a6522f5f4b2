/* tinykws STFT frontend: the magnitude spectrogram of TensorFlow's "simple
 * audio recognition" tutorial (tf.signal.stft with a periodic Hann window,
 * then tf.abs), quantized for the model's int8 input.
 *
 * Each frame: frame_length samples x = pcm / 32768 (float), times the
 * window, zero-padded to fft_length, a radix-2 complex FFT, the magnitude
 * of bins 0..fft_length/2, then q = round(mag / input_scale) + zero_point
 * (halves away from zero, as TFLite's QUANTIZE), clamped to int8.
 *
 * Rules of this module:
 *  - C99, no malloc, no static mutable data, no libm: the window and the
 *    twiddles are float32 tables computed on the host (generator/frontend/
 *    stft.py), the square root is an exact integer one.
 *  - The same source runs on the device and, through ctypes, on the host;
 *    both must give the same bits. Every float operation is written out in
 *    a fixed order, and the build forbids contracting a*b+c into a fused
 *    multiply-add (-ffp-contract=off; the pragma below for compilers that
 *    honour it). IEEE single precision with round-to-nearest is assumed
 *    (an FPU, or soft-float: both round every operation correctly).
 *  - KWS_STFT_MAX_FRAME / KWS_STFT_MAX_FFT size the state struct (define
 *    them with -D for another configuration; the rendered tables check them).
 */
#ifndef KWS_STFT_H
#define KWS_STFT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef KWS_STFT_MAX_FRAME
#define KWS_STFT_MAX_FRAME 255u
#endif
#ifndef KWS_STFT_MAX_FFT
#define KWS_STFT_MAX_FFT 256u
#endif

#define KWS_STFT_ABI_VERSION 1u

typedef struct {
    const float *window;      /* [frame_length] periodic Hann, float32 */
    const float *twiddles;    /* [fft_length/2][2] cos, -sin of 2 pi k / fft_length */
    const uint16_t *bitrev;   /* [fft_length] bit-reversed index */
    float input_scale;        /* the model input's quantization */
    int32_t input_zero_point;
    uint16_t frame_length;    /* samples a frame */
    uint16_t frame_step;      /* samples between frame starts (<= frame_length) */
    uint16_t fft_length;      /* power of two >= frame_length */
    uint16_t bins;            /* fft_length / 2 + 1: values a frame */
    uint16_t abi_version;     /* KWS_STFT_ABI_VERSION */
    uint32_t config_id;
} kws_stft_config_t;

typedef struct {
    int16_t pcm[KWS_STFT_MAX_FRAME]; /* the newest samples, oldest first */
    uint16_t fill;                   /* samples in pcm */
    float re[KWS_STFT_MAX_FFT];      /* scratch */
    float im[KWS_STFT_MAX_FFT];
} kws_stft_state_t;

enum { KWS_STFT_OK = 0, KWS_STFT_ERR_ABI = -1, KWS_STFT_ERR_SIZE = -2, KWS_STFT_ERR_CONFIG = -3 };

int kws_stft_check(const kws_stft_config_t *cfg);
void kws_stft_reset(kws_stft_state_t *st, const kws_stft_config_t *cfg);

/* Consumes samples until one frame completes or they run out (*consumed:
 * how many it took). Returns 1 and writes `bins` int8 values to out when a
 * frame completed, else 0. `mag` (may be NULL) receives the frame's float
 * magnitudes. */
int kws_stft_push(kws_stft_state_t *st, const kws_stft_config_t *cfg, const int16_t *samples,
                  size_t n, size_t *consumed, int8_t *out, float *mag);

/* Exposed for the host tests: the square root, correctly rounded (x >= 0),
 * and the quantization of one magnitude. */
float kws_stft_sqrt(float x);
int8_t kws_stft_quantize(const kws_stft_config_t *cfg, float mag);

#ifdef __cplusplus
}
#endif

#endif
