/* tinykws fixed-point audio frontend (log-mel "micro features").
 *
 * Bit-exact with TensorFlow's audio_microfrontend op (TFLite Micro's
 * microfrontend library: window, 16-bit fixed-point real FFT with kissfft's
 * rounding, mel filterbank, noise reduction, PCAN gain control, log scale).
 * See docs/frontend.md.
 *
 * Rules of this module:
 *  - C99, no malloc, no floating point, no static mutable data.
 *  - Every table is computed on the host (generator/frontend, Python) and
 *    handed in through a const kws_frontend_config_t; nothing is computed at
 *    init. The caller owns the state struct.
 *  - The state struct's array sizes are compile-time maxima; define
 *    KWS_FE_MAX_WINDOW / KWS_FE_MAX_FFT_SIZE / KWS_FE_MAX_CHANNELS before
 *    including this header (or with -D) to fit another configuration. The
 *    rendered tables check the maxima at compile time.
 */
#ifndef KWS_FRONTEND_H
#define KWS_FRONTEND_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef KWS_FE_MAX_WINDOW
#define KWS_FE_MAX_WINDOW 480u      /* samples in one analysis window */
#endif
#ifndef KWS_FE_MAX_FFT_SIZE
#define KWS_FE_MAX_FFT_SIZE 512u    /* power of two >= window */
#endif
#ifndef KWS_FE_MAX_CHANNELS
#define KWS_FE_MAX_CHANNELS 40u
#endif

/* Version of the config struct layout; the host binding checks it. */
#define KWS_FE_ABI_VERSION 1u

/* Output element type of a frame. */
enum {
    KWS_FE_OUT_UINT16 = 0, /* min(feature, 65535) / out_scale (as the TF op) */
    KWS_FE_OUT_INT8 = 1    /* micro_speech mapping of the uint16 value */
};

/* Everything a configuration needs, all precomputed on the host. */
typedef struct {
    /* Tables (const, normally in flash). */
    const int16_t *window;          /* [window_size] Hann window, Q12 */
    const uint16_t *fft_scatter;    /* [fft_size/2] where input pair q lands
                                       (kissfft's digit-reversed order) */
    const int16_t *fft_twiddles;    /* [fft_size/2][2] re, im: complex FFT of
                                       fft_size/2 points, Q15 */
    const int16_t *fft_super_twiddles; /* [fft_size/4][2] real-FFT split */
    const uint16_t *band_start;     /* [channels+1] first FFT bin of a band */
    const uint16_t *band_width;     /* [channels+1] bins in a band */
    const int16_t *weights;         /* [bin_end-bin_start] Q12, by bin-bin_start */
    const int16_t *unweights;       /* [bin_end-bin_start] Q12 */
    const uint16_t *log_lut;        /* [129] log2 correction, Q16 */
    const int16_t *pcan_lut;        /* [2 + 3*31] PCAN gain curve */
    /* Sizes. */
    uint32_t sample_rate;           /* informative only */
    uint16_t window_size;           /* samples */
    uint16_t step_size;             /* samples */
    uint16_t fft_size;              /* power of two, >= 16 */
    uint16_t num_channels;
    uint16_t bin_start;             /* first bin any band uses */
    uint16_t bin_end;               /* one past the last */
    /* Noise reduction (Q14 coefficients). */
    uint16_t even_smoothing;
    uint16_t odd_smoothing;
    uint16_t min_signal_remaining;
    uint8_t smoothing_bits;
    /* PCAN gain control. */
    uint8_t enable_pcan;
    uint8_t snr_shift;
    /* Log scale. */
    uint8_t enable_log;
    uint8_t scale_shift;
    int8_t correction_bits;         /* log2(fft_size) - 6 */
    /* Output. */
    uint8_t output_type;            /* KWS_FE_OUT_* */
    uint8_t int8_shift;             /* int8: q = ((v*mul + add) * magic) >> shift */
    uint16_t out_scale;             /* uint16: v / out_scale */
    uint16_t int8_mul;
    uint16_t int8_add;
    uint32_t int8_magic;            /* exact multiply-shift for / int8_div */
    int16_t int8_zero;              /* added after the division, then clamped */
    uint16_t abi_version;           /* KWS_FE_ABI_VERSION */
    uint32_t config_id;             /* CRC-32 of the generator's config JSON */
} kws_frontend_config_t;

/* Caller-owned state. Only input/input_used/noise_estimate carry over
 * between frames; the rest is per-frame scratch. */
typedef struct {
    int16_t fft[2u * (KWS_FE_MAX_FFT_SIZE / 2u + 1u)]; /* scratch, complex */
    uint32_t signal[KWS_FE_MAX_CHANNELS];              /* scratch */
    uint32_t noise_estimate[KWS_FE_MAX_CHANNELS];
    int16_t input[KWS_FE_MAX_WINDOW];                  /* partial window */
    uint16_t input_used;
} kws_frontend_state_t;

/* Status codes. */
enum {
    KWS_FE_OK = 0,
    KWS_FE_ERR_ABI = -1,      /* config from another header version */
    KWS_FE_ERR_SIZE = -2,     /* config larger than this build's maxima */
    KWS_FE_ERR_CONFIG = -3    /* inconsistent config (not from the generator) */
};

/* Checks that cfg fits this build's state struct. Cheap; no tables touched. */
int kws_frontend_check(const kws_frontend_config_t *cfg);

/* Clears the partial window and the noise estimate. */
void kws_frontend_reset(kws_frontend_state_t *st, const kws_frontend_config_t *cfg);

/* Consumes samples until one frame completes or the samples run out.
 * *consumed is set to the samples taken. Returns 1 and writes one frame
 * (num_channels values of the config's output type) to out when a frame
 * completed, else 0. */
int kws_frontend_push(kws_frontend_state_t *st, const kws_frontend_config_t *cfg,
                      const int16_t *samples, size_t n, size_t *consumed, void *out);

/* Runs samples through, writing at most max_frames frames to out
 * (consecutively). Returns the number of frames written and sets *consumed
 * (may be NULL) to the samples taken: all of them, unless one more frame
 * would have been needed (then it stops before the sample completing it). */
size_t kws_frontend_process(kws_frontend_state_t *st, const kws_frontend_config_t *cfg,
                            const int16_t *samples, size_t n, void *out,
                            size_t max_frames, size_t *consumed);

/* Bytes one output value takes for cfg's output type. */
size_t kws_frontend_value_size(const kws_frontend_config_t *cfg);

#ifdef __cplusplus
}
#endif

#endif
