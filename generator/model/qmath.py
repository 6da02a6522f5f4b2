"""Host-side fixed-point arithmetic, bit-exact with TFLite Micro's reference kernels.

Everything the generator precomputes for the device (requantization multipliers
and shifts, activation ranges, softmax exp tables, the LOGISTIC / RELU lookup
tables) goes through these functions. They emulate, on Python integers and
IEEE single/double precision, what the C++ reference code does on the host
where the ``tflite-micro`` oracle runs:

* ``quantize_multiplier`` follows TFLite's QuantizeMultiplier (double
  precision frexp, round half away from zero, the 2^31 carry and the flush of
  shifts below -31);
* the gemmlowp primitives (saturating rounding doubling high multiply,
  rounding divide by a power of two, exp on negative values, 1/(1+x) by
  Newton-Raphson, logistic) use 32-bit two's complement wrapping where the C++
  code relies on it.
"""

from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


def wrap32(x: int) -> int:
    """Reduce an integer to int32 two's complement."""
    return ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def round_half_away(x: float) -> int:
    """std::round / roundf: nearest integer, ties away from zero (exact for doubles)."""
    if x != x or math.isinf(x):
        raise ValueError(f"cannot round {x}")
    if x >= 0:
        r = math.floor(x)
        return int(r + 1 if x - r >= 0.5 else r)
    r = math.ceil(x)
    return int(r - 1 if r - x >= 0.5 else r)


def f32(x) -> float:
    """The value of x rounded to IEEE single precision, as a Python float."""
    return float(np.float32(x))


def f32_div(a, b) -> float:
    """a / b evaluated in single precision (C++ float / float)."""
    with np.errstate(all="ignore"):
        return float(np.float32(a) / np.float32(b))


def f32_mul(a, b) -> float:
    with np.errstate(all="ignore"):
        return float(np.float32(a) * np.float32(b))


# --------------------------------------------------------------------------- gemmlowp


def srdhm(a: int, b: int) -> int:
    """SaturatingRoundingDoublingHighMul for int32."""
    if a == INT32_MIN and b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    v = ab + nudge
    q = abs(v) >> 31  # C++ integer division truncates toward zero
    return wrap32(q if v >= 0 else -q)


def rdbpot(x: int, exponent: int) -> int:
    """RoundingDivideByPOT for int32 (0 <= exponent <= 31)."""
    if not 0 <= exponent <= 31:
        raise ValueError(f"exponent {exponent} out of range")
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def sat_mul_pot(x: int, exponent: int) -> int:
    """SaturatingRoundingMultiplyByPOT<exponent> for int32."""
    if exponent == 0:
        return x
    if exponent < 0:
        return rdbpot(x, -exponent)
    threshold = (1 << (31 - exponent)) - 1
    if x > threshold:
        return INT32_MAX
    if x < -threshold:
        return INT32_MIN
    return wrap32(x << exponent)


def mul_by_quantized_multiplier(x: int, multiplier: int, shift: int) -> int:
    """TFLite's double-rounding MultiplyByQuantizedMultiplier (int32 x)."""
    left = shift if shift > 0 else 0
    right = 0 if shift > 0 else -shift
    return rdbpot(srdhm(wrap32(x * (1 << left)), multiplier), right)


def mul_by_quantized_multiplier_gt_one(x: int, multiplier: int, left_shift: int) -> int:
    """MultiplyByQuantizedMultiplierGreaterThanOne (double rounding)."""
    return srdhm(wrap32(x * (1 << left_shift)), multiplier)


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLite QuantizeMultiplier: real ~= multiplier * 2^(shift - 31)."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = round_half_away(q * float(1 << 31))
    if q_fixed > (1 << 31):
        raise ValueError(f"multiplier {real} cannot be quantized")
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift = 0
        q_fixed = 0
    return int(q_fixed), int(shift)


def exp_on_interval_between_negative_one_quarter_and_0_excl(a: int) -> int:
    constant_term = 1895147668  # exp(-1/8) in Q0.31
    constant_1_over_3 = 715827883
    x = wrap32(a + (1 << 28))
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    x4_over_4 = sat_mul_pot(x4, -2)
    t = wrap32(srdhm(wrap32(x4_over_4 + x3), constant_1_over_3) + x2)
    t = sat_mul_pot(t, -1)
    return wrap32(constant_term + srdhm(constant_term, wrap32(x + t)))


