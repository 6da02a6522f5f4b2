/* BENCH (0x32): repeat the model on the resident feature window.
 *
 * Request: count u16 (1..KWS_BENCH_MAX_RUNS).
 * Reply: count u16, then min, median and max ticks (u64 LE each) of one
 * inference, and the ticks of the whole run (u64). */
#include "kws_pipeline.h"
#include "kws_protocol.h"

#define KWS_BENCH_MAX_RUNS 64u

void kws_cmd_bench(const kws_request_t *req);

void kws_cmd_bench(const kws_request_t *req)
{
    uint64_t runs[KWS_BENCH_MAX_RUNS], total = 0;
    uint8_t reply[34];
    unsigned count, i, j, k;
    const int8_t *scores;
    if (req->len != 2u || (count = kws_get_u16(req->body)) == 0u || count > KWS_BENCH_MAX_RUNS) {
        kws_reply_error(req->seq, KWS_ERR_ARGUMENT, "BENCH body: count u16, 1 to 64");
        return;
    }
    for (i = 0; i < count; i++) {
        uint64_t t = kws_pipeline_infer(&scores);
        total += t;
        for (j = i; j > 0 && runs[j - 1u] > t; j--) { /* insertion sort */
            runs[j] = runs[j - 1u];
        }
        runs[j] = t;
    }
    (void)scores;
    reply[0] = (uint8_t)count;
    reply[1] = (uint8_t)(count >> 8);
    for (k = 0; k < 8u; k++) {
        reply[2u + k] = (uint8_t)(runs[0] >> (8u * k));
        reply[10u + k] = (uint8_t)(runs[count / 2u] >> (8u * k));
        reply[18u + k] = (uint8_t)(runs[count - 1u] >> (8u * k));
        reply[26u + k] = (uint8_t)(total >> (8u * k));
    }
    kws_reply(req, reply, sizeof reply);
}
