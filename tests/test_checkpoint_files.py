"""Checkpoint files: a writer killed at random moments never leaves a half-written checkpoint;
no pickles; damaged files are diagnostics naming the path."""

import os
import random
import signal
import time

import numpy as np
import pytest

from archc.fileio import FileError
from archc.train.checkpoint import file_backend, read_npz, read_pt, write_npz, write_pt


def _write_forever(path, base):
    """The writer: new versions of a 4 MB checkpoint, as fast as it can (a write takes milliseconds)."""
    w = np.empty(1_000_000, np.float32)
    for i in range(10**6):
        w.fill(base + i)
        write_npz(path, {"w": w, "b": w[:1000]}, {"format": "archc-checkpoint", "version": 1, "n": base + i})


def _start_writer(path, base):
    """A child process (forked: no interpreter start-up) running _write_forever."""
    pid = os.fork()
    if pid == 0:
        try:
            _write_forever(path, base)
        finally:
            os._exit(0)
    return pid


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_writer_killed_mid_write_leaves_the_old_or_the_new_checkpoint(tmp_path):
    path = tmp_path / "run.npz"
    write_npz(path, {"w": np.full(1_000_000, -1, np.float32), "b": np.full(1000, -1, np.float32)},
              {"format": "archc-checkpoint", "version": 1, "n": -1})
    rand = random.Random(0)
    last, advanced, interrupted = -1, 0, 0
    for kill in range(30):
        base = 10_000 * (kill + 1)  # every version a float32 holds exactly
        pid = _start_writer(path, base)
        time.sleep(rand.uniform(0.0, 0.12))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        arrays, meta = read_npz(path)  # always loads
        n = meta["n"]
        assert n == last or base <= n < base + 10_000, (n, last, base)
        assert np.all(arrays["w"] == n) and np.all(arrays["b"] == n) and arrays["w"].shape == (1_000_000,)
        advanced += n != last
        last = n
        leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        interrupted += bool(leftovers)
        for p in leftovers:  # a SIGKILLed writer cannot remove its temporary file
            p.unlink()
    assert advanced >= 10, "the writers should mostly have completed some versions"
    assert interrupted >= 5, "the kills should mostly have landed in the middle of a write"


def test_checkpoints_hold_no_pickles_and_are_written_exactly_where_asked(tmp_path):
    torch = pytest.importorskip("torch")
    meta = {"format": "archc-checkpoint", "version": 1, "epoch": 2}
    write_npz(tmp_path / "plain", {"a.weight": np.ones(3, np.float32)}, meta)
    write_pt(tmp_path / "torchfile", {"model": {"a.weight": torch.ones(3)}}, meta)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain", "torchfile"]  # no .npz appended
    with np.load(tmp_path / "plain", allow_pickle=False) as npz:
        assert sorted(npz.files) == ["__archc__", "a.weight"]
    assert torch.load(tmp_path / "torchfile", weights_only=True)["model"]["a.weight"].sum() == 3
    assert file_backend(tmp_path / "plain") == "numpy" and file_backend(tmp_path / "torchfile") == "torch"
    assert read_npz(tmp_path / "plain")[1]["epoch"] == 2 and read_pt(tmp_path / "torchfile")[1]["epoch"] == 2


def test_damaged_checkpoints_are_diagnostics_naming_the_path(tmp_path):
    good = tmp_path / "good.npz"
    write_npz(good, {"a.weight": np.ones(1000, np.float32)}, {"format": "archc-checkpoint", "version": 1})
    cases = {"empty.npz": b"", "truncated.npz": good.read_bytes()[:500], "text.npz": b"hello"}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    os.rename(tmp_path / "objects.npy", tmp_path / "objects.npz")
    with open(tmp_path / "objects2.npz", "wb") as f:
        np.savez(f, a=np.array([None, 1], dtype=object))
    (tmp_path / "folder.npz").mkdir()
    for name in [*cases, "objects.npz", "objects2.npz", "folder.npz", "missing.npz"]:
        with pytest.raises(FileError) as info:  # CheckpointError is a FileError
            read_npz(tmp_path / name)
        assert str(tmp_path / name) in info.value.message, name
