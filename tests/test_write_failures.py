"""A disk that fails in the middle of a write (issue #13): every command that writes leaves the old
file byte-identical, no temporary file behind, and says which path it could not write."""

import errno
import os
import shutil
import tempfile

import pytest

from archc import fileio
from tests.test_robust_files import LIN, MESSY, SCAN, TINY, cnn_state, images, mlp_matrices, run  # noqa: F401

OLD = b"the old file, which must survive\n"
BUDGET = 10  # bytes the failing disk takes before it is full: every output here is longer

MODEL = """import torch.nn as nn


def net():
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 8), nn.ReLU(), nn.Linear(8, 3))
"""


class _FullDisk:
    """A file that takes BUDGET bytes and then fails as a full disk does."""

    def __init__(self, f, written: list):
        self.f, self.written = f, written

    def write(self, data) -> int:
        room = BUDGET - sum(self.written)
        if room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        n = self.f.write(bytes(data)[:room])
        self.written.append(n)
        if n < len(data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return n

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


def failing_disk(monkeypatch, name: str) -> list:
    """Make archc.fileio's temporary file for an output called ``name`` fail after BUDGET bytes;
    the list returned collects the bytes written before it did."""
    written: list = []
    marked: set = set()

    class Os:
        def __getattr__(self, attr):
            return getattr(os, attr)

        @staticmethod
        def fdopen(fd, *a, **k):
            f = os.fdopen(fd, *a, **k)
            return _FullDisk(f, written) if fd in marked else f

    class Tempfile:
        @staticmethod
        def mkstemp(*a, **k):
            fd, tmp = tempfile.mkstemp(*a, **k)
            if k.get("prefix") == f".{name}.":
                marked.add(fd)
            return fd, tmp

    monkeypatch.setattr(fileio, "os", Os())
    monkeypatch.setattr(fileio, "tempfile", Tempfile())
    return written


TRAIN = ["train", "tiny.arch", "--data", "{images}", "--epochs", "1", "--batch-size", "6", "--no-progress"]
COMMANDS = {  # name: (command line, the output that fails, what it needs)
    "fmt -o": (["fmt", "scan.arch", "-o", "out.arch"], "out.arch", None),
    "fmt -i": (["fmt", "-i", "messy.arch"], "messy.arch", None),
    "fmt --to yaml": (["fmt", "scan.arch", "--to", "yaml", "-o", "out.yaml"], "out.yaml", None),
    "emit torch": (["emit", "scan.arch", "-o", "net.py"], "net.py", None),
    "emit numpy": (["emit", "scan.arch", "--target", "numpy", "--backward", "manual", "-o", "net.py"], "net.py", None),
    "render dot": (["render", "scan.arch", "-o", "net.dot"], "net.dot", None),
    "render svg": (["render", "scan.arch", "-o", "net.svg"], "net.svg", "dot"),
    "remap --from-mlp": (["remap", "scan.arch", "--from-mlp", "mlp.npz", "--out", "out.npz"], "out.npz", None),
    "remap --from-cnn": (["remap", "scan.arch", "--from-cnn", "cnn.npz", "--out", "out.npz"], "out.npz", None),
    "lower": (["lower", "lin.arch", "-o", "out.npz"], "out.npz", None),
    "summary --plot": (["summary", "scan.arch", "--set", "width=15..16", "--plot", "p.png"], "p.png", "matplotlib"),
    "solve --plot": (["solve", "scan.arch", "--for", "width", "--params", "1800", "--set", "width=15..16",
                      "--plot", "p.png"], "p.png", "matplotlib"),
    "train --out": ([*TRAIN, "--out", "ck.npz"], "ck.npz", "PIL"),
    "train --plot": ([*TRAIN, "--out", "ck.npz", "--plot", "curves.png"], "curves.png", "matplotlib"),
    "train torch": ([*TRAIN, "--backend", "torch", "--device", "cpu", "--out", "ck.pt"], "ck.pt", "torch"),
    "import -o": (["import", "model_for_import:net", "--input", "1,1,8,8", "-o", "net.arch"], "net.arch", "torch"),
    "import --weights": (["import", "model_for_import:net", "--input", "1,1,8,8", "--weights", "w.npz"], "w.npz",
                         "torch"),
}


@pytest.mark.parametrize("command", COMMANDS)
def test_a_disk_failing_mid_write_leaves_the_old_file(command, tmp_path, monkeypatch, request):
    argv, target, needs = COMMANDS[command]
    if needs == "dot" and shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    elif needs and needs != "dot":
        pytest.importorskip(needs)
    if "{images}" in argv:
        argv = [str(request.getfixturevalue("images")) if a == "{images}" else a for a in argv]
    for name, text in (("scan.arch", SCAN), ("lin.arch", LIN), ("messy.arch", MESSY), ("tiny.arch", TINY),
                       ("model_for_import.py", MODEL)):
        (tmp_path / name).write_text(text)
    mlp_matrices(tmp_path / "mlp.npz")
    cnn_state(tmp_path / "cnn.npz")
    if target != "messy.arch":
        (tmp_path / target).write_bytes(OLD)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    monkeypatch.syspath_prepend(str(tmp_path))
    written = failing_disk(monkeypatch, target)
    code, _, err = run(*argv, cwd=tmp_path)
    assert code == 1, err
    assert sum(written) == BUDGET, "the write did not start"
    assert f"{target}: cannot write" in err and "Traceback" not in err, err
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file() and p.name != target}
    assert (tmp_path / target).read_bytes() == before[target]
    assert not [n for n in after if n.endswith(".tmp")], "a temporary file was left behind"
    assert all(after[n] == before[n] for n in after if n in before), "an input changed"
