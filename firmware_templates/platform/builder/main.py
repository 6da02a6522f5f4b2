"""SCons builder of the tinykws platform.

The board manifest says which toolchain (arm-none-eabi, riscv64-unknown-elf,
or the host's cc) and CPU; the project's platformio.ini
(rendered by gen-firmware) says the warning and optimisation flags and how to
upload. Nothing here is specific to one board.
"""

from os.path import isfile, join

from SCons.Script import Builder, Default, DefaultEnvironment

env = DefaultEnvironment()
board = env.BoardConfig()
toolchain = board.get("build.toolchain", "arm-none-eabi")

if toolchain == "host":
    env.Replace(CC="cc", AS="cc", LINK="cc", AR="ar", RANLIB="ranlib",
                SIZETOOL="size", PROGSUFFIX="")
    env.Append(CCFLAGS=["-D_POSIX_C_SOURCE=200809L"])
else:
    prefix = toolchain + "-"
    env.Replace(
        CC=prefix + "gcc", AS=prefix + "gcc", LINK=prefix + "gcc",
        AR=prefix + "gcc-ar", RANLIB=prefix + "gcc-ranlib",
        OBJCOPY=prefix + "objcopy", SIZETOOL=prefix + "size",
        PROGSUFFIX=".elf",
        SIZECHECKCMD="$SIZETOOL -A -d $SOURCES",
        SIZEPROGREGEXP=r"^(?:\.isr_vector|\.text|\.rodata|\.data)\s+(\d+).*",
        SIZEDATAREGEXP=r"^(?:\.data|\.bss|\.stack)\s+(\d+).*",
    )
    if toolchain == "riscv64-unknown-elf":
        march, mabi = board.get("build.march"), board.get("build.mabi")
        machine = ["-march=%s" % march, "-mabi=%s" % mabi]
        # Debian's GCC 12 picks its multilib (libgcc, picolibc) by the exact
        # ISA string and has none for rv32imc_zicsr: the link names the base
        # ISA (rv32imc -> the rv32im/ilp32 libraries, a subset of the core's
        # instructions); the Z extensions only matter to the compiler.
        link_machine = ["-march=%s" % march.split("_")[0], "-mabi=%s" % mabi]
        # Debian packages picolibc, not newlib, for riscv64-unknown-elf; its
        # specs give the compiler its headers and the linker its libraries.
        libc = link_libc = ["--specs=picolibc.specs"]
    else:
        machine = ["-mcpu=%s" % board.get("build.cpu"), "-mthumb"]
        if board.get("build.fpu", ""):
            machine += ["-mfpu=%s" % board.get("build.fpu"),
                        "-mfloat-abi=%s" % board.get("build.float_abi", "hard")]
        link_machine = machine
        libc, link_libc = [], ["--specs=nano.specs"]
    # A pre: script may point elsewhere (the repository's own platformio.ini does).
    ldscript = env.get("LDSCRIPT_PATH") or env.GetProjectOption(
        "board_build.ldscript", "linker.ld")
    if not isfile(ldscript):
        ldscript = join(env.subst("$PROJECT_DIR"), ldscript)
    env.Replace(LDSCRIPT_PATH=ldscript)  # PlatformIO passes it to the linker as -T
    env.Append(
        ASFLAGS=machine + libc,
        CCFLAGS=machine + libc + ["-ffunction-sections", "-fdata-sections"],
        LINKFLAGS=link_machine + link_libc + [
            "-nostartfiles", "-Wl,--gc-sections",
            "-Wl,--no-warn-rwx-segments",
            "-Wl,-Map,%s" % join("$BUILD_DIR", "firmware.map"),
        ],
        LIBS=["c", "gcc"],
    )
    env.Append(BUILDERS=dict(ElfToBin=Builder(
        action=env.VerboseAction("$OBJCOPY -O binary $SOURCES $TARGET",
                                 "Building $TARGET"),
        suffix=".bin")))

if "PROGNAME" not in env or env["PROGNAME"] == "program":
    env.Replace(PROGNAME="firmware")

target_elf = env.BuildProgram()
targets = [target_elf]
if toolchain != "host":
    target_bin = env.ElfToBin(join("$BUILD_DIR", "${PROGNAME}"), target_elf)
    targets.append(target_bin)
    env.AddPostAction(target_elf, env.VerboseAction(
        "$SIZETOOL -B -d $TARGET", "Section sizes of $TARGET"))

upload_command = env.get("UPLOADCMD") or env.GetProjectOption("upload_command", "")
if upload_command:
    env.Replace(UPLOADCMD=upload_command)
    actions = [env.VerboseAction("$UPLOADCMD", "Uploading $SOURCE")]
    if "$UPLOAD_PORT" in upload_command:  # a serial port: --upload-port, upload_port, or found
        actions.insert(0, env.VerboseAction(env.AutodetectUploadPort,
                                            "Looking for upload port..."))
    env.AddPlatformTarget("upload", targets, actions, "Upload")

Default(targets)
