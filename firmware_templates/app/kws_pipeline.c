#include "kws_pipeline.h"

#include <string.h>

#include "kws_hal.h"
#include "model.h"

#if KWS_APP_FRONTEND_STFT
#include "kws_stft.h"
extern const kws_stft_config_t kws_stft_default;
static kws_stft_state_t s_frontend;
#define FRONTEND_RESET() kws_stft_reset(&s_frontend, &kws_stft_default)
#define FRONTEND_PUSH(pcm, n, took, out) \
    kws_stft_push(&s_frontend, &kws_stft_default, (pcm), (n), (took), (out), NULL)
#else
#include "kws_frontend.h"
extern const kws_frontend_config_t kws_frontend_default;
static kws_frontend_state_t s_frontend;
#define FRONTEND_RESET() kws_frontend_reset(&s_frontend, &kws_frontend_default)
#define FRONTEND_PUSH(pcm, n, took, out) \
    kws_frontend_push(&s_frontend, &kws_frontend_default, (pcm), (n), (took), (out))
#endif

/* Feature frames in arrival order, as a ring: the model input is rebuilt
 * from it for every inference because inference reuses the input tensor. */
static int8_t s_window[KWS_APP_FRAMES][KWS_APP_CHANNELS];
static uint32_t s_frames;
static uint64_t s_samples;
static uint64_t s_frontend_ticks;

void kws_pipeline_reset(void)
{
    kws_model_reset(); /* a streaming model starts over with the audio */
    FRONTEND_RESET();
    memset(s_window, 0, sizeof s_window);
    s_frames = 0;
    s_samples = 0;
    s_frontend_ticks = 0;
}

size_t kws_pipeline_feed(const uint8_t *pcm_le, size_t samples,
                         void (*on_frame)(uint32_t frames_seen))
{
    int16_t pcm[64];
    size_t done = 0, completed = 0;
    while (done < samples) {
        size_t count = samples - done, i, pos = 0;
        if (count > sizeof pcm / sizeof pcm[0]) {
            count = sizeof pcm / sizeof pcm[0];
        }
        for (i = 0; i < count; i++) {
            pcm[i] = (int16_t)(pcm_le[2u * (done + i)] | (pcm_le[2u * (done + i) + 1u] << 8));
        }
        while (pos < count) {
            size_t took = 0;
            uint64_t start = kws_ticks_now();
            int got = FRONTEND_PUSH(pcm + pos, count - pos, &took,
                                    s_window[s_frames % KWS_APP_FRAMES]);
            s_frontend_ticks += kws_ticks_now() - start;
            pos += took;
            if (got) {
                s_frames++;
                completed++;
                if (on_frame != NULL) {
                    on_frame(s_frames);
                }
            }
        }
        done += count;
    }
    s_samples += samples;
    return completed;
}

uint32_t kws_pipeline_frames_seen(void) { return s_frames; }
uint64_t kws_pipeline_samples_seen(void) { return s_samples; }
uint64_t kws_pipeline_frontend_ticks(void) { return s_frontend_ticks; }

uint64_t kws_pipeline_infer(const int8_t **scores)
{
    int8_t *input = (int8_t *)kws_model_input();
    uint32_t oldest = s_frames % KWS_APP_FRAMES; /* the ring's oldest slot */
    size_t head = (size_t)(KWS_APP_FRAMES - oldest) * KWS_APP_CHANNELS;
    uint64_t start;
    memcpy(input, s_window[oldest], head);
    memcpy(input + head, s_window[0], (size_t)oldest * KWS_APP_CHANNELS);
    start = kws_ticks_now();
    (void)kws_model_invoke(NULL, NULL);
#if KWS_APP_OUTPUT_UINT8
    {
        static int8_t shifted[KWS_APP_LABELS];
        const uint8_t *out = (const uint8_t *)(const void *)kws_model_output();
        unsigned i;
        for (i = 0; i < KWS_APP_LABELS; i++) {
            shifted[i] = (int8_t)(out[i] - 128);
        }
        *scores = shifted;
    }
#else
    *scores = (const int8_t *)(const void *)kws_model_output();
#endif
    return kws_ticks_now() - start;
}

unsigned kws_pipeline_top(const int8_t *scores)
{
    unsigned i, best = 0;
    for (i = 1; i < KWS_APP_LABELS; i++) {
        if (scores[i] > scores[best]) {
            best = i;
        }
    }
    return best;
}

void kws_pipeline_act(unsigned label)
{
    static const int8_t led_of_label[KWS_APP_LABELS] = KWS_APP_LED_OF_LABEL;
    unsigned i;
    for (i = 0; i < KWS_APP_LABELS; i++) {
        if (led_of_label[i] >= 0) {
            kws_led_set((unsigned)led_of_label[i], i == label);
        }
    }
}
