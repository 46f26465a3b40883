"""bench/report.py: the contract it holds bench modules to, the medians over rounds, the Markdown table and
the machine line. Nothing here is timed: the measures are stand-ins returning fixed values."""

import importlib
import inspect
import sys

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
report = importlib.import_module("report")


def fake(values):
    """A measure whose successive calls return ``values`` for one figure; it records the runs it was given."""
    calls = []

    def measure(runs):
        calls.append(runs)
        return [{"name": "ratio of a to b", "value": values[len(calls) - 1], "unit": "", "command": "python x.py"}]

    return measure, calls


def test_a_figure_is_the_median_of_the_rounds_with_their_range():
    measure, calls = fake([1.0, 5.0, 3.0])
    (row,) = report.collect({"x": (measure, 7)}, rounds=3)
    assert calls == [7, 7, 7] and row["value"] == 3.0 and row["values"] == [1.0, 5.0, 3.0] and row["runs"] == 7
    assert report.figure(row) == "3 (1-5)"
    assert report.figure({"value": 59.25, "unit": "µs"}) == "59.2 µs"


def test_the_table_is_markdown_with_header_rows_and_skipped_modules():
    measure, _ = fake([1.5])
    text = report.markdown(report.collect({"x": (measure, 30)}, 1), ["Measured on a machine."],
                           {"torch_overhead": "cannot import (No module named 'torch')"})
    assert text.splitlines() == [
        "Measured on a machine.", "",
        "| what | figure | runs | command |",
        "|---|---|---|---|",
        "| ratio of a to b | 1.5 | 30 | `python x.py` |",
        "| torch_overhead | skipped: cannot import (No module named 'torch') | | "
        "`.venv/bin/python bench/torch_overhead.py` |"]


@pytest.mark.parametrize("rows", [[], {"name": "x"}, [{"name": "x", "value": 1.0}],
                                  [{"name": "x", "value": "fast", "unit": "", "command": "c"}]])
def test_rows_outside_the_contract_are_refused(rows):
    with pytest.raises(TypeError, match=r"^m\.measure"):
        report.check_rows("m", rows)


def test_the_cpu_model_is_read_from_cpuinfo(tmp_path):
    (tmp_path / "cpuinfo").write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n")
    assert report.cpu_model(tmp_path / "cpuinfo") == "AMD EPYC 7B13"
    assert report.cpu_model(tmp_path / "missing")  # falls back to platform's answer, never fails


def test_an_unknown_benchmark_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as e:
        report.main(["--only", "nope"])
    assert e.value.code == 2 and "unknown benchmark 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("name", report.BENCHES)
def test_every_benchmark_module_follows_the_contract(name):
    if name != "shape_infer":
        pytest.importorskip("torch")
    module = importlib.import_module(name)
    assert list(inspect.signature(module.measure).parameters) == ["runs"]
    assert isinstance(module.RUNS, int) and module.RUNS >= 1
