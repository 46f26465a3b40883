"""Where the NumPy backend's time goes, layer by layer, against the BLAS limit.

    python bench/profile_layers.py [--repeats 5] [--top 12] [--nets mnist_cnn,resnet18]

For the MNIST CNN and the HW2P1 CNN (batch 64) and resnet18 and mobilenet_v2 (batch 8, 64x64), all
float32, it times each layer's forward and backward (median over the repeats of a training step),
counts each layer's GEMM FLOPs (convolutions and linear layers: forward one product, backward two),
and sets them against the time those FLOPs take at the machine's float32 GEMM rate, measured in the
same run. The full tables go to bench/out/profile_layers.txt; stdout gets each net's total, the
time per op and the slowest layers.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

import archc
from archc.emit_numpy import SoftmaxCrossEntropy, build_numpy
from archc.fileio import atomic_write

ROOT = Path(__file__).resolve().parent.parent
NETS = {  # name: (spec, input shape)
    "mnist_cnn": ("specs/mnist_cnn.arch", (64, 1, 28, 28)),
    "hw2p1_cnn": ("specs/hw2p1_cnn.arch", (64, 24, 128)),
    "resnet18": ("specs/zoo/resnet18.arch", (8, 3, 64, 64)),
    "mobilenet_v2": ("specs/zoo/mobilenet_v2.arch", (8, 3, 64, 64)),
}


def gemm_gflops(n: int = 1024, repeats: int = 5) -> float:
    """The machine's float32 GEMM rate (n x n by n x n, best of the repeats), in GFLOP/s."""
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    b = a.T.copy()
    a @ b
    best = min(_seconds(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


CLOCK = time.perf_counter  # --clock cpu: time.process_time


def _seconds(fn) -> float:
    t = CLOCK()
    fn()
    return CLOCK() - t


def gemm_flops(layer, Z: np.ndarray) -> int:
    """FLOPs of the forward product of a convolution or linear layer (0 for any other layer)."""
    W = layer.params.get("weight")
    if W is None or W.ndim < 2 or not type(layer).__name__.startswith(("Conv", "Linear")):
        return 0
    out_channels = Z.shape[-1] if type(layer).__name__ == "Linear" else Z.shape[1]
    return 2 * Z.size * (W.size // out_channels)


class Timed:
    """Wraps every layer's forward and backward to record its time, output shape and GEMM FLOPs."""

    def __init__(self, model) -> None:
        self.fwd: dict[str, list] = defaultdict(list)
        self.bwd: dict[str, list] = defaultdict(list)
        self.shape: dict[str, tuple] = {}
        self.flops: dict[str, int] = {}
        for name, layer in model.layers.items():
            layer.forward = self._wrap(name, layer, layer.forward, self.fwd)
            layer.backward = self._wrap(name, layer, layer.backward, self.bwd)

    def _wrap(self, name, layer, fn, store):
        def timed(*args):
            t = CLOCK()
            out = fn(*args)
            store[name].append(CLOCK() - t)
            if store is self.fwd:
                self.shape[name] = out.shape
                self.flops[name] = gemm_flops(layer, out)
            return out
        return timed


def profile(name: str, repeats: int, rate: float, stat=statistics.median) -> tuple[list[tuple], float]:
    """Rows (layer, op, shape, fwd ms, bwd ms, GFLOP, limit ms) and the step time in ms (``stat`` of the
    repeats)."""
    spec, shape = NETS[name]
    model = build_numpy(archc.check(str(ROOT / spec), input_shape=shape))
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    ce = SoftmaxCrossEntropy()

    def step():
        model.zero_grad()
        out = model.forward(x)
        y = rng.integers(0, out.shape[1], out.shape[0])
        ce.forward(out, y)
        model.backward(ce.backward())

    step()
    steps = [_seconds(step) for _ in range(2)]  # untimed layers: the whole step's own time
    timed = Timed(model)
    steps += [_seconds(step) for _ in range(repeats)]
    rows = []
    for node in model.graph.nodes:
        n = node.name
        f, b = stat(timed.fwd[n]) * 1e3, stat(timed.bwd[n] or [0]) * 1e3
        flops = 3 * timed.flops[n]
        rows.append((n, node.op, timed.shape[n], f, b, flops / 1e9, flops / rate / 1e6))
    return rows, stat(steps) * 1e3


def table(rows: list[tuple]) -> list[str]:
    lines = [f"{'layer':<40} {'op':<20} {'output':<20} {'fwd ms':>8} {'bwd ms':>8} {'GFLOP':>7} "
             f"{'limit ms':>8} {'x limit':>7}"]
    for n, op, shape, f, b, gf, lim in rows:
        over = f"{(f + b) / lim:7.1f}" if lim else "      -"
        lines.append(f"{n[-40:]:<40} {op:<20} {shape!s:<20} {f:8.3f} {b:8.3f} {gf:7.3f} {lim:8.3f} {over}")
    return lines


def by_op(rows: list[tuple]) -> list[str]:
    acc: dict[str, list] = defaultdict(lambda: [0, 0.0, 0.0, 0.0])
    for _, op, _, f, b, _, lim in rows:
        a = acc[op]
        a[0] += 1
        a[1] += f
        a[2] += b
        a[3] += lim
    lines = [f"{'op':<20} {'layers':>6} {'fwd ms':>8} {'bwd ms':>8} {'limit ms':>8}"]
    for op, (k, f, b, lim) in sorted(acc.items(), key=lambda kv: -(kv[1][1] + kv[1][2])):
        lines.append(f"{op:<20} {k:6d} {f:8.2f} {b:8.2f} {lim:8.2f}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--top", type=int, default=12, help="slowest layers shown on stdout per net")
    ap.add_argument("--nets", default=",".join(NETS), help="comma-separated, of: " + ", ".join(NETS))
    ap.add_argument("--min", action="store_true", help="the fastest repeat instead of the median (on a loaded machine)")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="cpu: the process's CPU time (steadier under load; fair with one BLAS thread)")
    args = ap.parse_args()
    global CLOCK
    CLOCK = time.perf_counter if args.clock == "wall" else time.process_time
    rate = gemm_gflops()
    stat = min if args.min else statistics.median
    head = (f"numpy {np.__version__}; float32 GEMM (1024^3): {rate:.1f} GFLOP/s; {stat.__name__} of {args.repeats} "
            f"steps, {args.clock} clock")
    full, short = [head], [head]
    for name in args.nets.split(","):
        rows, step = profile(name, args.repeats, rate, stat)
        f, b, lim = sum(r[3] for r in rows), sum(r[4] for r in rows), sum(r[6] for r in rows)
        title = (f"\n== {name} {NETS[name][1]}: step {step:.2f} ms (layers: fwd {f:.2f} + bwd {b:.2f}); "
                 f"{sum(r[5] for r in rows):.3f} GEMM GFLOP = {lim:.2f} ms at the BLAS limit")
        full += [title, *table(rows)]
        slowest = sorted(rows, key=lambda r: -(r[3] + r[4]))[:args.top]
        short += [title, *by_op(rows), f"-- slowest {len(slowest)} layers", *table(slowest)]
    print("\n".join(short))
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    out = atomic_write(ROOT / "bench" / "out" / "profile_layers.txt", "\n".join(full) + "\n")
    print(f"\nfull tables: {out}")


if __name__ == "__main__":
    main()
