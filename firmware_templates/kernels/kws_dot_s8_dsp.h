/* The output stage shared by the DSP-extension CONV_2D and FULLY_CONNECTED
 * kernels (kws_conv2d_s8_dsp.c, kws_fully_connected_s8_dsp.c): columns
 * widened once to 16-bit lanes, then dot products with weight rows by SMLAD,
 * two multiply-accumulates an instruction, requantized as in kws_dot_s8.c.
 *
 * Widened layout (kws_widen_s8): for each group of four int8 values
 * x0 x1 x2 x3, two words of 16-bit lanes, (x0, x2) and (x1, x3): what
 * SXTB16 and SXTB16 ROR #8 make of a word of four. A dot product does not
 * depend on the order of its terms (int32 addition is exact modulo 2^32, as
 * in TFLite Micro), so the result is bit-exact.
 *
 * Weights: dot2 and dot1w (convolutions) read rows the host widened the
 * same way (generator/model/ops/dsp.py, halfword_pairs: twice the flash of
 * int8 for these layers, and no unpacking in the inner loop); dot1 (fully
 * connected layers, whose inputs are used once) reads int8 rows and unpacks
 * both sides. Rows are padded with zeros to whole groups of four. */
#ifndef KWS_DOT_S8_DSP_H
#define KWS_DOT_S8_DSP_H

#include "kws_dot_s8.h"
#include "kws_simd.h"

/* depth rounded up to whole words */
#define KWS_DSP_DEPTH(depth) (((depth) + 3) & ~3)

/* Widens n int8 values (zero-padded to KWS_DSP_DEPTH(n)) into q: two words a
 * group of four, groups `step` words apart (2: one column; 4: two columns
 * interleaved, q + 2 is the second). */
/* src's last partial group of n < 4 bytes as a zero-padded word */
KWS_INLINE uint32_t kws_tail_word(const int8_t *src, int n)
{
    int8_t tail[4] = {0, 0, 0, 0};
    memcpy(tail, src, (size_t)n);
    return kws_read_u32(tail);
}

KWS_INLINE void kws_widen_s8(const int8_t *src, int n, uint32_t *q, int step)
{
    int k;
    for (k = 0; k + 4 <= n; k += 4, q += step) {
        const uint32_t w = kws_read_u32(src + k);
        q[0] = kws_sxtb16(w);
        q[1] = kws_sxtb16_ror8(w);
    }
    if (k < n) { /* the last partial group, zero-padded */
        const uint32_t w = kws_tail_word(src + k, n - k);
        q[0] = kws_sxtb16(w);
        q[1] = kws_sxtb16_ror8(w);
    }
}


/* ctx->depth is the padded depth. dot2: two widened columns interleaved in q
 * (step 4), out_a[c] and out_b[c] for c in [0, ctx->channels), widened
 * weights. dot1: one int8 column of n_src bytes, unpacked as it is read (no
 * scratch), int8 weights. */
void kws_dot2_channels_dsp(const kws_dot_ctx_t *ctx, const uint32_t *q, int8_t *out_a, int8_t *out_b);
void kws_dot1_channels_dsp(const kws_dot_ctx_t *ctx, const int8_t *src, int n_src, int8_t *out);
/* one widened column in q (step 2), widened weights */
void kws_dot1w_channels_dsp(const kws_dot_ctx_t *ctx, const uint32_t *q, int8_t *out);

#endif
