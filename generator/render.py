"""Render a standalone PlatformIO project for one board.

Python decides (which files, which constants, which commands); the Jinja
templates in firmware_templates/project only lay the text out. The project
is written to a temporary folder beside the target and swapped into place at
the end, so a failure never leaves a half-written output folder.

Rendering again into a rendered project (see RERENDER_RULE) keeps what the
generator did not write and the build cache, and refuses to overwrite a
generated file someone changed unless forced.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from . import __version__, esp_idf, protocol
from .board_config import board_config
from .boards import Board, upload_words
from .cstrings import c_brace_list, c_comment, c_identifier, c_string
from .emulator import qemu_argv, tcp_serial
from .package_data import TEMPLATES
from .staging import folder_lock, replacing_dir

INFO_TAIL_BYTES = 80  # cmd_basic.c's tail buffer: what the firmware appends to the rendered INFO
STACK_BYTES = 8192
DEFAULT_QEMU_PORT = 4321
# -Werror: generated code must build without a single warning.
# -ffp-contract=off: no a*b+c fused into one multiply-add, so float code (the stft
# frontend) rounds the same on a core with FMA as on the host that checks it.
C_FLAGS = ["-std=c99", "-ffp-contract=off"]
WARNING_FLAGS = ["-Wall", "-Wextra", "-Werror", "-O2"]
BUILD_FLAGS = C_FLAGS + WARNING_FLAGS
MANIFEST = "tinykws.json"
BUILD_CACHE = ".pio"  # PlatformIO's build folder and state: never listed as written
RERENDER_RULE = (
    "Rendering into a folder rendered before replaces only what gen-firmware wrote there "
    "(listed with hashes in tinykws.json): files and folders you added are kept, files it "
    "wrote and no longer needs are removed, and the build cache (.pio) is kept unless the "
    "build setup changed (platformio.ini, linker script, board file, platform). A file it "
    "wrote that was changed since, or a file of yours where it now writes one, stops the "
    "render with their names; --force overwrites them. Renders into one folder take turns "
    "(a lock per folder), and the new tree replaces the old in one step.")


class RenderError(ValueError):
    """The project cannot be rendered as asked."""


@dataclass(frozen=True)
class Command:
    """A protocol command: its code, and the C handler that answers it."""

    name: str
    code: int
    handler: str

    @classmethod
    def of(cls, name: str, handler: str) -> "Command":
        """A command of the protocol's contract (generator/protocol.py), by name."""
        return cls(name, protocol.COMMAND[name], handler)

    @property
    def c_code(self) -> str:
        """The code as C: the contract's enum name when it is one of the contract's."""
        if protocol.COMMAND.get(self.name) == self.code:
            return f"KWS_CMD_{self.name}"
        return f"0x{self.code:02X}u"


@dataclass
class Component:
    """A piece of firmware: files for src/, commands, and what INFO says of it."""

    name: str
    files: dict[str, Path | str] = field(default_factory=dict)  # src name -> static file or text
    commands: list[Command] = field(default_factory=list)
    info: dict = field(default_factory=dict)
    defines: dict[str, str] = field(default_factory=dict)  # -D macros for the whole build
    replaces: tuple[str, ...] = ()  # src names it provides instead of another component
    uart_baud: int | None = None  # a protocol with a fixed line rate: replaces the board's


def template_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES / "project")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["c_string"] = c_string
    env.filters["c_comment"] = c_comment
    env.filters["c_brace_list"] = c_brace_list
    return env


def contract_header() -> str:
    """kws_contract.h: the protocol's constants (generator/protocol.py) as C."""
    return template_environment().get_template("kws_contract.h.j2").render(
        version=protocol.VERSION, header_bytes=protocol.HEADER_BYTES,
        crc_bytes=protocol.CRC_BYTES, max_body=protocol.MAX_BODY, reply=protocol.REPLY,
        commands=protocol.COMMANDS, events=protocol.EVENTS, error=protocol.ERROR_FRAME,
        errors=protocol.ERRORS, flags=list(protocol.FLAGS.items()))


