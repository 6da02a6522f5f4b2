"""Fixed-point audio frontend (log-mel features), bit-exact with TensorFlow's
audio_microfrontend op. The math lives once, in C, under
firmware_templates/frontend/; this package computes its tables, builds it for
the host and renders the tables for the device. See docs/frontend.md."""

from .config import FrontendConfig, FrontendConfigError
from .frontend import Frontend
from .native import FrontendBuildError
from .render import c_defines, c_include_dir, c_sources, render_c_tables
from .tables import config_id
from ..wav import WavFormatError, load_wav  # the shared wav reader, part of this API too

__all__ = [
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
