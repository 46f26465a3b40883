"""Hostile specs and requests (issue #13) that once gave a Python traceback or a diagnostic without
a location: each is now a located diagnostic and exit 1, and nothing is written."""

import io
import os
import subprocess
import sys
import zipfile
from contextlib import redirect_stderr, redirect_stdout

import pytest

from archc.cli import main
from tests.conftest import ROOT, SPECS


def run(*argv, cwd=None):
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    try:
        if cwd:
            os.chdir(cwd)
        with redirect_stdout(out), redirect_stderr(err):
            code = main([str(a) for a in argv])
    finally:
        os.chdir(here)
    return code, out.getvalue(), err.getvalue()


def located(tmp_path, name, text, *argv, command="check"):
    """Exit code and stderr of ``archc COMMAND NAME`` on ``text``, failing on a traceback."""
    (tmp_path / name).write_text(text, encoding="utf-8")
    code, _, err = run(command, *argv, name, cwd=tmp_path)
    assert "Traceback" not in err
    return code, err


ARCH = "network t {{\n  input x: [N, H]\n  linear({expr})\n}}\n"
ARITHMETIC = [
    ("floor(1.0/0)", "a.arch:3:16: error: cannot divide 1.0 by 0"),
    ("ceil(1e999)", "a.arch:3:15: error: the expression gives inf, not a finite number"),
    ("floor(H/2.0)", "a.arch:3:16: error: a symbolic size cannot be combined with a float"),
    ("1" + "0" * 5000, "a.arch:3:10: error: the number has 5,001 digits"),
    ("H*" + "1" + "0" * 59 + "*" + "1" + "0" * 59, "a.arch:3:10: error: the number has 119 digits"),
]


@pytest.mark.parametrize("expr,message", ARITHMETIC, ids=[a[0][:20] for a in ARITHMETIC])
def test_spec_arithmetic_is_a_located_diagnostic(expr, message, tmp_path):
    code, err = located(tmp_path, "a.arch", ARCH.format(expr=expr))
    assert code == 1 and message in err, err


def test_a_huge_set_value_is_a_diagnostic(tmp_path):
    (tmp_path / "a.arch").write_text("network t(w=4) {\n  input x: [N, 4]\n  linear(w)\n}\n")
    code, _, err = run("check", tmp_path / "a.arch", "--set", "w=" + "9" * 80)
    assert code == 1 and "the number has 80 digits" in err and "Traceback" not in err


YAML = "network: t\ninput: {{x: [N, 4]}}\nlayers:\n  - {layer}\n"
RECURSION_AND_YAML = [
    ("a.arch", "block b { b }\nnetwork t {\n  input x: [N, 4]\n  b\n}\n", "a.arch:1:11: error: block 'b' calls itself"),
    ("a.arch", "block a { c }\nblock c { a }\nnetwork t {\n  input x: [N, 4]\n  a\n}\n",
     "a.arch:2:11: error: block 'a' calls itself (a -> c -> a)"),
    ("a.yaml", "network: t\ninput: {x: [N, 4]}\nlayers: &a\n  - repeat: 2\n    layers: *a\n",
     "a.yaml:5:13: error: the alias *a is inside the value &a it names"),
    ("a.yaml", YAML.format(layer="linear: !!int x"), "a.yaml:4:13: error: invalid YAML: cannot read 'x' as int"),
    ("a.yaml", YAML.format(layer="linear: !!bool maybe"), "a.yaml:4:13: error: invalid YAML: cannot read 'maybe'"),
    ("a.yaml", YAML.format(layer="On: 3"), "a.yaml:4:5: error: the key 'On' is not a name: YAML reads it as true"),
    ("a.yaml", YAML.format(layer="1: 3"), "a.yaml:4:5: error: the key '1' is not a name: YAML reads it as an integer"),
    ("a.yaml", "On: 3\n" + YAML.format(layer="relu"), "a.yaml:1:1: error: the key 'On' is not a name"),
    ("a.yaml", YAML.format(layer="linear: '" + "floor(" * 300 + "1" + ")" * 300 + "'"),
     "a.yaml:4:13: error: brackets are nested more than 100 deep"),
]