def runtime_component() -> Component:
    """Protocol, main loop, PING and INFO: in every firmware."""
    runtime = TEMPLATES / "runtime"
    files: dict[str, Path | str] = {p.name: p for p in sorted(runtime.glob("*.[ch]"))}
    files["kws_contract.h"] = contract_header()
    return Component(
        name="runtime",
        files=files,
        commands=[Command.of("PING", "kws_cmd_ping"), Command.of("INFO", "kws_cmd_info")],
    )


def board_component(board: Board, uart_baud: int | None = None) -> Component:
    try:
        config = board_config(board, uart_baud)
    except ValueError as exc:
        raise RenderError(str(exc)) from exc
    hal = TEMPLATES / "hal"
    files: dict[str, Path | str] = {"kws_board.h": hal / "kws_board.h"}
    files.update({name: hal / name for name in config.sources})
    env = template_environment()
    context = {"board_id": board.id, "defines": config.defines, "enable_bits": config.enable_bits,
               "af_pins": config.af_pins, "leds": config.leds}
    files["board_config.h"] = env.get_template("board_config.h.j2").render(context)
    if not (board.is_host or board.is_esp_idf):
        files["board_tables.c"] = env.get_template("board_tables.c.j2").render(context)
    info = {"board": board.id, "board_name": board.name, "core": board.core,
            "clock_hz": board.clock_hz, "leds": [led["name"] for led in board.leds]}
    return Component(name="board", files=files, info=info)


def info_document(components: list[Component]) -> dict:
    info: dict = {"firmware": "tinykws", "firmware_version": __version__,
                  "protocol": protocol.VERSION, "max_body": protocol.MAX_BODY,
                  "model": None, "frontend": None}
    for component in components:
        info.update(component.info)
    info["commands"] = [c.name for comp in components for c in comp.commands]
    return info


def _info_chunks(info: dict) -> list[str]:
    text = json.dumps(info, ensure_ascii=True, separators=(",", ":"), sort_keys=False)
    head = text[:-1]  # the firmware appends its own fields and the brace
    return [head[i:i + 64] for i in range(0, len(head), 64)] or ['']


def upload_command(board: Board, port: int) -> tuple[str, str]:
    """(PlatformIO upload_command, a note for people) for `board`."""
    upload = board.data["upload"]
    if upload["protocol"] == "qemu":
        argv = qemu_argv(board, "$PROG_PATH", tcp_serial(port, wait=False))
        message = (f"QEMU runs {board.id}; talk to it with: kws-harness info --port "
                   f"socket://127.0.0.1:{port}   (Ctrl-C stops QEMU)")
        return f"echo '{message}' && " + " ".join(argv), "starts QEMU"
    if upload["protocol"] == "none":
        return "", "no upload: run the program directly"
    if upload["protocol"] == "esp-idf":
        return "", "ESP-IDF builds and flashes it: idf.py build flash"
    words = upload_words(board.data)
    tool = words[2] if words[0] == "$PYTHONEXE" and words[1:2] == ["-m"] else words[0]
    return " ".join(words), f"flashes the board with {tool}"


def _check_names(components: list[Component]) -> None:
    seen_codes: dict[int, str] = {}
    for comp in components:
        for cmd in comp.commands:
            c_identifier(cmd.handler, "command handler")
            if cmd.code in seen_codes:
                raise RenderError(f"command code 0x{cmd.code:02X} is used by both "
                                  f"{seen_codes[cmd.code]} and {cmd.name}")
            seen_codes[cmd.code] = cmd.name


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree_files(root: Path) -> dict[str, Path]:
    """Relative POSIX path -> file, for every file under root but the build cache
    and the manifest."""
    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel == MANIFEST or rel.split("/")[0] == BUILD_CACHE or path.is_dir():
            continue
        files[rel] = path
    return files


def _build_inputs(written: dict[str, str]) -> str:
    """One hash of what the build cache depends on beyond src/ (whose changes
    SCons follows file by file): platformio.ini, linker script, board, platform."""
    setup = sorted((rel, sha) for rel, sha in written.items() if not rel.startswith("src/"))
    return hashlib.sha256(json.dumps(setup).encode()).hexdigest()


