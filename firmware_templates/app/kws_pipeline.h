/* The keyword pipeline of micro_speech, one unit each: audio -> frontend
 * -> a window of the newest KWS_APP_FRAMES feature frames -> model ->
 * scores. CLASSIFY and STREAM both drive it. The frontend's int8 frames are
 * the model's input as they are (kws-train quantizes the model for them). */
#ifndef KWS_PIPELINE_H
#define KWS_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "app_config.h"

/* Forget all audio: frontend state, feature window, time and a streaming
 * model's state. */
void kws_pipeline_reset(void);

/* Feed little-endian int16 PCM straight from a frame body (any alignment).
 * Returns the feature frames it completed; `on_frame` (may be NULL) is
 * called after each, with the number of frames seen since the reset. */
size_t kws_pipeline_feed(const uint8_t *pcm_le, size_t samples,
                         void (*on_frame)(uint32_t frames_seen));

uint32_t kws_pipeline_frames_seen(void);
uint64_t kws_pipeline_samples_seen(void);
uint64_t kws_pipeline_frontend_ticks(void); /* spent in the frontend since the reset */

/* Run the model on the newest KWS_APP_FRAMES frames; the int8 scores stay
 * valid until the next inference (a uint8 output u is given as u - 128).
 * Returns the ticks the inference took. */
uint64_t kws_pipeline_infer(const int8_t **scores);

/* Index of the highest score (the first on ties, like argmax). */
unsigned kws_pipeline_top(const int8_t *scores);

/* The board's action for a label (an LED), from the board file. */
void kws_pipeline_act(unsigned label);

#endif
