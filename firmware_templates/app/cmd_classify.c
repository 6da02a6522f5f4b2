/* CLASSIFY (0x30): a clip in, the device's decision out.
 *
 * Request: flags u8 (bit0 = first chunk: reset the pipeline; bit1 = last
 * chunk: classify), clip u16 (the host's number for this clip, different
 * from the previous clip's), offset u32 (the clip's sample index where this
 * chunk starts), then int16 LE PCM. A clip longer than one frame is sent as
 * consecutive chunks. A chunk sent again (its reply was lost) has an offset
 * the device has already passed: it is answered without feeding its audio
 * twice, so retransmissions never change the result.
 * Reply to a chunk that is not the last: frames u32 (feature frames so far).
 * Reply to the last chunk: frames u32, label u8, reserved u8 (0), labels u16,
 * frontend ticks u64, inference ticks u64, then the int8 scores.
 * Errors: ARGUMENT for a malformed body; STATE when the clip gave fewer
 * feature frames than the model takes, or a chunk would leave a gap. */
#include <string.h>

#include "kws_pipeline.h"
#include "kws_protocol.h"

#define HEAD_BYTES 7u /* flags, clip, offset */

static uint16_t s_clip;
static uint8_t s_clip_open;

void kws_cmd_classify(const kws_request_t *req);

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
    unsigned i;
    for (i = 0; i < bytes; i++) {
        p[i] = (uint8_t)(v >> (8u * i));
    }
}

void kws_cmd_classify(const kws_request_t *req)
{
    uint8_t head[24];
    const int8_t *scores;
    uint64_t infer_ticks;
    unsigned label;
    uint32_t offset, samples;
    uint16_t clip;
    if (req->len < HEAD_BYTES || ((req->len - HEAD_BYTES) & 1u) ||
        (req->body[0] & ~(KWS_CLASSIFY_FLAG_FIRST | KWS_CLASSIFY_FLAG_LAST))) {
        kws_reply_error(req->seq, KWS_ERR_ARGUMENT,
                        "CLASSIFY body: flags u8, clip u16, offset u32, then int16 LE samples");
        return;
    }
    clip = kws_get_u16(req->body + 1);
    offset = kws_get_u32(req->body + 3);
    samples = (req->len - HEAD_BYTES) / 2u;
    if (req->body[0] & KWS_CLASSIFY_FLAG_FIRST) {
        if (offset != 0u) {
            kws_reply_error(req->seq, KWS_ERR_ARGUMENT, "CLASSIFY: the first chunk starts at offset 0");
            return;
        }
        if (!s_clip_open || clip != s_clip) { /* a new clip, not its first chunk again */
            kws_pipeline_reset();
            s_clip = clip;
            s_clip_open = 1;
        }
    } else if (!s_clip_open || clip != s_clip) {
        kws_reply_error(req->seq, KWS_ERR_STATE, "CLASSIFY: chunk of a clip that was not started");
        return;
    }
    if (offset == kws_pipeline_samples_seen()) {
        (void)kws_pipeline_feed(req->body + HEAD_BYTES, samples, NULL);
    } else if ((uint64_t)offset + samples != kws_pipeline_samples_seen()) {
        kws_reply_error(req->seq, KWS_ERR_STATE, "CLASSIFY: chunk does not continue the clip");
        return;
    } /* else: this chunk was fed already; only its reply was lost */
    put_le(head, kws_pipeline_frames_seen(), 4);
    if (!(req->body[0] & KWS_CLASSIFY_FLAG_LAST)) {
        kws_reply(req, head, 4);
        return;
    }
    if (kws_pipeline_frames_seen() < KWS_APP_FRAMES) {
        kws_reply_error(req->seq, KWS_ERR_STATE, "clip too short: fewer feature frames than the model takes");
        return;
    }
    infer_ticks = kws_pipeline_infer(&scores);
    label = kws_pipeline_top(scores);
    kws_pipeline_act(label);
    head[4] = (uint8_t)label;
    head[5] = 0;
    put_le(head + 6, KWS_APP_LABELS, 2);
    put_le(head + 8, kws_pipeline_frontend_ticks(), 8);
    put_le(head + 16, infer_ticks, 8);
    kws_reply_begin((uint8_t)(req->type | KWS_REPLY), req->seq, (uint16_t)(sizeof head + KWS_APP_LABELS));
    kws_reply_write(head, sizeof head);
    kws_reply_write(scores, KWS_APP_LABELS);
    kws_reply_end();
}