def _was_generated(rel: str, previous: dict | None, written: dict[str, str]) -> bool:
    files = (previous or {}).get("files")
    if isinstance(files, dict):
        return rel in files
    # A project of an older generator lists no files: what this one writes, and
    # the folders only the generator writes into, are its.
    return rel in written or rel.split("/")[0] in (".tinykws", "boards")


def _carry_over(out_dir: Path, staging: Path, written: dict[str, str], force: bool) -> None:
    """Copy into `staging` what the user added to `out_dir`, and move the build
    cache when the build setup is unchanged. RenderError naming the files that
    would be lost, unless `force`."""
    try:
        previous = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = None
    old_hashes = (previous or {}).get("files") or {}
    lost = []
    for rel, path in _tree_files(out_dir).items():
        if _was_generated(rel, previous, written):
            if rel in old_hashes and _sha256(path) != old_hashes[rel]:
                lost.append(f"{rel} (changed since gen-firmware wrote it)")
        elif rel in written:
            lost.append(f"{rel} (yours; gen-firmware now writes this file)")
        else:
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, staging / rel)
    if lost and not force:
        raise RenderError(f"rendering into {out_dir} would overwrite or remove: "
                          + "; ".join(lost[:10]) + (" ..." if len(lost) > 10 else "")
                          + ". Move your changes elsewhere (or into new files), or give "
                            "--force to overwrite")
    for path in sorted(out_dir.rglob("*")):  # folders you made, even empty ones
        rel = path.relative_to(out_dir).as_posix()
        if path.is_dir() and rel.split("/")[0] != BUILD_CACHE:
            (staging / rel).mkdir(parents=True, exist_ok=True)
    cache = out_dir / BUILD_CACHE
    if cache.is_dir() and (previous or {}).get("build_inputs") == _build_inputs(written):
        shutil.rmtree(staging / BUILD_CACHE)
        cache.replace(staging / BUILD_CACHE)


def say_waiting(message: str) -> None:
    print(f"gen-firmware: {message}; waiting for it to finish", file=sys.stderr, flush=True)


def render_project(board: Board, out_dir: Path, extra: list[Component] | None = None,
                   qemu_port: int = DEFAULT_QEMU_PORT, force: bool = False) -> Path:
    """Render the project for `board` into `out_dir`; return out_dir.

    out_dir must be missing, empty, or a project rendered earlier (it is then
    rendered again by RERENDER_RULE; `force` overwrites changed files); anything
    else is refused rather than overwritten.
    """
    with folder_lock(Path(out_dir), say_waiting):
        return _render_project(board, out_dir, extra, qemu_port, force)


