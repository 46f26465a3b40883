"""Resumable runs: a NumPy run killed with SIGKILL and resumed ends
bit-identical to an uninterrupted one, a torch run resumes to the same epoch."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import archc
from archc.data.datasets import Split
from archc.train import fit, make_trainer
from archc.train.checkpoint import read_npz, read_pt
from tests.conftest import ROOT

DROPOUT_SPEC = """# the MNIST-1D CNN with a dropout layer: its generator is part of the run's state
network mnist1d_drop(width=40, C=16) {
  input x: [N, 1, width]
  conv1d(C, kernel=5, stride=1, padding=2) -> relu
  conv1d(C, kernel=3, stride=2, padding=1) -> relu
  flatten
  dropout(0.3)
  linear(10)
}
"""


def _train_cmd(spec, out, *extra):
    return [sys.executable, "-m", "archc", "train", str(spec), "--data", "mnist1d", "--epochs", "6",
            "--limit", "1000", "--batch-size", "32", "--augment", "--seed", "3", "--no-progress",
            "--out", str(out), *extra]


def test_a_numpy_run_killed_and_resumed_ends_bit_identical(tmp_path):
    pytest.importorskip("mnist1d")
    spec = tmp_path / "drop.arch"
    spec.write_text(DROPOUT_SPEC)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    whole, killed = tmp_path / "whole.npz", tmp_path / "killed.npz"
    straight = subprocess.Popen(_train_cmd(spec, whole), cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    victim = subprocess.Popen(_train_cmd(spec, killed), cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not killed.exists() and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    epoch_at_kill = read_npz(killed)[1]["epoch"]
    assert 1 <= epoch_at_kill < 6
    resumed = subprocess.run(_train_cmd(spec, killed, "--resume", str(killed)), cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming {killed} after epoch {epoch_at_kill}" in resumed.stdout
    epochs = [line.split(":")[0] for line in resumed.stdout.splitlines() if line.startswith("epoch ")]
    assert epochs == [f"epoch {e}/6" for e in range(epoch_at_kill + 1, 7)]
    assert straight.wait(timeout=120) == 0
    a, meta_a = read_npz(whole)
    b, meta_b = read_npz(killed)
    assert sorted(a) == sorted(b) and any(k.startswith("optim/m/") for k in a) and any(k.startswith("last/") for k in a)
    for key in a:
        assert np.array_equal(a[key], b[key]), key
    assert meta_b["epoch"] == 6 and meta_a["rng"] == meta_b["rng"] and meta_a["step"] == meta_b["step"]
    assert meta_a["rng"][0]["layers"], "the dropout layer's generator is in the checkpoint"
    assert meta_a["history"]["val_acc"] == meta_b["history"]["val_acc"]
    with np.load(killed, allow_pickle=False) as npz:  # plain NumPy reads it, without pickles
        assert json.loads(str(npz["__archc__"]))["format"] == "archc-checkpoint"


class _StopError(Exception):
    pass


def test_a_torch_run_resumes_to_the_same_epoch(tmp_path):
    torch = pytest.importorskip("torch")
    typed = archc.check(DROPOUT_SPEC)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 1, 40)).astype(np.float32)
    y = (x[:, 0, :10].sum(1) > 0).astype(np.int64) + 2 * (x[:, 0, 10:20].sum(1) > 0)
    train, val = Split([(x[:192], y[:192])]), Split([(x[192:], y[192:])])
    quiet = dict(progress=False, log=lambda *_: None)

    def trainer():
        return make_trainer("torch", typed, "adam", 3e-3, 0.0, seed=5)

    whole = trainer()
    fit(whole, train, val, 3, 32, 3e-3, 5, augmentation=True, checkpoint=tmp_path / "whole.pt", **quiet)

    def stop_after_one(epoch):
        raise _StopError

    first = trainer()
    with pytest.raises(_StopError):
        fit(first, train, val, 3, 32, 3e-3, 5, augmentation=True, checkpoint=tmp_path / "run.pt",
            on_epoch=stop_after_one, **quiet)
    again = trainer()
    state = again.resume(tmp_path / "run.pt")
    assert state[0]["epoch"] == 1
    fit(again, train, val, 3, 32, 3e-3, 5, augmentation=True, checkpoint=tmp_path / "run.pt", resume=state, **quiet)
    obj, meta = read_pt(tmp_path / "run.pt")
    assert meta["epoch"] == 3 and meta["history"]["epochs"] == [1, 2, 3]
    obj_whole, meta_whole = read_pt(tmp_path / "whole.pt")
    assert abs(meta["best"] - meta_whole["best"]) < 0.1
    for k, v in obj_whole["last"].items():  # on one CPU process torch repeats itself too
        torch.testing.assert_close(obj["last"][k], v, rtol=1e-5, atol=1e-6)
    assert torch.load(tmp_path / "run.pt", weights_only=True)["optimizer"]["state"]
