"""`archc explain`: each layer's output sizes, parameter count and MACs as formulas with numbers."""

import io
import json
from contextlib import redirect_stderr, redirect_stdout

import pytest

import archc.api as api
from archc import dims, sizes
from archc.cli import main
from tests.conftest import ROOT, SPECS

MNIST = str(SPECS / "mnist_cnn.arch")
CONV5 = "network course { input x: [N, 3, H, W]  conv2d(16, kernel=5, stride=2, padding=1) }"


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_explain_a_layer_shows_its_three_formulas_with_numbers():
    code, out, err = run("explain", MNIST, "--layer", "conv2d_1")
    assert code == 0, err
    assert "conv2d_1: conv2d 3x3 /1 p1, [N, 1, 28, 28] → [N, 16, 28, 28]" in out
    assert "H_out = ⌊(H_in + 2·p − K) / s⌋ + 1 = ⌊(28 + 2·1 − 3) / 1⌋ + 1 = 28" in out
    assert "W_out = ⌊(W_in + 2·p − K) / s⌋ + 1 = ⌊(28 + 2·1 − 3) / 1⌋ + 1 = 28" in out
    assert "params = C_out·C_in·K·K + C_out = 16·1·3·3 + 16 = 160" in out
    assert "MACs = C_out·H_out·W_out · C_in·K·K = 16·28·28 · 1·3·3 = 112,896" in out
    assert "relu_1" not in out


def test_explain_results_as_numbers_from_the_api():
    layer = api.explain(MNIST, layers="conv2d_1").layer("conv2d_1")
    assert [f.name for f in layer.formulas] == ["H_out", "W_out", "params", "MACs"]
    assert [f.result for f in layer.formulas] == [28, 28, 160, 112_896]


@pytest.mark.parametrize("shape, out, filled", [
    ((1, 3, 768, 1024), (1, 16, 383, 511), "⌊(1024 + 2·1 − 5) / 2⌋ + 1"),
    ((1, 3, 1080, 1920), (1, 16, 539, 959), "⌊(1920 + 2·1 − 5) / 2⌋ + 1"),
])
def test_five_by_five_stride_two_on_two_image_sizes(shape, out, filled):
    layer = api.explain(CONV5, input_shape=shape).layers[0]
    assert layer.output == out
    assert layer.formula("W_out").filled == filled
    assert layer.formula("H_out").textbook == "⌊(H_in + 2·p − K) / s⌋ + 1"


def test_explain_several_inputs_from_the_cli():
    code, out, _ = run("explain", CONV5, "--input", "1,3,768,1024", "--input", "1,3,1080,1920")
    assert code == 0
    assert "[1, 3, 768, 1024] → [1, 16, 383, 511]" in out and "[1, 3, 1080, 1920] → [1, 16, 539, 959]" in out
    assert "H_out = ⌊(H_in + 2·p − K) / s⌋ + 1 = ⌊(768 + 2·1 − 5) / 2⌋ + 1 = 383" in out


def test_a_symbolic_input_gives_symbolic_results():
    e = api.explain(str(SPECS / "varres_cnn.arch"), layers=["maxpool2d_3", "conv2d_1"])
    pool, conv = e.layers
    assert pool.formula("H_out").result == dims.floordiv(dims.sym("H"), 8)
    assert pool.formula("H_out").line() == "H_out = ⌊(H_in + 2·p − K) / s⌋ + 1 = ⌊(⌊H/4⌋ + 2·0 − 2) / 2⌋ + 1 = ⌊H/8⌋"
    assert conv.formula("MACs").line() == "MACs = C_out·H_out·W_out · C_in·K·K = 16·H·W · 1·3·3 = 144·H·W"


def test_sums_and_dilation_read_as_written():
    spec = "network d { input x: [N, 2, W]  upsample1d(2) -> conv1d(4, kernel=3, dilation=2, stride=2) }"
    conv = api.explain(spec, layers="conv1d_1").layers[0]
    f = conv.formula("W_out")
    assert f.textbook == "⌊(W_in + 2·p − d·(K − 1) − 1) / s⌋ + 1"
    assert f.filled == "⌊((2·W − 1) + 2·0 − 2·(3 − 1) − 1) / 2⌋ + 1"


def test_every_formula_agrees_with_shape_inference_for_every_spec():
    for path in sorted(SPECS.glob("*.arch")):
        for net in api.parse(str(path)).networks:
            typed = api.check(str(path), net.name)
            e = api.explain(typed)
            for layer in e.layers:
                info = typed.layers[layer.name]
                sized = [f for f in layer.formulas if f.name.endswith("_out")]
                assert [f.result for f in sized] == [r for *_, r in info.sizes], layer.name
                counts = {f.name: f.result for f in layer.formulas}
                assert counts.get("params", 0) == info.n_params, layer.name
                assert counts.get("MACs", 0) == info.macs_per_sample, layer.name
            assert sum(layer.formula("params").result for layer in e.layers
                       if any(f.name == "params" for f in layer.formulas)) == typed.total_params


def test_markdown_latex_json_and_notebook_forms():
    code, md, _ = run("explain", MNIST, "--layer", "conv2d_1", "--markdown")
    assert code == 0
    assert "| H_out | ⌊(H_in + 2·p − K) / s⌋ + 1 | ⌊(28 + 2·1 − 3) / 1⌋ + 1 | 28 |" in md
    code, tex, _ = run("explain", MNIST, "--layer", "conv2d_1", "--latex")
    assert r"H_{\mathrm{out}} &= \left\lfloor (H_{\mathrm{in}} + 2 \cdot p - K) / s \right\rfloor + 1" in tex
    assert "112{,}896" in tex and r"\begin{align*}" in tex
    code, js, _ = run("explain", MNIST, "--layer", "conv2d_1", "--json")
    data = json.loads(js)
    assert [f["result"] for f in data["layers"][0]["formulas"]] == [28, 28, 160, 112896]
    assert data["total_params"] == 29066
    e = api.explain(MNIST, layers="conv2d_1")
    assert e._repr_markdown_() == e.markdown() and "<table>" in e._repr_html_() and "⌊(28" in e._repr_html_()


def test_an_unknown_layer_is_one_diagnostic():
    code, _, err = run("explain", MNIST, "--layer", "conv2d_9")
    assert code == 1 and "has no layer 'conv2d_9'" in err and "conv2d_1" in err and "Traceback" not in err


def test_the_textbook_form_is_the_dilation_one_entry_of_the_one_formula_table():
    assert sizes.textbook("conv_out", {"dilation": 1}) == "conv_out(dilation=1)"
    assert sizes.textbook("conv_out", {"dilation": 2}) == "conv_out"
    assert sizes.textbook("downsample_out", {}) == "downsample_out"
    teach = ROOT / "archc" / "teach"
    assert not any("{kernel}" in p.read_text() for p in teach.glob("*.py")), "formula templates belong in archc.sizes"
