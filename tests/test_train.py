"""Training end to end on small slices of real data (fast), checkpoints, repeatability."""

import io
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest

import archc
from archc.cli import main
from archc.data import load_dataset
from archc.data.datasets import DataError, Split, load_folder
from archc.train import accuracy, augment, batches, fit, make_trainer
from tests.conftest import SHARED_DATA, SPECS

needs_mnist = pytest.mark.skipif(not (SHARED_DATA / "mnist" / "mnist.npz").is_file(),
                                 reason=f"MNIST not found at {SHARED_DATA}/mnist (see PROVENANCE)")


@pytest.fixture(scope="module")
def mnist_slice():
    data = load_dataset("mnist", str(SHARED_DATA))
    rng = np.random.default_rng(0)
    return data.train.take(2000, rng), data.test.take(1000, rng)


def _train(backend, train, test, seed=0, epochs=2, checkpoint=None):
    typed = archc.check(str(SPECS / "mnist_cnn.arch"))
    trainer = make_trainer(backend, typed, "adam", 2e-3, 0.0, seed)
    fit(trainer, train, Split([]), epochs, 64, 2e-3, seed, checkpoint=checkpoint, progress=False,
        log=lambda *_: None)
    return trainer, accuracy(trainer, test)[0]


@needs_mnist
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_mnist_cnn_learns_digits_quickly(backend, mnist_slice, tmp_path):
    if backend == "torch":
        pytest.importorskip("torch")
    train, test = mnist_slice
    ckpt = tmp_path / f"w{'.pt' if backend == 'torch' else '.npz'}"
    trainer, acc = _train(backend, train, test, checkpoint=ckpt)
    assert acc > 0.8, acc  # chance is 0.1
    # the checkpoint reloads into a fresh model with identical predictions
    fresh = make_trainer(backend, archc.check(str(SPECS / "mnist_cnn.arch")), seed=123)
    fresh.load(ckpt)
    x = test.groups[0][0][:200]
    np.testing.assert_array_equal(fresh.predict(x), trainer.predict(x))


@needs_mnist
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_a_fixed_seed_repeats_exactly(backend, mnist_slice):
    if backend == "torch":
        pytest.importorskip("torch")
    train, test = mnist_slice
    small = train.take(500, np.random.default_rng(1))
    a, _ = _train(backend, small, test, seed=7, epochs=1)
    b, _ = _train(backend, small, test, seed=7, epochs=1)
    c, _ = _train(backend, small, test, seed=8, epochs=1)
    x = test.groups[0][0][:100]
    np.testing.assert_array_equal(a.predict(x), b.predict(x))
    assert not np.array_equal(a.predict(x), c.predict(x))


def test_mnist1d_is_generated_offline():
    pytest.importorskip("mnist1d")
    data = load_dataset("mnist1d")
    assert (len(data.train), len(data.val), len(data.test)) == (3500, 500, 1000)
    assert data.input_shapes == [(1, 40)]


@needs_mnist
def test_mnist_loader_verifies_the_files(tmp_path):
    data = load_dataset("mnist", str(SHARED_DATA))
    assert (len(data.train), len(data.val), len(data.test)) == (50_000, 10_000, 10_000)
    x, y = data.train.groups[0]
    assert x.shape[1:] == (1, 28, 28) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert list(y[:10]) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]  # the first MNIST labels
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / "mnist.npz").write_bytes(b"not the real file")
    with pytest.raises(DataError, match="damaged"):
        load_dataset("mnist", str(tmp_path))
    with pytest.raises(DataError, match="not found") as info:
        load_dataset("mnist", str(tmp_path / "nowhere"))
    assert "../shared/data" in info.value.hint


@needs_mnist
def test_varres_batches_never_mix_resolutions(tmp_path):
    data = load_dataset("varres", str(SHARED_DATA))
    assert sorted(s[-1] for s in data.input_shapes) == [32, 48, 64]
    small = data.train.take(600, np.random.default_rng(0))
    sizes = {x.shape[-1] for x, _ in batches(small, 32, np.random.default_rng(0))}
    assert sizes == {32, 48, 64}
    for x, _ in batches(small, 32, np.random.default_rng(0)):
        assert x.shape[-1] == x.shape[-2]


