"""RHVoice and SVOX pico: two more offline voices, from Debian's non-free section.

Their .debs are fetched by exact file name and SHA-256 from the Debian mirror
and unpacked into the venv (`make setup`): nothing is installed system-wide and
no apt source is added. Both libraries look for their data in /usr/share,
so they are driven through their C APIs (ctypes), which take the data folder
as an argument.

Voices: RHVoice's alan, bdl and clb (LGPL-2.1+, the package's licence);
pico's en-US and en-GB (Apache-2.0 lingware). RHVoice's slt is left out (the
same CMU Arctic speaker as flite's slt, a held-out voice), and its evgeniy-eng
and lyubov too (CC BY-NC-ND 4.0).
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import platform
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import numpy as np

from ..staging import replacing_dir
from .errors import SynthError

log = logging.getLogger("kws-train")

MIRROR = "http://deb.debian.org/debian/"
# Debian 12 (bookworm), non-free, amd64: pool path -> SHA-256 (the archive's Packages index)
DEBS = {
    "pool/non-free/r/rhvoice/librhvoice5_1.8.0+dfsg-3_amd64.deb":
        "7a12f124a48941ec0e94aeaa60da44a27c164a31d5a6bb884875e533a6d15128",
    "pool/non-free/r/rhvoice/librhvoice-core7_1.8.0+dfsg-3_amd64.deb":
        "7b321d21caf899c78e579593f105fd49995f4d0c948c0523b2b4baa3291375f5",
    "pool/non-free/r/rhvoice/rhvoice-english_1.8.0+dfsg-3_all.deb":
        "7ea5227bcfc54b814086f53225ff47052b444d4554e8c4e752c9e6b29edf89a5",
    "pool/non-free/s/svox/libttspico0_1.0+git20130326-13_amd64.deb":
        "fc9e4dbc664a7756ae73e83633d9987e6b0f2fd5248f04def8beb8de6df2cd02",
    "pool/non-free/s/svox/libttspico-data_1.0+git20130326-13_all.deb":
        "25c9904cef2471302634c03deff3ca96b588e22ea94929dda72d940584a3b84a",
}
RHVOICE_VOICES = {"alan": "m", "bdl": "m", "clb": "f"}
PICO_VOICES = {"en-US": "lh0", "en-GB": "kh0"}      # language -> its speaker resource
LIB = "usr/lib/x86_64-linux-gnu"
# pico carries its own Ooura FFT (rdft, ...), and TensorFlow exports functions of the same
# names: without deep binding, pico would call TensorFlow's when both are loaded, and crash
_OWN_SYMBOLS = os.RTLD_DEEPBIND | os.RTLD_LOCAL


def default_root() -> Path:
    return Path(sys.prefix) / "share" / "tinykws" / "debian-voices"


def fetch_hint(root: Path) -> str:
    return (f"python -c 'from generator.train.debian_voices import fetch; "
            f"fetch(\"{root}\")' (or `make setup`)")


def installed(root: Path) -> bool:
    return (Path(root) / ".complete").is_file()


def fetch(root: str | Path) -> None:
    """Download the .debs (checked against DEBS) and unpack them into root,
    through a temporary folder: a failed fetch leaves nothing half-written."""
    root = Path(root)
    if platform.machine() != "x86_64":
        raise SynthError(f"rhvoice/pico: the pinned .debs are amd64 builds; this machine is "
                         f"{platform.machine()}")
    if shutil.which("dpkg-deb") is None:
        raise SynthError("rhvoice/pico: dpkg-deb is needed to unpack the .debs (Debian's dpkg)")
    with replacing_dir(root) as tmp:
        for path, sha in DEBS.items():
            url = MIRROR + path
            log.info("fetching %s", url)
            try:
                with urllib.request.urlopen(url, timeout=120) as r:
                    blob = r.read()
            except OSError as e:
                raise SynthError(f"rhvoice/pico: cannot fetch {url} ({e})") from None
            if hashlib.sha256(blob).hexdigest() != sha:
                raise SynthError(f"rhvoice/pico: {url} does not match its pinned SHA-256")
            deb = tmp / Path(path).name
            deb.write_bytes(blob)
            subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp)], check=True)
            deb.unlink()
        (tmp / ".complete").write_text("\n".join(DEBS) + "\n")


def _check(root: Path, engine: str) -> None:
    if not installed(root):
        raise SynthError(f"{engine}: its Debian files are not in {root}; fetch them with "
                         f"{fetch_hint(root)}")


P, I16 = ctypes.c_void_p, ctypes.c_int16
PICO_API = {   # picoapi.h: every function returns a pico_Status (int)
    "pico_initialize": [P, ctypes.c_uint32, P],
    "pico_loadResource": [P, ctypes.c_char_p, P],
    "pico_getResourceName": [P, P, ctypes.c_char_p],
    "pico_createVoiceDefinition": [P, ctypes.c_char_p],
    "pico_addResourceToVoiceDefinition": [P, ctypes.c_char_p, ctypes.c_char_p],
    "pico_newEngine": [P, ctypes.c_char_p, P],
    "pico_putTextUtf8": [P, ctypes.c_char_p, I16, P],
    "pico_getData": [P, P, I16, P, P],
}


def _declare(lib, api: dict) -> None:
    """Argument types for ctypes: without them a pointer may be passed as a C int."""
    for name, args in api.items():
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = args, ctypes.c_int


class Pico:
    """SVOX pico through libttspico's API; 16 kHz int16."""

    rate = 16000

    def __init__(self, root: Path, language: str):
        root = Path(root)
        _check(root, "pico")
        self.lib = ctypes.CDLL(str(root / LIB / "libttspico.so.0"), mode=_OWN_SYMBOLS)
        _declare(self.lib, PICO_API)
        self.memory = ctypes.create_string_buffer(3 * 1024 * 1024)
        self.system = ctypes.c_void_p()
        self._ok(self.lib.pico_initialize(self.memory, len(self.memory),
                                          ctypes.byref(self.system)), "initialize")
        lang = root / "usr/share/pico/lang"
        voice = b"tinykws"
        self._ok(self.lib.pico_createVoiceDefinition(self.system, voice), "voice")
        for f in (f"{language}_ta.bin", f"{language}_{PICO_VOICES[language]}_sg.bin"):
            res, name = ctypes.c_void_p(), ctypes.create_string_buffer(200)
            self._ok(self.lib.pico_loadResource(self.system, str(lang / f).encode(),
                                                ctypes.byref(res)), f"load {f}")
            self._ok(self.lib.pico_getResourceName(self.system, res, name), "resource name")
            self._ok(self.lib.pico_addResourceToVoiceDefinition(self.system, voice, name.value),
                     "add resource")
        self.engine = ctypes.c_void_p()
        self._ok(self.lib.pico_newEngine(self.system, voice, ctypes.byref(self.engine)), "engine")

    @staticmethod
    def _ok(status: int, what: str) -> None:
        if status != 0:
            raise SynthError(f"pico: {what} failed (status {status})")

    def speak(self, text: str, speed: float) -> np.ndarray:
        """text at speed (1.0: pico's own; its markup takes 20-500 %)."""
        data = f'<speed level="{int(round(100 * speed))}">{text}</speed>'.encode() + b"\0"
        put, done = ctypes.c_int16(), 0
        while done < len(data):
            self._ok(self.lib.pico_putTextUtf8(self.engine, data[done:], len(data) - done,
                                               ctypes.byref(put)), "put text")
            done += put.value
        buf, got, kind = ctypes.create_string_buffer(4096), ctypes.c_int16(), ctypes.c_int16()
        out = []
        while True:
            status = self.lib.pico_getData(self.engine, buf, len(buf), ctypes.byref(got),
                                           ctypes.byref(kind))
            out.append(buf.raw[:got.value])
            if status == 200:        # PICO_STEP_IDLE: all text spoken
                break
            if status != 201:        # not PICO_STEP_BUSY
                raise SynthError(f"pico: synthesis failed (status {status})")
        return np.frombuffer(b"".join(out), np.int16).copy()


