/* STREAM (0x31): continuous audio in, detections with time stamps out.
 *
 * Request: flags u8 (bit0 = reset the pipeline and the recognizer first: the
 * start of a stream; bit1 = scores: the reply also carries every
 * inference's scores), stream u16 (the host's number for this stream,
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
 * With bit1, then per inference: sample u32 (as for events), then the
 * model's KWS_APP_LABELS int8 scores.
 * Errors: ARGUMENT for a malformed body, unknown flag bits or too many
 * samples; STATE when a chunk continues a stream that was never started,
 * leaves a gap, or comes after another command (CLASSIFY) moved the
 * pipeline. See docs/stream.md. */
#include <string.h>

#include "app_config.h"
#include "kws_pipeline.h"
#include "kws_protocol.h"
#include "kws_recognizer.h"
#include "stream_config.h"

#define EVENT_BYTES 6u
#define HEAD_BYTES 3u    /* of the reply: inferences, events */
#define REQUEST_HEAD 7u  /* flags, stream, offset */
#define INFERENCE_BYTES (4u + KWS_APP_LABELS) /* sample u32, then the scores */

/* A chunk completes at most ceil(max samples / step) frames, hence at most
 * that many inferences and detections: the event buffer never overflows. */
typedef char kws_stream_events_fit[(KWS_STREAM_MAX_EVENTS * KWS_STREAM_STEP_SAMPLES >=
                                    KWS_STREAM_MAX_SAMPLES) ? 1 : -1];
typedef char kws_stream_events_u8[(KWS_STREAM_MAX_EVENTS <= 255u) ? 1 : -1];
/* Nor does the score buffer: max_events consecutive frames hold at most
 * ceil(max_events / every) inferences. The generator shortens chunks until
 * the reply with every inference's scores fits the body. */
typedef char kws_stream_inferences_fit[(KWS_STREAM_MAX_INFERENCES * KWS_STREAM_EVERY >=
                                        KWS_STREAM_MAX_EVENTS) ? 1 : -1];
typedef char kws_stream_reply_fits[(HEAD_BYTES + EVENT_BYTES * KWS_STREAM_MAX_EVENTS +
                                    INFERENCE_BYTES * KWS_STREAM_MAX_INFERENCES <=
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
static uint8_t s_started;        /* a stream began with KWS_STREAM_FLAG_RESET */
static uint32_t s_frames;        /* the pipeline's position when the last chunk ended */
static uint64_t s_samples;
static uint16_t s_inferences;    /* in this chunk */
static uint8_t s_events;
static uint8_t s_reply[HEAD_BYTES + EVENT_BYTES * KWS_STREAM_MAX_EVENTS];
static uint16_t s_reply_len;     /* of the last chunk's reply, kept for a resend */
/* Every inference of the last chunk, kept whatever its flags said, so that
 * a resend asking for scores gets them too. */
static uint8_t s_scores[INFERENCE_BYTES * KWS_STREAM_MAX_INFERENCES];
static uint16_t s_stream;        /* the host's number of the current stream */
static uint32_t s_last_offset;   /* where the last chunk started */
static uint32_t s_last_samples;  /* and how many samples it had */

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void on_frame(uint32_t frames)
{
    const int8_t *scores;
    kws_detection_t found;
    uint64_t end;
    if (frames < KWS_APP_FRAMES || (frames - KWS_APP_FRAMES) % KWS_STREAM_EVERY != 0u) {
        return;
    }
    (void)kws_pipeline_infer(&scores);
    /* Frame k (from 1) ends once window + (k - 1) * step samples came in. */
    end = (uint64_t)KWS_STREAM_WINDOW_SAMPLES + (uint64_t)(frames - 1u) * KWS_STREAM_STEP_SAMPLES;
    if (s_inferences < KWS_STREAM_MAX_INFERENCES) { /* always true: see the typedefs above */
        put_u32(s_scores + INFERENCE_BYTES * s_inferences, (uint32_t)end);
        memcpy(s_scores + INFERENCE_BYTES * s_inferences + 4u, scores, KWS_APP_LABELS);
    }
    s_inferences++;
    if (kws_recognizer_push(&s_recognizer, scores, end, &found) == KWS_RECOGNIZER_DETECTED) {
        kws_pipeline_act(found.label);
        if (s_events < KWS_STREAM_MAX_EVENTS) { /* always true: see the typedefs above */
            uint8_t *p = s_reply + HEAD_BYTES + EVENT_BYTES * s_events;
            p[0] = found.label;
            p[1] = found.score;
            put_u32(p + 2, (uint32_t)end);
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

/* The stored reply of the last chunk; with its inferences' scores if asked. */
static void send_reply(const kws_request_t *req, int with_scores)
{
    uint16_t kept = s_inferences < KWS_STREAM_MAX_INFERENCES ? s_inferences
                                                             : (uint16_t)KWS_STREAM_MAX_INFERENCES;
    uint16_t scores_len = with_scores ? (uint16_t)(INFERENCE_BYTES * kept) : 0u;
    kws_reply_begin((uint8_t)(req->type | KWS_REPLY), req->seq, (uint16_t)(s_reply_len + scores_len));
    kws_reply_write(s_reply, s_reply_len);
    kws_reply_write(s_scores, scores_len);
    kws_reply_end();
}

void kws_cmd_stream(const kws_request_t *req)
{
    uint32_t samples, offset;
    uint16_t stream;
    int with_scores;
    if (req->len < REQUEST_HEAD || ((req->len - REQUEST_HEAD) & 1u) ||
        (req->body[0] & ~(KWS_STREAM_FLAG_RESET | KWS_STREAM_FLAG_SCORES))) {
        kws_reply_error(req->seq, KWS_ERR_ARGUMENT,
                        "STREAM body: flags u8 (bit0 reset, bit1 scores), stream u16, offset u32, "
                        "then int16 LE samples");
        return;
    }
    with_scores = (req->body[0] & KWS_STREAM_FLAG_SCORES) != 0u;
    samples = (req->len - REQUEST_HEAD) / 2u;
    stream = kws_get_u16(req->body + 1);
    offset = kws_get_u32(req->body + 3);
    if (samples > KWS_STREAM_MAX_SAMPLES) {
        kws_reply_error(req->seq, KWS_ERR_ARGUMENT,
                        "STREAM chunk: more samples than INFO stream.max_samples");
        return;
    }
    if (is_last_chunk_again(stream, offset, samples)) {
        send_reply(req, with_scores); /* its reply was lost: the same answer again */
        return;
    }
    if (req->body[0] & KWS_STREAM_FLAG_RESET) {
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
    send_reply(req, with_scores);
}
