"""PlatformIO pre-script of the repository's own platformio.ini.

`pio run -e <board>` at the repository root renders the bundled default
firmware for that board into .pio/tinykws/<board> and builds that, so the
repository behaves like any PlatformIO project (build, upload, QEMU).
"""

import sys
from pathlib import Path

Import("env")  # noqa: F821  (SCons injects Import)

root = Path(env.subst("$PROJECT_DIR"))  # noqa: F821
sys.path.insert(0, str(root))

from generator.boards import load_board  # noqa: E402
from generator.render import C_FLAGS, WARNING_FLAGS, DEFAULT_QEMU_PORT, upload_command  # noqa: E402
from generator.firmware import render_default  # noqa: E402

board = load_board(env.subst("$PIOENV"))  # noqa: F821  (environment name = board id)
project = render_default(board, root / ".pio" / "tinykws" / board.id)
env.Replace(PROJECT_SRC_DIR=str(project / "src"))  # noqa: F821
if not board.is_host:
    env["LDSCRIPT_PATH"] = str(project / "linker.ld")  # noqa: F821
env.Append(CFLAGS=C_FLAGS, CCFLAGS=WARNING_FLAGS)  # noqa: F821
command, _ = upload_command(board, DEFAULT_QEMU_PORT)
if command:
    env.Replace(UPLOADCMD=command)  # noqa: F821