_SET_RATE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_void_p)
_PLAY = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_uint,
                         ctypes.c_void_p)


class _Callbacks(ctypes.Structure):   # RHVoice_callbacks (RHVoice.h, 1.8)
    _fields_ = [("set_sample_rate", _SET_RATE), ("play_speech", _PLAY)] + [
        (n, ctypes.c_void_p) for n in ("process_mark", "word_starts", "word_ends",
                                       "sentence_starts", "sentence_ends", "play_audio", "done")]


class _InitParams(ctypes.Structure):  # RHVoice_init_params
    _fields_ = [("data_path", ctypes.c_char_p), ("config_path", ctypes.c_char_p),
                ("resource_paths", ctypes.POINTER(ctypes.c_char_p)),
                ("callbacks", _Callbacks), ("options", ctypes.c_uint)]


class _SynthParams(ctypes.Structure):  # RHVoice_synth_params
    _fields_ = [("voice_profile", ctypes.c_char_p)] + [
        (n, ctypes.c_double) for n in ("absolute_rate", "absolute_pitch", "absolute_volume",
                                       "relative_rate", "relative_pitch", "relative_volume")] + [
        ("punctuation_mode", ctypes.c_int), ("punctuation_list", ctypes.c_char_p),
        ("capitals_mode", ctypes.c_int), ("flags", ctypes.c_int)]


