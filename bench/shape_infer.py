"""Shape inference time per layer for generated specs of 100, 1,000 and 10,000 layers.

    python bench/shape_infer.py

Prints parse, lower (IR) and infer time per layer; a flat per-layer time means
linear growth.
"""

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


def main() -> None:
    print(f"{'layers':>8} {'parse us/layer':>15} {'lower us/layer':>15} {'infer us/layer':>15} {'infer total ms':>15}")
    for n in (100, 1_000, 10_000):
        text = make_spec(n)
        repeats = 5 if n < 10_000 else 2
        t_parse, module = best_of(lambda text=text: archc.parse("<bench>", text), repeats)
        t_lower, graph = best_of(lambda module=module: lower(module), repeats)
        t_infer, typed = best_of(lambda graph=graph: infer(graph), repeats)
        assert len(typed.layers) == n
        print(f"{n:>8} {t_parse / n * 1e6:>15.1f} {t_lower / n * 1e6:>15.1f} {t_infer / n * 1e6:>15.1f} "
              f"{t_infer * 1e3:>15.1f}")


if __name__ == "__main__":
    main()
