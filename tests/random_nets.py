"""Random, valid networks (seeded) written as spec text: chains of ops with residuals, concatenated
branches, gates, named groups, blocks with arguments and repeats, for the backend round-trip tests."""

import random

import archc
from archc.errors import ArchcError

ACTS = ["relu", "tanh", "sigmoid", "elu", "leaky_relu(0.1)", "gelu", "gelu(tanh)", "identity"]


def _layer(r: random.Random, n: int, c: int) -> tuple[str, int]:
    """One layer on an n-D input with c channels, and its output channels."""
    d = f"{n}d"
    kind = r.choice(["conv", "conv", "act", "act", "pool", "norm", "resample", "transpose"])
    if kind == "conv":
        out = r.choice([2, 3, 4])
        k, s, p, dil = r.choice([1, 2, 3, 4]), r.choice([1, 1, 2]), r.choice([0, 1, '"same"', '"valid"']), \
            r.choice([1, 1, 2])
        s = 1 if p == '"same"' else s  # "same" needs stride 1; an even span pads one more after
        g = r.choice([g for g in (1, 2) if c % g == 0 and out % g == 0])
        bias = r.choice(["true", "false"])
        return f"conv{d}({out}, kernel={k}, stride={s}, padding={p}, dilation={dil}, groups={g}, bias={bias})", out
    if kind == "transpose":
        out, k, s = r.choice([2, 3]), r.choice([1, 2, 3]), r.choice([1, 2])
        return f"conv_transpose{d}({out}, kernel={k}, stride={s}, output_padding={r.choice(range(s))})", out
    if kind == "pool":
        k = r.choice([1, 2, 3])
        return f"{r.choice(['maxpool', 'meanpool'])}{d}({k}, stride={r.choice([1, 2])}, padding={k // 2})", c
    if kind == "norm":
        return r.choice([f"batchnorm{n}d" if n == 2 else "batchnorm1d", "layernorm(1)"]), c
    if kind == "resample":
        return f"{r.choice(['upsample', 'downsample'])}{d}({r.choice([1, 2])})", c
    return r.choice(ACTS), c


def _chain(r: random.Random, n: int, c: int, depth: int) -> tuple[list[str], int]:
    items = []
    for _ in range(r.randint(1, 3)):
        text, c = _item(r, n, c, depth)
        items.append(text)
    return items, c


def _item(r: random.Random, n: int, c: int, depth: int) -> tuple[str, int]:
    kind = r.choice(["layer"] * 5 + (["residual", "concat", "squash", "seq", "block", "repeat"] if depth < 2 else []))
    if kind == "layer":
        return _layer(r, n, c)
    if kind == "residual":
        act = r.choice(ACTS)
        body = f"conv{n}d({c}, kernel=3, padding=1) -> {act}"
        if r.random() < 0.5:
            out = r.choice([2, 4])
            return f"residual {{ conv{n}d({out}, kernel=3, padding=1) }} shortcut {{ conv{n}d({out}, kernel=1) }}", out
        return f"residual {{ {body} }}", c
    if kind == "concat":
        a, b = r.choice([1, 2]), r.choice([1, 3])
        return (f"concat {{ branch {{ conv{n}d({a}, kernel=1) }} branch {{ conv{n}d({b}, kernel=3, padding=1) -> "
                f"{r.choice(ACTS)} }} branch {{ }} }}"), a + b + c
    if kind == "squash":
        return "squash()", c
    if kind == "seq":
        items, c = _chain(r, n, c, depth + 1)
        return f"seq {{ {' -> '.join(items)} }}", c
    if kind == "block":
        return f"pair({r.choice([2, 3])})", c  # a gate: the block's input times a function of it
    items, c2 = _chain(r, n, c, depth + 1)
    if c2 != c:
        return _layer(r, n, c)
    return f"repeat {r.choice([0, 1, 2])} index i {{ {' -> '.join(items)} }}", c


BLOCKS = """block pair(C) {
  conv{n}d(C, kernel=1) as a -> relu
  conv{n}d(in_channels, kernel=1) as b -> sigmoid
  mul(in)
}

seq squash() {
  conv{n}d(in_channels, kernel=1) -> sigmoid
}
"""


def random_spec(seed: int) -> str:
    """A valid network spec (tried until one checks), deterministic for a seed."""
    r = random.Random(seed)
    for _ in range(200):
        n = r.choice([1, 2])
        c = r.choice([1, 2, 3])
        sizes = ", ".join(str(r.randint(5, 9)) for _ in range(n))
        body, ch = [], c
        for _ in range(r.randint(1, 4)):
            text, ch = _item(r, n, ch, 0)
            body.append(text)
        text = (BLOCKS.replace("{n}", str(n)) + f"network rand{seed} {{\n  input x: [N, {c}, {sizes}]\n  "
                + "\n  ".join(body) + "\n  flatten -> linear(3)\n}\n")
        try:
            archc.check(text)
        except ArchcError:
            continue
        return text
    raise AssertionError(f"no valid network for seed {seed}")
