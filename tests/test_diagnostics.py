"""Broken specs: each gives exactly one diagnostic, at the right line and column,
and never a Python traceback. `@@` in a case marks where the caret must point."""

import io
import re
from contextlib import redirect_stderr, redirect_stdout

import pytest

import archc
from archc.cli import main
from archc.errors import ArchcError

MNIST_HEAD = "network t {\n  input x: [N, 1, 28, 28]\n"

CASES = [
    # -- syntax
    ("missing paren", "network t {\n  input x: [N, 1, 8]\n  conv1d(4, kernel=3 @@-> relu\n}", "unexpected '->'"),
    ("trailing comma", "network t {\n  input x: [N, 1, 8]\n  conv1d(4,@@)\n}", "unexpected ')'"),
    ("bad character", "network t {\n  input x: [N, 1, 8]\n  relu @@$ 2\n}", "unexpected character '$'"),
    ("missing brace", "network t {\n  input x: [N, 1, 8]\n  relu@@", "unexpected end of file"),
    ("missing colon", "network t {\n  input x @@[N, 1, 8]\n}", "unexpected '['"),
    ("single equals", "network t {\n  input x: [N, 1, 8]\n  expect params @@= 5\n}", "unexpected '='"),
    ("two dots", "network t {\n  input x: [N, 1, 8]\n  dropout(0.2@@.3)\n}", "unexpected a number"),
    ("open string", "network t {\n  input x: [N, 1, 8]\n  global_pool(@@'max)\n}", "unexpected character"),
    ("no network name", "network @@{\n}", "unexpected '{'"),
    ("dangling arrow", "network t {\n  input x: [N, 1, 8]\n  relu ->\n@@}", "unexpected '}'"),
    ("missing input name", "network t {\n  input @@: [N, 1, 8]\n}", "unexpected ':'"),
    # -- unknown ops and names
    ("unknown op", MNIST_HEAD + "  @@conv3d(16, kernel=3)\n}", "unknown op, block or name 'conv3d'"),
    ("typo op", MNIST_HEAD + "  conv2d(4, 3) -> @@rleu\n}", "did you mean 'relu'"),
    ("reference mid-chain", MNIST_HEAD + "  relu -> @@x\n}", "a reference can only start a chain"),
    # -- attributes
    ("unknown attribute", MNIST_HEAD + "  conv2d(16, @@kernal=3)\n}", "conv2d has no attribute 'kernal'"),
    ("float channels", MNIST_HEAD + "  conv2d(@@16.5, kernel=3)\n}", "'out_channels' must be an int"),
    ("zero channels", MNIST_HEAD + "  conv2d(@@0, kernel=3)\n}", "must be >= 1"),
    ("missing kernel", MNIST_HEAD + "  @@conv2d(16)\n}", "needs attribute 'kernel_size'"),
    ("bool slope", MNIST_HEAD + "  leaky_relu(@@negative_slope=true)\n}", "must be a number"),
    ("bad choice", MNIST_HEAD + "  global_pool(@@median)\n}", "must be one of max, mean"),
    ("3-tuple stride", MNIST_HEAD + "  conv2d(4, 3, @@stride=(1, 2, 3))\n}", "tuple of 2 ints"),
    ("int bias", MNIST_HEAD + "  flatten -> linear(10, @@bias=1)\n}", "must be true or false"),
    ("given twice", MNIST_HEAD + "  conv2d(4, 3, @@kernel=3)\n}", "given twice"),
    ("positional after keyword", MNIST_HEAD + "  conv2d(out_channels=4, @@3)\n}", "positional argument cannot follow"),
    ("unbound parameter", MNIST_HEAD + "  conv2d(@@C, 3)\n}", "must be an int, got a name ('C')"),
    ("negative padding", MNIST_HEAD + "  conv2d(4, 3, @@padding=-1)\n}", "must be >= 0"),
    ("too many positionals", MNIST_HEAD + "  @@maxpool2d(2, 2, 0)\n}", "at most 2 positional"),
    # -- shapes
    ("wrong expectation",
     MNIST_HEAD + "  conv2d(16, 3, padding=1) -> maxpool2d(2) : @@[N, 16, 28, 28]\n}",
     "has output shape [N, 16, 14, 14], expected [N, 16, 28, 28]"),
    ("conv on flat input", "network t {\n  input x: [N, 784]\n  @@conv2d(16, 3)\n}", "expects a 4-D input"),
    ("residual changes channels", MNIST_HEAD + "  @@residual { conv2d(8, 3, padding=1) }\n}", "add: shapes differ"),
    ("groups", "network t {\n  input x: [N, 4, 28, 28]\n  @@conv2d(16, 3, groups=3)\n}", "not divisible by groups=3"),
    ("symbolic features", "network t {\n  input x: [N, D]\n  @@linear(10)\n}", "concrete number of input features"),
    ("pool padding", MNIST_HEAD + "  @@maxpool2d(2, padding=2)\n}", "padding must be at most half"),
    ("float size", MNIST_HEAD + "  relu : [N, 1, @@2.5, 28]\n}", "a size must be an integer"),
    ("inexact division", MNIST_HEAD + "  relu : [N, 1, @@28/3, 28]\n}", "is not a whole number"),
    # -- sizes below 1
    ("kernel larger than input", "network t {\n  input x: [N, 1, 3, 3]\n  @@conv2d(4, kernel=5)\n}",
     "output size is -1, which is less than 1"),
    ("pool to zero", "network t {\n  input x: [N, 1, 2, 2]\n  @@maxpool2d(4, stride=1)\n}", "less than 1"),
    ("zero input size", "network t {\n  input x: [N, @@0, 28]\n}", "input size must be at least 1"),
    ("transpose to zero", "network t {\n  input x: [N, 1, 1]\n  @@conv_transpose1d(2, kernel=1, padding=1)\n}",
     "less than 1"),
    # -- references, names, cycles
    ("undefined reference", MNIST_HEAD + "  relu -> add(@@y)\n}", "refers to 'y', which is not defined"),
    ("forward reference", MNIST_HEAD + "  relu as a -> add(@@c) as b\n  b -> relu as c\n}",
     "refers to 'c', which is not defined"),
    ("duplicate name", MNIST_HEAD + "  relu as a\n  @@relu as a\n}",
     "name 'a' is already used (first defined at line 3)"),
    ("block as name", "block b(C) { conv2d(C, 1) }\n" + MNIST_HEAD + "  @@relu as b\n}", "'b' is a block"),
    ("undefined output", MNIST_HEAD + "  relu\n  @@output zz\n}", "output 'zz' is not defined"),
    ("negative repeat", MNIST_HEAD + "  repeat @@-1 { relu }\n}", "repeat count must be at least 0"),
    ("block without argument", "block b(C) { conv2d(C, 1) }\n" + MNIST_HEAD + "  @@b()\n}",
     "needs argument 'C'"),
    ("no input", "network t {\n  @@relu\n}", "has no input"),
    # -- counts
    ("wrong params", MNIST_HEAD + "  flatten -> linear(10)\n  @@expect params == 100\n}",
     "has 7,850 params, expected == 100"),
    ("wrong macs", MNIST_HEAD + "  flatten -> linear(10)\n  @@expect macs <= 10\n}", "has 7,840 macs"),
    # -- YAML
    ("yaml bad key", "network: t\n@@layerz: []\n", "unknown top-level key 'layerz'"),
    ("yaml two ops", "network: t\ninput: {x: [N, 4]}\nlayers:\n  - @@relu: null\n    tanh: null\n",
     "exactly one op key"),
    ("yaml unknown op", "network: t\ninput: {x: [N, 4]}\nlayers:\n  - @@lineer: 3\n",
     "unknown op, block or name 'lineer'"),
    ("yaml indentation", "network: t\nlayers:\n  - relu\n @@- tanh\n", "invalid YAML"),
    ("yaml bad attr", "network: t\ninput: {x: [N, 4]}\nlayers:\n  - linear: {@@out_features: ten}\n",
     "must be an int"),
]