def _render_project(board: Board, out_dir: Path, extra: list[Component] | None,
                    qemu_port: int, force: bool) -> Path:
    if not 1 <= qemu_port <= 65535:
        raise RenderError(f"QEMU port {qemu_port} is not a TCP port: give 1 to 65535")
    out_dir = Path(out_dir).resolve()
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / MANIFEST).is_file():
        raise RenderError(f"{out_dir} exists and is not a tinykws project; "
                          "choose an empty or new folder with --out")
    rates = {c.uart_baud for c in extra or [] if c.uart_baud}
    if len(rates) > 1:
        raise RenderError(f"components ask for different UART rates: {sorted(rates)}")
    components = ([runtime_component(), board_component(board, next(iter(rates), None))]
                  + list(extra or []))
    try:
        _check_names(components)
    except ValueError as exc:
        raise RenderError(str(exc)) from exc
    env = template_environment()
    replaced: dict[str, str] = {}  # src name -> the component whose version wins
    for comp in components:
        for name in comp.replaces:
            if name not in comp.files or name in replaced:
                raise RenderError(f"{comp.name} cannot replace src/{name}")
            replaced[name] = comp.name
    files: dict[str, Path | str] = {}
    for comp in components:
        for name, content in comp.files.items():
            if replaced.get(name, comp.name) != comp.name:
                continue
            if name in files and not (isinstance(content, Path) and files[name] == content):
                raise RenderError(f"two components provide src/{name}")  # the same file twice is one
            files[name] = content
    info = info_document(components)
    build_flags = BUILD_FLAGS + [f"-D{name}={value}" for comp in components
                                 for name, value in sorted(comp.defines.items())]
    files["commands.c"] = env.get_template("commands.c.j2").render(
        commands=[c for comp in components for c in comp.commands])
    info_bytes = len("".join(_info_chunks(info))) + INFO_TAIL_BYTES
    if info_bytes > protocol.MAX_BODY:
        raise RenderError(f"INFO would take up to {info_bytes} bytes, more than one frame's "
                          f"{protocol.MAX_BODY}-byte body: use fewer or shorter labels, or a shorter "
                          "\"chosen\" in recognizer.json")
    files["info.c"] = env.get_template("info.c.j2").render(info_chunks=_info_chunks(info))
    command, note = upload_command(board, qemu_port)

    with replacing_dir(out_dir) as staging:
        src = staging / (esp_idf.SOURCE_DIR if board.is_esp_idf else "src")
        src.mkdir()
        for name, content in sorted(files.items()):
            if isinstance(content, Path):
                shutil.copyfile(content, src / name)
            else:
                (src / name).write_text(content, encoding="utf-8")
        if board.linker is not None:
            template = f"linker_{board.linker}.ld.j2"
            (staging / "linker.ld").write_text(env.get_template(template).render(
                board_id=board.id, stack_bytes=STACK_BYTES,
                flash={k: int(v, 16) if isinstance(v, str) else v
                       for k, v in board.memory["flash"].items()},
                ram={k: int(v, 16) if isinstance(v, str) else v
                     for k, v in board.memory["ram"].items()}), encoding="utf-8")
        (staging / "boards").mkdir()
        shutil.copyfile(board.path, staging / "boards" / f"{board.id}.json")
        if board.is_esp_idf:  # a project for ESP-IDF's idf.py, not for PlatformIO
            for rel, text in esp_idf.project_files(env, board, sorted(files), build_flags,
                                                   __version__).items():
                (staging / rel).write_text(text, encoding="utf-8")
        else:
            (staging / "platformio.ini").write_text(env.get_template("platformio.ini.j2").render(
                version=__version__, board_id=board.id, build_flags=build_flags,
                upload_command=command, upload_note=note), encoding="utf-8")
            shutil.copytree(TEMPLATES / "platform", staging / ".tinykws" / "platform",
                            ignore=shutil.ignore_patterns("__pycache__"))
            shutil.copytree(TEMPLATES / "tool-scons", staging / ".tinykws" / "tool-scons",
                            ignore=shutil.ignore_patterns("__pycache__"))
            _seed_platformio_state(staging / BUILD_CACHE / "core")
        written = {rel: _sha256(path) for rel, path in _tree_files(staging).items()}
        if out_dir.is_dir():
            _carry_over(out_dir, staging, written, force)
        (staging / MANIFEST).write_text(json.dumps(
            {"generator": __version__, "board": board.id, "build_flags": build_flags,
             "info": info, "files": written, "build_inputs": _build_inputs(written)},
            indent=2) + "\n", encoding="utf-8")
    return out_dir


def _seed_platformio_state(core_dir: Path) -> None:
    """Telemetry off and the upgrade check marked done, for a plain `pio run`.

    Offline, either would otherwise cost about a minute waiting on the network.
    """
    core_dir.mkdir(parents=True)
    now = int(time.time())
    try:
        from platformio import __version__ as pio_version
    except ImportError:  # rendering works without PlatformIO; building does not
        pio_version = ""
    state = {"settings": {"enable_telemetry": False}, "last_version": pio_version,
             "last_check": {"platformio_upgrade": now, "prune_system": now}}
    (core_dir / "appstate.json").write_text(json.dumps(state), encoding="utf-8")
