"""One table for several input sizes (--input repeated) and for a parameter sweep (--set C=LO..HI:STEP)."""

import io
import json
from contextlib import redirect_stderr, redirect_stdout

import pytest

import archc.api as api
from archc.cli import main
from archc.errors import ArchcError
from archc.teach.sweep import parse_range, split_sweep
from tests.conftest import SPECS

VARRES = str(SPECS / "varres_cnn.arch")
RESOLUTIONS = ("--input", "1,1,32,32", "--input", "1,1,48,48", "--input", "1,1,64,64")


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def macs_at(size):
    return api.check(VARRES, input_shape=(1, 1, size, size)).total_macs


def test_several_inputs_make_one_table():
    code, out, err = run("summary", VARRES, *RESOLUTIONS)
    assert code == 0, err
    for size in (32, 48, 64):
        assert f"Shape @{size}×{size}" in out and f"MACs @{size}×{size}" in out
        assert f"{macs_at(size):,}" in out
    conv3 = next(line for line in out.splitlines() if "conv2d_3" in line)
    assert conv3.count("23,409") == 1  # params once
    assert "[1, 81, 8, 8]" in conv3 and "[1, 81, 12, 12]" in conv3 and "[1, 81, 16, 16]" in conv3


def test_several_inputs_as_json():
    code, out, _ = run("summary", VARRES, *RESOLUTIONS, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["total_params"] == 29_029
    assert data["input_shapes"] == [[1, 1, 32, 32], [1, 1, 48, 48], [1, 1, 64, 64]]
    assert data["macs_per_sample"] == [macs_at(32), macs_at(48), macs_at(64)]
    pool = next(layer for layer in data["layers"] if layer["name"] == "maxpool2d_3")
    assert pool["output_shapes"] == [[1, 81, 4, 4], [1, 81, 6, 6], [1, 81, 8, 8]]
    conv = data["layers"][0]
    assert conv["params"] == 160 and conv["macs_per_sample"] == [144 * s * s for s in (32, 48, 64)]


def test_a_sweep_makes_one_row_per_value():
    code, out, _ = run("summary", VARRES, "--set", "C=60..100:10", "--input", "1,1,32,32")
    assert code == 0
    assert "varres_cnn: C = 60..100:10" in out
    for c in range(60, 101, 10):
        t = api.check(VARRES, overrides={"C": c}, input_shape=(1, 1, 32, 32))
        row = next(line for line in out.splitlines() if line.startswith(f"│ {c:>3} "))
        assert f"{4810 + 299 * c:,}" in row and f"{t.total_macs:,}" in row
    code, out, _ = run("summary", VARRES, "--set", "C=60..62", "--json")
    rows = json.loads(out)["rows"]
    assert [(r["value"], r["params"]) for r in rows] == [(c, 4810 + 299 * c) for c in (60, 61, 62)]
    assert "floor(H/4)" in rows[0]["macs_per_sample"]


def test_a_sweep_keeps_values_that_do_not_check_as_rows():
    spec = str(SPECS / "hw2p1_cnn.arch")
    s = api.sweep(spec, "width", range(8, 17, 2))
    failing = []
    for w in range(8, 17, 2):
        try:
            api.check(spec, overrides={"width": w})
        except ArchcError:
            failing.append(w)
    assert [v for v, t, _ in s.rows if t is None] == failing and 8 in failing
    assert "less than 1" in s.rows[0][2] and "error" in s.tables()[0].header


def test_plot_writes_an_image(tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "sweep.png"
    code, _, err = run("summary", VARRES, "--set", "C=60..100:10", "--input", "1,1,32,32", "--plot", str(png))
    assert code == 0 and f"wrote {png}" in err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "solve.svg"
    code, out, err = run("solve", VARRES, "--for", "C", "--params", "29066", "--set", "C=70..90:5", "--plot", str(svg))
    assert code == 0 and "<svg" in svg.read_text() and "C = 80" in out


def test_bad_ranges_and_sweeps_are_diagnostics():
    assert parse_range("60..100:10") == range(60, 101, 10)
    for text in ("60..", "100..60", "1..5:0"):
        with pytest.raises(ArchcError):
            parse_range(text)
    assert split_sweep(["pool=mean", "C=1..3"]) == (["pool=mean"], ("C", range(1, 4)))
    with pytest.raises(ArchcError, match="only one --set"):
        split_sweep(["C=1..3", "D=1..3"])
    code, _, err = run("summary", VARRES, "--set", "C=1..3", *RESOLUTIONS)
    assert code == 1 and "one --input" in err
    code, _, err = run("summary", VARRES, "--plot", "x.png")
    assert code == 1 and "--plot draws a sweep" in err
