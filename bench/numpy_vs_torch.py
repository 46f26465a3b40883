"""NumPy backend vs PyTorch's CPU kernels on the same networks, in one process.

    python bench/numpy_vs_torch.py [--repeats 15] [--threads T] [--clock wall|cpu] [--nets a,b]

For the MNIST CNN and the HW2P1 CNN (batch 64; against the same networks written by hand in torch.nn)
and resnet18 and mobilenet_v2 (batch 8, 64x64; against archc's torch build, standard torch.nn layers),
all float32 in training mode, it times forward and forward+backward of both on the same weights and
prints the ratio NumPy/torch of the medians. The repeats alternate between the two backends, so a
loaded machine slows both alike; torch runs on as many threads as NumPy's BLAS (``--threads`` sets
both). ``--clock cpu`` counts the process's CPU time instead of wall time (steadier under load, and
fair only with one thread). Then, in a fresh subprocess per backend, the peak RSS of one training step.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
SPECS = BENCH.parent / "specs"
NETS = {  # name: (spec, input shape)
    "mnist_cnn": ("mnist_cnn.arch", (64, 1, 28, 28)),
    "hw2p1_cnn": ("hw2p1_cnn.arch", (64, 24, 128)),
    "resnet18": ("zoo/resnet18.arch", (8, 3, 64, 64)),
    "mobilenet_v2": ("zoo/mobilenet_v2.arch", (8, 3, 64, 64)),
}


def numpy_step(name: str):
    """(model, x, forward, forward+backward) of the NumPy build of ``name`` on a fixed batch."""
    import archc
    from archc.emit_numpy import SoftmaxCrossEntropy

    model = archc.compile(typed(name))
    x = batch(name)
    ce = SoftmaxCrossEntropy()

    def step():
        model.zero_grad()
        out = model.forward(x)
        ce.forward(out, np.arange(x.shape[0]) % out.shape[1])
        model.backward(ce.backward(), input_grad=False)  # torch's x does not require grad either

    return model, x, (lambda: model.forward(x)), step


def typed(name: str):
    import archc

    spec, shape = NETS[name]
    return archc.check(str(SPECS / spec), input_shape=shape)


def batch(name: str) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(NETS[name][1]).astype(np.float32)


def torch_module(name: str):
    """The torch network: written by hand for the course nets, archc's torch build for the zoo."""
    import archc

    if name in ("mnist_cnn", "hw2p1_cnn"):
        import reference_nets

        return getattr(reference_nets, name)()
    return archc.compile(typed(name), target="torch")


def torch_step(reference, x: np.ndarray):
    """(forward, forward+backward) of the torch network ``reference`` on the batch x."""
    import torch
    from torch import nn

    tx = torch.from_numpy(x)
    ty = torch.from_numpy(np.arange(x.shape[0]) % 10)
    t_ce = nn.CrossEntropyLoss()

    def forward():
        with torch.no_grad():
            reference(tx)

    def step():
        reference.zero_grad(set_to_none=False)
        t_ce(reference(tx), ty).backward()

    return forward, step


def same_weights(model, reference, x: np.ndarray) -> None:
    """Load the NumPy model's weights into ``reference`` (in order) and check that the outputs agree."""
    import torch

    theirs = list(reference.state_dict())
    reference.load_state_dict({t: torch.from_numpy(v) for t, v in zip(theirs, model.state_dict().values())})
    model.eval()
    reference.eval()
    with torch.no_grad():
        np.testing.assert_allclose(model.forward(x), reference(torch.from_numpy(x)).numpy(), rtol=1e-3, atol=1e-3)
    model.train()
    reference.train()


def alternate(a, b, repeats: int, clock) -> tuple[float, float]:
    """Medians of ``a`` and ``b``, timed in alternation after three warm-up calls each."""
    for _ in range(3):
        a()
        b()
    ta, tb = [], []
    for _ in range(repeats):
        for fn, times in ((a, ta), (b, tb)):
            t = clock()
            fn()
            times.append(clock() - t)
    return statistics.median(ta), statistics.median(tb)


