"""NumPy backend vs PyTorch's CPU kernels on the same networks, in one process.

    python bench/numpy_vs_torch.py [--repeats 30]

For the MNIST CNN and the HW2P1 CNN (batch 64, float32) it times forward and
forward+backward of the archc NumPy model and of the same network written by
hand in torch.nn, and prints the ratio NumPy/torch (median of the repeats).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from reference_nets import hw2p1_cnn, mnist_cnn
from torch import nn

import archc
from archc.emit_numpy import SoftmaxCrossEntropy

SPECS = Path(__file__).resolve().parent.parent / "specs"


def median_time(fn, repeats: int) -> float:
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def compare(spec: str, reference: nn.Module, shape: tuple, repeats: int) -> dict[str, tuple[float, float]]:
    """{"forward": (numpy s, torch s), "forward+backward": (...)}: medians of ``repeats`` timings each."""
    model = archc.compile(str(SPECS / spec))
    reference.load_state_dict({k: torch.from_numpy(v) for k, v in _torch_names(model, reference).items()})
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    y = rng.integers(0, 10, shape[0])
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    ce, t_ce = SoftmaxCrossEntropy(), nn.CrossEntropyLoss()

    def np_fwd():
        model.forward(x)

    def np_step():
        model.zero_grad()
        ce.forward(model.forward(x), y)
        model.backward(ce.backward())

    def t_fwd():
        with torch.no_grad():
            reference(tx)

    def t_step():
        reference.zero_grad(set_to_none=False)
        t_ce(reference(tx), ty).backward()

    np.testing.assert_allclose(model.forward(x), reference(tx).detach().numpy(), rtol=1e-4, atol=1e-4)
    return {label: (median_time(a, repeats), median_time(b, repeats))
            for label, a, b in (("forward", np_fwd, t_fwd), ("forward+backward", np_step, t_step))}


def bench(name: str, spec: str, reference: nn.Module, shape: tuple, repeats: int) -> None:
    for label, (tn, tt) in compare(spec, reference, shape, repeats).items():
        print(f"{name:<10} {label:<17} numpy {tn * 1e3:7.2f} ms   torch {tt * 1e3:7.2f} ms   ratio {tn / tt:5.2f}")


RUNS = 30
COMMAND = ".venv/bin/python bench/numpy_vs_torch.py"
TITLES = {"mnist_cnn": "MNIST CNN", "hw2p1_cnn": "HW2P1 CNN"}


def measure(runs: int) -> list[dict]:
    """The figures of bench/report.py: the ratio NumPy / torch of the medians of ``runs`` timings, per
    network (batch 64, float32) and pass."""
    nets = (("mnist_cnn", "mnist_cnn.arch", mnist_cnn(), (64, 1, 28, 28)),
            ("hw2p1_cnn", "hw2p1_cnn.arch", hw2p1_cnn(), (64, 24, 128)))
    rows = []
    for name, spec, reference, shape in nets:
        for label, (tn, tt) in sorted(compare(spec, reference, shape, runs).items(), reverse=True):
            rows.append({"name": f"NumPy / torch, {TITLES[name]}, batch 64, {label}", "value": tn / tt, "unit": "",
                         "command": COMMAND})
    return rows


def _torch_names(model, reference: nn.Module) -> dict:
    """Map archc's parameter names onto the nn.Sequential's, in order."""
    ours = list(model.parameters().items())
    theirs = list(reference.state_dict().keys())
    assert len(ours) == len(theirs)
    return {t: v for t, (_, v) in zip(theirs, ours)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; numpy {np.__version__}; batch 64, float32")
    bench("mnist_cnn", "mnist_cnn.arch", mnist_cnn(), (64, 1, 28, 28), args.repeats)
    bench("hw2p1_cnn", "hw2p1_cnn.arch", hw2p1_cnn(), (64, 24, 128), args.repeats)


if __name__ == "__main__":
    main()
