"""Overhead of archc's compiled torch module over the same network written by hand.

    python bench/torch_overhead.py [--repeats 200]

Times forward+backward of the compiled MNIST CNN and of a hand-written
nn.Sequential with the same weights (batch 64, float32), interleaved in one
process, and prints the ratio compiled/hand-written (median of the repeats).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
from reference_nets import mnist_cnn
from torch import nn

import archc

SPECS = Path(__file__).resolve().parent.parent / "specs"


def medians(repeats: int) -> tuple[float, float]:
    """Medians (s) of forward+backward of the compiled and the hand-written module, timed interleaved."""
    compiled = archc.compile(str(SPECS / "mnist_cnn.arch"), target="torch")
    hand = mnist_cnn()
    hand.load_state_dict(dict(zip(hand.state_dict(), compiled.state_dict().values())))
    x = torch.randn(64, 1, 28, 28)
    y = torch.randint(0, 10, (64,))
    loss = nn.CrossEntropyLoss()
    torch.testing.assert_close(compiled(x), hand(x))

    def step(model: nn.Module) -> float:
        t = time.perf_counter()
        model.zero_grad(set_to_none=False)
        loss(model(x), y).backward()
        return time.perf_counter() - t

    for _ in range(10):
        step(compiled), step(hand)
    times = {"compiled": [], "hand": []}
    for _ in range(repeats):  # interleaved, so drift in machine load hits both alike
        times["compiled"].append(step(compiled))
        times["hand"].append(step(hand))
    return statistics.median(times["compiled"]), statistics.median(times["hand"])


RUNS = 200


def measure(runs: int) -> list[dict]:
    """The figure of bench/report.py: compiled / hand-written, the medians of ``runs`` interleaved steps."""
    tc, th = medians(runs)
    return [{"name": "compiled torch module / hand-written `nn.Sequential`, MNIST CNN, batch 64, fwd+bwd",
             "value": tc / th, "unit": "", "command": ".venv/bin/python bench/torch_overhead.py"}]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=RUNS)
    args = ap.parse_args()
    tc, th = medians(args.repeats)
    print(f"mnist_cnn forward+backward, batch 64: compiled {tc * 1e3:.2f} ms, hand-written {th * 1e3:.2f} ms, "
          f"ratio {tc / th:.3f}")


if __name__ == "__main__":
    main()
