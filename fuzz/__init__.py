"""Coverage-guided fuzzing of every parser (docs/reliability.md): fuzz/targets.py."""
