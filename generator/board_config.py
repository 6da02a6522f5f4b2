"""What the firmware needs to know about a board, as C constants and tables.

Register values (PLL configuration, prescaler codes, flash latency) are
computed here so that the C clock driver only writes them in order.
"""

from __future__ import annotations

from dataclasses import dataclass

from .boards import Board, baud_problem
from .package_data import TEMPLATES

# PPRE field codes of RCC_CFGR for the APB prescalers (RM0385 5.3.3).
_APB_PRESCALER_CODE = {1: 0b000, 2: 0b100, 4: 0b101, 8: 0b110, 16: 0b111}


@dataclass(frozen=True)
class BoardConfig:
    defines: list[tuple[str, str]]
    enable_bits: list[dict]
    af_pins: list[dict]
    leds: list[dict]
    sources: list[str]  # HAL files under firmware_templates/hal


def _hex(value: int) -> str:
    return f"0x{value:08X}u"


def _stm32f7_pll_defines(clock: dict) -> list[tuple[str, str]]:
    try:
        ppre1 = _APB_PRESCALER_CODE[clock["apb1_div"]]
        ppre2 = _APB_PRESCALER_CODE[clock["apb2_div"]]
    except KeyError as exc:
        raise ValueError(f"APB prescaler {exc.args[0]} is not one of 1, 2, 4, 8, 16") from exc
    pllcfgr = (clock["pll_m"] | clock["pll_n"] << 6 | ((clock["pll_p"] // 2) - 1) << 16
               | 1 << 22 | clock["pll_q"] << 24)  # PLLSRC = HSE
    hse = 1 << 16 | (1 << 18 if clock.get("hse_bypass") else 0)  # HSEON, HSEBYP
    flash_acr = clock["flash_wait_states"] | 1 << 8 | 1 << 9  # PRFTEN, ARTEN
    return [
        ("KWS_RCC_CR_HSE", _hex(hse)),
        ("KWS_RCC_PLLCFGR", _hex(pllcfgr)),
        ("KWS_RCC_CFGR_PRESCALERS", _hex(ppre1 << 10 | ppre2 << 13)),
        ("KWS_FLASH_ACR", _hex(flash_acr)),
        ("KWS_CLOCK_OVERDRIVE", "1" if clock.get("overdrive") else "0"),
    ]


def _unique(items: list[dict]) -> list[dict]:
    seen, out = set(), []
    for item in items:
        key = tuple(sorted(item.items()))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def board_config(board: Board, baud: int | None = None) -> BoardConfig:
    """C constants, tables and HAL sources for `board`; `baud` replaces the
    board file's UART rate (a benchmark protocol that fixes its own)."""
    if board.is_host:
        return BoardConfig(defines=[("KWS_F_CPU", "1000000000u")], enable_bits=[], af_pins=[],
                           leds=[], sources=["host.c"])
    if board.is_esp_idf:  # ESP-IDF brings up the chip; the HAL only picks the port
        usb = board.uart["driver"] == "esp_idf_usb_serial_jtag"
        return BoardConfig(defines=[("KWS_F_CPU", f"{board.clock_hz}u"),
                                    ("KWS_UART_BAUD", f"{baud or board.baud}u"),
                                    ("KWS_ESP_IDF_USB_SERIAL_JTAG", "1" if usb else "0")],
                           enable_bits=[], af_pins=[], leds=[], sources=["hal_esp_idf.c"])
    build, uart, clock = board.data["build"], board.uart, board.clock
    pins = uart["pins"]
    baud = baud or uart["baud"]
    problem = baud_problem(uart, baud)
    if problem:
        raise ValueError(f"{board.id}: UART rate {problem}")
    leds = [{"name": led["name"], "gpio": int(led["gpio"], 16), "pin": led["pin"],
             "channel": led.get("channel", 0)} for led in board.leds]
    enable_bits = _unique(
        [{"reg": int(e["reg"], 16), "bit": e["bit"]} for e in uart["enable"]]
        + [{"reg": int(p["enable"]["reg"], 16), "bit": p["enable"]["bit"]} for p in pins]
        + [{"reg": int(led["enable"]["reg"], 16), "bit": led["enable"]["bit"]}
           for led in board.leds if "enable" in led])
    af_pins = [{"gpio": int(p["gpio"], 16), "pin": p["pin"], "af": p["af"]} for p in pins]
    defines = [
        ("KWS_F_CPU", f"{board.clock_hz}u"),
        ("KWS_HAS_FPU", "1" if build.get("fpu") else "0"),
        ("KWS_UART_BASE", _hex(int(uart["base"], 16))),
        ("KWS_UART_CLOCK_HZ", f"{uart['clock_hz']}u"),
        ("KWS_UART_BAUD", f"{baud}u"),
        ("KWS_TICKS_DWT", "1" if board.ticks == "dwt" else "0"),
        ("KWS_CLOCK_NONE", "1" if clock["driver"] == "none" else "0"),
        ("KWS_ICACHE", "1" if clock.get("icache") else "0"),
        ("KWS_DCACHE", "1" if clock.get("dcache") else "0"),
        ("KWS_ENABLE_BIT_COUNT", f"{len(enable_bits)}u"),
        ("KWS_AF_PIN_COUNT", f"{len(af_pins)}u"),
        ("KWS_LED_COUNT", f"{len(leds)}u"),
    ]
    if clock["driver"] == "stm32f7_pll":
        defines += _stm32f7_pll_defines(clock)
    if board.arch == "riscv":
        defines_riscv, sources = _riscv(board)
        defines += defines_riscv
    else:
        sources = ["startup_cortexm.c", "ticks_cortexm.c", "board_cortexm.c",
                   f"uart_{uart['driver']}.c"]
        if af_pins or leds:
            sources.append("gpio_stm32.c")
    if clock["driver"] != "none":
        sources.append(f"clock_{clock['driver']}.c")
    return BoardConfig(defines=defines, enable_bits=enable_bits, af_pins=af_pins, leds=leds,
                       sources=sources)


def _riscv(board: Board) -> tuple[list[tuple[str, str]], list[str]]:
    """Defines and HAL sources of a RISC-V board: startup and traps, its time
    base, UART, reset, and where it has them watchdogs and LEDs."""
    kws = board.data["tinykws"]
    reset = kws["reset"]
    defines = [("KWS_RESET_BASE", _hex(int(reset["base"], 16))),
               ("KWS_WATCHDOGS", "1" if "watchdogs" in kws else "0")]
    sources = ["startup_riscv.c", f"ticks_{board.ticks}.c", "board_riscv.c",
               f"uart_{board.uart['driver']}.c", f"reset_{reset['driver']}.c"]
    if "watchdogs" in kws:
        wdt = kws["watchdogs"]
        groups = [int(base, 16) for base in wdt["timg"]]
        defines += [("KWS_WDT_RTC_CNTL", _hex(int(wdt["rtc_cntl"], 16))),
                    ("KWS_WDT_TIMG_COUNT", f"{len(groups)}u"),
                    ("KWS_WDT_TIMG_BASES", "{" + ", ".join(_hex(g) for g in groups) + "}")]
        sources.append(f"wdt_{wdt['driver']}.c")
    if board.leds:
        sources.append(f"led_{kws['led_driver']}.c")
    clock = board.clock
    if clock["driver"] == "esp32c3_pll":
        # CPUPERIOD_SEL: 0 = 80 MHz, 1 = 160 MHz from the 480 MHz PLL (TRM ch. 6)
        defines += [("KWS_ESP32C3_CPUPERIOD_SEL", "1u" if board.clock_hz == 160_000_000 else "0u")]
    soc = f"soc_{board.data['build']['mcu']}.h"  # the chip's registers, shared by its drivers
    if (TEMPLATES / "hal" / soc).is_file():
        sources.append(soc)
    return defines, sources
