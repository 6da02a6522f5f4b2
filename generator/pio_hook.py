"""PlatformIO pre-script of the repository's own platformio.ini.

`pio run -e <board>` at the repository root renders the bundled default
firmware for that board into .pio/tinykws/<board> and builds that, so the
repository behaves like any PlatformIO project (build, upload, QEMU).
"""

import json
import sys
from pathlib import Path

Import("env")  # noqa: F821  (SCons injects Import)

root = Path(env.subst("$PROJECT_DIR"))  # noqa: F821
sys.path.insert(0, str(root))

from generator.boards import load_board  # noqa: E402
from generator.render import DEFAULT_QEMU_PORT, MANIFEST, upload_command  # noqa: E402
from generator.firmware import render_default  # noqa: E402

board = load_board(env.subst("$PIOENV"))  # noqa: F821  (environment name = board id)
project = render_default(board, root / ".pio" / "tinykws" / board.id)
env.Replace(PROJECT_SRC_DIR=str(project / "src"))  # noqa: F821
if not board.is_host:
    env["LDSCRIPT_PATH"] = str(project / "linker.ld")  # noqa: F821
# The same flags the rendered project's own platformio.ini carries.
flags = json.loads((project / MANIFEST).read_text())["build_flags"]
env.Append(CFLAGS=[f for f in flags if f.startswith("-std=")],  # noqa: F821
           CCFLAGS=[f for f in flags if not f.startswith(("-std=", "-D"))],
           CPPDEFINES=[tuple(f[2:].split("=", 1)) for f in flags if f.startswith("-D")])
command, _ = upload_command(board, DEFAULT_QEMU_PORT)
if command:
    env.Replace(UPLOADCMD=command)  # noqa: F821
