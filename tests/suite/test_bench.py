"""The benchmarks (`make bench`) still import: `make test` does not run them,
and a rename once broke one unnoticed."""

from __future__ import annotations

import importlib.util
import pathlib
import sys

import pytest

BENCH = pathlib.Path(__file__).parent.parent.parent / "bench"
NAMES = sorted(path.stem for path in BENCH.glob("bench_*.py"))


def test_the_benchmarks_are_there():
    assert len(NAMES) >= 6, f"no benchmarks found in {BENCH}"


@pytest.mark.parametrize("name", NAMES)
def test_each_benchmark_imports(name, monkeypatch):
    path = BENCH / f"{name}.py"
    monkeypatch.syspath_prepend(str(BENCH))
    spec = importlib.util.spec_from_file_location(f"_bench_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    assert callable(getattr(module, "main", None) or getattr(module, "run", None))
