"""Nothing a user has is lost or silently wrong (issue #13): no command writes over its own input
however the path is spelled; writes are atomic, keep modes and follow symlinks; fmt never changes a
file's language in place; a name given twice is an error; weight files are checked key by key."""

import io
import os
import resource
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout

import numpy as np
import pytest

from archc.cli import main
from tests.conftest import ROOT, SPECS

# three conv1d layers: 192x8, 8x16, 16x4, no biases; with a parameter to sweep
SCAN = (SPECS / "scan_simple.arch").read_text().replace("network scan_simple {", "network scan_simple(width=16) {") \
    .replace("linear(16,", "linear(width,")
LIN = "network lin {\n  input x: [N, 4]\n  linear(3) as fc\n}\n"
MESSY = "network   lin {\n input x: [N,4]\n  linear(3)   as fc\n}\n"
TINY = """network tiny(hidden=8, classes=3) {
  input x: [N, 1, 8, 8]
  flatten
  linear(hidden) as fc1 -> relu
  linear(classes) as fc2
}
"""


def run(*argv, cwd=None):
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    os.chdir(cwd or old)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main([str(a) for a in argv])
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def mlp_matrices(path, **change):
    rng = np.random.default_rng(0)
    arrays = {"a": rng.normal(size=(192, 8)), "b": rng.normal(size=(8, 16)), "c": rng.normal(size=(16, 4))}
    np.savez(path, **{**arrays, **change})


def cnn_state(path, **change):
    rng = np.random.default_rng(0)
    arrays = {"mlp.layer1.weight": rng.normal(size=(8, 24, 8)), "mlp.layer2.weight": rng.normal(size=(16, 8, 1)),
              "mlp.layer3.weight": rng.normal(size=(4, 16, 1))}
    np.savez(path, **{k: v for k, v in {**arrays, **change}.items() if v is not None})


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """Three classes of 8x8 grey images, train/ and test/."""
    pil = pytest.importorskip("PIL.Image")
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for split, count in (("train", 6), ("test", 3)):
        for label in "abc":
            (root / split / label).mkdir(parents=True)
            for i in range(count):
                pil.fromarray(rng.integers(0, 255, (8, 8), dtype=np.uint8)).save(root / split / label / f"{i}.png")
    return root


@pytest.fixture
def files(tmp_path):
    (tmp_path / "scan.arch").write_text(SCAN)
    (tmp_path / "lin.arch").write_text(LIN)
    mlp_matrices(tmp_path / "mlp.npz")
    return tmp_path


WRITERS = {  # command line, given the output path; each reads scan.arch (and mlp.npz)
    "fmt": lambda out: ["fmt", "scan.arch", "-o", out],
    "emit": lambda out: ["emit", "scan.arch", "-o", out],
    "render": lambda out: ["render", "scan.arch", "-o", out],
    "remap": lambda out: ["remap", "scan.arch", "--from-mlp", "mlp.npz", "--out", out],
    "lower": lambda out: ["lower", "scan.arch", "--layer", "mlp.layer2", "-o", out],
    "summary --plot": lambda out: ["summary", "scan.arch", "--set", "width=15..16", "--plot", out],
}


SPELLINGS = [(c, s) for c in WRITERS for s in ("./scan.arch", "absolute", "symlink", "hard link", "./mlp.npz")
             if s != "./mlp.npz" or "mlp.npz" in WRITERS[c]("x")]


@pytest.mark.parametrize("command,spelling", SPELLINGS)
def test_no_command_writes_over_its_input(files, command, spelling):
    victim = files / ("mlp.npz" if "mlp" in spelling else "scan.arch")
    if spelling == "absolute":
        out = str(victim)
    elif spelling == "symlink":
        os.symlink(victim, files / "link.dot")
        out = "link.dot"
    elif spelling == "hard link":
        os.link(victim, files / "hard.dot")
        out = "hard.dot"
    else:
        out = spelling
    before = victim.read_bytes()
    code, _, err = run(*WRITERS[command](out), cwd=files)
    assert code == 1, err
    assert "would overwrite the input" in err and out in err
    assert victim.read_bytes() == before


def _limited(argv, cwd, max_bytes):
    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "archc", *argv], cwd=cwd, env=env, capture_output=True, text=True,
                          preexec_fn=limit, timeout=120)


@pytest.mark.parametrize("argv,out,max_bytes", [
    (["render", "scan.arch", "-o", "o.dot"], "o.dot", 0),
    (["remap", "scan.arch", "--from-mlp", "mlp.npz", "--out", "out.npz"], "out.npz", 1024),
    (["emit", "scan.arch", "-o", "net.py"], "net.py", 0),
])
def test_a_write_cut_short_by_the_file_size_limit_leaves_the_old_file(files, argv, out, max_bytes):
    (files / out).write_bytes(b"the old file\n")
    r = _limited(argv, files, max_bytes)
    assert r.returncode == 1, r.stderr
    assert f"{out}: cannot write: File too large" in r.stderr and "Traceback" not in r.stderr
    assert (files / out).read_bytes() == b"the old file\n"
    assert sorted(p.name for p in files.iterdir()) == sorted(["scan.arch", "lin.arch", "mlp.npz", out])


