/* micro_speech's RecognizeCommands in integer C99: turns a stream of int8
 * score vectors into detections (see docs/stream.md).
 *
 * Each inference is pushed with its time stamp in samples. The recognizer
 * keeps the inferences of the last `window` samples in a ring of at most
 * `capacity` entries (caller-owned storage), averages every label's score
 * over them (score + 128, so 0..255; the sum divided by the count,
 * truncating), and reports the top label of that average as a detection
 * when all of these hold:
 *   - the ring holds at least `minimum_count` inferences;
 *   - the average of the top label is >= `threshold`;
 *   - the top label is not marked in `never_trigger` (_silence_, _unknown_);
 *   - no detection yet, or at least `suppression` samples since the last
 *     detection (of any label).
 * harness/stream.py HostRecognizer is the same algorithm in Python; both
 * must report the same detections for the same inputs.
 *
 * No malloc, no floating point, no static data. */
#ifndef KWS_RECOGNIZER_H
#define KWS_RECOGNIZER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest ring and label count a configuration may ask for. */
#define KWS_RECOGNIZER_MAX_CAPACITY 255u
#define KWS_RECOGNIZER_MAX_LABELS 255u

typedef struct {
    uint32_t window;              /* samples: an inference this old or older drops out */
    uint32_t suppression;         /* samples between two detections, at least */
    uint16_t minimum_count;       /* inferences in the window before any detection */
    uint16_t capacity;            /* ring slots (1..KWS_RECOGNIZER_MAX_CAPACITY) */
    uint16_t labels;              /* scores per inference (1..KWS_RECOGNIZER_MAX_LABELS) */
    uint8_t threshold;            /* 0..255, on the averaged score + 128 */
    const uint8_t *never_trigger; /* [labels]: non-zero = never a detection */
} kws_recognizer_config_t;

typedef struct {
    const kws_recognizer_config_t *cfg;
    uint8_t *scores;              /* [capacity][labels], score + 128; caller's */
    uint64_t *times;              /* [capacity]; caller's */
    uint16_t oldest;              /* ring index of the oldest inference */
    uint16_t count;               /* inferences held */
    uint8_t detected;             /* a detection happened since the reset */
    uint64_t last_detection;      /* its time */
} kws_recognizer_t;

typedef struct {
    uint8_t label;
    uint8_t score;                /* the label's average, 0..255 */
} kws_detection_t;

enum {
    KWS_RECOGNIZER_NONE = 0,      /* no detection */
    KWS_RECOGNIZER_DETECTED = 1,  /* *out holds a detection */
    KWS_RECOGNIZER_ERR_TIME = -1, /* time went backwards; the inference was ignored */
    KWS_RECOGNIZER_ERR_CONFIG = -2
};

/* Binds the caller's storage: scores of capacity * labels bytes, times of
 * capacity entries. Returns 0, or KWS_RECOGNIZER_ERR_CONFIG for a config out
 * of range (then r is unusable). Resets. */
int kws_recognizer_init(kws_recognizer_t *r, const kws_recognizer_config_t *cfg,
                        uint8_t *scores, uint64_t *times);

/* Forgets every inference and the last detection. */
void kws_recognizer_reset(kws_recognizer_t *r);

/* One inference's int8 scores (cfg->labels of them) at `time` samples
 * (never less than the previous push's). Returns KWS_RECOGNIZER_DETECTED
 * and fills *out on a detection, KWS_RECOGNIZER_NONE otherwise, or
 * KWS_RECOGNIZER_ERR_TIME. */
int kws_recognizer_push(kws_recognizer_t *r, const int8_t *scores, uint64_t time,
                        kws_detection_t *out);

#ifdef __cplusplus
}
#endif

#endif
