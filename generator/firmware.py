"""Which components make up a firmware: the one place that decides it, for
gen-firmware and for the repository's own platformio.ini alike."""

from __future__ import annotations

import collections
from pathlib import Path

from .boards import Board
from .frontend import (FrontendConfig, FrontendConfigError, StftConfig, c_defines, c_include_dir,
                       c_sources, render_c_tables)
from .frontend import stft
from .frontend.native import SHARED_DIR, SHARED_HEADERS
from .bundle import MODEL_FILE, ModelBundle
from .info import ModelInfo, TensorInfo
from .model import KERNELS, ModelError, compile_model, load_model
from .model.cores import core_features
from .render import (DEFAULT_QEMU_PORT, STACK_BYTES, TEMPLATES, Command, Component,
                     render_project, template_environment)
from .runner import runner_component
from .stream import SOURCE_OPTION, Recognizer, StreamConfigError, load_recognizer, stream_component

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "models" / "default"


def stft_component(config: StftConfig) -> Component:
    """The STFT frontend and its float32 tables for `config` (quantized for the
    model's input: config.with_input). No FEATURES: the pipeline is its user."""
    files: dict[str, Path | str] = {p.name: p for p in stft.c_sources()}
    files["kws_stft.h"] = stft.c_include_dir() / "kws_stft.h"
    files["stft_tables.c"] = stft.render_c_tables(config)
    return Component(name="frontend", files=files, commands=[],
                     info={"frontend": config.to_dict()}, defines=stft.c_defines(config))


def frontend_component(config: FrontendConfig | StftConfig) -> Component:
    """The fixed-point frontend, its tables for `config`, and FEATURES (or the
    STFT frontend, for a config of that kind)."""
    if config.kind == "stft":
        return stft_component(config)
    files: dict[str, Path | str] = {p.name: p for p in c_sources()}
    files["kws_frontend.h"] = c_include_dir() / "kws_frontend.h"
    files.update({name: SHARED_DIR / name for name in SHARED_HEADERS})  # its FFT, shared with models
    files["frontend_tables.c"] = render_c_tables(config)
    return Component(name="frontend", files=files,
                     commands=[Command.of("FEATURES", "kws_cmd_features")],
                     info={"frontend": config.to_dict()}, defines=c_defines(config))


def _check_budget(model_path: Path, compiled, board: Board) -> None:
    """Refuse a model that cannot fit before anything is written, counting what
    is known before the build: the weights in flash, and in RAM the arena
    plus the stack the linker script reserves. The firmware's own code and
    buffers come on top (the build measures them; gen-firmware --build prints
    flash and RAM use), so the message states the room that is really left."""
    if board.is_host:
        return  # a process on the build machine: no budget to keep
    room_flash = board.flash_bytes
    if compiled.weights_bytes > room_flash:
        raise ModelError(f"{model_path.name}: its weights take {compiled.weights_bytes:,} bytes "
                         f"but {board.id} has {room_flash:,} bytes of flash, and the firmware's "
                         "code needs some of that too; use a smaller architecture or a board "
                         "with more flash")
    room_ram = board.ram_bytes - STACK_BYTES
    if compiled.arena_bytes + compiled.state_bytes > room_ram:
        state = (f" and {compiled.state_bytes:,} bytes of streaming state"
                 if compiled.state_bytes else "")
        raise ModelError(f"{model_path.name}: its arena needs {compiled.arena_bytes:,} bytes{state} "
                         f"but {board.id} has {board.ram_bytes:,} bytes of RAM, of which the "
                         f"stack takes {STACK_BYTES:,}: at most {room_ram:,} bytes are left for "
                         "the arena and the firmware's own buffers; use smaller feature maps or "
                         "a board with more RAM")


def _check_channels(model_info: ModelInfo, frontend: FrontendConfig) -> None:
    """A model of frames x channels features must get as many channels as it was
    trained on: otherwise the firmware renders and builds, and only eval finds
    out."""
    dims = [d for d in model_info.input.shape[1:] if d != 1]
    if len(dims) >= 2 and dims[-1] != frontend.channels and frontend.kind == "stft":
        raise FrontendConfigError(
            f"the stft frontend makes {frontend.channels} bins a frame (fft_length "
            f"{frontend.fft_size}) but the model takes {' x '.join(map(str, dims))} features "
            f"({dims[-1]} a frame): it was not trained on this frontend's frames; use the "
            f"frontend.json it was trained with")
    if len(dims) >= 2 and dims[-1] != frontend.channels:
        raise FrontendConfigError(
            f"the frontend makes {frontend.channels} channels a frame but the model takes "
            f"{' x '.join(map(str, dims))} features ({dims[-1]} channels); use the "
            f"frontend.json kws-train wrote beside the model, or --frontend with "
            f"\"channels\": {dims[-1]}")


def kernel_features(board: Board, portable_kernels: bool = False) -> frozenset[str]:
    """The kernel variants' features the board's core offers (none when the
    portable kernels are forced, e.g. to compare)."""
    return frozenset() if portable_kernels else core_features(board.cpu)