def test_a_new_file_gets_the_umask_mode_and_an_old_one_keeps_its_mode(files):
    old_mask = os.umask(0o027)
    try:
        assert run("emit", "lin.arch", "-o", "new.py", cwd=files)[0] == 0
        assert run("fmt", "lin.arch", "-o", "new.arch", cwd=files)[0] == 0
        (files / "messy.arch").write_text(MESSY)
        os.chmod(files / "messy.arch", 0o604)
        assert run("fmt", "-i", "messy.arch", cwd=files)[0] == 0
    finally:
        os.umask(old_mask)
    assert (files / "new.py").stat().st_mode & 0o777 == 0o640
    assert (files / "new.arch").stat().st_mode & 0o777 == 0o640
    assert (files / "messy.arch").stat().st_mode & 0o777 == 0o604
    assert (files / "messy.arch").read_text() == LIN


def test_fmt_in_place_on_a_symlink_formats_the_file_it_points_to(files):
    (files / "real.arch").write_text(MESSY)
    os.symlink("real.arch", files / "link.arch")
    assert run("fmt", "-i", "link.arch", cwd=files)[0] == 0
    assert (files / "link.arch").is_symlink() and os.readlink(files / "link.arch") == "real.arch"
    assert (files / "real.arch").read_text() == LIN


def test_fmt_in_place_never_writes_another_language_into_the_file(files):
    code, _, err = run("fmt", "-i", "--to", "yaml", "lin.arch", cwd=files)
    assert code == 1 and "-i would write yaml into a .arch file" in err and "-o NAME.yaml" in err
    assert (files / "lin.arch").read_text() == LIN
    assert run("fmt", "lin.arch", "--to", "yaml", "-o", "lin.yaml", cwd=files)[0] == 0
    code, _, err = run("fmt", "-i", "--to", "arch", "lin.yaml", cwd=files)
    assert code == 1 and "-i would write arch into a .yaml file" in err


DUPLICATES = [
    ("d.yaml", "network: d\ninput:\n  x: [N, 4]\nlayers:\n  - linear: 3\nlayers:\n  - linear: 5\n",
     "d.yaml:6:1: error: key 'layers' is given twice (first at line 4)"),
    ("d.yaml", "network: d\ninput:\n  x: [N, 4]\nlayers:\n  - linear: 3\n    linear: 5\n",
     "d.yaml:6:5: error: key 'linear' is given twice (first at line 5)"),
    ("d.yaml", "network: d\nparams: {h: 3, h: 4}\ninput:\n  x: [N, 4]\nlayers:\n  - linear: h\n",
     "d.yaml:2:16: error: key 'h' is given twice (first at line 2)"),
    ("d.yaml", "network: d\ninput: {x: [N, 4]}\nlayers: [relu]\n---\nnetwork: d\ninput: {x: [N, 4]}\nlayers: [relu]\n",
     "d.yaml:5:1: error: network 'd' is defined twice (first defined at line 1)"),
    ("d.arch", "network a { input x: [N, 4]\n linear(3) }\nnetwork a { input x: [N, 4]\n linear(5) }\n",
     "d.arch:3:1: error: network 'a' is defined twice (first defined at line 1)"),
    ("d.arch", "block b { linear(3) }\nblock b { linear(5) }\nnetwork a { input x: [N, 4]\n b }\n",
     "d.arch:2:1: error: block 'b' is defined twice (first defined at line 1)"),
    ("d.arch", "network a(h=3, h=4) { input x: [N, 4]\n linear(h) }\n",
     "d.arch:1:16: error: parameter 'h' of network 'a' is declared twice"),
    ("d.arch", "block b(k, k) { linear(k) }\nnetwork a { input x: [N, 4]\n b(3, 4) }\n",
     "d.arch:1:12: error: parameter 'k' of block 'b' is declared twice"),
]


@pytest.mark.parametrize("name,text,message", DUPLICATES)
def test_a_name_given_twice_is_a_located_error(tmp_path, name, text, message):
    (tmp_path / name).write_text(text)
    code, out, err = run("check", name, cwd=tmp_path)
    assert code == 1 and "ok" not in out
    assert err.startswith(message), err


BAD_MLP = [
    ({"a": np.ones((192, 8)) + 1j}, "mlp.npz: 'a' holds complex numbers (complex128); weights must be real"),
    ({"a": np.full((192, 8), "w")}, "mlp.npz: 'a' holds <U1 values, not numbers"),
    ({"a": np.ones((190, 8))}, "'mlp.layer1': expected an MLP matrix of shape (192, 8) (in_out), got (190, 8)"),
    ({"d": np.ones((4, 4))}, "the network has 3 conv1d layers, but 4 MLP matrices were given"),
]


@pytest.mark.parametrize("change,message", BAD_MLP)
def test_remap_from_mlp_checks_every_matrix(files, change, message):
    mlp_matrices(files / "bad.npz", **change)
    code, _, err = run("remap", "scan.arch", "--from-mlp", "bad.npz", "--out", "out.npz", cwd=files)
    assert code == 1 and message.replace("mlp.npz", "bad.npz") in err
    assert not (files / "out.npz").exists()


