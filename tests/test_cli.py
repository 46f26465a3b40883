"""The `archc` command: exit codes, summary table and JSON, --set and --input."""

import io
import json
from contextlib import redirect_stderr, redirect_stdout

from archc.cli import main
from tests.conftest import SPECS


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_check_all_specs_passes():
    code, out, err = run("check", *map(str, sorted(SPECS.glob("*.*"))))
    assert code == 0, err
    assert "mnist_cnn  29,066 params" in out


def test_check_reports_every_failing_file(tmp_path):
    bad1, bad2 = tmp_path / "a.arch", tmp_path / "b.arch"
    bad1.write_text("network a { input x: [N, 3] linear(2) expect params == 1 }")
    bad2.write_text("network b { input x: [N, 3] lineer(2) }")
    code, out, err = run("check", str(bad1), str(SPECS / "mnist_cnn.arch"), str(bad2))
    assert code == 1
    assert err.count("error:") == 2 and "a.arch:1:39" in err and "b.arch:1:29" in err
    assert "mnist_cnn" in out


def test_summary_json_schema():
    code, out, _ = run("summary", str(SPECS / "mnist_cnn.arch"), "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"network", "inputs", "input_shape", "outputs", "output_shape", "total_params",
                         "macs_per_sample", "macs_per_batch", "batch", "macs_counting", "parameters", "valid_inputs",
                         "layers"}
    assert data["network"] == "mnist_cnn"
    assert data["input_shape"] == ["N", 1, 28, 28] and data["output_shape"] == ["N", 10]
    assert data["outputs"] == {"linear_1": ["N", 10]}
    assert data["total_params"] == 29066
    assert data["layers"][0] == {"name": "conv2d_1", "op": "conv2d", "inputs": ["x"], "output_shape": ["N", 16, 28, 28],
                                 "params": 160, "macs_per_sample": 16 * 28 * 28 * 9,
                                 "macs_per_batch": f"{16 * 28 * 28 * 9}*N", "receptive_field": [3, 3], "jump": [1, 1]}
    assert sum(layer["params"] for layer in data["layers"]) == 29066
    assert sum(layer["macs_per_sample"] for layer in data["layers"]) == data["macs_per_sample"]
    assert "bias" in data["macs_counting"]


def test_summary_with_concrete_input_and_set():
    code, out, _ = run("summary", str(SPECS / "varres_cnn.arch"), "--input", "8,1,48,48", "--set", "C=64", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["input_shape"] == [8, 1, 48, 48]
    assert data["layers"][-3]["output_shape"] == [8, 64, 6, 6]
    assert data["total_params"] == 4810 + 299 * 64


def test_summary_symbolic_json_uses_strings():
    code, out, _ = run("summary", str(SPECS / "varres_cnn.arch"), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["layers"][8]["output_shape"] == ["N", 81, "floor(H/8)", "floor(W/8)"]
    assert isinstance(data["macs_per_sample"], str) and "floor(H/2)" in data["macs_per_sample"]
    assert data["macs_per_batch"].count("N") >= 3  # per batch, every term is times the batch size


def test_summary_table_shows_layers_and_totals():
    code, out, _ = run("summary", str(SPECS / "mnist_cnn.arch"))
    assert code == 0
    for text in ("conv2d_1", "[N, 16, 14, 14]", "29,066", "Total"):
        assert text in out


def test_bad_set_and_input_are_diagnostics():
    code, _, err = run("summary", str(SPECS / "mnist_cnn.arch"), "--set", "C=3")
    assert code == 1 and "has no parameter 'C'" in err and "Traceback" not in err
    code, _, err = run("summary", str(SPECS / "mnist_cnn.arch"), "--input", "1,1,28")
    assert code == 1 and "declared [N, 1, 28, 28]" in err
    code, _, err = run("summary", str(SPECS / "mnist_cnn.arch"), "--input", "1,3,28,28")
    assert code == 1 and "got [1, 3, 28, 28]" in err
    code, _, err = run("check", "no/such/file.arch")
    assert code == 1 and "no such file" in err


def test_ir_printer_golden():
    code, out, _ = run("ir", str(SPECS / "two_layer.arch"))
    assert code == 0
    assert out == (
        "graph two_layer(x: [N, 2]) {\n"
        "  linear_1 = linear(x; out_features=3, bias=true)\n"
        "  sigmoid_1 = sigmoid(linear_1)\n"
        "  linear_2 = linear(sigmoid_1; out_features=2, bias=true)\n"
        "  softmax_1 = softmax(linear_2; dim=-1)\n"
        "  check sigmoid_1: [N, 3]\n"
        "  check softmax_1: [N, 2]\n"
        "  check params == 17\n"
        "  return softmax_1\n"
        "}\n"
    )
