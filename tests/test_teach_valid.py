"""The input sizes a network accepts, checked against shape inference at every size 1..256."""

import io
import json
from contextlib import redirect_stderr, redirect_stdout

import pytest

import archc.api as api
from archc import dims
from archc.cli import main
from archc.errors import ArchcError
from archc.shape_infer import infer
from archc.teach.valid import Condition, valid_sizes
from tests.conftest import ROOT, SPECS

UNET = str(ROOT / "tests" / "specs" / "unet_like.arch")
H = dims.sym("H")
SIZES = range(1, 257)


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def symbolic_networks():
    """(path, network) for every network of specs/ and tests/specs/ whose input has symbolic sizes."""
    out = []
    for path in sorted([*SPECS.glob("*.arch"), *SPECS.glob("*.yaml"), *(ROOT / "tests" / "specs").glob("*.arch")]):
        for net in api.parse(str(path)).networks:
            graph = api.load(str(path), net.name)
            if any(not isinstance(d, int) for i in graph.inputs for d in i.shape[1:]):
                out.append((str(path), net.name))
    return out


def works(graph, env):
    shapes = {i.name: tuple(dims.evaluate(d, env) for d in i.shape) for i in graph.inputs}
    try:
        infer(graph, shapes)
        return True
    except ArchcError:
        return False


def test_the_brute_force_covers_the_symbolic_specs():
    names = {net for _, net in symbolic_networks()}
    assert {"varres_cnn", "unet_like"} <= names


@pytest.mark.parametrize("path, network", symbolic_networks(), ids=lambda x: str(x).rpartition("/")[2])
def test_the_report_says_exactly_which_sizes_work(path, network):
    graph = api.load(path, network)
    report = api.valid_inputs(graph)
    assert all(ss.exact for ss in report.sets.values())
    for symbol, ss in report.sets.items():
        others = {s: o.minimum for s, o in report.sets.items() if s != symbol} | {"N": 1}
        wrong = [v for v in SIZES if works(graph, {**others, symbol: v}) != (v in ss)]
        assert not wrong, f"{symbol}: the report ({ss.text()}) is wrong at {wrong[:10]}"


def test_varres_and_unet_conditions():
    assert api.valid_inputs(str(SPECS / "varres_cnn.arch")).text() == "H >= 8, W >= 8"
    unet = api.valid_inputs(UNET)
    assert unet.sets["H"].conditions() == ["H >= 16", "H % 16 == 0"]
    assert unet.text() == "H >= 16, H % 16 == 0, W >= 16, W % 16 == 0"
    assert any("concat" in why for why in unet.sets["H"].why) and any("maxpool2d_4" in w for w in unet.sets["H"].why)
    assert {"H": 32, "W": 48} in unet and {"H": 32, "W": 40} not in unet


@pytest.mark.parametrize("conds, text", [
    ([("ge1", H - 5, 1), ("eq", 2 * dims.floordiv(H, 2), H)], "H >= 6, H % 2 == 0"),
    ([("ge1", 10 - H, 1)], "H in {1..9}"),
    ([("eq", H, 7)], "H in {7}"),
    ([("eq", dims.floordiv(H + 1, 4), dims.floordiv(H, 4))], "H % 4 in {0, 1, 2}"),
    ([("ge1", dims.floordiv(H - 3, 5), 1), ("eq", dims.floordiv(H, 3) * 3, H)], "H >= 9, H % 3 == 0"),
    ([("ge1", H - 40, 1), ("eq", H, 3)], "no size of H works"),
    ([("eq", dims.floordiv(H, 2) * 2, H), ("ge1", 100 - H, 1)], "H >= 2, H <= 98, H % 2 == 0"),
])
def test_valid_sizes_summaries_match_brute_force(conds, text):
    cs = [Condition("x", kind, a, b) for kind, a, b in conds]
    ss = valid_sizes(cs, "H")
    assert ss.text().startswith(text)
    for v in range(1, 600):
        assert (v in ss) == all(c.holds({"H": v}) for c in cs), v


def test_check_and_summary_report_valid_inputs():
    code, out, _ = run("check", str(SPECS / "varres_cnn.arch"), str(SPECS / "mnist_cnn.arch"))
    assert code == 0 and "valid inputs: H >= 8, W >= 8" in out and out.count("valid inputs") == 1
    code, out, _ = run("summary", str(SPECS / "varres_cnn.arch"))
    assert "Valid inputs: H >= 8, W >= 8" in out
    code, out, _ = run("summary", UNET, "--json")
    data = json.loads(out)["valid_inputs"]
    assert data["H"]["conditions"] == ["H >= 16", "H % 16 == 0"] and data["H"]["period"] == 16


def test_an_input_that_breaks_the_network_names_the_layer_and_the_valid_sizes():
    code, _, err = run("check", str(SPECS / "varres_cnn.arch"), "--input", "1,1,4,40")
    assert code == 1
    assert "while inferring node 'maxpool2d_3'" in err and "less than 1" in err
    assert "the network accepts H >= 8, W >= 8; here H = 4" in err
    code, _, err = run("summary", UNET, "--input", "1,1,48,40")
    assert code == 1 and "concat" in err and "here W = 40" in err and "H = 48" not in err


SHADOW = """block down(H) {
  conv2d(H, kernel=3, padding=1) -> maxpool2d(2)
}
network handout(N=81) {
  input x: [N, 1, H, W]
  conv2d(16, kernel=3, padding=1) -> maxpool2d(2) -> down(32)
  conv2d(N, kernel=3, padding=1) -> global_pool(max) -> linear(10)
}
"""


def test_names_that_shadow_input_dims_are_warnings(tmp_path):
    spec = tmp_path / "handout.arch"
    spec.write_text(SHADOW)
    warnings = api.warnings(str(spec))
    assert [w.span.line for w in warnings] == [4, 1]
    assert "fixes the batch size to 81" in warnings[0].message
    assert "inside the block, H means the argument" in warnings[1].message
    code, out, err = run("check", str(spec))
    assert code == 0 and "ok" in out
    assert err.count("warning:") == 2 and f"{spec}:4:17: warning: network parameter 'N'" in err
    for path in (SPECS / "varres_cnn.arch", SPECS / "hw2p1_cnn.arch", SPECS / "resnet32.arch"):
        assert api.warnings(str(path)) == [], path