_EXP_BARREL = (
    (-2, 1672461947),
    (-1, 1302514674),
    (0, 790015084),
    (1, 290630308),
    (2, 39332535),
    (3, 720401),
    (4, 242),
)


def exp_on_negative_values(a: int, integer_bits: int) -> int:
    """gemmlowp exp_on_negative_values: input Q(integer_bits), result Q0.31."""
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    mask = one_quarter - 1
    a_mod_quarter_minus_one_quarter = wrap32((a & mask) - one_quarter)
    result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        sat_mul_pot(a_mod_quarter_minus_one_quarter, integer_bits)
    )
    remainder = wrap32(a_mod_quarter_minus_one_quarter - a)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            shift_amount = fractional_bits + exponent
            if remainder & (1 << shift_amount):
                result = srdhm(result, multiplier)
    if integer_bits > 5:
        clamp = -(1 << (36 - integer_bits))
        if a < clamp:
            result = 0
    if a == 0:
        result = INT32_MAX
    return result


def one_over_one_plus_x_for_x_in_0_1(a: int) -> int:
    s = a + INT32_MAX  # RoundingHalfSum(a, 1.0): (s + sign(s)) / 2, truncating
    half_denominator = wrap32((s + 1) // 2 if s >= 0 else -((1 - s) // 2))
    x = wrap32(1515870810 + srdhm(half_denominator, -1010580540))
    for _ in range(3):
        hdx = srdhm(half_denominator, x)
        one_minus = wrap32((1 << 29) - hdx)
        x = wrap32(x + sat_mul_pot(srdhm(x, one_minus), 2))
    return sat_mul_pot(x, 1)


def logistic(a: int, integer_bits: int) -> int:
    """gemmlowp logistic: input Q(integer_bits), result Q0.31."""
    if a == 0:
        return 1 << 30
    abs_input = a if a > 0 else wrap32(-a)
    positive = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(wrap32(-abs_input), integer_bits))
    if a > 0:
        return positive
    return wrap32(INT32_MAX - positive)


# --------------------------------------------------------------------------- op helpers


def activation_range(activation: str, scale: float, zero_point: int, lo: int = -128,
                     hi: int = 127) -> tuple[int, int]:
    """CalculateActivationRangeQuantized for int8 outputs (float32 arithmetic),
    or another type's [lo, hi]."""

    def quantize(value: float) -> int:
        return int(zero_point) + round_half_away(f32_div(value, scale))

    if activation == "RELU":
        return max(lo, quantize(0.0)), hi
    if activation == "RELU6":
        return max(lo, quantize(0.0)), min(hi, quantize(6.0))
    if activation == "RELU_N1_TO_1":
        return max(lo, quantize(-1.0)), min(hi, quantize(1.0))
    if activation == "NONE":
        return lo, hi
    raise ValueError(f"unsupported fused activation {activation}")


SOFTMAX_SCALED_DIFF_INTEGER_BITS = 5


def softmax_exp_table(beta: float, input_scale: float) -> list[int]:
    """Q0.31 exp values the reference computes for input differences 0, -1, -2, ...

    Entries stop where the reference skips the element (diff < diff_min).
    """
    real = min(
        float(beta) * float(input_scale) * float(1 << (31 - SOFTMAX_SCALED_DIFF_INTEGER_BITS)),
        float((1 << 31) - 1),
    )
    if not real > 1.0:
        raise ValueError(f"softmax input multiplier {real} is not greater than one")
    multiplier, left_shift = quantize_multiplier(real)
    if left_shift < 0:
        raise ValueError("softmax input multiplier has a negative shift")
    radius = math.floor(
        1.0 * ((1 << SOFTMAX_SCALED_DIFF_INTEGER_BITS) - 1)
        * float(1 << (31 - SOFTMAX_SCALED_DIFF_INTEGER_BITS))
        / float(1 << left_shift)
    )
    diff_min = -radius
    table = []
    for d in range(256):
        diff = -d
        if diff < diff_min:
            break
        rescaled = mul_by_quantized_multiplier_gt_one(diff, multiplier, left_shift)
        table.append(exp_on_negative_values(rescaled, SOFTMAX_SCALED_DIFF_INTEGER_BITS))
    return table


