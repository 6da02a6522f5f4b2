#include "kws_recognizer.h"

int kws_recognizer_init(kws_recognizer_t *r, const kws_recognizer_config_t *cfg,
                        uint8_t *scores, uint64_t *times)
{
    r->cfg = cfg;
    r->scores = scores;
    r->times = times;
    kws_recognizer_reset(r);
    if (cfg == NULL || scores == NULL || times == NULL || cfg->never_trigger == NULL ||
        cfg->window == 0u || cfg->minimum_count == 0u || cfg->capacity == 0u ||
        cfg->capacity > KWS_RECOGNIZER_MAX_CAPACITY || cfg->labels == 0u ||
        cfg->labels > KWS_RECOGNIZER_MAX_LABELS) {
        return KWS_RECOGNIZER_ERR_CONFIG;
    }
    return 0;
}

void kws_recognizer_reset(kws_recognizer_t *r)
{
    r->oldest = 0;
    r->count = 0;
    r->detected = 0;
    r->last_detection = 0;
}

static void drop_oldest(kws_recognizer_t *r)
{
    r->oldest = (uint16_t)((r->oldest + 1u) % r->cfg->capacity);
    r->count--;
}

int kws_recognizer_push(kws_recognizer_t *r, const int8_t *scores, uint64_t time,
                        kws_detection_t *out)
{
    const kws_recognizer_config_t *cfg = r->cfg;
    unsigned i, k, slot, top = 0;
    uint32_t best = 0;
    if (r->count > 0u) {
        unsigned newest = (r->oldest + r->count - 1u) % cfg->capacity;
        if (time < r->times[newest]) {
            return KWS_RECOGNIZER_ERR_TIME;
        }
    }
    /* The window: inferences less than `window` samples old stay. */
    while (r->count > 0u && time - r->times[r->oldest] >= cfg->window) {
        drop_oldest(r);
    }
    if (r->count == cfg->capacity) {
        drop_oldest(r);
    }
    slot = (r->oldest + r->count) % cfg->capacity;
    r->times[slot] = time;
    for (i = 0; i < cfg->labels; i++) {
        r->scores[slot * cfg->labels + i] = (uint8_t)(scores[i] + 128);
    }
    r->count++;
    if (r->count < cfg->minimum_count) {
        return KWS_RECOGNIZER_NONE;
    }
    for (i = 0; i < cfg->labels; i++) {
        uint32_t sum = 0, average;
        for (k = 0; k < r->count; k++) {
            sum += r->scores[((r->oldest + k) % cfg->capacity) * cfg->labels + i];
        }
        average = sum / r->count;
        if (i == 0u || average > best) { /* the first label on ties */
            best = average;
            top = i;
        }
    }
    if (best < cfg->threshold || cfg->never_trigger[top]) {
        return KWS_RECOGNIZER_NONE;
    }
    if (r->detected && time - r->last_detection < cfg->suppression) {
        return KWS_RECOGNIZER_NONE;
    }
    r->detected = 1;
    r->last_detection = time;
    out->label = (uint8_t)top;
    out->score = (uint8_t)best;
    return KWS_RECOGNIZER_DETECTED;
}
