"""The ESP32-C3's direct-boot image, checked after every build.

With no valid ESP image at flash offset 0 and the magic word 0xAEDB041D twice
in its first 8 bytes, the ESP32-C3 ROM (chip revision v0.3 and later) maps the
first 4 MB of flash to the instruction bus at 0x42000000 and to the data bus at
0x3C000000 and jumps to 0x42000008 (Espressif's esp32c3-direct-boot-example;
the windows: ESP32-C3 TRM ch. 3 System and Memory). firmware.bin, written to
flash offset 0, is that image: objcopy lays each section at its load address
minus 0x42000000. What would make the ROM skip or crash it is checked here,
from the ELF and the binary, so a broken linker script fails the build rather
than a board.
"""

from __future__ import annotations

import struct
from pathlib import Path

from elftools.elf.elffile import ELFFile

from .elf import load_address

MAGIC = 0xAEDB041D
IROM, DROM = 0x42000000, 0x3C000000  # the two windows onto flash offset 0
ENTRY = IROM + 8
MAPPED_BYTES = 4 * 1024 * 1024  # what the ROM maps


def image_problems(elf: Path, binary: Path, flash_bytes: int = MAPPED_BYTES) -> list[str]:
    """Why the ROM could not boot `binary` (built from `elf`) directly; [] if it can."""
    problems: list[str] = []
    image = Path(binary).read_bytes()
    if image[:8] != struct.pack("<II", MAGIC, MAGIC):
        problems.append(f"{binary.name} does not start with the direct boot magic "
                        f"0x{MAGIC:08X} twice (got {image[:8].hex()})")
    if image[:1] == b"\xe9":
        problems.append(f"{binary.name} starts like an ESP app image (0xE9): the ROM would "
                        "load it as one instead of booting it directly")
    limit = min(flash_bytes, MAPPED_BYTES)
    if len(image) > limit:
        problems.append(f"{binary.name} is {len(image):,} bytes; the ROM maps {limit:,}")
    with open(elf, "rb") as handle:
        reader = ELFFile(handle)
        if reader.header["e_entry"] != ENTRY:
            problems.append(f"the entry point is 0x{reader.header['e_entry']:08X}, the ROM "
                            f"jumps to 0x{ENTRY:08X}")
        symbols = reader.get_section_by_name(".symtab")
        start = symbols.get_symbol_by_name("_start") if symbols else None
        if not start or start[0]["st_value"] != ENTRY:
            problems.append(f"_start is not at 0x{ENTRY:08X}")
        # what startup copies to RAM it must read through the data bus
        for section, source in ((".data", "_sidata"), (".iram", "_siiram")):
            found = reader.get_section_by_name(section)
            symbol = symbols.get_symbol_by_name(source) if symbols else None
            if found is None or found["sh_size"] == 0:
                continue
            lma = load_address(reader, found)
            want = DROM + (lma - IROM)
            if not symbol or symbol[0]["st_value"] != want:
                got = f"0x{symbol[0]['st_value']:08X}" if symbol else "missing"
                problems.append(f"{source} (where startup reads {section}'s image) is {got}, "
                                f"not 0x{want:08X}, its flash offset in the data-bus window")
        for seg in reader.iter_segments():
            if seg["p_type"] != "PT_LOAD" or seg["p_filesz"] == 0:
                continue
            vma, lma, size = seg["p_vaddr"], seg["p_paddr"], seg["p_filesz"]
            offset = lma - IROM
            where = f"the segment at 0x{vma:08X} (load address 0x{lma:08X})"
            if not 0 <= offset <= len(image) - size:
                problems.append(f"{where} lies outside {binary.name}")
                continue
            if image[offset:offset + size] != seg.data():
                problems.append(f"{where} differs from {binary.name} at offset 0x{offset:X}")
            if IROM <= vma < IROM + MAPPED_BYTES and not seg["p_flags"] & 1:  # PF_X
                problems.append(f"{where}: data in the instruction-bus window, which "
                                "serves instruction fetches, not loads")
            for base, bus in ((IROM, "instruction"), (DROM, "data")):
                if base <= vma < base + MAPPED_BYTES and vma - base != offset:
                    problems.append(f"{where}: the ROM maps flash offset 0x{offset:X} to "
                                    f"0x{base + offset:08X} on the {bus} bus, not 0x{vma:08X}")
    return problems

