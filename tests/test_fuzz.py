"""The fuzz targets (fuzz/targets.py), each for a few seconds from its seed
corpus: a crash, a sanitizer report, a leak, a hang (an input over its
timeout) or a broken promise of the target fails the test with the input
that caused it. Inputs that once made a target fail (regress-* in
tests/data/fuzz_corpus/<target>/) run first, every time. `make fuzz` runs
the same targets for minutes; see docs/reliability.md."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from fuzz.targets import CORPUS, PY_DIR, REPO, TARGETS, build_c_targets, clang_missing, run_target

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    missing = clang_missing()
    if missing:
        pytest.fail(missing, pytrace=False)
    return build_c_targets(tmp_path_factory.mktemp("fuzz"))


def _need_atheris() -> None:
    if importlib.util.find_spec("atheris") is None:
        pytest.fail("atheris is not installed: pip install -r requirements.txt (make setup does)",
                    pytrace=False)


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_fuzz_target_runs_clean(target, built, tmp_path):
    if target.kind == "python":
        _need_atheris()
    seeds = CORPUS / target.name
    inputs = list(seeds.iterdir())
    assert any(p.name.startswith("seed-") for p in inputs), \
        f"no seeds in {seeds}: python -m fuzz.make_corpus --target {target.name}"
    # libFuzzer would cut a longer input to max_len without a word
    assert max(p.stat().st_size for p in inputs) <= target.max_len
    result = run_target(target, built, tmp_path, target.ci_seconds)
    assert result.ok, result.failure()
    # The seeds ran and the fuzzer went on from them.
    assert result.execs is not None and result.execs > len(inputs), result.log[-3000:]


def test_known_model_faults_still_fail_where_listed(tmp_path):
    """generator/model/ faults the tflite target found, reported to its owners
    (fuzz/py/known_faults.py), are let through by the target; each must still happen,
    where listed, on its input, or its entry must go."""
    _need_atheris()
    spec = importlib.util.spec_from_file_location("known_faults", PY_DIR / "known_faults.py")
    known = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(known)
    env = dict(os.environ, PYTHONPATH=str(REPO), TINYKWS_FUZZ_STRICT="1")
    listed = {CORPUS / "tflite" / f"known-{name}" for name in known.KNOWN}
    unlisted = sorted(p.name for p in (CORPUS / "tflite").glob("known-*") if p not in listed)
    assert not unlisted, f"inputs of known faults with no entry in known_faults.py: {unlisted}"
    for name, (kind, path, function) in known.KNOWN.items():
        case = CORPUS / "tflite" / f"known-{name}"
        assert case.is_file(), f"known fault {name} has no input {case}"
        proc = subprocess.run([sys.executable, str(PY_DIR / "fuzz_tflite.py"), str(case)],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        output = proc.stdout + proc.stderr  # atheris prints the traceback to stdout
        raised = output[output.find("Uncaught Python exception"):]
        where = f"{path}\", line" in raised and f"in {function}" in raised
        assert proc.returncode != 0 and "Uncaught Python exception" in output \
            and f"{kind}:" in raised and where, (
                f"{case.name} no longer fails in {function}: if the fault is fixed, remove "
                f"{name} from fuzz/py/known_faults.py and rename its input regress-{name}\n"
                + output[-3000:])
