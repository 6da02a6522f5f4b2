/* STREAM (0x31): continuous audio in, detections with time stamps out.
 *
 * Request: flags u8 (bit0 = reset the pipeline and the recognizer first: the
 * start of a stream), stream u16 (the host's number for this stream,
 * different from the previous one's), offset u32 (the stream's sample index
 * where this chunk starts, modulo 2^32), then int16 LE PCM, at most
 * KWS_STREAM_MAX_SAMPLES. The chunk just processed, sent again because its
 * reply was lost, gets the same reply again without being heard twice.
 * Every feature frame goes into the pipeline's window; once the window holds
 * KWS_APP_FRAMES frames the model runs on the frame that filled it and then
 * on every KWS_STREAM_EVERY-th frame after it, and each inference's scores
 * feed the recognizer. A detection lights the label's LED.
 * Reply: inferences u16 (run for this chunk), events u8, then per event:
 * label u8, score u8 (the label's average, 0..255), sample u32 (the stream's
 * sample count at the end of the frame that triggered it, modulo 2^32).
 * Errors: ARGUMENT for a malformed body or too many samples; STATE when a
 * chunk continues a stream that was never started, leaves a gap, or comes
 * after another command (CLASSIFY) moved the pipeline. See docs/stream.md. */
#include "app_config.h"
#include "kws_pipeline.h"
#include "kws_protocol.h"
#include "kws_recognizer.h"
#include "stream_config.h"

#define FLAG_RESET 0x01u
#define EVENT_BYTES 6u
#define HEAD_BYTES 3u    /* of the reply: inferences, events */
#define REQUEST_HEAD 7u  /* flags, stream, offset */

/* A chunk completes at most ceil(max samples / step) frames, hence at most
 * that many inferences and detections: the event buffer never overflows. */
typedef char kws_stream_events_fit[(KWS_STREAM_MAX_EVENTS * KWS_STREAM_STEP_SAMPLES >=
                                    KWS_STREAM_MAX_SAMPLES) ? 1 : -1];
typedef char kws_stream_events_u8[(KWS_STREAM_MAX_EVENTS <= 255u) ? 1 : -1];
typedef char kws_stream_reply_fits[(HEAD_BYTES + EVENT_BYTES * KWS_STREAM_MAX_EVENTS <=
                                    KWS_MAX_BODY) ? 1 : -1];
typedef char kws_stream_body_fits[(REQUEST_HEAD + 2u * KWS_STREAM_MAX_SAMPLES <= KWS_MAX_BODY) ? 1 : -1];
typedef char kws_stream_labels_fit[(KWS_APP_LABELS <= KWS_RECOGNIZER_MAX_LABELS) ? 1 : -1];

void kws_cmd_stream(const kws_request_t *req);

static const uint8_t s_never_trigger[KWS_APP_LABELS] = KWS_RECOGNIZER_NEVER_TRIGGER;
static const kws_recognizer_config_t s_config = {
    KWS_RECOGNIZER_WINDOW,
    KWS_RECOGNIZER_SUPPRESSION,
    KWS_RECOGNIZER_MINIMUM_COUNT,
    KWS_RECOGNIZER_MAX,
    KWS_APP_LABELS,
    KWS_RECOGNIZER_THRESHOLD,
    s_never_trigger
};

static uint8_t s_ring_scores[KWS_RECOGNIZER_MAX * KWS_APP_LABELS];
static uint64_t s_ring_times[KWS_RECOGNIZER_MAX];
static kws_recognizer_t s_recognizer;
static uint8_t s_started;        /* a stream began with FLAG_RESET */
static uint32_t s_frames;        /* the pipeline's position when the last chunk ended */
static uint64_t s_samples;
static uint16_t s_inferences;    /* in this chunk */
static uint8_t s_events;
static uint8_t s_reply[HEAD_BYTES + EVENT_BYTES * KWS_STREAM_MAX_EVENTS];
static uint16_t s_reply_len;     /* of the last chunk's reply, kept for a resend */
static uint16_t s_stream;        /* the host's number of the current stream */
static uint32_t s_last_offset;   /* where the last chunk started */
static uint32_t s_last_samples;  /* and how many samples it had */

