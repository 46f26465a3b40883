"""Training on several processes: the sampler's DistributedSampler semantics, and a real two-process
DDP run on CPU (gloo) through `archc train --nproc 2`."""

import io
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout

import numpy as np
import pytest

from archc.cli import main
from archc.cli.train_options import rebuild_argv
from archc.data.datasets import Split
from archc.train import ShardSampler
from archc.train.distributed import state_digest
from tests.conftest import ROOT, SPECS


def _split(*sizes):
    return Split([(np.zeros((n, 1, 4), np.float32), np.arange(n)) for n in sizes])


def test_shards_are_distributed_sampler_shards():
    pytest.importorskip("torch")
    from torch.utils.data import DistributedSampler

    for n, k in ((10, 3), (12, 4), (7, 2), (5, 8)):
        for r in range(k):
            ours = ShardSampler(_split(n), 1, k, r, shuffle=False).indices(0)
            theirs = list(DistributedSampler(range(n), num_replicas=k, rank=r, shuffle=False))
            assert list(ours) == theirs, (n, k, r)


def test_k_processes_train_together_on_the_batches_of_one():
    split = _split(103, 40)  # two groups (resolutions): every step is one group on every process
    one = ShardSampler(split, 8, 1, 0, seed=4)
    two = [ShardSampler(split, 4, 2, r, seed=4) for r in range(2)]
    for epoch in (1, 2):
        for s in (one, *two):
            s.set_epoch(epoch)
        plan1, plan2 = one.plan(), [s.plan() for s in two]
        assert len(plan1) == len(plan2[0]) == len(plan2[1]) == len(one) == len(two[0])
        for (g, idx), (g0, idx0), (g1, idx1) in zip(plan1, *plan2):
            assert g == g0 == g1
            if len(idx) == 8:  # all but the padded last batch of a group: the same examples
                assert sorted(idx) == sorted([*idx0, *idx1])
    one.set_epoch(3)
    assert [list(i) for _, i in one.plan()] != [list(i) for _, i in plan1]  # reseeded every epoch


def test_nproc_rebuilds_the_command_line():
    from archc.cli import build_parser

    argv = ["train", "s.arch", "--data", "mnist1d", "--backend", "torch", "--nproc", "2", "--lr", "0.003",
            "--set", "C=8", "--set", "width=40", "--augment", "--epochs", "3"]
    again = rebuild_argv(build_parser().parse_args(argv))
    assert "--nproc" not in again
    assert build_parser().parse_args(["train", *again]) == build_parser().parse_args(
        [a for a in argv if a not in ("--nproc", "2")])


@pytest.mark.parametrize("argv, message", [
    (["--nproc", "3", "--batch-size", "32", "--backend", "torch"], "must divide evenly among the 3 processes"),
    (["--nproc", "2"], "needs --backend torch"),
])
def test_bad_process_counts_are_refused_before_launching(argv, message):
    err = io.StringIO()
    with redirect_stderr(err), redirect_stdout(io.StringIO()):
        code = main(["train", str(SPECS / "mnist1d_cnn.arch"), "--data", "mnist1d", *argv])
    assert code == 1 and message in err.getvalue()


def test_two_processes_train_one_model_and_write_one_checkpoint(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("mnist1d")
    out, digests = tmp_path / "out", tmp_path / "digests"
    out.mkdir()
    digests.mkdir()
    env = {**os.environ, "ARCHC_WEIGHTS_DIGEST_DIR": str(digests), "OMP_NUM_THREADS": "1"}
    run = subprocess.run([sys.executable, "-m", "archc", "train", str(SPECS / "mnist1d_cnn.arch"), "--data",
                          "mnist1d", "--backend", "torch", "--nproc", "2", "--device", "cpu", "--epochs", "2",
                          "--limit", "600", "--batch-size", "32", "--no-progress", "--out", str(out / "w.pt"),
                          "--plot", str(out / "curves.png")], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.splitlines()
    assert sum(line.startswith("test accuracy: ") for line in lines) == 1, run.stdout
    assert [line.split(":")[0] for line in lines if line.startswith("epoch ")] == ["epoch 1/2", "epoch 2/2"]
    assert "2 processes on cpu" in run.stdout
    assert sorted(p.name for p in out.iterdir()) == ["curves.png", "w.pt"]  # rank 1 wrote nothing
    ranks = {p.name: p.read_text().strip() for p in digests.iterdir()}
    assert sorted(ranks) == ["rank0.sha256", "rank1.sha256"]
    saved = torch.load(out / "w.pt", weights_only=True)
    assert ranks["rank0.sha256"] == ranks["rank1.sha256"] == state_digest(saved["model"])
    assert '"world": 2' in saved["archc"]
