"""SCons builder of the tinykws platform.

The board manifest says which toolchain and CPU; the project's platformio.ini
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
    machine = ["-mcpu=%s" % board.get("build.cpu"), "-mthumb"]
    if board.get("build.fpu", ""):
        machine += ["-mfpu=%s" % board.get("build.fpu"),
                    "-mfloat-abi=%s" % board.get("build.float_abi", "hard")]
    # A pre: script may point elsewhere (the repository's own platformio.ini does).
    ldscript = env.get("LDSCRIPT_PATH") or env.GetProjectOption(
        "board_build.ldscript", "linker.ld")
    if not isfile(ldscript):
        ldscript = join(env.subst("$PROJECT_DIR"), ldscript)
    env.Replace(LDSCRIPT_PATH=ldscript)  # PlatformIO passes it to the linker as -T
    env.Append(
        ASFLAGS=machine,
        CCFLAGS=machine + ["-ffunction-sections", "-fdata-sections"],
        LINKFLAGS=machine + [
            "-nostartfiles", "--specs=nano.specs", "-Wl,--gc-sections",
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
    env.AddPlatformTarget("upload", targets, env.VerboseAction(
        "$UPLOADCMD", "Uploading $SOURCE"), "Upload")

Default(targets)
