"""The README's statements that a test can check (issue 19's six): what works with torch.jit.script, the
NumPy snippet's gradients, the install line, each command's --network default, the summary's columns and
footer, and the README's links. Its code blocks themselves run in tests/test_docs.py."""

import argparse
import re

import numpy as np
import pytest

import archc
from archc.cli import build_parser, main
from tests.conftest import ROOT, SPECS
from tests.doc_blocks import blocks

README = ROOT / "README.md"
TEXT = README.read_text()


def _sentences_with(word: str) -> list[str]:
    flat = " ".join(TEXT.split())
    return [s for s in re.split(r"(?<=[.;])\s", flat) if word in s]


# 1. torch.jit.script works on the emitted source, not on the in-memory module

def test_emitted_source_scripts_and_the_in_memory_module_does_not(tmp_path):
    torch = pytest.importorskip("torch")
    from tests.emitted import load_source, model_class

    typed = archc.check(str(SPECS / "mnist_cnn.arch"))
    emitted = model_class(load_source(archc.emit(typed), tmp_path), "mnist_cnn")().eval()
    x = torch.randn(2, 1, 28, 28)
    torch.testing.assert_close(torch.jit.script(emitted)(x), emitted(x))
    with pytest.raises(Exception, match="variable number of arguments"):
        torch.jit.script(archc.compile(typed, target="torch"))
    claims = _sentences_with("torch.jit.script")
    assert any("emitted" in c for c in claims), claims
    assert all("not with `torch.jit.script`" in c for c in claims if "in-memory" in c), claims


def test_the_emitted_module_works_with_torch_compile(tmp_path):
    torch = pytest.importorskip("torch")
    from tests.emitted import load_source, model_class

    emitted = model_class(load_source(archc.emit(str(SPECS / "mnist_cnn.arch")), tmp_path), "mnist_cnn")().eval()
    x = torch.randn(2, 1, 28, 28)
    torch.testing.assert_close(torch.compile(emitted, backend="aot_eager")(x), emitted(x))


# 2. the NumPy snippet: backward() adds to the gradients, so the snippet zeroes them first

def test_backward_accumulates_so_the_snippet_calls_zero_grad():
    model = archc.compile(str(SPECS / "mnist_cnn.arch"), dtype=np.float64)
    x = np.random.default_rng(0).standard_normal((2, 1, 28, 28))
    g = np.ones((2, 10))
    model.forward(x)
    model.backward(g)
    once = model.gradients()["conv2d_1.weight"].copy()
    model.forward(x)
    model.backward(g)
    np.testing.assert_allclose(model.gradients()["conv2d_1.weight"], 2 * once)
    model.zero_grad()
    assert not model.gradients()["conv2d_1.weight"].any()
    (snippet,) = [b.text for b in blocks(README) if b.lang == "python" and "model.backward" in b.text]
    assert "zero_grad()" in snippet.split("model.backward")[0], "the snippet must zero the gradients first"
    for name in ("x", "labels"):
        assert re.search(rf"^{name} = ", snippet, re.M), f"the snippet uses {name} without defining it"


# 3. the install line names the extras run.sh installs, and they exist

def test_the_install_line_is_what_run_sh_installs():
    (in_run_sh,) = re.findall(r"pip install -q -e '\.\[([\w,]+)\]'", (ROOT / "run.sh").read_text())
    in_readme = re.findall(r"pip install -e '\.\[([\w,]+)\]'", TEXT)
    assert in_readme == [in_run_sh], f"README says pip install -e {in_readme}, run.sh installs '.[{in_run_sh}]'"
    table = re.search(r"^\[project\.optional-dependencies\]\n(.*?)^\[", (ROOT / "pyproject.toml").read_text(),
                      re.S | re.M).group(1)
    extras = re.findall(r"^(\w+) = ", table, re.M)
    assert set(in_run_sh.split(",")) <= set(extras), f"extras not in pyproject.toml: {in_run_sh} vs {extras}"
    assert "train" in in_run_sh.split(",")


# 4. each command's --help states the --network default it has

TWO = """network first(C=3) {
  input x: [N, 1, 8]
  conv1d(C, kernel=3) -> flatten -> linear(2)
}
network second(C=2) {
  input x: [N, 1, 8]
  conv1d(C, kernel=2, stride=2)
}
"""
ARGS = {"solve": ["--for", "C", "--params", "10"], "render": ["-o", "{tmp}/net.dot"],
        "train": ["--data", "mnist1d", "--epochs", "1"], "eval": ["--data", "mnist1d", "--weights", "{tmp}/w.npz"]}
CLAIMS = {"every network": {"first", "second"}, "the last one": {"second"}}


def _network_helps() -> dict[str, str]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {name: a.help for name, p in sub.choices.items() for a in p._actions if "--network" in a.option_strings}


def test_every_command_with_network_says_its_default():
    helps = _network_helps()
    assert {"check", "summary", "emit", "render", "train", "eval"} <= set(helps)
    for command, text in helps.items():
        m = re.search(r"\(default: ([^)]+)\)", text)
        assert m and m.group(1) in CLAIMS, f"archc {command} --network: {text!r}"


@pytest.mark.parametrize("command", sorted(_network_helps()))
def test_the_stated_network_default_is_the_one_used(command, tmp_path, capsys):
    spec = tmp_path / "two.arch"
    spec.write_text(TWO)
    claim = re.search(r"\(default: ([^)]+)\)", _network_helps()[command]).group(1)
    main([command, str(spec), *[a.format(tmp=tmp_path) for a in ARGS.get(command, [])]])
    out = capsys.readouterr()
    text = out.out + out.err + "".join(p.read_text() for p in tmp_path.glob("*.dot"))
    if command in ("train", "eval"):  # both networks take [N, 1, 8], not MNIST-1D's 40: the diagnostic says which
        used = {"first" if int(line) <= 4 else "second" for line in re.findall(r"two\.arch:(\d+):", text)}
    else:
        used = {name for name in ("first", "second") if re.search(rf"\b{name}\b", text)}
    assert used == CLAIMS[claim], f"archc {command} says '{claim}' but acted on {sorted(used)}:\n{text[:2000]}"


# 5. the summary example shows what summary prints: RF and Jump columns and the footer

def test_summary_prints_rf_and_jump_and_the_footer(capsys):
    assert main(["summary", str(SPECS / "mnist_cnn.arch")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"┃ Layer .*┃\s+RF ┃ Jump ┃", out) and "22x22 │  8x8" in out
    assert "Params: 29,066 (0.11 MiB as float32)   MACs per sample: 1,924,992   Output: [N, 10]" in out


def test_the_readme_summary_example_is_a_console_block_of_the_real_output():
    (block,) = [b for b in blocks(README) if "$ archc summary specs/mnist_cnn.arch" in b.text]
    assert block.lang == "console"  # so tests/test_docs.py runs it and compares every line shown
    assert re.search(r"RF ┃ Jump ┃", block.text) and "Params: 29,066" in block.text


# 6. every relative link of the README resolves in a clone

def test_every_relative_link_resolves():
    links = re.findall(r"\]\(([^)#\s]+)", TEXT)
    local = [t for t in links if not re.match(r"[a-z]+:", t)]
    assert local, "the README links nothing?"
    missing = [t for t in local if not (ROOT / t).resolve().is_relative_to(ROOT) or not (ROOT / t).exists()]
    assert not missing, f"dead links in README.md: {missing}"