def _saturating_curve_lut(name: str, input_scale: float, input_zero_point: int, curve) -> np.ndarray:
    """A 256-entry int8 table (indexed by (uint8)x) of a curve that saturates
    outside a radius, computed as TFLite Micro's LOGISTIC and TANH prepare it:
    the input rescaled to Q4.27, `curve(q4)` giving the int8 output inside."""
    input_integer_bits = 4
    real = float(input_scale) * float(1 << (31 - input_integer_bits))
    q, left_shift = math.frexp(real)
    multiplier = round_half_away(q * float(1 << 31))
    if multiplier >= (1 << 31):
        raise ValueError(f"{name} input multiplier overflows int32")
    if left_shift < 0:
        raise ValueError(f"{name} input scale is too small")
    radius = math.floor(
        1.0 * ((1 << input_integer_bits) - 1) * float(1 << (31 - input_integer_bits)) / float(1 << left_shift)
    )
    lut = np.zeros(256, dtype=np.int8)
    for x in range(-128, 128):
        v = x - int(input_zero_point)
        if v <= -radius:
            out = -128
        elif v >= radius:
            out = 127
        else:
            out = curve(mul_by_quantized_multiplier(v, multiplier, left_shift), input_integer_bits)
            out = max(-128, min(127, out))
        lut[x & 0xFF] = out
    return lut


def logistic_lut(input_scale: float, input_zero_point: int) -> np.ndarray:
    """int8 LOGISTIC as a 256-entry table indexed by (uint8)x."""
    return _saturating_curve_lut("logistic", input_scale, input_zero_point,
                                 lambda q4, bits: rdbpot(logistic(q4, bits), 31 - 8) - 128)


def requantize_lut(in_scale: float, in_zp: int, out_scale: float, out_zp: int,
                   out_dtype: str = "int8") -> np.ndarray:
    """int8 -> int8 (or uint8) QUANTIZE (Requantize) as a table of output bytes."""
    multiplier, shift = quantize_multiplier(float(in_scale) / float(out_scale))
    lo, hi = (0, 255) if out_dtype == "uint8" else (-128, 127)
    lut = np.zeros(256, dtype=np.int64)
    for x in range(-128, 128):
        out = mul_by_quantized_multiplier(x - int(in_zp), multiplier, shift) + int(out_zp)
        lut[x & 0xFF] = max(lo, min(hi, out))
    return lut.astype(np.uint8).view(np.int8)


def relu_lut(in_scale: float, in_zp: int, out_scale: float, out_zp: int) -> np.ndarray:
    """int8 RELU as TFLite Micro computes it (rescale, then clamp at zero)."""
    multiplier, shift = quantize_multiplier(f32_div(in_scale, out_scale))
    act_min = max(-128, int(out_zp) + round_half_away(f32_div(0.0, out_scale)))
    act_max = 127
    lut = np.zeros(256, dtype=np.int8)
    for x in range(-128, 128):
        out = int(out_zp) + mul_by_quantized_multiplier(x - int(in_zp), multiplier, shift)
        lut[x & 0xFF] = max(act_min, min(act_max, out))
    return lut


def relu6_lut(in_scale: float, in_zp: int) -> np.ndarray:
    """int8 RELU6 as TFLite Micro computes it: a clamp in the input's quantization."""
    zero = int(in_zp)
    six = max(-128, min(127, round_half_away(f32_div(6.0, in_scale)) + int(in_zp)))
    lut = np.zeros(256, dtype=np.int8)
    for x in range(-128, 128):
        lut[x & 0xFF] = six if x > six else (zero if x < zero else x)
    return lut


def one_minus_x_over_one_plus_x_for_x_in_0_1(a: int) -> int:
    s = a + INT32_MAX
    half_denominator = wrap32((s + 1) // 2)  # a >= 0 here, so s > 0
    x = wrap32(1515870810 + srdhm(half_denominator, -1010580540))
    for _ in range(3):
        hdx = srdhm(half_denominator, x)
        one_minus = wrap32((1 << 29) - hdx)
        x = wrap32(x + sat_mul_pot(srdhm(x, one_minus), 2))
    return sat_mul_pot(wrap32(x - (1 << 29)), 2)


def tanh(a: int, integer_bits: int) -> int:
    """gemmlowp tanh: input Q(integer_bits), result Q0.31."""
    if a == 0:
        return 0
    n = a if a < 0 else wrap32(-a)
    t = one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(n, integer_bits + 1))
    return wrap32(-t) if a < 0 else t