@needs_mnist
def test_varres_is_generated_from_mnist_when_the_shared_copy_is_absent(tmp_path):
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / "mnist.npz").symlink_to(SHARED_DATA / "mnist" / "mnist.npz")
    a = load_dataset("varres", str(tmp_path), seed=3)
    b = load_dataset("varres", str(tmp_path), seed=3)
    assert a.notes and len(a.train) + len(a.val) == 60_000
    for (xa, ya), (xb, yb) in zip(a.train.groups, b.train.groups):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    x, _ = a.train.groups[0]
    assert x.shape[-1] == 32
    # every digit is placed whole, not rescaled: the ink of all canvases is the ink of MNIST's training set
    ink = sum(int(np.rint(x.astype(np.float64) * 255).sum()) for x, _ in (*a.train.groups, *a.val.groups))
    with np.load(SHARED_DATA / "mnist" / "mnist.npz") as d:
        assert ink == int(d["x_train"].sum(dtype=np.int64))


def test_image_folder(tmp_path):
    pil = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for label in ("a", "b"):
            folder = tmp_path / split / label
            folder.mkdir(parents=True)
            for i in range(6):
                img = rng.integers(0, 255, (8, 8), dtype=np.uint8)
                pil.fromarray(img).save(folder / f"{i}.png")
    data = load_dataset(str(tmp_path))
    assert data.classes == 2 and len(data.train) == 12 and data.input_shapes == [(1, 8, 8)]
    # one level of class folders: split 80/20 into train and test, then --val-split from train
    flat = load_folder(tmp_path / "train", val=2, seed=0)
    assert (len(flat.train), len(flat.val), len(flat.test)) == (7, 2, 3)
    seen = np.concatenate([x for s in (flat.train, flat.val, flat.test) for x, _ in s.groups])
    assert len({x.tobytes() for x in seen}) == 12  # every image exactly once


def test_augment_keeps_shapes_and_moves_pixels():
    rng = np.random.default_rng(0)
    x = np.zeros((4, 1, 28, 28), dtype=np.float32)
    x[:, 0, 10:18, 10:18] = 1
    y = augment(x, rng)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert not np.allclose(y, x) and abs(y.sum() - x.sum()) / x.sum() < 0.2
    s = np.zeros((3, 1, 40), dtype=np.float32)
    s[:, 0, 20] = 1
    assert augment(s, rng).shape == s.shape


@needs_mnist
def test_train_and_eval_cli(tmp_path):
    out, plot = tmp_path / "w.npz", tmp_path / "curves.png"
    text = io.StringIO()
    with redirect_stdout(text):
        code = main(["train", str(SPECS / "mnist_cnn.arch"), "--data", "mnist", "--data-dir", str(SHARED_DATA),
                     "--epochs", "1", "--limit", "800", "--no-progress", "--out", str(out), "--plot", str(plot)])
    assert code == 0 and "test accuracy:" in text.getvalue()
    assert Path(plot).read_bytes()[:4] == b"\x89PNG"
    text = io.StringIO()
    with redirect_stdout(text):
        assert main(["eval", str(SPECS / "mnist_cnn.arch"), "--data", "mnist", "--data-dir", str(SHARED_DATA),
                     "--weights", str(out)]) == 0
    assert "confusion matrix" in text.getvalue() and "accuracy" in text.getvalue()


def test_a_spec_that_does_not_fit_the_data_is_a_diagnostic(tmp_path):
    pytest.importorskip("mnist1d")
    err = io.StringIO()
    import contextlib
    with contextlib.redirect_stderr(err), redirect_stdout(io.StringIO()):
        code = main(["train", str(SPECS / "mnist_cnn.arch"), "--data", "mnist1d", "--epochs", "1"])
    assert code == 1 and "declared [N, 1, 28, 28] (4-D), got [1, 1, 40]" in err.getvalue()