def _locate(text: str) -> tuple[str, int, int]:
    before, _, _ = text.partition("@@")
    line = before.count("\n") + 1
    col = len(before) - (before.rfind("\n") + 1) + 1
    return text.replace("@@", ""), line, col


@pytest.mark.parametrize("label,text,message", CASES, ids=[c[0] for c in CASES])
def test_broken_spec_gives_one_located_diagnostic(label, text, message, tmp_path):
    source, line, col = _locate(text)
    suffix = ".yaml" if label.startswith("yaml") else ".arch"
    path = tmp_path / f"case{suffix}"
    path.write_text(source)
    with pytest.raises(ArchcError) as info:
        archc.check(str(path))
    err = info.value
    assert message in err.message + (err.hint or ""), err.format()
    assert err.span is not None, err.format()
    assert (err.span.line, err.span.column) == (line, col), err.format()
    # the CLI prints exactly that one diagnostic, compiler style, with no traceback
    out, errs = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(errs):
        code = main(["check", str(path)])
    printed = errs.getvalue()
    assert code == 1
    assert "Traceback" not in printed
    assert len(re.findall(r"^\S+:\d+:\d+: error: ", printed, re.M)) == 1, printed
    assert printed.startswith(f"{path}:{line}:{col}: error: ")
    caret_line = [ln for ln in printed.splitlines() if ln.lstrip(" |").startswith("^") or ("| " in ln and "^" in ln)]
    assert caret_line, printed


def test_there_are_at_least_thirty_cases():
    assert len(CASES) >= 30


def test_caret_sits_under_the_offending_text(tmp_path):
    path = tmp_path / "t.arch"
    path.write_text(MNIST_HEAD + "  conv2d(16, kernal=3)\n}")
    err = io.StringIO()
    with redirect_stderr(err):
        main(["check", str(path)])
    lines = err.getvalue().splitlines()
    src = next(i for i, ln in enumerate(lines) if "conv2d(16, kernal=3)" in ln)
    caret = lines[src + 1]
    start = caret.index("^")
    assert lines[src][start:].startswith("kernal=3")
    assert caret[start:].strip() == "^" + "~" * (len("kernal=3") - 1)


def test_unknown_op_suggests_close_names():
    with pytest.raises(ArchcError) as info:
        archc.check(MNIST_HEAD + "  maxpool(2)\n}")
    assert "maxpool1d" in info.value.hint and "maxpool2d" in info.value.hint


def test_shape_error_names_the_node():
    with pytest.raises(ArchcError) as info:
        archc.check("network t {\n  input x: [N, 1, 3, 3]\n  conv2d(4, kernel=5) as big\n}")
    text = info.value.format()
    assert "while inferring node 'big' (conv2d)" in text
    assert "kernel_size=(5, 5)" in text and "input [N, 1, 3, 3]" in text