def kernel_summary(compiled, note: str | None = None) -> dict:
    """INFO's and gen-firmware's account of the kernels a model runs on."""
    kinds = collections.Counter(s["kernel"] for s in compiled.steps)
    variants = sorted(k for k in kinds if KERNELS[k].func.endswith("_dsp"))
    summary = {"set": "dsp" if variants else "portable", "variants": variants,
               "scratch_bytes": sum(s["scratch"] for s in compiled.steps)}
    if note:
        summary["note"] = note
    return summary


def _compile_for(model_path: Path, board: Board, portable_kernels: bool):
    """The model compiled with the board core's kernels, or with the portable
    ones when those were asked for, or when only they fit: the DSP kernels'
    16-bit convolution weights take twice the flash. Returns (compiled, note)."""
    model = load_model(model_path)
    features = kernel_features(board, portable_kernels)
    compiled = compile_model(model, features=features)
    try:
        _check_budget(model_path, compiled, board)
        return compiled, None
    except ModelError:
        if not features:
            raise
    portable = compile_model(model)
    _check_budget(model_path, portable, board)  # raises if even these do not fit
    return portable, (f"portable kernels: with the {board.cpu} DSP kernels the weights would take "
                      f"{compiled.weights_bytes:,} bytes, more than the board's flash")


def model_component(model_path: Path, board: Board,
                    portable_kernels: bool = False) -> tuple[Component, ModelInfo]:
    """The model compiled ahead of time, its kernels (the board core's
    variants unless `portable_kernels`), and VALIDATE; and what INFO says of
    the model, for the components that build on it.

    Raises ModelError before anything is written when the model cannot run
    here or cannot fit the board.
    """
    model_path = Path(model_path)
    compiled, kernel_note = _compile_for(model_path, board, portable_kernels)
    files: dict[str, Path | str] = dict(compiled.sources)  # model.c, model.h, cmd_validate.c
    files.update({p.name: p for p in compiled.c_files() + compiled.header_files()})
    labels = ModelBundle(model_path).labels
    info = ModelInfo(id=model_path.stem if model_path.stem != "model" else model_path.parent.name,
                     sha256=compiled.model_hash, arena_bytes=compiled.arena_bytes,
                     weights_bytes=compiled.weights_bytes, macs=compiled.macs,
                     input=TensorInfo.of(compiled.input), output=TensorInfo.of(compiled.output),
                     labels=None if labels is None else tuple(labels),
                     state_bytes=compiled.state_bytes)
    return Component(name="model", files=files,
                     commands=[Command.of("VALIDATE", "kws_cmd_validate"),
                               Command.of("TENSOR", "kws_cmd_tensor"),
                               Command.of("MODEL_RESET", "kws_cmd_model_reset")],
                     info={"model": info.to_dict(), "kernels": kernel_summary(compiled, kernel_note)}), info


APP_SOURCES = ("kws_pipeline.h", "kws_pipeline.c", "cmd_classify.c", "cmd_bench.c")


def app_component(board: Board, frontend: FrontendConfig, model_info: ModelInfo) -> Component | None:
    """CLASSIFY and BENCH: audio -> frontend -> model on the device.

    Only where the frontend's int8 frames are the model's input as they are
    (what kws-train produces, and microWakeWord's models); None otherwise,
    and the firmware then offers FEATURES and VALIDATE separately. A
    streaming model (state kept between invokes) is fed each frame once, by
    STREAM only: CLASSIFY's one inference on a clip's last frames and BENCH's
    repeated runs would not mean what they mean for a stateless model.
    """
    spec_in, spec_out = model_info.input, model_info.output
    if frontend.output != "int8" or spec_in.dtype != "int8" or spec_out.dtype not in ("int8", "uint8"):
        return None
    _check_channels(model_info, frontend)
    count_in = spec_in.count
    if count_in % frontend.channels:
        return None
    labels = model_info.output_labels()
    led_names = [led["name"] for led in board.leds]
    led_of_label = [led_names.index(board.actions[label]) if label in board.actions else -1
                    for label in labels]
    stateful = model_info.state_bytes > 0
    text = template_environment().get_template("app_config.h.j2").render(
        frames=count_in // frontend.channels, channels=frontend.channels, labels=labels,
        led_of_label=led_of_label, led_names=led_names, output_uint8=spec_out.dtype == "uint8",
        stateful=stateful, stft=frontend.kind == "stft")
    sources = APP_SOURCES[:2] if stateful else APP_SOURCES
    files: dict[str, Path | str] = {name: TEMPLATES / "app" / name for name in sources}
    files["app_config.h"] = text
    commands = [] if stateful else [Command.of("CLASSIFY", "kws_cmd_classify"),
                                    Command.of("BENCH", "kws_cmd_bench")]
    return Component(name="app", files=files, commands=commands,
                     info={"pipeline": {"frames": count_in // frontend.channels,
                                        "labels": labels,
                                        "actions": {label: board.actions[label] for label in labels
                                                    if label in board.actions}}})


def default_model() -> Path | None:
    path = DEFAULT_MODEL_DIR / MODEL_FILE
    return path if path.is_file() else None


