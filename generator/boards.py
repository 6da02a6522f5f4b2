"""Board files: load, validate, and derive the few numbers the firmware needs.

A board file is a PlatformIO board manifest (build.cpu, build.f_cpu,
upload.maximum_size, ...) with a `tinykws` section for what PlatformIO does
not describe: memory map, clock tree, UART, time base, LEDs, emulator. The
same file is PlatformIO's board definition and our data, so the two cannot
drift apart.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .package_data import BOARDS

BOARDS_DIR = BOARDS


class BoardError(ValueError):
    """A board file is missing, malformed or inconsistent."""


# The schema is data: a dict is a nested object, a tuple (type, required) a
# leaf. "hex" is an address written as a "0x..." string (JSON has no hex).
_ENABLE = {"reg": ("hex", True), "bit": (int, True)}
_PIN = {"gpio": ("hex", True), "pin": (int, True), "af": (int, True), "enable": _ENABLE}
# An STM32 LED is a pin of a GPIO port whose clock `enable` switches on; a
# WS2812 LED (ESP32-C3 DevKits' RGB LED) is one colour `channel` of the pixel
# on `pin` (0 green, 1 red, 2 blue: the order the pixel reads its 24 bits).
_LED = {"name": (str, True), "gpio": ("hex", True), "pin": (int, True),
        "enable": (_ENABLE, False), "channel": (int, False)}
_REGION = {"origin": ("hex", True), "length": (int, True)}
_CLOCK = {
    "driver": (str, True),
    "hse_hz": (int, False), "hse_bypass": (bool, False),
    "pll_m": (int, False), "pll_n": (int, False), "pll_p": (int, False), "pll_q": (int, False),
    "apb1_div": (int, False), "apb2_div": (int, False),
    "flash_wait_states": (int, False), "overdrive": (bool, False),
    "icache": (bool, False), "dcache": (bool, False),
    "xtal_hz": (int, False), "pll_hz": (int, False),
}
# Registers the ROM or the reset leaves armed that the firmware must disarm.
_WATCHDOGS = {"driver": (str, True), "timg": (["hex"], True), "rtc_cntl": ("hex", True)}
_RESET = {"driver": (str, True), "base": ("hex", True)}
_UART = {
    "driver": (str, True), "name": (str, True), "base": ("hex", True),
    "clock_hz": (int, True), "baud": (int, True),
    "enable": ([_ENABLE], True), "pins": ([_PIN], True),
}
SCHEMA: dict[str, Any] = {
    "name": (str, True), "vendor": (str, True), "url": (str, True),
    "frameworks": (list, True),
    "build": {
        "toolchain": (str, True), "core": (str, True), "cpu": (str, True),
        "fpu": (str, False), "float_abi": (str, False),
        "march": (str, False), "mabi": (str, False),
        "f_cpu": (str, True), "mcu": (str, True),
    },
    "upload": {
        "protocol": (str, True), "maximum_size": (int, True),
        "maximum_ram_size": (int, True), "command": (list, False),
    },
    "tinykws": {
        "memory": ({"flash": _REGION, "ram": _REGION}, False),
        "linker": (str, False),
        "clock": (_CLOCK, False),
        "uart": (_UART, False),
        "reset": (_RESET, False),
        "watchdogs": (_WATCHDOGS, False),
        "ticks": (str, True),
        "led_driver": (str, False),
        "leds": ([_LED], True),
        "actions": (dict, False),
        "emulator": ({"qemu": (str, True), "machine": (str, True), "args": ([str], False)},
                     True, "nullable"),
        "sdkconfig": (dict, False),
    },
}

# The compiler each board is built with. "esp-idf": an ESP-IDF project is
# rendered for the user's ESP-IDF, which brings its own compiler (Xtensa).
TOOLCHAINS = ("arm-none-eabi", "riscv64-unknown-elf", "esp-idf", "host")
# Which startup, trap and time-base code a toolchain's boards share.
ARCH = {"arm-none-eabi": "cortexm", "riscv64-unknown-elf": "riscv", "esp-idf": "esp_idf",
        "host": "host"}
# 8N1: a start bit, 8 data bits and a stop bit carry one byte.
BITS_PER_BYTE = 10
# The STM32 USART receiver tolerates a total deviation of 3.33 % (8 data bits,
# oversampling by 16, BRR[3:0] != 0; reference manuals RM0385/RM0360, "Tolerance
# of the USART receiver to clock deviation"). Both ends' rounding adds up, so
# each end may use at most half of that.
MAX_BAUD_ERROR = 0.015
# Divisor limits of the drivers: oversampling by 16 needs BRR >= 16 and BRR is
# 16 bits (RM0385 "USART baud rate generation"); CMSDK's BAUDDIV is at least 16
# and 20 bits wide. The 16550's divisor latch (DLL/DLM) is 16 bits and divides
# clock / 16. The ESP32-C3 UART's UART_CLKDIV_REG has a 12-bit integer part and
# a 4-bit fraction (ESP32-C3 TRM, ch. 26 UART Controller, "Baud Rate
# Generation"); its limit is given for the integer part, at least 16 as for
# the others (80 MHz / 16 = the chapter's 5 Mbaud maximum).
# ESP-IDF's drivers set their own divisors (USB has none): no limit of ours.
DIVISOR_RANGE = {"cmsdk": (16, 0xFFFFF), "stm32_usart_v1": (16, 0xFFFF),
                 "stm32_usart_v2": (16, 0xFFFF), "ns16550": (1, 0xFFFF),
                 "esp32c3": (16, 0xFFF), "esp_idf_uart": (1, 1),
                 "esp_idf_usb_serial_jtag": (1, 1)}
UART_DRIVERS = tuple(DIVISOR_RANGE)
# The ports an ESP-IDF project speaks the protocol on (hal/hal_esp_idf.c).
ESP_IDF_PORTS = ("esp_idf_uart", "esp_idf_usb_serial_jtag")
CLOCK_DRIVERS = ("none", "stm32f7_pll", "esp32c3_pll")
TICKS = ("dwt", "systick", "mcycle", "mpccr", "ccount", "host_ns")
# The time bases each architecture's code implements.
ARCH_TICKS = {"cortexm": ("dwt", "systick"), "riscv": ("mcycle", "mpccr"),
              "esp_idf": ("ccount",), "host": ("host_ns",)}
UPLOAD_PROTOCOLS = ("stlink", "qemu", "esptool", "esp-idf", "none")
LED_DRIVERS = ("stm32_gpio", "esp32c3_ws2812")
RESET_DRIVERS = ("sifive_test", "esp32c3_rtc_cntl")
WATCHDOG_DRIVERS = ("esp32c3",)
# Linker script templates (firmware_templates/project/linker_<name>.ld.j2).
LINKERS = {"cortexm": ("cortexm",), "riscv": ("riscv", "esp32c3_direct_boot")}
# The ESP32-C3's CPU clock from its 480 MHz BBPLL: CPUPERIOD_SEL 0 -> 80 MHz,
# 1 -> 160 MHz (TRM ch. 6 Reset and Clock, "CPU clock", SYSTEM_CPU_PER_CONF_REG).
ESP32C3_PLL_CPU_HZ = {480_000_000: (80_000_000, 160_000_000)}


@dataclass(frozen=True)
class Board:
    """One validated board file. `data` is the manifest as loaded."""

    id: str
    path: Path
    data: dict

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def core(self) -> str:
        return self.data["build"]["core"]

    @property
    def cpu(self) -> str:
        """GCC's -mcpu for the board's core (generator.model.cores keys on it)."""
        return self.data["build"]["cpu"]

    @property
    def clock_hz(self) -> int:
        return _f_cpu(self.data["build"]["f_cpu"])

    @property
    def is_host(self) -> bool:
        return self.data["build"]["toolchain"] == "host"

    @property
    def toolchain(self) -> str:
        return self.data["build"]["toolchain"]

    @property
    def arch(self) -> str:
        """cortexm, riscv, esp_idf or host: the code the board shares with others."""
        return ARCH[self.toolchain]

    @property
    def is_esp_idf(self) -> bool:
        """Rendered as an ESP-IDF project that ESP-IDF's idf.py builds, not PlatformIO."""
        return self.toolchain == "esp-idf"

    @property
    def how(self) -> str:
        """How the firmware runs or is built and flashed, in a few words (--list-boards)."""
        protocol = self.data["upload"]["protocol"]
        if protocol == "qemu":
            return f"QEMU {self.emulator['machine']} ({self.toolchain})"
        if protocol == "none":
            return "native process (cc)"
        if protocol == "esp-idf":
            return "ESP-IDF project: idf.py build flash (not built here)"
        return f"{self.toolchain}; pio run -t upload: {protocol}"

    @property
    def linker(self) -> str | None:
        """The linker script template the board's memory map is rendered into."""
        if self.arch not in LINKERS:
            return None
        return self.data["tinykws"].get("linker", self.arch)

    @property
    def flash_bytes(self) -> int:
        return self.data["upload"]["maximum_size"]

    @property
    def ram_bytes(self) -> int:
        return self.data["upload"]["maximum_ram_size"]

    @property
    def emulator(self) -> dict | None:
        return self.data["tinykws"]["emulator"]

    @property
    def ticks(self) -> str:
        return self.data["tinykws"]["ticks"]

    @property
    def uart(self) -> dict | None:
        return self.data["tinykws"].get("uart")

    @property
    def baud(self) -> int | None:
        """The UART's rate on the wire (8N1), None for the host build."""
        uart = self.uart
        return uart["baud"] if uart else None

    @property
    def clock(self) -> dict:
        return self.data["tinykws"].get("clock") or {"driver": "none"}

    @property
    def memory(self) -> dict | None:
        return self.data["tinykws"].get("memory")

    @property
    def leds(self) -> list[dict]:
        return self.data["tinykws"]["leds"]

    @property
    def actions(self) -> dict[str, str]:
        """Keyword label -> LED name it lights."""
        return self.data["tinykws"].get("actions", {})


