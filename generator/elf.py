"""What the firmware's ELF says beyond its sections' sizes."""

from __future__ import annotations

from elftools.elf.elffile import ELFFile


def load_address(reader: ELFFile, section) -> int:
    """Where the image stores `section` (its LMA): its address moved by the
    offset between where its segment runs and where the image holds it."""
    for seg in reader.iter_segments():
        if seg["p_type"] == "PT_LOAD" and seg.section_in_segment(section):
            return section["sh_addr"] - seg["p_vaddr"] + seg["p_paddr"]
    return section["sh_addr"]
