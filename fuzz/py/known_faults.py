"""Faults in generator/model/ that fuzz_tflite.py found and that were reported
to its owners, who are rewriting it (it is not edited from the fuzz work).

name -> (exception type, file, function) of the innermost frame that raises
it. The tflite target lets a listed fault through and stops at any other;
tests/data/fuzz_corpus/tflite/known-<name> reproduces each, and
tests/test_fuzz.py checks that it still does: when one is fixed, its entry
goes and its input becomes regress-<name>."""

KNOWN = {
    "fc-weights-not-quantized": ("TypeError", "generator/model/ops/fully_connected.py",
                                 "lower_fully_connected"),
    "conv-zero-groups": ("ZeroDivisionError", "generator/model/ops/conv.py", "lower_conv_2d"),
    # a pooling or convolution window of millions of taps: gigabytes of index arrays
    "window-size-unbounded": ("MemoryError", "generator/model/ops/window.py", "_window_min"),
}