@pytest.mark.parametrize("name,text,message", RECURSION_AND_YAML, ids=[m[2][8:40] for m in RECURSION_AND_YAML])
def test_recursion_and_yaml_oddities_are_located_diagnostics(name, text, message, tmp_path):
    code, err = located(tmp_path, name, text)
    assert code == 1 and message in err, err


def test_lower_of_a_nonlinear_layer_says_where(tmp_path):
    code, _, err = run("lower", SPECS / "two_layer.arch", "-o", tmp_path / "m.npz")
    assert code == 1 and f"{SPECS / 'two_layer.arch'}:6:21: error: 'sigmoid_1' (sigmoid) is not a linear" in err
    assert not (tmp_path / "m.npz").exists()


def test_an_empty_spec_says_line_one(tmp_path):
    assert located(tmp_path, "a.arch", "")[1].startswith("a.arch:1:1: error: a.arch defines no network")
    assert located(tmp_path, "a.yaml", "")[1].startswith("a.yaml:1:1: error: empty YAML spec")


@pytest.mark.parametrize("name,text", [("a.arch", "network t {\n  input x: [N, 4]\n  relu\n}\n"),
                                       ("a.yaml", YAML.format(layer="relu"))])
def test_a_byte_order_mark_is_accepted_in_both_forms(name, text, tmp_path):
    code, err = located(tmp_path, name, "\ufeff" + text)
    assert code == 0, err


def test_fmt_locates_what_the_other_form_cannot_hold(tmp_path):
    text = "network t {\n  input x: [N, 4]\n  relu # a\x01b\n}\n"
    code, err = located(tmp_path, "a.arch", text, "--to", "yaml", command="fmt")
    assert code == 1 and "a.arch:3:11: error: the comment holds the character '\\x01'" in err, err
    assert "<formatted" not in err


