/* Host-only helpers for the Python binding (generator/frontend/native.py):
 * sizes and the config struct's layout, so the ctypes mirror of
 * kws_frontend_config_t is checked against the compiler's. Not part of the
 * firmware. */
#include <stddef.h>

#include "kws_frontend.h"

size_t kws_fe_host_state_size(void) { return sizeof(kws_frontend_state_t); }

size_t kws_fe_host_max(int which)
{
    switch (which) {
    case 0:
        return KWS_FE_MAX_WINDOW;
    case 1:
        return KWS_FE_MAX_FFT_SIZE;
    case 2:
        return KWS_FE_MAX_CHANNELS;
    default:
        return 0;
    }
}

#define FE_OFF(f) offsetof(kws_frontend_config_t, f)

/* Writes sizeof(config) then every field's offset, in declaration order.
 * Returns the number of values written (at most max). */
size_t kws_fe_host_config_layout(size_t *out, size_t max)
{
    const size_t v[] = {
        sizeof(kws_frontend_config_t),
        FE_OFF(window), FE_OFF(fft_scatter), FE_OFF(fft_twiddles),
        FE_OFF(fft_super_twiddles), FE_OFF(band_start), FE_OFF(band_width),
        FE_OFF(weights), FE_OFF(unweights), FE_OFF(log_lut), FE_OFF(pcan_lut),
        FE_OFF(sample_rate), FE_OFF(window_size), FE_OFF(step_size), FE_OFF(fft_size),
        FE_OFF(num_channels), FE_OFF(bin_start), FE_OFF(bin_end),
        FE_OFF(even_smoothing), FE_OFF(odd_smoothing), FE_OFF(min_signal_remaining),
        FE_OFF(smoothing_bits), FE_OFF(enable_pcan), FE_OFF(snr_shift),
        FE_OFF(enable_log), FE_OFF(scale_shift), FE_OFF(correction_bits),
        FE_OFF(output_type), FE_OFF(int8_shift), FE_OFF(out_scale), FE_OFF(int8_mul),
        FE_OFF(int8_add), FE_OFF(int8_magic), FE_OFF(int8_zero), FE_OFF(abi_version), FE_OFF(config_id),
    };
    size_t i, count = sizeof(v) / sizeof(v[0]);
    for (i = 0; i < count && i < max; ++i) {
        out[i] = v[i];
    }
    return count;
}