def peak_rss(backend: str, name: str, threads: int) -> dict:
    """Peak RSS (MiB) of a fresh process that builds ``name`` and runs one training step ("peak"), and its
    growth over the step from the RSS just before it ("step")."""
    out = subprocess.run([sys.executable, __file__, "--rss-child", backend, name, "--threads", str(threads)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def rss_child(backend: str, name: str, threads: int) -> None:
    """Print (as JSON) the peak RSS in MiB, and its growth over one training step from the RSS just before."""
    if backend == "torch":
        import torch

        torch.set_num_threads(threads)
        _, step = torch_step(torch_module(name), batch(name))
    else:
        _, _, _, step = numpy_step(name)
    before = _status_mib("VmRSS")
    step()
    print(json.dumps({"peak": _status_mib("VmHWM"), "step": _status_mib("VmHWM") - before}))


def _status_mib(field: str) -> float:
    """A field of /proc/self/status in MiB: VmHWM is the peak RSS of this process image. (getrusage's
    ru_maxrss is not: Linux carries it over from the forked parent through exec, so every child would
    report this benchmark's own peak.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


RUNS = 15
COMMAND = ".venv/bin/python bench/numpy_vs_torch.py"
TITLES = {"mnist_cnn": "MNIST CNN, batch 64", "hw2p1_cnn": "HW2P1 CNN, batch 64",
          "resnet18": "resnet18, batch 8, 64x64", "mobilenet_v2": "mobilenet_v2, batch 8, 64x64"}


def measure(runs: int) -> list[dict]:
    """The figures of bench/report.py: per network and pass, the ratio NumPy / torch of the medians of
    ``runs`` alternating wall-clock timings (torch on as many threads as NumPy's BLAS), and the ratio of
    the growth of peak RSS over one training step."""
    import torch

    sys.path.insert(0, str(BENCH))
    threads = blas_threads()
    torch.set_num_threads(threads)
    rows = []
    for name in NETS:
        model, x, n_fwd, n_step = numpy_step(name)
        reference = torch_module(name)
        same_weights(model, reference, x)
        t_fwd, t_step = torch_step(reference, x)
        for label, a, b in (("forward+backward", n_step, t_step), ("forward", n_fwd, t_fwd)):
            tn, tt = alternate(a, b, runs, time.perf_counter)
            rows.append({"name": f"NumPy / torch, {TITLES[name]}, {label}", "value": tn / tt, "unit": "",
                         "command": COMMAND})
        n, t = peak_rss("numpy", name, threads), peak_rss("torch", name, threads)
        rows.append({"name": f"NumPy / torch, {TITLES[name]}, peak RSS growth over a training step",
                     "value": n["step"] / max(t["step"], 1), "unit": "", "command": COMMAND})
    return rows


def blas_threads() -> int:
    from threadpoolctl import threadpool_info

    return max((p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"), default=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", type=int, help="threads for NumPy's BLAS and torch (default: the BLAS's own)")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    ap.add_argument("--nets", default=",".join(NETS), help="comma-separated, of: " + ", ".join(NETS))
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-RSS subprocesses")
    ap.add_argument("--rss-child", nargs=2, metavar=("BACKEND", "NET"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    from threadpoolctl import threadpool_limits

    threads = args.threads or blas_threads()
    threadpool_limits(threads, user_api="blas")
    if args.rss_child:  # the NumPy one never imports torch
        return rss_child(*args.rss_child, threads)
    import torch

    torch.set_num_threads(threads)
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    print(f"torch {torch.__version__}, numpy {np.__version__}, {threads} thread(s) each; float32, training mode; "
          f"{args.clock} clock, median of {args.repeats} alternating repeats")
    for name in args.nets.split(","):
        model, x, n_fwd, n_step = numpy_step(name)
        reference = torch_module(name)
        same_weights(model, reference, x)
        t_fwd, t_step = torch_step(reference, x)
        label = f"{name} {x.shape[0]}x{'x'.join(map(str, x.shape[1:]))}"
        for what, a, b in (("forward", n_fwd, t_fwd), ("forward+backward", n_step, t_step)):
            tn, tt = alternate(a, b, args.repeats, clock)
            print(f"{label:<24} {what:<17} numpy {tn * 1e3:8.2f} ms   torch {tt * 1e3:8.2f} ms   ratio {tn / tt:5.2f}",
                  flush=True)
        if not args.no_memory:
            n, t = peak_rss("numpy", name, threads), peak_rss("torch", name, threads)
            print(f"{label:<24} {'peak RSS, 1 step':<17} numpy {n['peak']:6.0f} MiB (step +{n['step']:.0f})   "
                  f"torch {t['peak']:6.0f} MiB (step +{t['step']:.0f})   ratio {n['peak'] / t['peak']:5.2f} "
                  f"(step {n['step'] / max(t['step'], 1):.2f})", flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(BENCH))
    main()
