"""Fixed-point audio frontend (log-mel features), bit-exact with TensorFlow's
audio_microfrontend op. The math lives once, in C, under
firmware_templates/frontend/; this package computes its tables, builds it for
the host and renders the tables for the device. See docs/frontend.md."""

from .config import FrontendConfig, FrontendConfigError
from .frontend import Frontend
from .native import FrontendBuildError
from .render import c_defines, c_include_dir, c_sources, render_c_tables
from .stft import StftConfig, StftFrontend
from .tables import config_id
from ..wav import WavFormatError, load_wav  # the shared wav reader, part of this API too

KINDS = ("microfrontend", "stft")


def config_from_dict(data) -> "FrontendConfig | StftConfig":
    """frontend.json's configuration, of the kind it names ("kind"; without
    one the microfrontend, as every frontend.json before the stft frontend)."""
    import json

    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as e:
            raise FrontendConfigError(f"frontend config is not valid JSON: {e}") from e
    if not isinstance(data, dict):
        raise FrontendConfigError(f"frontend config must be a mapping, got {type(data).__name__}")
    kind = data.get("kind", "microfrontend")
    if kind == "stft":
        return StftConfig.from_dict(data)
    if kind == "microfrontend":
        return FrontendConfig.from_dict(data)
    raise FrontendConfigError(f"kind={kind!r}: the frontends are {', '.join(KINDS)}")


def make_frontend(config):
    """The host frontend (the device's C code through ctypes) for a config of either kind."""
    return StftFrontend(config) if config.kind == "stft" else Frontend(config)


__all__ = [
    "KINDS",
    "StftConfig",
    "StftFrontend",
    "config_from_dict",
    "make_frontend",
    "Frontend",
    "FrontendBuildError",
    "FrontendConfig",
    "FrontendConfigError",
    "WavFormatError",
    "c_defines",
    "c_include_dir",
    "c_sources",
    "config_id",
    "load_wav",
    "render_c_tables",
]
