"""`archc solve`: the value of a network parameter that brings a count closest to a target."""

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from fractions import Fraction

import pytest

import archc.api as api
from archc.cli import main
from archc.errors import ArchcError
from archc.teach.solve import fit
from tests.conftest import SPECS

VARRES, MNIST = str(SPECS / "varres_cnn.arch"), str(SPECS / "mnist_cnn.arch")


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_match_another_spec_from_the_cli():
    code, out, err = run("solve", VARRES, "--for", "C", "--match", MNIST)
    assert code == 0, err
    assert "closest to 29,066 (mnist_cnn" in out
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()[:2] in ("80", "81", "82")}
    assert lines["80"][1:3] == ["28,730", "−336"]
    assert lines["81"][1:4] == ["29,029", "−37", "←"]
    assert lines["82"][1:3] == ["29,328", "+262"]
    assert "params = 299·C + 4,810" in out and out.rstrip().endswith("C = 81")
    assert "not checked" not in out  # its `expect params == 4810 + 299 * C` holds for every C


def test_params_target_from_the_api():
    s = api.solve(VARRES, "C", params=29_066)
    assert s.best == [81] and s.method == "polynomial" and str(s.polynomial) == "299·C + 4,810"
    assert [(v, c) for v, c, _ in s.rows] == [(80, 28_730), (81, 29_029), (82, 29_328)]
    assert s.to_dict()["rows"][1] == {"value": 81, "count": 29029, "difference": -37, "error": None}


def test_macs_target_agrees_with_checking_every_value():
    target, shape = 1_924_992, (1, 1, 28, 28)
    fitted = api.solve(VARRES, "C", macs=target, input_shape=shape, values=range(30, 100))
    searched = api.solve(VARRES, "C", macs=target, input_shape=shape, values=range(30, 100), show_all=True)
    assert fitted.method == "polynomial" and searched.method == "search"
    assert fitted.best == searched.best == [64]
    counts = {v: c for v, c, _ in searched.rows}
    assert all(fitted.polynomial(v) == c for v, c in counts.items())
    assert min(counts, key=lambda v: abs(counts[v] - target)) == 64
    code, out, _ = run("solve", VARRES, "--for", "C", "--macs", "1,924,992", "--input", "1,1,28,28")
    assert code == 0 and "C = 64" in out and "MACs = 14,122·C + 1,016,064" in out


def test_a_quadratic_count_and_a_repeat_count():
    # mnist1d_cnn: C sets both sides of two convolutions, so params are quadratic in C
    s = api.solve(str(SPECS / "mnist1d_cnn.arch"), "C", params=40_000)
    counts = {c: api.check(str(SPECS / "mnist1d_cnn.arch"), overrides={"C": c}).total_params for c in range(1, 129)}
    assert s.best == [min(counts, key=lambda c: abs(counts[c] - 40_000))]
    assert len(s.polynomial.coeffs) == 3
    resnet = str(SPECS / "resnet32.arch")  # 6n + 2 layers: ResNet-110 has n = 18
    at18 = api.sweep(resnet, "n", range(18, 19)).rows[0][1].total_params  # without its `expect params`
    r = api.solve(resnet, "n", params=at18 + 100, values=range(1, 40))
    assert r.best == [18] and len(r.polynomial.coeffs) == 2
    assert r.notes == ["the spec's `expect params == 464154` (line 37) holds for one n; it is not checked here"]


def test_where_sizes_depend_on_the_parameter_every_value_is_checked():
    spec = str(SPECS / "hw2p1_cnn.arch")  # the linear layer reads 14 * (floor((width - 10)/4) + 1) features
    s = api.solve(spec, "width", params=12_000, values=range(1, 300))
    assert s.method == "search" and s.polynomial is None
    counts = {}
    for w in range(1, 300):
        try:
            counts[w] = api.check(spec, overrides={"width": w}).total_params
        except ArchcError:
            pass
    best = min(abs(c - 12_000) for c in counts.values())
    assert s.best == [w for w, c in counts.items() if abs(c - 12_000) == best]


def test_a_sweep_lists_every_value_and_match_names_a_network():
    code, out, err = run("solve", VARRES, "--for", "C", "--match", f"{SPECS / 'layer_zoo.arch'}:zoo2d",
                       "--set", "C=1..3", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert [r["value"] for r in data["rows"]] == [1, 2, 3] and data["best"] == [1]
    assert data["target"] == 700 and data["target_label"].startswith("zoo2d")


@pytest.mark.parametrize("argv, message", [
    (("--for", "N", "--params", "1000"), "'N' is a dim of input 'x', not a parameter"),
    (("--for", "pool", "--params", "1000"), "is 'max', not an integer"),
    (("--for", "C", "--macs", "1000"), "depend on the input size"),
    (("--for", "C", "--params", "1000", "--range", "10..5"), "is empty"),
    (("--for", "C", "--params", "1000", "--set", "pool=1..3"), "sweeps only its --for parameter"),
])
def test_mistakes_are_one_diagnostic(argv, message):
    code, _, err = run("solve", VARRES, *argv)
    assert code == 1 and message in err and "Traceback" not in err


def test_fit_finds_low_degree_polynomials_only():
    p = fit(list(range(3, 11)), [3 * x * x - 7 * x + 2 for x in range(3, 11)], "C")
    assert str(p) == "3·C² − 7·C + 2" and p(100) == 29_302
    assert fit(list(range(3, 11)), [x // 2 for x in range(3, 11)], "C") is None
    half = fit(list(range(1, 9)), [x * (x + 1) // 2 for x in range(1, 9)], "n")
    assert half.coeffs == (0, Fraction(1, 2), Fraction(1, 2)) and str(half) == "1/2·n² + 1/2·n"
