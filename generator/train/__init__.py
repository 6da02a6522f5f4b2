"""Training for tinykws: `kws-train` (generator.train.cli:main).

- data:      data set layout, labels, speaker-hash splits, wav loading
- augment:   time shift, speed, tilt, gain, background noise; frontend features
- arch:      tiny_conv (micro_speech) and ds_cnn (MLPerf Tiny KWS)
- quantize:  full-int8 post-training quantization, int8 evaluation (TFLite Micro)
- report:    report.md / report.json / confusion PNGs
- synth:     the offline TTS data set builder (`kws-train synth`)
- make_default: regenerates generator/models/default and tests/data/kws_test_set

Heavy imports (TensorFlow, Keras) happen inside functions, so importing this
package is cheap.
"""

from .errors import SynthError, TrainError

__all__ = ["SynthError", "TrainError"]
