"""ESP32-S3 boards (esp32s3_eye, esp32s3_devkitc): gen-firmware renders a
standalone ESP-IDF 5.x project. ESP-IDF and its Xtensa compiler are not
installable here, so what can be checked is: the board files pass the same
validation as every board; the project has ESP-IDF's structure (top-level
CMakeLists.txt, a main component registered with idf_component_register,
sdkconfig.defaults), held to ESP-IDF's build-system rules by real CMake with a
stand-in for ESP-IDF (tests/esp_idf_host); its C builds warning-free with the
host compiler (and runs: the protocol, bit-exact VALIDATE, through the HAL's
ESP-IDF calls carried out on stdin/stdout) and with the RISC-V one."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requires

from generator.boards import BoardError, load_board
from generator.cli import main as gen_firmware
from generator.firmware import default_model, render_default
from harness.client import open_device
from harness.validate import validate

pytestmark = pytest.mark.slow
IDF_HOST = Path(__file__).resolve().parent / "esp_idf_host"
BOARDS = ["esp32s3_eye", "esp32s3_devkitc"]
SANITIZE = "-fsanitize=address,undefined;-fno-sanitize-recover=all"


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    root = tmp_path_factory.mktemp("esp_idf")
    return {b: render_default(load_board(b), root / b) for b in BOARDS}


def _cmake(project: Path, build: Path) -> subprocess.CompletedProcess:
    requires.tool("cmake")
    env = {"PATH": "/usr/bin:/bin", "IDF_PATH": str(IDF_HOST)}
    configure = subprocess.run(["cmake", "-S", str(project), "-B", str(build),
                                f"-DIDF_HOST_CFLAGS={SANITIZE}"], env=env,
                               capture_output=True, text=True, timeout=300)
    if configure.returncode != 0:
        return configure
    return subprocess.run(["cmake", "--build", str(build), "-j", "2"], env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("board_id", BOARDS)
def test_project_has_esp_idfs_structure(board_id, projects):
    board, project = load_board(board_id), projects[board_id]
    assert board.is_esp_idf and board.how == "ESP-IDF project: idf.py build flash (not built here)"
    names = {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()}
    assert {"CMakeLists.txt", "main/CMakeLists.txt", "sdkconfig.defaults", "tinykws.json",
            f"boards/{board_id}.json", "main/hal_esp_idf.c", "main/main.c",
            "main/model.c"} <= names
    assert not {"platformio.ini", "linker.ld"} & names and not any(
        n.startswith((".tinykws/", "src/", ".pio/")) for n in names)
    top = [line for line in (project / "CMakeLists.txt").read_text().splitlines()
           if line and not line.startswith("#")]
    # ESP-IDF's order: the minimum version, project.cmake, then project()
    assert top == ["cmake_minimum_required(VERSION 3.16)",
                   "include($ENV{IDF_PATH}/tools/cmake/project.cmake)", "project(tinykws)"]
    main = (project / "main" / "CMakeLists.txt").read_text()
    listed = set(re.findall(r'"([^"]+\.c)"', main))
    assert listed == {p.name for p in (project / "main").glob("*.c")}
    assert "PRIV_REQUIRES driver esp_timer" in main
    assert "KWS_FE_MAX_CHANNELS=40u" in main  # the frontend's build flags reach ESP-IDF
    options = dict(line.split("=", 1) for line in (project / "sdkconfig.defaults").read_text()
                   .splitlines() if line and not line.startswith("#"))
    assert options["CONFIG_IDF_TARGET"] == '"esp32s3"'
    assert options["CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ_240"] == "y"
    assert options["CONFIG_ESP_CONSOLE_NONE"] == "y"
    for name, value in board.data["tinykws"]["sdkconfig"].items():
        assert options[name] == value
    port = "1" if board.uart["driver"] == "esp_idf_usb_serial_jtag" else "0"
    assert f"#define KWS_ESP_IDF_USB_SERIAL_JTAG {port}" in (project / "main" /
                                                           "board_config.h").read_text()


@pytest.mark.parametrize("board_id", BOARDS)
def test_project_builds_and_speaks_the_protocol_with_esp_idf_stand_ins(board_id, projects,
                                                                       tmp_path):
    proc = _cmake(projects[board_id], tmp_path / "build")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    program = tmp_path / "build" / "tinykws.elf"
    with open_device(f"exec:{program}") as device:
        info = device.info()
        assert (info["board"], info["ticks"], info["clock_hz"]) == (board_id, "ccount",
                                                                    240_000_000)
        payload = bytes(range(256)) * 8
        assert device.request(0x01, payload, timeout=10) == payload
        report = validate(device, default_model(), count=12, seed=3, timeout=30,
                          measure_tflm_arena=False)
    assert report["bit_exact_rate"] == 1.0 and report["max_abs_diff"] == 0


def test_the_esp_idf_stand_in_refuses_what_esp_idf_would(projects, tmp_path):
    cases = [
        ("main/CMakeLists.txt", '        "kws_pipeline.c"\n', "", "kws_pipeline.c is in"),
        ("main/CMakeLists.txt", "PRIV_REQUIRES driver", "PRIV_REQUIRES drivers",
         "REQUIRES drivers: not an ESP-IDF 5.x component"),
        ("main/CMakeLists.txt", "INCLUDE_DIRS", "INCLUDE_DIR", "SRCS names INCLUDE_DIR, which is not"),
        ("sdkconfig.defaults", 'CONFIG_IDF_TARGET="esp32s3"', 'CONFIG_IDF_TARGET = "esp32s3"',
         "sdkconfig.defaults: not an option line"),
    ]
    for i, (name, old, new, message) in enumerate(cases):
        broken = tmp_path / f"p{i}"
        shutil.copytree(projects["esp32s3_eye"], broken)
        text = (broken / name).read_text()
        assert old in text
        (broken / name).write_text(text.replace(old, new))
        proc = _cmake(broken, tmp_path / f"b{i}")
        assert proc.returncode != 0 and message in " ".join(proc.stderr.split()), proc.stderr


def test_sources_compile_warning_free_with_the_riscv_compiler(projects, tmp_path):
    requires.tool("riscv64-unknown-elf-gcc")
    project = projects["esp32s3_devkitc"]
    for src in sorted((project / "main").glob("*.c")):
        proc = subprocess.run(["riscv64-unknown-elf-gcc", "--specs=picolibc.specs",
                               "-march=rv32imc_zicsr", "-mabi=ilp32", "-std=c99", "-Wall",
                               "-Wextra", "-Werror", "-O2", "-DKWS_FE_MAX_CHANNELS=40u",
                               "-DKWS_FE_MAX_FFT_SIZE=512u", "-DKWS_FE_MAX_WINDOW=480u",
                               "-I", str(project / "main"), "-I", str(IDF_HOST / "include"),
                               "-c", str(src), "-o", str(tmp_path / (src.stem + ".o"))],
                              capture_output=True, text=True)
        assert proc.returncode == 0 and not proc.stderr, f"{src.name}:\n{proc.stderr}"


def test_gen_firmware_build_says_esp_idf_builds_it(tmp_path, capsys):
    assert gen_firmware(["--board", "esp32s3_eye", "--out", str(tmp_path / "p"), "--build",
                         "--no-tflm-compare"]) == 4
    err = capsys.readouterr().err
    assert "esp32s3_eye is built by ESP-IDF (idf.py build in the rendered project)" in err
    assert (tmp_path / "p" / "CMakeLists.txt").is_file()  # rendered all the same


def _board(tmp_path, change):
    data = json.loads(load_board("esp32s3_eye").path.read_text())
    change(data)
    (tmp_path / "s3.json").write_text(json.dumps(data))
    return tmp_path


@pytest.mark.parametrize("change, message", [
    (lambda d: d["tinykws"]["uart"].update(driver="esp32c3"),
     "field 'tinykws.uart.driver' is 'esp32c3'; expected one of esp_idf_uart, "
     "esp_idf_usb_serial_jtag"),
    (lambda d: d["tinykws"].update(memory={"flash": {"origin": "0x0", "length": 1},
                                           "ram": {"origin": "0x0", "length": 1}}),
     "field 'tinykws.memory' is set, but ESP-IDF owns it on an esp-idf board"),
    (lambda d: d["tinykws"]["sdkconfig"].update({"ESPTOOLPY_FLASHSIZE_8MB": "y"}),
     "field 'tinykws.sdkconfig.ESPTOOLPY_FLASHSIZE_8MB' must be an ESP-IDF option CONFIG_..."),
    (lambda d: d["tinykws"].update(ticks="mcycle"),
     "field 'tinykws.ticks' 'mcycle' is not a time base of the esp-idf toolchain's boards"),
    (lambda d: d["upload"].update(protocol="esptool"),
     "field 'upload.protocol' must be 'esp-idf' on an esp-idf board"),
])
def test_board_file_mistakes_are_named(tmp_path, change, message):
    with pytest.raises(BoardError, match=re.escape(message)):
        load_board("s3", _board(tmp_path, change))


def test_sdkconfig_is_refused_on_a_board_esp_idf_does_not_build(tmp_path):
    data = json.loads(load_board("esp32c3").path.read_text())
    data["tinykws"]["sdkconfig"] = {"CONFIG_IDF_TARGET": '"esp32c3"'}
    (tmp_path / "c3.json").write_text(json.dumps(data))
    with pytest.raises(BoardError, match="'tinykws.sdkconfig' is for esp-idf boards only"):
        load_board("c3", tmp_path)
