/* Host-only entry point for the Python binding (generator/frontend/stft.py):
 * the library is built with one configuration's rendered tables
 * (kws_stft_default), so the host runs the very tables the device does.
 * Not part of the firmware. */
#include <stddef.h>

#include "kws_stft.h"

extern const kws_stft_config_t kws_stft_default;

int kws_stft_host_check(void) { return kws_stft_check(&kws_stft_default); }

/* A whole clip from a fresh state: at most max_frames frames of `bins` int8
 * values to out, their float magnitudes to mag (may be NULL). Returns the
 * frames written. */
size_t kws_stft_host_clip(const int16_t *pcm, size_t n, int8_t *out, float *mag, size_t max_frames)
{
    static kws_stft_state_t st; /* host only: one caller at a time (the binding locks) */
    size_t pos = 0, frames = 0;
    kws_stft_reset(&st, &kws_stft_default);
    while (pos < n && frames < max_frames) {
        size_t took = 0;
        int got = kws_stft_push(&st, &kws_stft_default, pcm + pos, n - pos, &took,
                                out + frames * kws_stft_default.bins,
                                mag != NULL ? mag + frames * kws_stft_default.bins : NULL);
        pos += took;
        frames += (size_t)got;
    }
    return frames;
}

/* The quantization alone, on given magnitudes (for the tests). */
void kws_stft_host_quantize(const float *mag, size_t n, int8_t *out)
{
    size_t i;
    for (i = 0; i < n; i++) {
        out[i] = kws_stft_quantize(&kws_stft_default, mag[i]);
    }
}

void kws_stft_host_sqrt(const float *x, size_t n, float *out)
{
    size_t i;
    for (i = 0; i < n; i++) {
        out[i] = kws_stft_sqrt(x[i]);
    }
}
