"""`archc train` / `archc eval` on bad requests (issue #13): never over an input, exactly the path
asked, no figure that was not measured, refused options, classes that do not fit, damaged files."""

import io
import os
import re
from contextlib import redirect_stderr, redirect_stdout

import numpy as np
import pytest

from archc.cli import main

TINY = """network tiny(hidden=8, classes=3) {
  input x: [N, 1, 8, 8]
  flatten
  linear(hidden) -> relu
  linear(classes)
}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Three classes of 8x8 grey images, train/ and test/."""
    pil = pytest.importorskip("PIL.Image")
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for split, count in (("train", 10), ("test", 4)):
        for label in ("a", "b", "c"):
            (root / split / label).mkdir(parents=True)
            for i in range(count):
                pil.fromarray(rng.integers(0, 255, (8, 8), dtype=np.uint8)).save(root / split / label / f"{i}.png")
    return root


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "tiny.arch"
    path.write_text(TINY)
    return path


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def train(spec, folder, *extra):
    return run("train", spec, "--data", folder, "--epochs", "1", "--batch-size", "10", "--no-progress", *extra)


def test_train_never_writes_over_its_spec_or_data(spec, folder, tmp_path):
    os.symlink(spec, tmp_path / "link.arch")
    os.link(spec, tmp_path / "hard.arch")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for out in ("tiny.arch", "./tiny.arch", str(spec), "link.arch", "hard.arch", "sub/../tiny.arch"):
            (tmp_path / "sub").mkdir(exist_ok=True)
            code, _, err = train("tiny.arch", folder, "--out", out)
            assert code == 1 and "would overwrite the input" in err, (out, err)
            code, _, err = train("tiny.arch", folder, "--out", "w.npz", "--plot", out)
            assert code == 1 and "would overwrite the input" in err, (out, err)
        code, _, err = train("tiny.arch", folder, "--out", folder / "train" / "a" / "0.png")
        assert code == 1 and "would overwrite the input" in err
    finally:
        os.chdir(cwd)
    assert spec.read_text() == TINY and not (tmp_path / "w.npz").exists()


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_out_without_a_suffix_is_written_exactly_there(spec, folder, tmp_path, backend):
    if backend == "torch":
        pytest.importorskip("torch")
    code, out, _ = train(spec, folder, "--backend", backend, "--out", tmp_path / "weights")
    assert code == 0 and f"best weights in {tmp_path / 'weights'}" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.arch", "weights"]
    code, out, _ = run("eval", spec, "--data", folder, "--weights", tmp_path / "weights")
    assert code == 0 and "accuracy" in out  # the backend is read from the file, not its name


@pytest.mark.parametrize("option, value", [("--epochs", "0"), ("--limit", "0"), ("--limit", "-3"),
                                           ("--batch-size", "0"), ("--seed", "-1"), ("--lr", "0"),
                                           ("--lr", "-0.1"), ("--lr", "nan"), ("--nproc", "0")])
