/* FEATURES command (type 0x10): runs PCM through the device's frontend.
 *
 * Request body:  flags u8, then int16 LE PCM samples (any count, body <=
 *                KWS_MAX_BODY). flags bit0 = reset the frontend state first;
 *                other bits must be 0. The state (partial window, noise and
 *                PCAN estimates) carries over between requests, so a clip is
 *                sent as consecutive chunks, the first with bit0 set.
 * Reply body:    frames u16, channels u16, value_type u8 (0 = uint16,
 *                1 = int8), reserved u8 (0), config_id u32 (CRC-32 of the
 *                generator's frontend config JSON), then frames x channels
 *                values, little endian, frame after frame: the frames this
 *                chunk completed.
 * Errors:        KWS_ERR_ARGUMENT for a malformed body, or when the frames a
 *                chunk completes would not fit in one reply (send fewer
 *                samples); KWS_ERR_STATE when the rendered config does not fit
 *                this build's kws_frontend_state_t.
 *
 * The configuration is the const struct the generator renders with
 * render_c_tables(); define KWS_FEATURES_CONFIG to use another name. */
#include <stddef.h>
#include <stdint.h>

#include "kws_frontend.h"
#include "kws_protocol.h"

#ifndef KWS_FEATURES_CONFIG
#define KWS_FEATURES_CONFIG kws_frontend_default
#endif

#define KWS_FEATURES_HEADER_BYTES 10u
#define KWS_FEATURES_CHUNK 64u /* samples converted per step (stack buffer) */

extern const kws_frontend_config_t KWS_FEATURES_CONFIG;

/* Zero-initialised static storage is the reset state. */
static kws_frontend_state_t kws_features_state;

static void kws_features_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)(v >> 8);
}

void kws_cmd_features(const kws_request_t *req)
{
    const kws_frontend_config_t *cfg = &KWS_FEATURES_CONFIG;
    kws_frontend_state_t *st = &kws_features_state;
    uint8_t header[KWS_FEATURES_HEADER_BYTES];
    union {
        uint16_t u16[KWS_FE_MAX_CHANNELS];
        int8_t i8[KWS_FE_MAX_CHANNELS];
    } frame;
    uint8_t bytes[2u * KWS_FE_MAX_CHANNELS];
    int16_t pcm[KWS_FEATURES_CHUNK];
    size_t n, total, frames, reply_len, done, vsize, c;
    const uint8_t *src;

    if (kws_frontend_check(cfg) != KWS_FE_OK) {
        kws_reply_error(req->seq, KWS_ERR_STATE,
                        "frontend config does not fit this build (KWS_FE_MAX_* too small)");
        return;
    }
    if (req->len < 1u || ((req->len - 1u) & 1u) != 0) {
        kws_reply_error(req->seq, KWS_ERR_ARGUMENT,
                        "FEATURES body: flags u8 then int16 LE samples");
        return;
    }
    if ((req->body[0] & ~KWS_FEATURES_FLAG_RESET) != 0) {
        kws_reply_error(req->seq, KWS_ERR_ARGUMENT, "FEATURES: unknown flag bits");
        return;
    }

    n = (req->len - 1u) / 2u;
    vsize = kws_frontend_value_size(cfg);
    /* Frames this chunk completes, known before anything is processed. */
    total = (req->body[0] & KWS_FEATURES_FLAG_RESET ? 0u : st->input_used) + n;
    frames = total < cfg->window_size ? 0u : (total - cfg->window_size) / cfg->step_size + 1u;
    reply_len = KWS_FEATURES_HEADER_BYTES + frames * cfg->num_channels * vsize;
    if (reply_len > KWS_MAX_BODY) {
        kws_reply_error(req->seq, KWS_ERR_ARGUMENT,
                        "FEATURES: chunk completes too many frames for one reply; send fewer samples");
        return;
    }
    if (req->body[0] & KWS_FEATURES_FLAG_RESET) {
        kws_frontend_reset(st, cfg);
    }

    kws_features_put_u16(header, (uint16_t)frames);
    kws_features_put_u16(header + 2, cfg->num_channels);
    header[4] = cfg->output_type;
    header[5] = 0;
    header[6] = (uint8_t)(cfg->config_id & 0xFFu);
    header[7] = (uint8_t)((cfg->config_id >> 8) & 0xFFu);
    header[8] = (uint8_t)((cfg->config_id >> 16) & 0xFFu);
    header[9] = (uint8_t)(cfg->config_id >> 24);
    kws_reply_begin((uint8_t)(req->type | KWS_REPLY), req->seq, (uint16_t)reply_len);
    kws_reply_write(header, sizeof(header));

    src = req->body + 1;
    done = 0;
    while (done < n) {
        size_t count = n - done, i, pos = 0;
        if (count > KWS_FEATURES_CHUNK) {
            count = KWS_FEATURES_CHUNK;
        }
        for (i = 0; i < count; ++i) { /* body may be unaligned: read bytes */
            pcm[i] = (int16_t)kws_get_u16(src + 2u * (done + i));
        }
        while (pos < count) {
            size_t took = 0;
            if (kws_frontend_push(st, cfg, pcm + pos, count - pos, &took, &frame)) {
                if (vsize == 1u) {
                    kws_reply_write(frame.i8, cfg->num_channels);
                } else {
                    for (c = 0; c < cfg->num_channels; ++c) {
                        kws_features_put_u16(bytes + 2u * c, frame.u16[c]);
                    }
                    kws_reply_write(bytes, 2u * cfg->num_channels);
                }
            }
            pos += took;
        }
        done += count;
    }
    kws_reply_end();
}