def test_fmt_writes_a_non_ascii_yaml_label_as_a_quoted_dsl_label(tmp_path):
    code, _, out_err = run("fmt", "--to", "arch", "-o", tmp_path / "b.arch",
                           _write(tmp_path / "a.yaml", YAML.format(layer="relu: null\n    as: größe")))
    assert code == 0, out_err
    assert 'relu as "größe"' in (tmp_path / "b.arch").read_text(encoding="utf-8")
    assert run("ir", tmp_path / "b.arch")[1] == run("ir", tmp_path / "a.yaml")[1]


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_render_writes_utf8_whatever_the_locale(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0"}
    r = subprocess.run([sys.executable, "-m", "archc", "render", str(ROOT / "docs" / "examples" / "symbolic.arch"),
                        "-o", str(tmp_path / "s.dot")], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "⌊" in (tmp_path / "s.dot").read_bytes().decode("utf-8")


LIN = "network lin {\n  input x: [N, 1, 6]\n  conv1d(2, kernel=3, stride=2, padding=1) as c\n}\n"
TINY = "network tiny {\n  input x: [N, 1, 8, 8]\n  flatten -> linear(3)\n}\n"
WRITERS = [  # a writing command, OUT where its output goes, and the output's suffix
    (["fmt", "lin.arch", "-o", "OUT"], ".arch"), (["emit", "lin.arch", "-o", "OUT"], ".py"),
    (["render", "lin.arch", "-o", "OUT"], ".dot"), (["lower", "lin.arch", "-o", "OUT"], ".npz"),
    (["remap", SPECS / "scan_simple.arch", "--from-cnn", "cnn.npz", "--out", "OUT"], ".npz"),
    (["train", "tiny.arch", "--data", "images", "--epochs", "1", "--out", "OUT"], ".npz"),
    (["train", "tiny.arch", "--data", "images", "--epochs", "1", "--out", "ok.npz", "--plot", "OUT"], ".png"),
]


@pytest.mark.parametrize("argv,suffix", WRITERS, ids=lambda a: " ".join(map(str, a[:1] + a[-2:-1])) if
                         isinstance(a, list) else a)
@pytest.mark.parametrize("out,message", [("missing/x", "the folder missing does not exist"),
                                         ("folder", "is a directory"), ("fifo", "is a FIFO, not a regular file")])
def test_every_writer_refuses_an_output_it_cannot_write_before_working(argv, suffix, out, message, tmp_path):
    import archc

    pil = pytest.importorskip("PIL.Image")
    (tmp_path / "lin.arch").write_text(LIN)
    (tmp_path / "tiny.arch").write_text(TINY)
    archc.compile(str(SPECS / "scan_simple.arch")).save(tmp_path / "cnn.npz")
    for label in "abc":
        for split in ("train", "test"):
            (tmp_path / "images" / split / label).mkdir(parents=True)
            pil.new("L", (8, 8), 40).save(tmp_path / "images" / split / label / "0.png")
    (tmp_path / f"folder{suffix}").mkdir()
    os.mkfifo(tmp_path / f"fifo{suffix}")  # replacing it would turn it into a regular file
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    code, _, err = run(*[a.replace("OUT", out + suffix) if isinstance(a, str) else a for a in argv], cwd=tmp_path)
    assert code == 1 and message in err and "Traceback" not in err, err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_remap_without_out_says_so(tmp_path):
    code, _, err = run("remap", SPECS / "scan_simple.arch", "--from-cnn", tmp_path / "w.npz")
    assert code == 1 and "remap needs --out FILE.npz" in err


@pytest.mark.parametrize("option,value,message", [("--batch-size", "0", "must be at least 1, got 0"),
                                                  ("--seed", "-1", "must be 0 or more, got -1")])
def test_meaningless_train_options_are_usage_errors(option, value, message, tmp_path):
    (tmp_path / "lin.arch").write_text(LIN)
    with pytest.raises(SystemExit) as e:
        run("train", tmp_path / "lin.arch", "--data", "mnist1d", option, value)
    assert e.value.code == 2


def test_a_symlink_to_a_regular_file_is_still_written_through(tmp_path):
    (tmp_path / "lin.arch").write_text(LIN)
    (tmp_path / "real.py").write_text("old\n")
    (tmp_path / "link.py").symlink_to("real.py")
    code, _, err = run("emit", "lin.arch", "-o", "link.py", cwd=tmp_path)
    assert code == 0, err
    assert (tmp_path / "link.py").is_symlink() and "class" in (tmp_path / "real.py").read_text()


@pytest.mark.parametrize("port", ["99999", "-5", "65536"])
def test_serve_refuses_a_port_out_of_range(port, tmp_path):
    pytest.importorskip("uvicorn")
    code, _, err = run("serve", tmp_path / "a.arch", "--port", port)
    assert code == 1 and f"--port must be a TCP port from 0 to 65535, got {port}" in err


@pytest.mark.parametrize("argv", [["check", "lin.arch", "--max-nodes", "-1"], ["check", "lin.arch", "--max-nodes", "0"],
                                  ["lower", "lin.arch", "--max-elements", "0"], ["lower", "lin.arch", "--seed", "-1"]])
def test_limit_options_must_be_positive(argv, tmp_path):
    (tmp_path / "lin.arch").write_text(LIN)
    err = io.StringIO()
    with redirect_stderr(err), pytest.raises(SystemExit) as e:
        main([*argv[:1], str(tmp_path / argv[1]), *argv[2:]])
    assert e.value.code == 2 and f"argument {argv[2]}: must be" in err.getvalue()


MLP = "network mlp {\n  input x: [N, 1, 40]\n  flatten\n  linear(32) -> relu\n  linear(10)\n}\n"


def test_a_diverging_run_stops_at_the_first_non_finite_loss(tmp_path):
    """Adam at lr 1e30 overflows within the first steps: no checkpoint, no figure, a hint."""
    (tmp_path / "mlp.arch").write_text(MLP)
    code, out, err = run("train", "mlp.arch", "--data", "mnist1d", "--lr", "1e30", "--epochs", "2", "--out", "c.npz",
                         "--no-progress", cwd=tmp_path)
    assert code == 1 and "epoch 1, step " in err and "the training loss is nan, not a finite number" in err, err
    assert "try a smaller --lr (this run: 1e+30)" in err and "accuracy" not in out
    assert not (tmp_path / "c.npz").exists()


def test_nproc_is_at_most_the_cpu_cores(tmp_path):
    pytest.importorskip("torch")
    (tmp_path / "mlp.arch").write_text(MLP)
    k = (os.cpu_count() or 1) + 1
    code, _, err = run("train", "mlp.arch", "--data", "mnist1d", "--backend", "torch", "--device", "cpu",
                       "--nproc", k, "--batch-size", 10 * k, cwd=tmp_path)
    assert code == 1 and f"--nproc {k}: this machine has {k - 1} CPU core" in err, err


def test_nproc_on_cuda_is_at_most_the_gpus(monkeypatch):
    torch = pytest.importorskip("torch")
    from archc.cli import train
    from archc.errors import ArchcError

    monkeypatch.setattr(train.distributed, "choose_device", lambda choice: "cuda")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    train._check_nproc(2, "cuda")
    with pytest.raises(ArchcError, match="--nproc 3: this machine has 2 GPUs, one per process"):
        train._check_nproc(3, "cuda")


def test_a_failing_dot_is_a_diagnostic(monkeypatch, tmp_path):
    """Graphviz's dot killed (as by running out of memory) names the output and the signal."""
    import graphviz

    def killed(self, **kwargs):
        raise graphviz.CalledProcessError(-11, ["dot", "-Tsvg"], stderr=b"Warning: ...\nout of memory\n")
    monkeypatch.setattr(graphviz.Digraph, "pipe", killed)
    (tmp_path / "lin.arch").write_text(LIN)
    code, _, err = run("render", "lin.arch", "-o", "l.svg", cwd=tmp_path)
    assert code == 1 and "l.svg: Graphviz's `dot` was killed by signal 11: out of memory" in err, err
    assert not (tmp_path / "l.svg").exists()



@pytest.mark.parametrize("argv,name,message", [
    ("remap S --from-cnn z.npz --out o.npz", "z.npz", "z.npz: member 'hello.txt' of the zip"),
    ("lower T --layer linear_1 --weights z.npz -o o.npz", "z.npz", "z.npz: member 'hello.txt' of the zip archive "
     "is not a .npy array"),
    ("remap S --from-mlp z.npz --out o.npz", "z.npz", "z.npz: member 'hello.txt' of the zip archive"),
    ("remap S --from-cnn g.npz --out o.npz", "g.npz", "g.npz: not a NumPy file"),
    ("remap S --from-mlp g.npz --out o.npz", "g.npz", "g.npz: not a NumPy file"),
    ("remap S --from-mlp g.npz --out o.npz --allow-pickle", "g.npz", "g.npz: not a NumPy file"),
    ("remap S --from-mlp p.npy --out o.npz --allow-pickle", "p.npy", "p.npy: not a readable NumPy file")])
def test_a_foreign_weight_file_says_what_it_is(tmp_path, argv, name, message):
    (tmp_path / "g.npz").write_bytes(b"garbage\n")
    (tmp_path / "p.npy").write_bytes(b"\x80garbage")
    with zipfile.ZipFile(tmp_path / "z.npz", "w") as z:
        z.writestr("hello.txt", "hi")
    specs = {"S": str(SPECS / "scan_simple.arch"), "T": str(SPECS / "two_layer.arch")}
    code, _, err = run(*[specs.get(a, a) for a in argv.split()], cwd=tmp_path)
    assert code == 1 and message in err and not (tmp_path / "o.npz").exists(), err
