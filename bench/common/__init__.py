"""Helpers shared by the benchmarks and the tests (the tests import them from
here; nothing here imports from tests/)."""
