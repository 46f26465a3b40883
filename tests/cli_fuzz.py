"""A seeded fuzz of the `archc` command line, in-process: mutated specs, YAML and weight files
thrown at every command, with each case in a fresh folder.

A case passes when nothing escapes `archc.cli.main` but its exit code (an exception, or a
traceback printed to stderr, fails it), a failed command (exit 1) printed an `error:`
diagnostic, a failed command left every file of its folder byte-identical and wrote no new
one, and a command that succeeded left its inputs as they were (`fmt -i` aside).
"""

from __future__ import annotations

import io
import os
import random
import re
import signal
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np

from archc.cli import main
from tests.conftest import SPECS

SMALL = ["two_layer.arch", "scan_simple.arch", "scan_simple.yaml", "mnist1d_mlp.arch", "mnist_cnn.arch",
         "mnist_cnn.yaml", "mlp_elu.arch", "varres_cnn.yaml", "mnist1d_cnn.arch"]
TINY = """network tiny(hidden=8, classes=3) {
  input x: [N, 1, 8, 8]
  flatten
  linear(hidden) -> relu  # a comment
  linear(classes)
  expect params == 64 * 8 + 8 + 8 * 3 + 3
}
"""
LINEAR = """network lin {
  input x: [N, 1, 6]
  conv1d(2, kernel=3, stride=2, padding=1) as c -> meanpool1d(1)
}
"""
INLINE = {"tiny.arch": TINY, "lin.arch": LINEAR}
TOKENS = ["network", "block", "input", "output", "expect", "residual", "repeat", "scan", "shortcut", "as", "if",
          "else", "{", "}", "(", ")", "[", "]", ",", ":", "->", "=", "==", "+", "-", "*", "/", "//", "0", "1", "-3",
          "2.5", "1e999", "9" * 70, "N", "H", "x", "in", "conv2d", "linear", "relu", "add", "flatten", "maxpool2d",
          "floor", "ceil", "kernel", "stride", "true", "'s'", "\n", "#c\n", "  ", "- ", "layers:", "network:", "&a",
          "*a", "!!int", "!!bool", "On", "~", "\ufeff", "\x00", "\x01", "é", "\t", "((((", "))))", "repeat 99 {"]


def mutate_text(text: str, rng: random.Random, n: int) -> str:
    """``text`` with ``n`` random edits: spans deleted, tokens inserted, characters replaced or
    swapped, lines duplicated, numbers changed."""
    for _ in range(n):
        i = rng.randrange(len(text) + 1)
        kind = rng.randrange(6)
        numbers = list(re.finditer(r"\d+", text))
        if kind == 5 and numbers:
            m = rng.choice(numbers)
            text = text[:m.start()] + rng.choice(["0", "1", "2", "7", "1000000", "2.5", "-1"]) + text[m.end():]
        elif kind == 0 and text:
            text = text[:i] + text[i + rng.randrange(1, 8):]
        elif kind == 1:
            text = text[:i] + rng.choice(TOKENS) + text[i:]
        elif kind == 2 and text:
            text = text[:i] + rng.choice("0123456789-_xN(){}[]:,'\"") + text[i + 1:]
        elif kind == 3:
            lines = text.splitlines(keepends=True)
            if lines:
                j = rng.randrange(len(lines))
                lines.insert(j, lines[j])
                text = "".join(lines)
        elif len(text) > 2:
            j = rng.randrange(len(text) - 1)
            text = text[:j] + text[j + 1] + text[j] + text[j + 2:]
    return text


def valid_state(spec: Path) -> dict[str, np.ndarray]:
    """The (random) parameters of ``spec``'s NumPy model, or nothing when it has no model."""
    import archc
    from archc.errors import ArchcError

    try:
        return archc.compile(str(spec), seed=0).state_dict()
    except (ArchcError, TypeError):
        return {}


