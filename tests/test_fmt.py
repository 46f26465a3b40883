"""`archc fmt`: DSL <-> YAML keeps the IR and the comments; never overwrites a broken file."""

import io
from contextlib import redirect_stderr, redirect_stdout

import pytest

import archc
from archc.cli import main
from archc.parser.fmt import to_dsl
from archc.parser.fmt_yaml import to_yaml
from tests.conftest import SPECS

ALL = sorted(SPECS.glob("*.arch"))


def _ir(module, name):
    g = archc.load(module, name)
    return [(n.name, n.op, n.inputs, n.attrs) for n in g.nodes], [i.shape for i in g.inputs], g.checks and len(g.checks)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_dsl_yaml_dsl_keeps_the_ir(path):
    m = archc.parse(str(path))
    y = archc.parse("x.yaml", to_yaml(m))
    d = archc.parse("x.arch", to_dsl(y))
    for net in m.networks:
        assert _ir(m, net.name) == _ir(y, net.name) == _ir(d, net.name)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_dsl_formatting_is_idempotent_and_keeps_comments(path):
    m = archc.parse(str(path))
    once = to_dsl(m)
    assert to_dsl(archc.parse("x.arch", once)) == once
    for _, comment in m.comments:
        assert comment in once


def test_yaml_keeps_comments():
    m = archc.parse(str(SPECS / "mnist_cnn.arch"))
    text = to_yaml(m)
    assert text.startswith("# The MNIST CNN of the course material")


def _run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_fmt_in_place_never_overwrites_a_file_it_cannot_parse(tmp_path):
    path = tmp_path / "broken.arch"
    text = "network t {\n  input x: [N, 4]\n  linear(3 -> relu\n}\n"
    path.write_text(text)
    code, _, err = _run("fmt", "-i", str(path))
    assert code == 1 and "error:" in err
    assert path.read_text() == text


def test_fmt_in_place_rewrites_a_good_file(tmp_path):
    path = tmp_path / "ok.arch"
    path.write_text("network t{input x:[N,4]\nlinear(3)->relu # keep me\n}")
    code, _, _ = _run("fmt", "-i", str(path))
    assert code == 0
    assert path.read_text() == "network t {\n  input x: [N, 4]\n  linear(3) -> relu  # keep me\n}\n"


def test_fmt_to_yaml_file_checks(tmp_path):
    out = tmp_path / "mnist.yaml"
    code, _, _ = _run("fmt", str(SPECS / "mnist_cnn.arch"), "--to", "yaml", "-o", str(out))
    assert code == 0
    assert archc.check(str(out)).total_params == 29066