def frontend_for(model: Path | None) -> FrontendConfig:
    """The configuration a model was trained with: kws-train writes it beside
    the model as frontend.json. Without one, the defaults."""
    config = ModelBundle(model).frontend if model is not None else None
    return config or FrontendConfig()


def recognizer_for(model: Path | None, override: Path | None = None) -> Recognizer | None:
    """The recognizer a firmware of `model` runs with: the file given
    (gen-firmware --recognizer), else the model's own recognizer.json, else
    RecognizerParams() defaults. None without a model. Never-trigger names
    are checked against labels.json beside the model."""
    if model is None:
        if override is not None:
            raise StreamConfigError(f"--recognizer {override}: a firmware without a model has "
                                    "no recognizer; give a model or drop --recognizer")
        return None
    bundle = ModelBundle(model)
    if override is not None:
        return load_recognizer(override, bundle.labels, SOURCE_OPTION)
    return bundle.recognizer


def firmware_components(board: Board, frontend: FrontendConfig | None = None,
                        model: Path | None = None, runner: str | None = None,
                        recognizer: Recognizer | None = None,
                        portable_kernels: bool = False) -> list[Component]:
    """Components beyond the runtime and board support. `runner` ("mlperf")
    replaces the binary protocol's main loop with a benchmark's text protocol.
    `recognizer` (default: recognizer_for(model)) sets STREAM's parameters.
    `portable_kernels` keeps the model off its core's kernel variants."""
    frontend = frontend or frontend_for(model)
    if frontend.kind == "stft":
        return _stft_components(board, frontend, model, runner, recognizer, portable_kernels)
    recognizer = recognizer or recognizer_for(model)
    components = [frontend_component(frontend)]
    model_info = None
    if model is not None:
        component, model_info = model_component(model, board, portable_kernels)
        components.append(component)
        app = app_component(board, frontend, model_info)
        if app is not None:
            components.append(app)
            components.append(stream_component(board, frontend, model_info, recognizer))
        elif recognizer is not None and recognizer.source == SOURCE_OPTION:
            raise StreamConfigError(
                f"{recognizer.origin}: {Path(model).name} has no STREAM (its input is not the "
                "frontend's int8 frames), so there is no recognizer to set; drop --recognizer")
    if runner is not None:
        if recognizer is not None and recognizer.source == SOURCE_OPTION:
            # the runner's text protocol replaces the binary one: no STREAM can be asked for
            raise StreamConfigError(
                f"{recognizer.origin}: --runner {runner} speaks the benchmark's text protocol, "
                "which has no STREAM, so the recognizer would never run; drop --recognizer")
        components.append(runner_component(runner, model_info, board))
    return components


def _stft_components(board: Board, frontend: StftConfig, model: Path | None, runner: str | None,
                     recognizer: Recognizer | None, portable_kernels: bool) -> list[Component]:
    """A model fed by the STFT frontend: the frontend quantizes for the model's
    input, so the model comes first; CLASSIFY and BENCH. Not STREAM (not done
    for this frontend: its recognizer.json, if any, is not used) nor FEATURES
    (the microfrontend's command)."""
    if model is None:
        raise FrontendConfigError("an stft frontend quantizes for its model's input: give the "
                                  "model (its folder's frontend.json names the stft frontend)")
    if runner is not None:
        raise FrontendConfigError(f"--runner {runner}: the benchmark runners feed the "
                                  "microfrontend's features; an stft model has CLASSIFY and BENCH")
    if recognizer is not None and recognizer.source == SOURCE_OPTION:
        raise StreamConfigError(f"{recognizer.origin}: a model of the stft frontend has no "
                                "STREAM, so there is no recognizer to set; drop --recognizer")
    component, model_info = model_component(model, board, portable_kernels)
    spec = model_info.input
    if spec.dtype != "int8":
        raise FrontendConfigError(f"{Path(model).name}: its input is {spec.dtype}; the stft "
                                  "frontend feeds a full-int8 model (convert it with an int8 "
                                  "input, inference_input_type=tf.int8)")
    frontend = frontend.with_input(spec.scale, spec.zero_point)
    app = app_component(board, frontend, model_info)
    if app is None:
        raise FrontendConfigError(f"{Path(model).name}: its input of {spec.count} values is not "
                                  f"whole frames of the stft frontend's {frontend.channels} bins")
    return [frontend_component(frontend), component, app]


def render_default(board: Board, out: Path, qemu_port: int = DEFAULT_QEMU_PORT,
                   frontend: FrontendConfig | None = None, model: Path | None | str = "default",
                   runner: str | None = None, recognizer: Recognizer | None = None,
                   force: bool = False, portable_kernels: bool = False) -> Path:
    """Render `board`'s firmware; model="default" takes the bundled model if there is one.
    The recognizer is the model's own (recognizer_for) unless one is given. `force`:
    see render_project. `portable_kernels`: see firmware_components."""
    chosen = default_model() if model == "default" else model
    return render_project(board, out, extra=firmware_components(board, frontend, chosen, runner,
                                                                recognizer, portable_kernels),
                          qemu_port=qemu_port, force=force)