static void on_frame(uint32_t frames)
{
    const int8_t *scores;
    kws_detection_t found;
    uint64_t end;
    if (frames < KWS_APP_FRAMES || (frames - KWS_APP_FRAMES) % KWS_STREAM_EVERY != 0u) {
        return;
    }
    (void)kws_pipeline_infer(&scores);
    s_inferences++;
    /* Frame k (from 1) ends once window + (k - 1) * step samples came in. */
    end = (uint64_t)KWS_STREAM_WINDOW_SAMPLES + (uint64_t)(frames - 1u) * KWS_STREAM_STEP_SAMPLES;
    if (kws_recognizer_push(&s_recognizer, scores, end, &found) == KWS_RECOGNIZER_DETECTED) {
        kws_pipeline_act(found.label);
        if (s_events < KWS_STREAM_MAX_EVENTS) { /* always true: see the typedefs above */
            uint8_t *p = s_reply + HEAD_BYTES + EVENT_BYTES * s_events;
            uint32_t sample = (uint32_t)end;
            p[0] = found.label;
            p[1] = found.score;
            p[2] = (uint8_t)sample;
            p[3] = (uint8_t)(sample >> 8);
            p[4] = (uint8_t)(sample >> 16);
            p[5] = (uint8_t)(sample >> 24);
            s_events++;
        }
    }
}

static int is_last_chunk_again(uint16_t stream, uint32_t offset, uint32_t samples)
{
    return s_started && stream == s_stream && offset == s_last_offset &&
           samples == s_last_samples && kws_pipeline_frames_seen() == s_frames &&
           kws_pipeline_samples_seen() == s_samples;
}

void kws_cmd_stream(const kws_request_t *req)
{
    uint32_t samples, offset;
    uint16_t stream;
    if (req->len < REQUEST_HEAD || ((req->len - REQUEST_HEAD) & 1u) || (req->body[0] & ~FLAG_RESET)) {
        kws_reply_error(req->seq, KWS_ERR_ARGUMENT,
                        "STREAM body: flags u8, stream u16, offset u32, then int16 LE samples");
        return;
    }
    samples = (req->len - REQUEST_HEAD) / 2u;
    stream = kws_get_u16(req->body + 1);
    offset = kws_get_u32(req->body + 3);
    if (samples > KWS_STREAM_MAX_SAMPLES) {
        kws_reply_error(req->seq, KWS_ERR_ARGUMENT,
                        "STREAM chunk: more samples than INFO stream.max_samples");
        return;
    }
    if (is_last_chunk_again(stream, offset, samples)) {
        kws_reply(req, s_reply, s_reply_len); /* its reply was lost: the same answer again */
        return;
    }
    if (req->body[0] & FLAG_RESET) {
        if (offset != 0u) {
            kws_reply_error(req->seq, KWS_ERR_ARGUMENT, "STREAM: a stream starts at offset 0");
            return;
        }
        kws_pipeline_reset();
        if (kws_recognizer_init(&s_recognizer, &s_config, s_ring_scores, s_ring_times) != 0) {
            s_started = 0;
            kws_reply_error(req->seq, KWS_ERR_STATE, "recognizer configuration out of range");
            return;
        }
        s_started = 1;
        s_stream = stream;
    } else if (!s_started || stream != s_stream || kws_pipeline_frames_seen() != s_frames ||
               kws_pipeline_samples_seen() != s_samples) {
        s_started = 0;
        kws_reply_error(req->seq, KWS_ERR_STATE,
                        "no stream to continue: start one with flags bit0 (reset)");
        return;
    } else if (offset != (uint32_t)s_samples) {
        kws_reply_error(req->seq, KWS_ERR_STATE, "STREAM: chunk does not continue the stream");
        return;
    }
    s_inferences = 0;
    s_events = 0;
    (void)kws_pipeline_feed(req->body + REQUEST_HEAD, samples, on_frame);
    s_frames = kws_pipeline_frames_seen();
    s_samples = kws_pipeline_samples_seen();
    s_last_offset = offset;
    s_last_samples = samples;
    s_reply[0] = (uint8_t)s_inferences;
    s_reply[1] = (uint8_t)(s_inferences >> 8);
    s_reply[2] = s_events;
    s_reply_len = (uint16_t)(HEAD_BYTES + EVENT_BYTES * s_events);
    kws_reply(req, s_reply, s_reply_len);
}