@dataclass(frozen=True)
class UartRate:
    """What the UART driver programs for a baud rate, and the rate that gives."""

    divisor: int       # BRR (STM32) or BAUDDIV (CMSDK)
    actual_baud: float
    error: float       # actual / wanted - 1


def uart_rate(driver: str, clock_hz: int, baud: int) -> UartRate:
    """The divisor firmware_templates/hal/uart_<driver>.c writes for `baud`.

    The STM32 drivers round clock / baud (oversampling by 16, BRR = USARTDIV);
    the CMSDK driver truncates it; the 16550 driver rounds clock / (16 baud);
    the ESP32-C3 driver rounds 16 clock / baud into the integer and 4-bit
    fractional parts of UART_CLKDIV_REG (divisor: the integer part).
    """
    if baud <= 0:
        raise ValueError(f"baud rate {baud} is not positive")
    if driver == "esp32c3":
        sixteenths = (16 * clock_hz + baud // 2) // baud
        actual = 16 * clock_hz / sixteenths if sixteenths else float("inf")
        return UartRate(sixteenths >> 4, actual, actual / baud - 1)
    if driver in ESP_IDF_PORTS:  # ESP-IDF's driver computes its own divisor
        return UartRate(1, float(baud), 0.0)
    if driver == "ns16550":
        divisor = (clock_hz + 8 * baud) // (16 * baud)
        actual = clock_hz / (16 * divisor) if divisor else float("inf")
        return UartRate(divisor, actual, actual / baud - 1)
    divisor = clock_hz // baud if driver == "cmsdk" else (clock_hz + baud // 2) // baud
    actual = clock_hz / divisor if divisor else float("inf")
    return UartRate(divisor, actual, actual / baud - 1)


def _f_cpu(text: str) -> int:
    """PlatformIO's f_cpu ("216000000L") in Hz; ValueError unless a positive integer."""
    if not re.fullmatch(r"[0-9]+L?", text) or int(text.rstrip("L")) == 0:
        raise ValueError(f"not a positive frequency in Hz: {text!r}")
    return int(text.rstrip("L"))


# A board id is a file name in boards/ and a PlatformIO environment name in the
# rendered platformio.ini: nothing that could leave boards/ or break the ini.
BOARD_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def _where(path: str) -> str:
    return path or "the top level"


def _check(value: Any, spec: Any, path: str, errors: list[str]) -> None:
    """Append a message per problem found in `value` against `spec`."""
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            errors.append(f"field '{_where(path)}' must be an object")
            return
        for key in value:
            if key not in spec:
                hint = difflib.get_close_matches(key, list(spec), n=1)
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
                errors.append(f"unknown field '{path + '.' if path else ''}{key}'{suggestion}")
        for key, sub in spec.items():
            sub_path = f"{path}.{key}" if path else key
            required = sub[1] if isinstance(sub, tuple) else True
            nullable = isinstance(sub, tuple) and len(sub) > 2 and sub[2] == "nullable"
            if key not in value:
                if required:
                    errors.append(f"field '{sub_path}' is missing")
                continue
            if value[key] is None and nullable:
                continue
            _check(value[key], sub[0] if isinstance(sub, tuple) else sub, sub_path, errors)
    elif isinstance(spec, list):
        if not isinstance(value, list):
            errors.append(f"field '{path}' must be a list")
            return
        for i, item in enumerate(value):
            _check(item, spec[0], f"{path}[{i}]", errors)
    elif spec == "hex":
        if not (isinstance(value, str) and value.lower().startswith("0x")):
            errors.append(f"field '{path}' must be an address string like \"0x40004800\"")
        else:
            try:
                int(value, 16)
            except ValueError:
                errors.append(f"field '{path}' is not a hexadecimal address: {value!r}")
    elif spec is int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            errors.append(f"field '{path}' must be a non-negative integer, not {value!r}")
    elif not isinstance(value, spec):
        errors.append(f"field '{path}' must be of type {spec.__name__}, not {type(value).__name__}")


def _one_of(value: str, allowed: tuple, path: str, errors: list[str]) -> None:
    if value not in allowed:
        errors.append(f"field '{path}' is {value!r}; expected one of {', '.join(allowed)}")


def _check_consistency(data: dict, errors: list[str]) -> None:
    """Cross-field rules that a schema cannot say."""
    build, kws = data["build"], data["tinykws"]
    _one_of(build["toolchain"], TOOLCHAINS, "build.toolchain", errors)
    _one_of(kws["ticks"], TICKS, "tinykws.ticks", errors)
    _one_of(data["upload"]["protocol"], UPLOAD_PROTOCOLS, "upload.protocol", errors)
    _check_upload(data, errors)
    led_names = {led["name"] for led in kws["leds"]}
    for label, led in kws.get("actions", {}).items():
        if not isinstance(led, str) or led not in led_names:
            errors.append(f"field 'tinykws.actions.{label}' names LED {led!r}; the board's LEDs "
                          f"are: {', '.join(sorted(led_names)) or 'none'}")
    try:
        f_cpu = _f_cpu(build["f_cpu"])
    except ValueError:
        errors.append(f"field 'build.f_cpu' must be a positive frequency in Hz like "
                      f"\"216000000L\", not {build['f_cpu']!r}")
        return
    if errors:
        return
    arch = ARCH[build["toolchain"]]
    if kws["ticks"] not in ARCH_TICKS[arch]:
        errors.append(f"field 'tinykws.ticks' {kws['ticks']!r} is not a time base of the "
                      f"{build['toolchain']} toolchain's boards; expected one of "
                      f"{', '.join(ARCH_TICKS[arch])}")
    if arch == "host":
        return
    if arch == "esp_idf":
        _check_esp_idf(data, errors)
        return
    if "sdkconfig" in kws:
        errors.append("field 'tinykws.sdkconfig' is for esp-idf boards only: remove it")
    for section in ("memory", "clock", "uart"):
        if section not in kws:
            errors.append(f"field 'tinykws.{section}' is missing (required for a device board)")
    if arch == "riscv":
        _check_riscv(build, kws, errors)
    if errors:
        return
    _one_of(kws["uart"]["driver"], UART_DRIVERS, "tinykws.uart.driver", errors)
    _one_of(kws["clock"]["driver"], CLOCK_DRIVERS, "tinykws.clock.driver", errors)
    if arch in LINKERS and "linker" in kws:
        _one_of(kws["linker"], LINKERS[arch], "tinykws.linker", errors)
    memory = kws["memory"]
    if memory["flash"]["length"] < data["upload"]["maximum_size"]:
        errors.append("field 'upload.maximum_size' exceeds tinykws.memory.flash.length")
    if memory["ram"]["length"] < data["upload"]["maximum_ram_size"]:
        errors.append("field 'upload.maximum_ram_size' exceeds tinykws.memory.ram.length")
    clock = kws["clock"]
    if clock["driver"] == "stm32f7_pll":
        _check_stm32f7_pll(clock, kws["uart"], f_cpu, errors)
    elif clock["driver"] == "esp32c3_pll":
        _check_esp32c3_pll(clock, f_cpu, errors)
    if errors:
        return
    _check_baud(kws["uart"], errors)
    _check_leds(kws, arch, errors)


def _check_esp_idf(data: dict, errors: list[str]) -> None:
    """An ESP-IDF board: ESP-IDF owns clocks, memory and startup; the board
    file says which port speaks the protocol, and nothing the project would
    ignore."""
    kws = data["tinykws"]
    if "uart" not in kws:
        errors.append("field 'tinykws.uart' is missing (the port the protocol runs on)")
    else:
        _one_of(kws["uart"]["driver"], ESP_IDF_PORTS, "tinykws.uart.driver", errors)
    for section in ("memory", "clock", "reset", "watchdogs", "linker", "led_driver"):
        if section in kws:
            errors.append(f"field 'tinykws.{section}' is set, but ESP-IDF owns it on an "
                          "esp-idf board: remove it")
    if kws["leds"]:
        errors.append("field 'tinykws.leds' must be empty on an esp-idf board (no LED driver "
                      "for ESP-IDF projects yet)")
    if data["upload"]["protocol"] != "esp-idf":
        errors.append("field 'upload.protocol' must be 'esp-idf' on an esp-idf board "
                      "(idf.py flashes it)")
    for name, value in kws.get("sdkconfig", {}).items():
        if not re.fullmatch(r"CONFIG_[A-Z0-9_]+", name) or not isinstance(value, str):
            errors.append(f"field 'tinykws.sdkconfig.{name}' must be an ESP-IDF option "
                          "CONFIG_... with a string value, like \"y\" or \"16384\"")


def _check_riscv(build: dict, kws: dict, errors: list[str]) -> None:
    for name in ("march", "mabi"):
        if name not in build:
            errors.append(f"field 'build.{name}' is missing (required for the "
                          "riscv64-unknown-elf toolchain, e.g. \"rv32imc_zicsr\" / \"ilp32\")")
    if "march" in build and not build["march"].startswith("rv32"):
        errors.append(f"field 'build.march' is {build['march']!r}: the firmware is for 32-bit "
                      "cores, give an rv32 ISA such as \"rv32imc_zicsr\"")
    if "reset" not in kws:
        errors.append("field 'tinykws.reset' is missing (required for a RISC-V board: how the "
                      "firmware restarts the chip after a fault)")
    else:
        _one_of(kws["reset"]["driver"], RESET_DRIVERS, "tinykws.reset.driver", errors)
    if "watchdogs" in kws:
        _one_of(kws["watchdogs"]["driver"], WATCHDOG_DRIVERS, "tinykws.watchdogs.driver", errors)


STM32F7_CLOCK_FIELDS = (
    ("pll_m", range(2, 64), "PLLM takes 2 to 63"),
    ("pll_n", range(50, 433), "PLLN takes 50 to 432"),
    ("pll_p", (2, 4, 6, 8), "PLLP takes 2, 4, 6 or 8"),
    ("pll_q", range(2, 16), "PLLQ takes 2 to 15"),
    ("apb1_div", (1, 2, 4, 8, 16), "APB1 divider is 1, 2, 4, 8 or 16"),
    ("apb2_div", (1, 2, 4, 8, 16), "APB2 divider is 1, 2, 4, 8 or 16"),
)


def _check_stm32f7_pll(clock: dict, uart: dict, f_cpu: int, errors: list[str]) -> None:
    need = ("hse_hz", "pll_m", "pll_n", "pll_p", "pll_q", "apb1_div", "apb2_div",
            "flash_wait_states")
    missing = [k for k in need if k not in clock]
    if missing:
        errors.append("field 'tinykws.clock' lacks " + ", ".join(missing)
                      + " (required by the stm32f7_pll driver)")
        return
    # what RCC_PLLCFGR and RCC_CFGR can hold (RM0385): checked before any division
    bad = [f"field 'tinykws.clock.{k}' is {clock[k]!r}; the STM32F7's {what}"
           for k, ok, what in STM32F7_CLOCK_FIELDS if clock[k] not in ok]
    if bad:
        errors.extend(bad)
        return
    sysclk = clock["hse_hz"] // clock["pll_m"] * clock["pll_n"] // clock["pll_p"]
    if sysclk != f_cpu:
        errors.append(f"field 'build.f_cpu' is {f_cpu} Hz but the PLL settings give "
                      f"{sysclk} Hz (hse_hz / pll_m * pll_n / pll_p)")
    if uart["clock_hz"] not in (f_cpu // clock["apb1_div"], f_cpu // clock["apb2_div"]):
        errors.append("field 'tinykws.uart.clock_hz' matches neither APB1 nor APB2 "
                      "(f_cpu / apb1_div or f_cpu / apb2_div)")


def _check_esp32c3_pll(clock: dict, f_cpu: int, errors: list[str]) -> None:
    missing = [k for k in ("xtal_hz", "pll_hz") if k not in clock]
    if missing:
        errors.append("field 'tinykws.clock' lacks " + ", ".join(missing)
                      + " (required by the esp32c3_pll driver)")
        return
    # The PLL settings the driver writes are ESP-IDF's for a 40 MHz crystal only.
    if clock["xtal_hz"] != 40_000_000:
        errors.append(f"field 'tinykws.clock.xtal_hz' is {clock['xtal_hz']}; the esp32c3_pll "
                      "driver supports the 40 MHz crystal of the ESP32-C3 modules only")
    cpu = ESP32C3_PLL_CPU_HZ.get(clock["pll_hz"])
    if cpu is None:
        errors.append(f"field 'tinykws.clock.pll_hz' is {clock['pll_hz']}; the esp32c3_pll "
                      f"driver runs the PLL at {', '.join(map(str, ESP32C3_PLL_CPU_HZ))} Hz")
    elif f_cpu not in cpu:
        errors.append(f"field 'build.f_cpu' is {f_cpu} Hz but a {clock['pll_hz']} Hz PLL gives "
                      f"the CPU {' or '.join(map(str, cpu))} Hz")


def _check_leds(kws: dict, arch: str, errors: list[str]) -> None:
    leds = kws["leds"]
    driver = kws.get("led_driver")
    if driver is not None:
        _one_of(driver, LED_DRIVERS, "tinykws.led_driver", errors)
    elif leds:
        if arch != "cortexm":
            errors.append("field 'tinykws.led_driver' is missing: the board lists LEDs, say "
                          f"which driver lights them ({', '.join(LED_DRIVERS)})")
        driver = "stm32_gpio"
    for i, led in enumerate(leds):
        if driver == "stm32_gpio" and "enable" not in led:
            errors.append(f"field 'tinykws.leds[{i}].enable' is missing (the stm32_gpio driver "
                          "switches the port's clock on)")
        if driver == "esp32c3_ws2812" and led.get("channel") not in (0, 1, 2):
            errors.append(f"field 'tinykws.leds[{i}].channel' must be 0 (green), 1 (red) or 2 "
                          "(blue) for the esp32c3_ws2812 driver")
    led_names = {led["name"] for led in leds}
    for label, led in kws.get("actions", {}).items():
        if led not in led_names:
            errors.append(f"field 'tinykws.actions.{label}' names LED {led!r}; the board's LEDs "
                          f"are: {', '.join(sorted(led_names)) or 'none'}")


def upload_words(data: dict) -> list[str]:
    """upload.command with its placeholders filled in, as the rendered
    platformio.ini's upload_command takes it; ValueError naming the word that
    cannot be."""
    memory = data["tinykws"].get("memory") or {}
    origin = memory.get("flash", {}).get("origin")
    words = []
    for i, word in enumerate(data["upload"].get("command") or []):
        if not isinstance(word, str):
            raise ValueError(f"'upload.command[{i}]' is {word!r}, not a string")
        try:
            words.append(word.format(bin="$BUILD_DIR/${PROGNAME}.bin", elf="$PROG_PATH",
                                     flash_origin=origin))
        except (KeyError, IndexError, ValueError, AttributeError, TypeError) as exc:
            raise ValueError(f"'upload.command[{i}]' {word!r} cannot be filled in ({exc!r}): the "
                             "placeholders are {bin}, {elf} and {flash_origin}; a brace of its "
                             "own is written {{ or }}") from None
    return words


def _check_upload(data: dict, errors: list[str]) -> None:
    protocol = data["upload"]["protocol"]
    if protocol == "qemu" and data["tinykws"]["emulator"] is None:
        errors.append("field 'upload.protocol' is 'qemu' but 'tinykws.emulator' is null")
    if data["build"]["toolchain"] == "esp-idf":
        return  # idf.py flashes it; _check_esp_idf checks the protocol
    if protocol not in ("qemu", "none") and not data["upload"].get("command"):
        errors.append(f"field 'upload.command' is missing: upload.protocol {protocol!r} runs it")
    try:
        upload_words(data)
    except ValueError as exc:
        errors.append(f"field {exc}")


def baud_problem(uart: dict, baud: int) -> str | None:
    """Why the board's UART driver cannot run at `baud`, or None if it can."""
    clock = uart["clock_hz"]
    if baud <= 0:
        return "must be a positive rate in baud, not 0"
    low, high = DIVISOR_RANGE[uart["driver"]]
    rate = uart_rate(uart["driver"], clock, baud)
    if rate.divisor < low:
        return (f"{baud} is too fast for tinykws.uart.clock_hz {clock}: the divisor would be "
                f"{rate.divisor}, at least {low} is needed (at most {clock // low} baud)")
    if rate.divisor > high:
        return (f"{baud} is too slow for tinykws.uart.clock_hz {clock}: the divisor would be "
                f"{rate.divisor}, at most {high}")
    if abs(rate.error) > MAX_BAUD_ERROR:
        return (f"{baud} cannot be made from tinykws.uart.clock_hz {clock}: divisor "
                f"{rate.divisor} gives {rate.actual_baud:.0f} baud, {rate.error:+.2%} off (at "
                f"most {MAX_BAUD_ERROR:.1%}); choose a rate closer to clock_hz / an integer")
    return None


def _check_baud(uart: dict, errors: list[str]) -> None:
    if uart["driver"] not in DIVISOR_RANGE:
        return  # already reported as an unknown driver
    problem = baud_problem(uart, uart["baud"])
    if problem:
        errors.append(f"field 'tinykws.uart.baud' {problem}")


def load_board(board_id: str, boards_dir: Path | None = None) -> Board:
    """Load and validate boards/<board_id>.json; raise BoardError naming file and field."""
    boards_dir = boards_dir or BOARDS_DIR
    if not isinstance(board_id, str) or not BOARD_ID.fullmatch(board_id):
        raise BoardError(f"--board {board_id!r} is not a board id: give the name of a file in "
                         "boards/ without .json (letters, digits, _ and -), one of "
                         f"{', '.join(list_board_ids(boards_dir))}")
    path = boards_dir / f"{board_id}.json"
    if not path.is_file():
        known = list_board_ids(boards_dir)
        hint = difflib.get_close_matches(board_id, known, n=1)
        suggestion = f" Did you mean '{hint[0]}'?" if hint else ""
        raise BoardError(f"no board named '{board_id}' (no file {path.name} in boards/). "
                         f"Known boards: {', '.join(known)}.{suggestion}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise BoardError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); a board "
                         "file is JSON") from exc
    except json.JSONDecodeError as exc:
        raise BoardError(f"{path}: not valid JSON: {exc}") from exc
    surrogate = _lone_surrogate(data, "")
    if surrogate is not None:
        raise BoardError(f"{path}: field '{surrogate}' holds a lone surrogate escape (\\ud800-\\udfff), "
                         "which no UTF-8 file can hold; write the character itself")
    errors: list[str] = []
    _check(data, SCHEMA, "", errors)
    if not errors:
        _check_consistency(data, errors)
    if errors:
        raise BoardError(f"{path}: " + "; ".join(errors))
    return Board(id=board_id, path=path, data=data)


def _lone_surrogate(value, where: str) -> str | None:
    """The field of the first string (key or value) that UTF-8 cannot encode:
    JSON allows escapes such as \\ud800 that stand for half a character, and
    the board's strings go into platformio.ini and the generated C."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return where or "(the whole file)"
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        field = f"{where}.{key}" if where else str(key)
        if isinstance(key, str) and _lone_surrogate(key, field) is not None:
            return field
        found = _lone_surrogate(item, field)
        if found is not None:
            return found
    return None


def list_board_ids(boards_dir: Path | None = None) -> list[str]:
    return sorted(p.stem for p in (boards_dir or BOARDS_DIR).glob("*.json"))


def load_boards_and_errors(boards_dir: Path | None = None) -> tuple[list[Board], list[BoardError]]:
    """Every board file: the valid boards, and an error for each file that is not
    one (so that one broken file does not hide the others)."""
    boards, errors = [], []
    for board_id in list_board_ids(boards_dir):
        try:
            boards.append(load_board(board_id, boards_dir))
        except BoardError as exc:
            errors.append(exc)
    return boards, errors


def load_all_boards(boards_dir: Path | None = None) -> list[Board]:
    return [load_board(b, boards_dir) for b in list_board_ids(boards_dir)]
