"""Faults in generator/model/ that fuzz_tflite.py found and that were reported
to its owners, who are rewriting it (it is not edited from the fuzz work).

name -> (exception type, file, function) of the innermost frame that raises
it. The tflite target lets a listed fault through and stops at any other;
tests/data/fuzz_corpus/tflite/known-<name> reproduces each, and
tests/test_fuzz.py checks that it still does: when one is fixed, its entry
goes and its input becomes regress-<name>."""

# None open: the three found so far (a fully connected layer with unquantized
# weights, a convolution over a zero-depth input, a window of millions of taps)
# are ModelErrors now; their inputs are regress-fc-weights-not-quantized,
# regress-conv-zero-groups and regress-window-size-unbounded.
KNOWN: dict[str, tuple[str, str, str]] = {}
