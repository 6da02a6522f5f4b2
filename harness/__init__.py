"""tinykws harness: talk to firmware over UART, QEMU or the host build."""
