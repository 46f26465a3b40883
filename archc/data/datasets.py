"""Loading the datasets. A dataset is train/val/test splits of (x, y) arrays; images are
float32 in [0, 1] with a channel axis, (N, 1, H, W); series are (N, 1, T). Variable-resolution
data keeps one group per resolution, so batches never mix sizes."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from archc.errors import ArchcError

# sha256 of the shared files (see ../shared/data/PROVENANCE.md)
CHECKSUMS = {
    "mnist/mnist.npz": "06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64",
    "mnist_varres/mnist_varres_32.npz": "1ec46042ca7866c4d2d4da36066727c9578c7150e5b60ef630e043a17f2efb51",
    "mnist_varres/mnist_varres_48.npz": "49d779eeb6ddc45e9dca1fe1f68a697386bdc317e2c8f41ad403e125eb7bc77c",
    "mnist_varres/mnist_varres_64.npz": "c7853ea5d6e36ad86c344ab45d57bcc2528396e7b428b66e4ed0b955c6b71b60",
}


class DataError(ArchcError):
    """A dataset is missing, damaged or malformed."""


@dataclass
class Split:
    """One split: a list of (x, y) groups (one group, or one per resolution)."""

    groups: list[tuple[np.ndarray, np.ndarray]]

    def __len__(self) -> int:
        return sum(len(y) for _, y in self.groups)

    def take(self, n: int, rng: np.random.Generator) -> Split:
        """A random subset of about n examples, in proportion from each group."""
        total = len(self)
        out = []
        for x, y in self.groups:
            k = max(1, round(n * len(y) / total))
            idx = np.sort(rng.choice(len(y), size=min(k, len(y)), replace=False))
            out.append((x[idx], y[idx]))
        return Split(out)


@dataclass
class Dataset:
    name: str
    train: Split
    val: Split
    test: Split
    classes: int = 10
    notes: list[str] = field(default_factory=list)
    sources: list[Path] = field(default_factory=list)  # the files read: a command never writes over one

    @property
    def input_shapes(self) -> list[tuple]:
        return [x.shape[1:] for x, _ in self.train.groups]


def find_data_dir(explicit: str | None = None) -> Path:
    """The shared data folder: --data-dir, $ARCHC_DATA, or ../shared/data beside the checkout."""
    if explicit:
        return Path(explicit)
    candidates = [os.environ.get("ARCHC_DATA")]
    here = Path(__file__).resolve()
    candidates += [str(p / "shared" / "data") for p in (Path.cwd().parent, *here.parents)]
    for c in candidates:
        if c and Path(c).is_dir():
            return Path(c)
    return Path("../shared/data")


def _verified(root: Path, rel: str) -> Path:
    path = root / rel
    if not path.is_file():
        raise DataError(f"{rel} not found in {root}",
                        hint="put the shared data folder beside the checkout (../shared/data), or pass "
                             "--data-dir DIR / set ARCHC_DATA; see shared/data/PROVENANCE.md for the files")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != CHECKSUMS[rel]:
        raise DataError(f"{path} is damaged: sha256 {digest[:16]}..., expected {CHECKSUMS[rel][:16]}...")
    return path


def _split_off(x: np.ndarray, y: np.ndarray, n_val: int, seed: int) -> tuple[Split, Split]:
    if n_val <= 0:
        return Split([(x, y)]), Split([])
    if n_val >= len(y):
        raise DataError(f"--val-split {n_val} leaves no training examples (there are {len(y)})")
    # the course's split takes the last n_val training images for validation
    return Split([(x[:-n_val], y[:-n_val])]), Split([(x[-n_val:], y[-n_val:])])


def load_mnist(root: Path, val: int = 10_000, seed: int = 0) -> Dataset:
    path = _verified(root, "mnist/mnist.npz")
    with np.load(path) as d:
        x_train, y_train, x_test, y_test = d["x_train"], d["y_train"], d["x_test"], d["y_test"]
    prep = lambda x: (x.astype(np.float32) / 255.0)[:, None]  # noqa: E731
    train, valid = _split_off(prep(x_train), y_train.astype(np.int64), val, seed)
    return Dataset("mnist", train, valid, Split([(prep(x_test), y_test.astype(np.int64))]), sources=[path])


def load_mnist1d(val: int = 0, seed: int = 42) -> Dataset:
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError:
        raise DataError("MNIST-1D needs the mnist1d package", hint="pip install 'archc[train]'") from None
    args = get_dataset_args()
    args.seed = seed
    d = make_dataset(args)  # generated locally from its templates: no download
    x, y = d["x"].astype(np.float32)[:, None], d["y"].astype(np.int64)
    train, valid = _split_off(x, y, val, seed)
    return Dataset("mnist1d", train, valid, Split([(d["x_test"].astype(np.float32)[:, None],
                                                    d["y_test"].astype(np.int64))]))


def generate_varres(root: Path, resolutions: tuple[int, ...], seed: int = 0) -> dict[int, dict]:
    """Variable-resolution digits made from MNIST: each 28x28 digit placed, without rescaling, at a
    random position on a black canvas of a randomly chosen size (deterministic for a seed)."""
    with np.load(_verified(root, "mnist/mnist.npz")) as d:
        splits = {s: (d[f"x_{s}"], d[f"y_{s}"]) for s in ("train", "test")}
    rng = np.random.default_rng(seed)
    out: dict[int, dict] = {r: {} for r in resolutions}
    for split, (x, y) in splits.items():
        size = rng.choice(resolutions, size=len(y))
        for r in resolutions:
            idx = np.flatnonzero(size == r)
            canvas = np.zeros((len(idx), r, r), dtype=np.uint8)
            top, left = rng.integers(0, r - 28 + 1, len(idx)), rng.integers(0, r - 28 + 1, len(idx))
            rows = top[:, None, None] + np.arange(28)[None, :, None]
            cols = left[:, None, None] + np.arange(28)[None, None, :]
            canvas[np.arange(len(idx))[:, None, None], rows, cols] = x[idx]
            out[r][f"x_{split}"], out[r][f"y_{split}"] = canvas, y[idx]
    return out


def load_varres(root: Path, resolutions: tuple[int, ...] = (32, 48, 64), val: int = 10_000,
                seed: int = 0) -> Dataset:
    """Variable-resolution MNIST; ``resolutions=(64,)`` gives the fixed 64x64 subset.

    Uses the shared copy when it is there, else generates it from MNIST (see generate_varres).
    """
    rng = np.random.default_rng(seed)
    train, valid, test = [], [], []
    loaded = {}
    notes = []
    if all((root / f"mnist_varres/mnist_varres_{r}.npz").is_file() for r in resolutions):
        sources = [_verified(root, f"mnist_varres/mnist_varres_{r}.npz") for r in resolutions]
        for r, path in zip(resolutions, sources):
            with np.load(path) as d:
                loaded[r] = {k: d[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    else:
        loaded = generate_varres(root, resolutions, seed)
        sources = [root / "mnist/mnist.npz"]
        notes.append("variable-resolution MNIST generated from MNIST (the shared copy was not found)")
    total = sum(len(loaded[r]["y_train"]) for r in resolutions)
    for r in resolutions:
        d = loaded[r]
        x = (d["x_train"].astype(np.float32) / 255.0)[:, None]
        y = d["y_train"].astype(np.int64)
        order = rng.permutation(len(y))  # the files are sorted by label
        x, y = x[order], y[order]
        k = round(val * len(y) / total) if val else 0
        train.append((x[k:], y[k:]))
        if k:
            valid.append((x[:k], y[:k]))
        test.append(((d["x_test"].astype(np.float32) / 255.0)[:, None], d["y_test"].astype(np.int64)))
    name = "varres" if len(resolutions) > 1 else f"varres{resolutions[0]}"
    return Dataset(name, Split(train), Split(valid), Split(test), notes=notes, sources=sources)


def _cut(split: Split, head: Callable[[int], int], seed: int) -> tuple[Split, Split]:
    """Shuffle each group and cut it in two: the first head(len) examples, and the rest."""
    rng = np.random.default_rng(seed)
    first, rest = [], []
    for x, y in split.groups:
        order = rng.permutation(len(y))
        k = head(len(y))
        first.append((x[order[:k]], y[order[:k]]))
        rest.append((x[order[k:]], y[order[k:]]))
    return Split(first), Split(rest)


def load_folder(path: Path, val: int = 0, seed: int = 0) -> Dataset:
    """An ImageFolder-style directory: train/<class>/*.png and test/<class>/*.png (or one level of
    class folders, split 80/20). Images are read as grayscale and grouped by size."""
    try:
        from PIL import Image
    except ImportError:
        raise DataError("reading image folders needs Pillow", hint="pip install 'archc[train]'") from None

    sources: list[Path] = []

    def read(folder: Path, classes: list[str]) -> Split:
        by_size: dict[tuple, tuple[list, list]] = {}
        for label, cls in enumerate(classes):
            for f in sorted((folder / cls).glob("*")):
                if f.suffix.lower() not in (".png", ".jpg", ".jpeg", ".bmp", ".gif"):
                    continue
                sources.append(f)
                try:
                    with Image.open(f) as opened:
                        img = np.asarray(opened.convert("L"), dtype=np.float32) / 255.0
                except (OSError, ValueError, SyntaxError) as e:  # PIL's UnidentifiedImageError is an OSError
                    raise DataError(f"{f}: cannot read the image: {e}",
                                    hint="remove or replace the file") from None
                xs, ys = by_size.setdefault(img.shape, ([], []))
                xs.append(img)
                ys.append(label)
        return Split([(np.stack(xs)[:, None], np.array(ys, dtype=np.int64)) for xs, ys in by_size.values()])

    if not path.is_dir():
        raise DataError(f"{path} is not a directory", hint="give mnist, mnist1d, varres, varres64 or a folder")
    notes = []
    if (path / "train").is_dir():
        classes = sorted(p.name for p in (path / "train").iterdir() if p.is_dir())
        train = read(path / "train", classes)
        test = read(path / "test", classes) if (path / "test").is_dir() else Split([])
        if not len(test):
            notes.append(f"{path} has no test split (no images in {path / 'test'})")
    else:
        classes = sorted(p.name for p in path.iterdir() if p.is_dir())
        train, test = _cut(read(path, classes), lambda n: int(0.8 * n), seed)
    if not classes or not len(train):
        raise DataError(f"{path} holds no class folders with images")
    if val:
        total = len(train)
        valid, train = _cut(train, lambda n: round(val * n / total), seed)
    else:
        valid = Split([])
    return Dataset(path.name, train, valid, test, classes=len(classes), notes=notes, sources=sources)


def pad_to(data: Dataset, size: int) -> Dataset:
    """Every image zero-padded (centred, not rescaled) to size x size: one group per split."""
    def pad(split: Split) -> Split:
        if not split.groups:
            return split
        xs, ys = [], []
        for x, y in split.groups:
            h, w = x.shape[2:]
            top, left = (size - h) // 2, (size - w) // 2
            out = np.zeros((len(y), 1, size, size), dtype=x.dtype)
            out[:, :, top:top + h, left:left + w] = x
            xs.append(out)
            ys.append(y)
        return Split([(np.concatenate(xs), np.concatenate(ys))])
    return Dataset(f"{data.name}_pad{size}", pad(data.train), pad(data.val), pad(data.test), data.classes,
                   data.notes, data.sources)


DATASETS = ("mnist", "mnist1d", "varres", "varres32", "varres48", "varres64", "varres_pad64")


def load_dataset(name: str, data_dir: str | None = None, val: int | None = None, seed: int = 0) -> Dataset:
    """A dataset by name (see DATASETS) or an image folder path. ``val``: validation examples."""
    if name == "mnist":
        return load_mnist(find_data_dir(data_dir), 10_000 if val is None else val, seed)
    if name == "mnist1d":
        return load_mnist1d(500 if val is None else val)
    if name == "varres":
        return load_varres(find_data_dir(data_dir), val=10_000 if val is None else val, seed=seed)
    if name == "varres_pad64":
        return pad_to(load_varres(find_data_dir(data_dir), val=10_000 if val is None else val, seed=seed), 64)
    if name.startswith("varres") and name[6:].isdigit():
        r = int(name[6:])
        if r not in (32, 48, 64):
            raise DataError(f"no variable-resolution MNIST at {r}x{r}", hint="32, 48 or 64")
        return load_varres(find_data_dir(data_dir), (r,), val=(10_000 if val is None else val), seed=seed)
    path = Path(name)
    if path.exists():
        return load_folder(path, val or 0, seed)
    raise DataError(f"unknown dataset '{name}'",
                    hint="mnist, mnist1d, varres, varres32/48/64, varres_pad64 or an image folder")