def tanh_lut(input_scale: float, input_zero_point: int) -> np.ndarray:
    """int8 TANH as a 256-entry table indexed by (uint8)x (output zero point 0, scale 1/128)."""
    return _saturating_curve_lut("tanh", input_scale, input_zero_point,
                                 lambda q4, bits: rdbpot(tanh(q4, bits), 31 - 7))


def leaky_relu_lut(in_scale: float, in_zp: int, out_scale: float, out_zp: int, alpha: float) -> np.ndarray:
    """int8 LEAKY_RELU as TFLite Micro computes it (QuantizeLeakyRelu)."""
    alpha_real = f32_div(f32_mul(in_scale, alpha), out_scale)
    identity_real = f32_div(in_scale, out_scale)
    m_alpha, s_alpha = quantize_multiplier(alpha_real)
    m_id, s_id = quantize_multiplier(identity_real)
    negative = m_alpha < 0
    safe_alpha = -m_alpha if negative else m_alpha
    lut = np.zeros(256, dtype=np.int8)
    for x in range(-128, 128):
        v = x - int(in_zp)
        out = int(out_zp)
        if v >= 0:
            out += mul_by_quantized_multiplier(v, m_id, s_id)
        else:
            scaled = mul_by_quantized_multiplier(v, safe_alpha, s_alpha)
            out += -scaled if negative else scaled
        lut[x & 0xFF] = max(-128, min(127, out))
    return lut


def int16_lut(input_scale: float, input_zero_point: int, output_scale: float, output_zero_point: int,
              fn) -> np.ndarray:
    """The reference's 513-entry int16 -> int16 table of fn (LUTPopulate in
    single precision): 512 samples over the input range, each biased by half
    the error of linear interpolation at its midpoint, plus the end point.
    fn maps a float32 to a float32."""
    f = np.float32

    def rnd(v) -> np.float32:
        return f(round_half_away(float(v)))

    def clamp(v) -> int:
        return int(min(max(float(v), -32768.0), 32767.0))

    in_scale, out_scale = f(input_scale), f(output_scale)
    input_min = in_scale * f(-32768 - input_zero_point)
    input_max = in_scale * f(32767 - input_zero_point)
    output_min = out_scale * f(-32768 - output_zero_point)
    output_max = out_scale * f(32767 - output_zero_point)
    step = (input_max - input_min) / f(512)
    half_step = step / f(2)
    inv = f(65536) / (output_max - output_min)
    lut = np.zeros(513, dtype=np.int16)
    with np.errstate(all="ignore"):
        for i in range(512):
            start = input_min + f(i) * step
            val, mid, nxt = fn(start), fn(start + half_step), fn(input_min + f(i + 1) * step)
            sample = rnd(val * inv)
            interpolated = rnd((nxt * inv + sample) / f(2))
            bias = rnd((interpolated - rnd(mid * inv)) / f(2))
            lut[i] = clamp(sample - bias)
        lut[512] = clamp(rnd(fn(input_max) * inv))
    return lut


def _expf(v) -> np.float32:
    # exp in double rounded once to float: libm's expf except in rare double-rounding cases
    return np.float32(math.exp(float(v)))


def softmax_s16_tables(beta: float, input_scale: float) -> tuple[int, int, np.ndarray, np.ndarray]:
    """int16 SOFTMAX's input multiplier and shift (max - x scaled so that
    65535 steps span exp's [-10, 0]) and its two tables: exp over [-10, 0]
    and 1 / (1 + x) over [0, 1], both indexed by a symmetric int16."""
    multiplier, shift = quantize_multiplier(float(input_scale) * float(beta) / (10.0 / 65535.0))
    span = np.float32(65535)
    exp_lut = int16_lut(np.float32(10) / span, 32767, np.float32(2) / span, 0, _expf)
    recip_lut = int16_lut(np.float32(1) / span, -32768, np.float32(2) / span, 0,
                          lambda v: np.float32(1) / (np.float32(1) + v))
    return multiplier, shift, exp_lut, recip_lut