def test_meaningless_options_are_refused(spec, folder, tmp_path, option, value, capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", str(spec), "--data", str(folder), "--out", str(tmp_path / "w.npz"), option, value])
    err = capsys.readouterr().err
    assert info.value.code == 2 and f"argument {option}: must be" in err, err
    assert not (tmp_path / "w.npz").exists()


def test_no_figure_that_was_not_measured(spec, folder, tmp_path):
    import shutil

    only_train = tmp_path / "only_train"
    shutil.copytree(folder / "train", only_train / "train")
    code, out, _ = train(spec, only_train, "--out", tmp_path / "w.npz")
    assert code == 0 and not re.search(r"\bnan\b", out) and "test accuracy:" not in out
    assert "no test split" in out and "val acc" not in out  # no validation split either (--val-split 0)
    code, _, err = run("eval", spec, "--data", only_train, "--weights", tmp_path / "w.npz")
    assert code == 1 and "no test split" in err
    code, out, _ = train(spec, folder, "--out", tmp_path / "v.npz", "--val-split", "6")
    assert code == 0 and re.search(r"val acc \d\.\d{4}", out) and re.search(r"test accuracy: \d\.\d{4}", out)


def test_a_network_whose_outputs_do_not_fit_the_classes_is_located(spec, folder, tmp_path):
    for classes in ("7", "10"):
        code, _, err = train(spec, folder, "--set", f"classes={classes}", "--out", tmp_path / "w.npz")
        assert code == 1 and "Traceback" not in err
        assert f"{spec}:5:3: error: tiny outputs {classes} values per example" in err and "has 3 classes" in err


def test_eval_names_the_layer_and_both_shapes_and_warns_of_another_spec(spec, folder, tmp_path):
    pytest.importorskip("torch")
    assert train(spec, folder, "--backend", "torch", "--set", "hidden=8", "--out", tmp_path / "w.pt")[0] == 0
    code, _, err = run("eval", spec, "--data", folder, "--weights", tmp_path / "w.pt", "--set", "hidden=5")
    assert code == 1 and re.search(r"w\.pt: layer 'linear_\d' weight: the checkpoint has shape \[8, 64\], "
                                   r"the spec gives \[5, 64\]", err), err
    spec.write_text("# edited\n" + TINY)
    code, out, err = run("eval", spec, "--data", folder, "--weights", tmp_path / "w.pt")
    assert code == 0 and "accuracy" in out
    assert "different spec text" in err and "trained with --set hidden=8, this command has no --set" in err


def test_resume_warns_of_changes_and_refuses_a_finished_run(spec, folder, tmp_path):
    ckpt = tmp_path / "w.npz"
    assert train(spec, folder, "--out", ckpt, "--epochs", "2")[0] == 0
    code, _, err = train(spec, folder, "--resume", ckpt, "--epochs", "2")
    assert code == 1 and "already trained 2 of 2 epochs" in err
    code, out, err = train(spec, folder, "--resume", ckpt, "--epochs", "3", "--lr", "0.01", "--set", "hidden=8")
    assert code == 0 and "resuming" in out and "epoch 3/3" in out and "epoch 2/3" not in out
    assert "--lr 0.001, this run has --lr 0.01" in err and "--set hidden=8" in err
    code, _, err = train(spec, folder, "--resume", ckpt, "--epochs", "4", "--backend", "torch")
    assert code == 1 and "is a numpy checkpoint" in err


def test_damaged_images_and_weights_are_diagnostics(spec, folder, tmp_path):
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(folder, bad)
    (bad / "train" / "b" / "3.png").write_bytes(b"\x89PNG not really")
    code, _, err = train(spec, bad, "--out", tmp_path / "w.npz")
    assert code == 1 and f"{bad / 'train' / 'b' / '3.png'}: cannot read the image" in err
    good = tmp_path / "good.npz"
    assert train(spec, folder, "--out", good)[0] == 0
    (tmp_path / "empty.npz").write_bytes(b"")
    (tmp_path / "truncated.npz").write_bytes(good.read_bytes()[:300])
    (tmp_path / "folder.npz").mkdir()
    np.save(tmp_path / "objects.npy", np.array([{"w": 1}], dtype=object), allow_pickle=True)
    for name in ("empty.npz", "truncated.npz", "folder.npz", "objects.npy", "missing.npz"):
        code, _, err = run("eval", spec, "--data", folder, "--weights", tmp_path / name)
        assert code == 1 and str(tmp_path / name) in err and "Traceback" not in err, (name, err)


def test_nproc_reports_a_spec_that_does_not_fit_once_before_launching(spec, folder):
    code, _, err = train(spec, folder, "--backend", "torch", "--nproc", "2", "--set", "classes=7")
    assert code == 1 and err.count("error:") == 1 and "has 3 classes" in err and "torch.distributed" not in err
    code, _, err = train(spec, folder, "--backend", "torch", "--nproc", "2", "--out", spec)
    assert code == 1 and "would overwrite the input" in err and spec.read_text() == TINY
