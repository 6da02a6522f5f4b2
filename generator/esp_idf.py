"""The ESP-IDF 5.x project rendered for the esp-idf boards (ESP32-S3).

Their Xtensa compiler comes with ESP-IDF and is in no registry these machines
reach, so gen-firmware writes a project for the user's `idf.py` instead of a
PlatformIO one: a top-level CMakeLists.txt that includes ESP-IDF's
project.cmake, the firmware's sources as the `main` component (registered with
idf_component_register, as ESP-IDF's build-system guide asks), and
sdkconfig.defaults. The decisions are here; the templates only lay them out.
"""

from __future__ import annotations

import re

from .boards import Board

PROJECT_NAME = "tinykws"
SOURCE_DIR = "main"  # ESP-IDF's main component
# Components the HAL (hal_esp_idf.c) uses beyond those every project has
# (freertos, esp_system, esp_hw_support, log, ...): `driver` holds the UART
# and USB Serial/JTAG drivers in every 5.x release (from 5.3 a wrapper around
# esp_driver_uart and esp_driver_usb_serial_jtag); esp_timer the microsecond
# clock the cycle counter is calibrated with.
REQUIRES = ("driver", "esp_timer")
# Reported, not fatal: ESP-IDF's own headers are not ours to keep warning-free
# under -Wextra; the sources are checked with -Werror by the tests here.
WARNINGS = ("-Wall", "-Wextra")
# No a*b+c fused into one multiply-add (the ESP32-S3's FPU has MADD.S; ESP-IDF builds
# gnu17, where GCC contracts by default): float code (the stft frontend) must round as
# on the host.
OPTIONS = WARNINGS + ("-ffp-contract=off",)
SDKCONFIG_NAME = re.compile(r"CONFIG_[A-Z0-9_]+")


def sdkconfig_options(board: Board) -> list[tuple[str, str, str]]:
    """(option, value, why) for sdkconfig.defaults: what every ESP-IDF board
    needs, then the board file's own tinykws.sdkconfig."""
    mhz = board.clock_hz // 1_000_000
    options = [
        ("CONFIG_IDF_TARGET", f'"{board.data["build"]["mcu"]}"', "the chip (build.mcu)"),
        (f"CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ_{mhz}", "y", "the CPU clock (build.f_cpu)"),
        ("CONFIG_ESP_MAIN_TASK_STACK_SIZE", "16384",
         "the firmware's loop runs in ESP-IDF's main task (8 KB on the bare-metal boards, "
         "plus room for ESP-IDF's drivers)"),
        ("CONFIG_ESP_CONSOLE_NONE", "y",
         "the protocol owns its port: no console, so no log text in its frames"),
        ("CONFIG_LOG_DEFAULT_LEVEL_NONE", "y", "likewise, no log text from the application"),
        ("CONFIG_BOOTLOADER_LOG_LEVEL_NONE", "y", "nor from the bootloader on UART0"),
    ]
    for name, value in board.data["tinykws"].get("sdkconfig", {}).items():
        options.append((name, value, f"from boards/{board.id}.json"))
    return options


def project_files(env, board: Board, sources: list[str], build_flags: list[str],
                  version: str) -> dict[str, str]:
    """Relative path -> text of the ESP-IDF files beside main/'s sources."""
    definitions = [flag[2:] for flag in build_flags if flag.startswith("-D")]
    return {
        "CMakeLists.txt": env.get_template("esp_idf_project.cmake.j2").render(
            version=version, board_id=board.id, target=board.data["build"]["mcu"],
            project_name=PROJECT_NAME),
        f"{SOURCE_DIR}/CMakeLists.txt": env.get_template("esp_idf_main.cmake.j2").render(
            version=version, sources=sorted(s for s in sources if s.endswith(".c")),
            requires=REQUIRES, definitions=definitions, warnings=OPTIONS),
        "sdkconfig.defaults": env.get_template("esp_idf_sdkconfig.defaults.j2").render(
            version=version, board_id=board.id, options=sdkconfig_options(board)),
    }
