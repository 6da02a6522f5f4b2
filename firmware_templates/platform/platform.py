"""PlatformIO platform of tinykws: everything comes from the local machine."""

from platformio.public import PlatformBase


class TinykwsPlatform(PlatformBase):
    """No packages to install: the toolchain is Debian's, SCons is from PyPI."""
