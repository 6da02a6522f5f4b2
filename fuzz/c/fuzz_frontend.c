/* libFuzzer target: the fixed-point frontend (kws_frontend.c) on arbitrary
 * PCM, with tables gen-firmware renders (render_c_tables) for several
 * configurations: the bundled model's and a few unlike it (frontend_configs.c,
 * written by fuzz/targets.py).
 *
 * Input: config u8 (modulo the number of configurations), chunks u8, then
 * (chunks % 8) + 1 chunk sizes u8, then int16 LE samples.
 *
 * Promises checked: the state fits (kws_frontend_check); kws_frontend_process
 * takes every sample and makes exactly the frames the window and step say;
 * the same samples pushed in chunks of the sizes given (kws_frontend_push,
 * as FEATURES and the pipeline do on the device) and processed in two calls
 * with a frame limit give the very same frames: how audio is cut into
 * requests never changes the features. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_io.h"
#include "kws_frontend.h"

extern const kws_frontend_config_t *const fuzz_frontend_configs[];
extern const size_t fuzz_frontend_config_count;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static kws_frontend_state_t s_state;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const kws_frontend_config_t *cfg;
    const uint8_t *chunk_sizes;
    size_t n_chunks, n, i, frames, want, frame_bytes, got, consumed, at, k, limit;
    int16_t *pcm;
    uint8_t *whole, *pieces;
    uint16_t frame[KWS_FE_MAX_CHANNELS];
    if (size < 2u) {
        return 0;
    }
    cfg = fuzz_frontend_configs[data[0] % fuzz_frontend_config_count];
    n_chunks = (data[1] % 8u) + 1u;
    if (size < 2u + n_chunks) {
        return 0;
    }
    chunk_sizes = data + 2;
    n = (size - 2u - n_chunks) / 2u;
    FUZZ_CHECK(kws_frontend_check(cfg) == KWS_FE_OK, "a rendered config does not fit its state");
    pcm = (int16_t *)malloc((n ? n : 1u) * sizeof *pcm);
    FUZZ_CHECK(pcm != NULL, "out of memory");
    for (i = 0; i < n; i++) {
        const uint8_t *s = data + 2u + n_chunks + 2u * i;
        pcm[i] = (int16_t)(uint16_t)(s[0] | s[1] << 8);
    }
    want = n < cfg->window_size ? 0u : (n - cfg->window_size) / cfg->step_size + 1u;
    frame_bytes = cfg->num_channels * kws_frontend_value_size(cfg);
    whole = (uint8_t *)malloc(want * frame_bytes + 1u);
    pieces = (uint8_t *)malloc(want * frame_bytes + 1u);
    FUZZ_CHECK(whole != NULL && pieces != NULL, "out of memory");

    kws_frontend_reset(&s_state, cfg);
    frames = kws_frontend_process(&s_state, cfg, pcm, n, whole, want, &consumed);
    FUZZ_CHECK(frames == want && consumed == n, "%zu samples made %zu frames (not %zu), took %zu",
               n, frames, want, consumed);

    /* In chunks, one push at a time. */
    kws_frontend_reset(&s_state, cfg);
    got = 0;
    at = 0;
    for (k = 0; at < n; k++) {
        size_t len = (size_t)chunk_sizes[k % n_chunks] + 1u, pos = 0;
        if (len > n - at) {
            len = n - at;
        }
        while (pos < len) {
            size_t took = 0;
            if (kws_frontend_push(&s_state, cfg, pcm + at + pos, len - pos, &took, frame)) {
                FUZZ_CHECK(got < want, "more frames than %zu samples make", n);
                memcpy(pieces + got * frame_bytes, frame, frame_bytes);
                got++;
            }
            FUZZ_CHECK(took > 0, "a push took no sample");
            pos += took;
        }
        at += len;
    }
    FUZZ_CHECK(got == want && memcmp(whole, pieces, want * frame_bytes) == 0,
               "the same %zu samples in chunks gave %s frames", n,
               got == want ? "other" : "a different number of");

    /* In two calls, the first stopping at a frame limit. */
    kws_frontend_reset(&s_state, cfg);
    limit = want ? chunk_sizes[0] % (want + 1u) : 0u;
    memset(pieces, 0, want * frame_bytes);
    frames = kws_frontend_process(&s_state, cfg, pcm, n, pieces, limit, &consumed);
    FUZZ_CHECK(frames == limit && consumed <= n, "a limit of %zu frames gave %zu", limit, frames);
    frames += kws_frontend_process(&s_state, cfg, pcm + consumed, n - consumed,
                                   pieces + frames * frame_bytes, want - frames, &at);
    FUZZ_CHECK(frames == want && consumed + at == n && memcmp(whole, pieces, want * frame_bytes) == 0,
               "processing with a frame limit changed the frames");
    free(pieces);
    free(whole);
    free(pcm);
    return 0;
}