def write_weights(path: Path, state: dict[str, np.ndarray], rng: random.Random) -> None:
    """A weight file at ``path``: ``state`` as .npz, often damaged (keys, shapes, dtypes, bytes)."""
    state = dict(state) or {"w": np.zeros((2, 2), np.float32)}
    kind = rng.randrange(12)
    key = rng.choice(sorted(state))
    if kind == 1:
        state[key + "_extra"] = state[key]
    elif kind == 2:
        state.pop(key)
    elif kind == 3:
        state[key] = np.zeros((*state[key].shape, 2), np.float32)
    elif kind == 4:
        state[key] = state[key].astype(np.complex64) + 1j
    elif kind == 5:
        state[key] = np.full(state[key].shape, "ab")
    elif kind == 6:
        state[key] = np.array([{"a": 1}] * max(1, state[key].size), dtype=object)
    elif kind == 7:
        state[key] = state[key].reshape(-1)[:1] if state[key].size else state[key]
    elif kind == 8:
        state[key] = state[key].astype(np.int16)
    buf = io.BytesIO()
    np.savez(buf, **state)  # object arrays need pickles: np.savez allows them by default
    data = buf.getvalue()
    if kind == 9:
        data = data[:rng.randrange(len(data))]
    elif kind == 10:
        data = bytearray(data)
        for _ in range(rng.randrange(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        data = bytes(data)
    elif kind == 11:
        data = rng.choice([b"", b"PK\x03\x04", b"\x93NUMPY\x01\x00", os.urandom(64)])
    path.write_bytes(data)


def image_folder(root: Path) -> Path:
    """Three classes of 8x8 grey PNGs under train/ and test/ (one built per fuzz run)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for split, count in (("train", 4), ("test", 2)):
        for label in ("a", "b", "c"):
            (root / split / label).mkdir(parents=True, exist_ok=True)
            for i in range(count):
                Image.fromarray(rng.integers(0, 255, (8, 8), dtype=np.uint8)).save(root / split / label / f"{i}.png")
    return root


def commands(rng: random.Random, spec: str, data: Path, trains: bool) -> list[str]:
    """One command line over the case's files: spec ``spec``, weights ``w.npz``, outputs ``out.*``."""
    out = rng.choice(["out", "missing/out", "dir", spec.rsplit(".", 1)[0], "w"])  # "dir" is a folder
    suffix = rng.choice([".npz", ".dot", ".py", ".yaml", ".arch", ""])
    target = out if out in ("dir", "w") and rng.random() < 0.5 else out + suffix
    if out == spec.rsplit(".", 1)[0] and rng.random() < 0.5:
        target = spec  # an output over the command's own input
    table = [
        ["check", spec], ["summary", spec], ["summary", spec, "--json"], ["ir", spec], ["fmt", spec],
        ["fmt", "--to", "yaml", spec], ["fmt", "--to", "arch", spec], ["fmt", "-i", spec], ["fmt", "-o", target, spec],
        ["explain", spec], ["emit", spec, "-o", target], ["emit", "--target", "numpy", spec, "-o", target],
        ["render", spec, "-o", target if target.endswith(".dot") else target + ".dot"],
        ["lower", spec, "-o", target], ["lower", spec, "--weights", "w.npz"],
        ["remap", spec, "--from-cnn", "w.npz", "--out", target],
        ["remap", spec, "--from-mlp", "w.npz", "--out", target],
        ["eval", spec, "--data", str(data), "--weights", "w.npz"],
        ["train", spec, "--data", str(data), "--epochs", "1", "--batch-size", "4", "--no-progress", "--out", target],
    ]
    argv = rng.choice(table[-2:] if trains else table[:-1] if rng.random() < 0.9 else table[-1:])
    extra = rng.random()
    if extra < 0.15:
        argv += ["--set", rng.choice(["hidden=0", "classes=-1", "hidden=1e999", "x=1", "=", "hidden=" + "9" * 80,
                                      "classes=floor(1/0)", "hidden=(((1)))"])]
    elif extra < 0.25 and argv[0] not in ("fmt",):
        argv += ["--input", rng.choice(["1,1,8,8", "0", "1x2", "a,b", "1," * 40, "-1,3", "999999999,1"])]
    elif extra < 0.3:
        argv += ["--max", rng.choice(["depth=2", "nesting=3", "terms=1", "yaml_nodes=5", "spec_bytes=10", "x=1"])]
    return argv


class SlowError(Exception):
    """A case ran past its time."""


def _alarm(signum, frame):
    raise SlowError()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


STATS: dict[tuple[str, int], int] = {}  # (command, exit code) -> cases, for a report of what was reached


def run_case(seed: int, folder: Path, data: Path, states: dict, seeds: dict[str, str]) -> str | None:
    """Run case ``seed`` in the empty folder ``folder``; None when it passes, else what went wrong."""
    rng = random.Random(seed)
    name = rng.choice([*SMALL, *INLINE, *INLINE])
    text = INLINE.get(name) or seeds[name]
    r = rng.random()
    if r > 0.4:  # 40% whole, 30% one edit, 30% two to six
        text = mutate_text(text, rng, 1 if r < 0.7 else rng.randint(2, 6))
    spec = name if name in INLINE else "spec" + Path(name).suffix
    (folder / spec).write_text(text, encoding="utf-8", errors="surrogatepass")
    write_weights(folder / "w.npz", states[name], rng)
    (folder / "dir").mkdir()
    argv = commands(rng, spec, data, trains=name == "tiny.arch" and rng.random() < 0.5)
    before = snapshot(folder)
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(60)
    try:
        os.chdir(folder)
        with redirect_stdout(out), redirect_stderr(err):
            code = main(argv)
    except SystemExit as e:  # argparse: a usage error
        code = e.code if isinstance(e.code, int) else 2
    except SlowError:
        return f"seed {seed}: archc {' '.join(argv)}: took more than 60 s"
    except BaseException as e:  # anything else escaping is what is looked for
        return f"seed {seed}: archc {' '.join(argv)}: {type(e).__name__}: {e}"
    finally:
        signal.alarm(0)
        os.chdir(cwd)
    STATS[(argv[0], code)] = STATS.get((argv[0], code), 0) + 1
    text_err = err.getvalue()
    where = f"seed {seed}: archc {' '.join(argv)} (exit {code})"
    if "Traceback" in text_err:
        return f"{where}: a traceback:\n{text_err[-2000:]}"
    after = snapshot(folder)
    if code == 1 and "error" not in text_err:
        return f"{where}: failed without a diagnostic: {text_err[-500:]!r}"
    if code != 0 and after != before:
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        return f"{where}: failed but wrote {changed}"
    if code == 0:
        inputs = [spec] if argv[:2] != ["fmt", "-i"] else []
        inputs += ["w.npz"] if "w.npz" in argv[argv.index(spec) + 1:] and argv[argv.index("w.npz") - 1] in \
            ("--weights", "--from-cnn", "--from-mlp") else []
        for k in inputs:
            if before.get(k) != after.get(k):
                return f"{where}: changed its input {k}"
    return None


def fuzz(n: int, base: int, tmp: Path) -> tuple[int, list[str]]:
    """Run cases ``base .. base + n - 1``; the number run and the failures."""
    seeds = {name: (SPECS / name).read_text() for name in SMALL}
    states = {name: valid_state(SPECS / name) for name in SMALL}
    for name, text in INLINE.items():
        (tmp / name).write_text(text)
        states[name] = valid_state(tmp / name)
    data = image_folder(tmp / "images")
    failures = []
    for seed in range(base, base + n):
        folder = tmp / f"case{seed}"
        folder.mkdir()
        problem = run_case(seed, folder, data, states, seeds)
        if problem:
            failures.append(problem)
    return n, failures