class RHVoice:
    """RHVoice through libRHVoice's API, its data and config in root."""

    def __init__(self, root: Path):
        root = Path(root)
        _check(root, "rhvoice")
        ctypes.CDLL(str(root / LIB / "libRHVoice_core.so.7"))
        self.lib = ctypes.CDLL(str(root / LIB / "libRHVoice.so.5"))
        self.lib.RHVoice_new_tts_engine.restype = ctypes.c_void_p
        self.lib.RHVoice_new_tts_engine.argtypes = [ctypes.POINTER(_InitParams)]
        self.lib.RHVoice_new_message.restype = ctypes.c_void_p
        self.lib.RHVoice_new_message.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint,
                                                 ctypes.c_int, ctypes.POINTER(_SynthParams),
                                                 ctypes.c_void_p]
        self.lib.RHVoice_speak.argtypes = [ctypes.c_void_p]
        self.lib.RHVoice_delete_message.argtypes = [ctypes.c_void_p]
        self.rate, self._chunks = 0, []
        # kept referenced: the library calls them for every message
        self._cbs = (_SET_RATE(self._set_rate), _PLAY(self._play))
        # the package's own RHVoice.conf (every setting commented out: the voices' defaults)
        self._params = _InitParams(str(root / "usr/share/RHVoice").encode(),
                                   str(root / "etc/RHVoice").encode(), None,
                                   _Callbacks(*self._cbs), 0)
        self.engine = self.lib.RHVoice_new_tts_engine(ctypes.byref(self._params))
        if not self.engine:
            raise SynthError(f"rhvoice: the engine did not start on the data in {root}")

    def _set_rate(self, rate: int, _user) -> int:
        self.rate = rate
        return 1

    def _play(self, samples, count: int, _user) -> int:
        self._chunks.append(np.ctypeslib.as_array(samples, (count,)).copy())
        return 1

    def speak(self, text: str, voice: str, rate: float) -> np.ndarray:
        """text by voice at rate (1.0: the voice's own speed)."""
        self._chunks = []
        params = _SynthParams(voice.encode(), 0.0, 0.0, 0.0, rate, 1.0, 1.0, 0, None, 0, 0)
        data = text.encode()
        msg = self.lib.RHVoice_new_message(self.engine, data, len(data), 0, ctypes.byref(params),
                                           None)
        if not msg:
            raise SynthError(f"rhvoice: cannot make a message of {text!r} for {voice}")
        try:
            if not self.lib.RHVoice_speak(msg):
                raise SynthError(f"rhvoice: {voice} failed to speak {text!r}")
        finally:
            self.lib.RHVoice_delete_message(msg)
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
