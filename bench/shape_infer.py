"""Shape inference time per layer for generated specs of 100, 1,000 and 10,000 layers.

    python bench/shape_infer.py

Prints parse, lower (IR) and infer time per layer; a flat per-layer time means
linear growth.
"""

import statistics
import time

import archc
from archc.ir import lower
from archc.shape_infer import infer


def make_spec(n_layers: int) -> str:
    ops = ["conv2d(16, kernel=3, padding=1)", "batchnorm2d", "relu"]
    body = "\n".join(f"  {ops[i % 3]}" for i in range(n_layers - 2))
    return f"network deep {{\n  input x: [N, 3, H, W]\n{body}\n  global_pool(mean)\n  linear(10)\n}}\n"


def best_of(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def median_of(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def stages(n: int, repeats: int, pick=best_of) -> tuple[float, float, float]:
    """(parse, lower, infer) seconds for a generated spec of ``n`` layers."""
    text = make_spec(n)
    t_parse, module = pick(lambda: archc.parse("<bench>", text), repeats)
    t_lower, graph = pick(lambda: lower(module), repeats)
    t_infer, typed = pick(lambda: infer(graph), repeats)
    assert len(typed.layers) == n
    return t_parse, t_lower, t_infer


RUNS = 5
SIZES = (100, 1_000, 10_000)


def measure(runs: int) -> list[dict]:
    """The figures of bench/report.py: shape inference time per layer (median of ``runs``) per spec size,
    and the total for 1,000 layers."""
    rows = []
    for n in SIZES:
        t_infer = stages(n, runs, median_of)[2]
        rows.append({"name": f"shape inference per layer, {n:,} layers", "value": t_infer / n * 1e6, "unit": "µs",
                     "command": ".venv/bin/python bench/shape_infer.py"})
        if n == 1_000:
            rows.append({"name": "shape inference, 1,000 layers in all", "value": t_infer * 1e3, "unit": "ms",
                         "command": ".venv/bin/python bench/shape_infer.py"})
    return rows


def main() -> None:
    print(f"{'layers':>8} {'parse us/layer':>15} {'lower us/layer':>15} {'infer us/layer':>15} {'infer total ms':>15}")
    for n in SIZES:
        t_parse, t_lower, t_infer = stages(n, 5 if n < 10_000 else 2)
        print(f"{n:>8} {t_parse / n * 1e6:>15.1f} {t_lower / n * 1e6:>15.1f} {t_infer / n * 1e6:>15.1f} "
              f"{t_infer * 1e3:>15.1f}")


if __name__ == "__main__":
    main()
