/* SOFTMAX, float32 (reference softmax.h), with its own expf. */

#include "kws_f32_impl.h"

/* expf as glibc computes it (the algorithm of ARM's optimized-routines
 * expf; glibc's is what the TFLite Micro interpreter calls on the host):
 * x / ln2 * 32 rounded to an integer k, 2^(k/32) from a table, 2^(r/32) by
 * a cubic, all in double, rounded to float once. Written out here rather
 * than taken from the C library because the Arm toolchain's newlib expf
 * gives other bits: with this one the float SOFTMAX is bit-exact on every
 * target (double arithmetic is IEEE, in software on a single-precision
 * FPU). Equal to glibc's portable expf on all 2^32 inputs (docs/runtime.md,
 * "Float32 models"). Inputs are softmax's (x - max) * beta: finite or NaN;
 * overflow is handled too. The table is computed, not copied: the double
 * nearest 2^(i/32), less i << 47 so that adding k << 47 scales it. */
static const uint64_t kws_exp2_32[32] = {
    UINT64_C(0x3ff0000000000000), UINT64_C(0x3fefd9b0d3158574), UINT64_C(0x3fefb5586cf9890f),
    UINT64_C(0x3fef9301d0125b51), UINT64_C(0x3fef72b83c7d517b), UINT64_C(0x3fef54873168b9aa),
    UINT64_C(0x3fef387a6e756238), UINT64_C(0x3fef1e9df51fdee1), UINT64_C(0x3fef06fe0a31b715),
    UINT64_C(0x3feef1a7373aa9cb), UINT64_C(0x3feedea64c123422), UINT64_C(0x3feece086061892d),
    UINT64_C(0x3feebfdad5362a27), UINT64_C(0x3feeb42b569d4f82), UINT64_C(0x3feeab07dd485429),
    UINT64_C(0x3feea47eb03a5585), UINT64_C(0x3feea09e667f3bcd), UINT64_C(0x3fee9f75e8ec5f74),
    UINT64_C(0x3feea11473eb0187), UINT64_C(0x3feea589994cce13), UINT64_C(0x3feeace5422aa0db),
    UINT64_C(0x3feeb737b0cdc5e5), UINT64_C(0x3feec49182a3f090), UINT64_C(0x3feed503b23e255d),
    UINT64_C(0x3feee89f995ad3ad), UINT64_C(0x3feeff76f2fb5e47), UINT64_C(0x3fef199bdd85529c),
    UINT64_C(0x3fef3720dcef9069), UINT64_C(0x3fef5818dcfba487), UINT64_C(0x3fef7c97337b9b5f),
    UINT64_C(0x3fefa4afa2a490da), UINT64_C(0x3fefd0765b6e4540),
};

static float kws_expf(float x)
{
    union { float f; uint32_t u; } in;
    union { double d; uint64_t u; } kb, sb;
    uint32_t top;
    double z, kd, r, r2, p, y;
    uint64_t ki;

    in.f = x;
    top = (in.u >> 20) & 0x7ffu;
    if (top >= 0x42bu) { /* |x| >= 88, or not finite */
        if (in.u == 0xff800000u) {
            return 0.0f;
        }
        if (top >= 0x7f8u) {
            return x + x;
        }
        if (x > 0x1.62e42ep6f) {
            return 3.40282347e+38f * 3.40282347e+38f;
        }
        if (x < -0x1.9fe368p6f) {
            return 0.0f;
        }
    }
    z = 0x1.71547652b82fep+5 * (double)x; /* 32 / ln 2 */
    kb.d = z + 6755399441055744.0;      /* 0x1.8p52: round to an integer */
    ki = kb.u;
    kd = kb.d - 6755399441055744.0;
    r = z - kd;
    sb.u = kws_exp2_32[ki % 32u] + (ki << 47);
    p = 0x1.c6af84b912394p-5 / 32768.0 * r + 0x1.ebfce50fac4f3p-3 / 1024.0;
    r2 = r * r;
    y = 0x1.62e42ff0c52d6p-1 / 32.0 * r + 1.0;
    y = p * r2 + y;
    y = y * sb.d;
    return (float)y;
}

void kws_softmax_f32(const kws_softmax_f32_params_t *p, const float *input, float *output)
{
    int r, c;

    for (r = 0; r < p->rows; ++r) {
        const float *x = input + (size_t)r * (size_t)p->depth;
        float *y = output + (size_t)r * (size_t)p->depth;
        float max = -3.40282347e+38f;
        float sum = 0.0f;
        for (c = 0; c < p->depth; ++c) {
            max = (max < x[c]) ? x[c] : max;
        }
        for (c = 0; c < p->depth; ++c) {
            const float e = kws_expf((x[c] - max) * p->beta);
            y[c] = e;
            sum += e;
        }
        for (c = 0; c < p->depth; ++c) {
            y[c] = y[c] / sum;
        }
    }
}
