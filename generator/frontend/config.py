"""FrontendConfig: the parameters of the fixed-point audio frontend.

Field names follow tinykws; `tf_op_kwargs()` maps them one to one onto the
arguments of TensorFlow's ``audio_microfrontend`` op, the reference the C code
is bit-exact with.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from typing import Any, ClassVar

from .tables import filterbank_layout

OUTPUT_TYPES = ("uint16", "int8", "float32")
TABLE_FLAVORS = ("tf", "tflm")

# Limits of the fixed-point implementation (see docs/frontend.md).
MIN_FFT_SIZE = 16
MAX_FFT_SIZE = 4096
MAX_CHANNELS = 256
MAX_SCALE_SHIFT = 10  # (loge << scale_shift) must stay within 32 bits


class FrontendConfigError(ValueError):
    """A frontend parameter the fixed-point math cannot represent."""


@dataclass(frozen=True)
class FrontendConfig:
    """Parameters of the frontend; defaults are micro_speech's.

    ``noise_reduction=False`` maps to the op's ``min_signal_remaining=1.0``
    (TFLite Micro's documented way to disable the stage; the noise estimate
    still runs because PCAN divides by it). ``output`` is ``"uint16"`` (the
    op's default, divided by ``out_scale``), ``"int8"`` (micro_speech's model
    input mapping of the uint16 value: ``(v*256 + 333) // 666 - 128``, clamped)
    or ``"float32"`` (the op's float output, ``v / out_scale``; host only).

    ``tables`` picks whose start-up math the window and mel tables repeat:
    ``"tf"`` (TensorFlow's audio_microfrontend op: double-precision cos/log1p)
    or ``"tflm"`` (TFLite Micro's microfrontend, as in pymicro-features and
    TFLM's micro_speech: single precision). They differ in a few table
    entries, hence in some feature values; see docs/frontend.md.
    """

    kind: ClassVar[str] = "microfrontend"  # frontend.json's "kind" (the default)

    sample_rate: int = 16000
    window_ms: int = 30
    stride_ms: int = 20
    channels: int = 40
    lower_hz: float = 125.0
    upper_hz: float = 7500.0
    smoothing_bits: int = 10
    even_smoothing: float = 0.025
    odd_smoothing: float = 0.06
    min_signal_remaining: float = 0.05
    pcan: bool = True
    pcan_strength: float = 0.95
    pcan_offset: float = 80.0
    gain_bits: int = 21
    log: bool = True
    scale_shift: int = 6
    noise_reduction: bool = True
    out_scale: int = 1
    output: str = "uint16"
    tables: str = "tf"

    # ------------------------------------------------------------ derived
    @property
    def window_size(self) -> int:
        """Samples in one analysis window."""
        return self.window_ms * self.sample_rate // 1000

    @property
    def step_size(self) -> int:
        """Samples between the starts of two frames."""
        return self.stride_ms * self.sample_rate // 1000

    @property
    def fft_size(self) -> int:
        n = 1
        while n < self.window_size:
            n <<= 1
        return n

    @property
    def correction_bits(self) -> int:
        """log2(fft_size) - 6: aligns the FFT's scaling with the log's input."""
        return self.fft_size.bit_length() - 1 - 6

    def num_frames(self, num_samples: int) -> int:
        """Frames a fresh frontend produces from num_samples samples."""
        if num_samples < self.window_size:
            return 0
        return (num_samples - self.window_size) // self.step_size + 1

    # --------------------------------------------------------- validation
    def validate(self) -> "FrontendConfig":
        """Raise FrontendConfigError naming the parameter and the fix."""

        def err(name: str, msg: str) -> FrontendConfigError:
            return FrontendConfigError(f"{name}={getattr(self, name)!r}: {msg}")

        def need_int(name: str) -> int:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise err(name, "must be an integer")
            return v

        def need_float(name: str) -> float:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise err(name, "must be a finite number")
            return float(v)

        def need_bool(name: str) -> bool:
            v = getattr(self, name)
            if not isinstance(v, bool):
                raise err(name, "must be true or false")
            return v

        sr = need_int("sample_rate")
        if not 1000 <= sr <= 192000:
            raise err("sample_rate", "must be between 1000 and 192000 Hz")
        for name in ("window_ms", "stride_ms"):
            ms = need_int(name)
            if ms <= 0:
                raise err(name, "must be a positive whole number of milliseconds")
            if (ms * sr) % 1000:
                raise err(name, f"is {ms * sr / 1000:g} samples at {sr} Hz; choose a length "
                          "that is a whole number of samples (ms * sample_rate divisible by 1000)")
        if self.stride_ms > self.window_ms:
            raise err("stride_ms", f"must not exceed window_ms={self.window_ms} "
                      "(the frontend slides one window by the stride)")
        if self.fft_size < MIN_FFT_SIZE:
            raise err("window_ms", f"gives {self.window_size} samples; the FFT needs at least "
                      f"{MIN_FFT_SIZE // 2 + 1}: use a longer window")
        if self.fft_size > MAX_FFT_SIZE:
            raise err("window_ms", f"gives {self.window_size} samples, FFT size {self.fft_size} "
                      f"is too big for the 16-bit fixed-point FFT tables (max {MAX_FFT_SIZE}); "
                      "use a shorter window or a lower sample_rate")
        ch = need_int("channels")
        if not 1 <= ch <= MAX_CHANNELS:
            raise err("channels", f"must be between 1 and {MAX_CHANNELS}")
        lo, hi = need_float("lower_hz"), need_float("upper_hz")
        if lo < 0:
            raise err("lower_hz", "must be >= 0 Hz")
        if hi <= lo:
            raise err("upper_hz", f"must be above lower_hz={lo}")
        if hi > sr / 2:
            raise err("upper_hz", f"is above the Nyquist frequency {sr / 2:g} Hz; lower it "
                      "or raise sample_rate")
        sb = need_int("smoothing_bits")
        if not 0 <= sb <= 31:
            raise err("smoothing_bits", "must be between 0 and 31 (a shift of a 32-bit value)")
        for name in ("even_smoothing", "odd_smoothing", "min_signal_remaining"):
            v = need_float(name)
            if not 0.0 <= v <= 1.0:
                raise err(name, "must be between 0.0 and 1.0 (a Q14 fraction)")
        need_bool("pcan")
        need_bool("log")
        need_bool("noise_reduction")
        strength, offset = need_float("pcan_strength"), need_float("pcan_offset")
        if strength < 0:
            raise err("pcan_strength", "must be >= 0 (0 disables the normalisation)")
        if offset < 0:
            raise err("pcan_offset", "must be >= 0")
        gb = need_int("gain_bits")
        if not 0 <= gb <= 31:
            raise err("gain_bits", "must be between 0 and 31 (the gain is 1 << gain_bits)")
        if self.pcan:
            snr_shift = gb - self.correction_bits - 12
            if snr_shift < 0:
                raise err("gain_bits", f"must be at least {12 + self.correction_bits} for FFT size "
                          f"{self.fft_size} (the SNR shift would be negative)")
            input_bits = sb - self.correction_bits
            if not 0 <= input_bits <= 31:
                raise err("smoothing_bits", f"must be between {self.correction_bits} and "
                          f"{31 + self.correction_bits} for FFT size {self.fft_size} when pcan "
                          "is on (the gain table's input scale)")
        ss = need_int("scale_shift")
        if not 0 <= ss <= MAX_SCALE_SHIFT:
            raise err("scale_shift", f"must be between 0 and {MAX_SCALE_SHIFT} (larger shifts "
                      "overflow the 32-bit log value)")
        osc = need_int("out_scale")
        if not 1 <= osc <= 65535:
            raise err("out_scale", "must be between 1 and 65535")
        if self.output not in OUTPUT_TYPES:
            raise err("output", f"must be one of {', '.join(OUTPUT_TYPES)}")
        if self.tables not in TABLE_FLAVORS:
            raise err("tables", f"must be one of {', '.join(TABLE_FLAVORS)} (whose table math "
                      "to reproduce: TensorFlow's op or TFLite Micro's library)")
        # The filterbank's last band must end below the Nyquist bin; this
        # depends on the float32 band edges, so ask the table builder.
        layout = filterbank_layout(self)
        if layout.end_index >= self.fft_size // 2 + 1:
            raise err("upper_hz", f"the top mel band reaches FFT bin {layout.end_index}, past the "
                      f"last bin {self.fft_size // 2}; lower upper_hz")
        if layout.start_index >= self.fft_size // 2 + 1:
            raise err("lower_hz", "is above the spectrum; lower it")
        return self

    # ------------------------------------------------------ reference map
    def tf_op_kwargs(self) -> dict[str, Any]:
        """Arguments for tensorflow's audio_microfrontend op giving the same
        features (out_type is the op's: uint16 or float32)."""
        import tensorflow as tf  # only the reference needs it

        return dict(
            sample_rate=self.sample_rate,
            window_size=self.window_ms,
            window_step=self.stride_ms,
            num_channels=self.channels,
            upper_band_limit=float(self.upper_hz),
            lower_band_limit=float(self.lower_hz),
            smoothing_bits=self.smoothing_bits,
            even_smoothing=float(self.even_smoothing),
            odd_smoothing=float(self.odd_smoothing),
            min_signal_remaining=float(self.min_signal_remaining if self.noise_reduction else 1.0),
            enable_pcan=self.pcan,
            pcan_strength=float(self.pcan_strength),
            pcan_offset=float(self.pcan_offset),
            gain_bits=self.gain_bits,
            enable_log=self.log,
            scale_shift=self.scale_shift,
            out_scale=self.out_scale,
            out_type=tf.float32 if self.output == "float32" else tf.uint16,
        )

    # ------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FrontendConfig":
        if not isinstance(data, dict):
            raise FrontendConfigError(f"frontend config must be a mapping, got {type(data).__name__}")
        if data.get("kind", cls.kind) != cls.kind:
            raise FrontendConfigError(f"kind={data['kind']!r}: not a {cls.kind} frontend")
        data = {k: v for k, v in data.items() if k != "kind"}
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise FrontendConfigError(
                f"unknown frontend parameter(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**data)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    @classmethod
    def from_json(cls, text: str) -> "FrontendConfig":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise FrontendConfigError(f"frontend config is not valid JSON: {e}") from e
        return cls.from_dict(data)
