"""tinykws generator: model and board in, standalone PlatformIO project out."""

__version__ = "0.1.0"