BAD_CNN = [
    ({"mlp.layer1.weight": np.ones((8, 24, 1))}, "'mlp.layer1.weight' has shape (8, 24, 1), expected (8, 24, 8)"),
    ({"mlp.layer1.weight": np.ones((8, 24, 8)) * 1j}, "'mlp.layer1.weight' holds complex numbers"),
    ({"mlp.layer1.weight": np.full((8, 24, 8), "w")}, "array 'mlp.layer1.weight' has dtype <U1"),
    ({"mlp.layer3.weight": None}, "missing 'mlp.layer3.weight'"),
    ({"extra": np.ones(2)}, "unexpected 'extra'"),
]


@pytest.mark.parametrize("change,message", BAD_CNN)
def test_remap_from_cnn_checks_every_key_and_shape(files, change, message):
    cnn_state(files / "cnn.npz", **change)
    code, _, err = run("remap", "scan.arch", "--from-cnn", "cnn.npz", "--out", "out.npz", cwd=files)
    assert code == 1 and f"cnn.npz: {message}" in err, err
    assert not (files / "out.npz").exists()


def test_remap_from_cnn_ignores_extra_keys_only_when_asked_and_says_what_it_converted(files):
    cnn_state(files / "cnn.npz", extra=np.ones(2), **{"mlp.layer2.weight": np.ones((16, 8, 1), dtype=np.int32)})
    code, _, err = run("remap", "scan.arch", "--from-cnn", "cnn.npz", "--out", "out.npz", "--strict", "false",
                         cwd=files)
    assert code == 0, err
    assert "cnn.npz: mlp.layer2.weight: integer array (int32) converted to float" in err
    with np.load(files / "out.npz") as z:
        assert z["layer2.weight"].dtype == np.float64 and np.all(z["layer2.weight"] == 1)


@pytest.mark.parametrize("change,message", [
    ({"fc.weight": np.ones((3, 4)) + 1j}, "w.npz: 'fc.weight' holds complex numbers (complex128)"),
    ({"fc.weight": np.ones((3, 1))}, "w.npz: 'fc.weight' has shape (3, 1), expected (3, 4)"),
    ({"fc.weight": np.full((3, 4), "w")}, "w.npz: array 'fc.weight' has dtype <U1"),
    ({"zz": np.ones(1)}, "w.npz: unexpected 'zz'"),
])
def test_lower_checks_its_weights(files, change, message):
    np.savez(files / "w.npz", **{"fc.weight": np.ones((3, 4)), "fc.bias": np.zeros(3), **change})
    code, _, err = run("lower", "lin.arch", "--weights", "w.npz", cwd=files)
    assert code == 1 and message in err, err


@pytest.mark.parametrize("argv", [
    ["remap", "scan.arch", "--from-mlp", "mlp.npz", "--out", "converted"],
    ["lower", "lin.arch", "-o", "converted"],
])
def test_an_output_without_a_suffix_is_written_exactly_where_asked(files, argv):
    code, out, err = run(*argv, cwd=files)
    assert code == 0, err
    assert out.startswith("wrote converted: ")
    assert (files / "converted").is_file() and not (files / "converted.npz").exists()
    with np.load(files / "converted") as z:
        assert z.files


@pytest.mark.parametrize("change,message", [
    ({"fc1.weight": np.ones((8, 64)) + 1j}, "w.npz: 'fc1.weight' holds complex numbers (complex128)"),
    ({"fc1.weight": np.full((8, 64), "w")}, "w.npz: array 'fc1.weight' has dtype <U1"),
    ({"fc1.weight": np.ones((8, 1))}, "w.npz: layer 'fc1' weight: the checkpoint has shape [8, 1], the spec gives "
                                      "[8, 64]"),
])
def test_eval_checks_its_weights(files, images, change, message):
    (files / "tiny.arch").write_text(TINY)
    state = {"fc1.weight": np.ones((8, 64)), "fc1.bias": np.zeros(8), "fc2.weight": np.ones((3, 8)),
             "fc2.bias": np.zeros(3)}
    np.savez(files / "w.npz", **{**state, **change})
    code, out, err = run("eval", "tiny.arch", "--data", images, "--weights", "w.npz", cwd=files)
    assert code == 1 and message in err and "accuracy" not in out, err


def test_eval_refuses_complex_torch_weights(files, images):
    torch = pytest.importorskip("torch")
    (files / "tiny.arch").write_text(TINY)
    state = {"fc1.weight": torch.ones(8, 64, dtype=torch.complex64), "fc1.bias": torch.zeros(8),
             "fc2.weight": torch.ones(3, 8), "fc2.bias": torch.zeros(3)}
    torch.save(state, files / "w.pt")
    code, out, err = run("eval", "tiny.arch", "--data", images, "--weights", "w.pt", cwd=files)
    assert code == 1 and "w.pt: 'fc1.weight' holds complex numbers (torch.complex64)" in err, err
    assert "accuracy" not in out
