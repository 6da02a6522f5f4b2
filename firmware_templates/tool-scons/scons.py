"""Entry point PlatformIO runs as tool-scons: hands over to SCons from PyPI."""

import sys

try:
    import SCons.Script
except ImportError:  # pragma: no cover - only on a broken install
    sys.exit("tinykws: SCons is missing from PlatformIO's Python; "
             "install the pinned requirements (pip install -r requirements.txt)")

SCons.Script.main()
