"""Hypothesis strategies that draw op cases: (op, args, kwargs, input shapes)."""

import numpy as np
from hypothesis import strategies as st


@st.composite
def elementwise(draw, op, **kwargs):
    rank = draw(st.integers(2, 4))
    shape = tuple(draw(st.integers(1, 5)) for _ in range(rank))
    return op, (), kwargs, [shape]


@st.composite
def softmax(draw, op):
    rank = draw(st.integers(2, 3))
    shape = tuple(draw(st.integers(1, 5)) for _ in range(rank))
    return op, (), {"dim": draw(st.integers(-rank, rank - 1))}, [shape]


@st.composite
def conv(draw, op, n, transpose=False):
    groups = draw(st.sampled_from([1, 1, 2]))
    c_in = groups * draw(st.integers(1, 3))
    c_out = groups * draw(st.integers(1, 3))
    k = tuple(draw(st.integers(1, 4)) for _ in range(n))
    s = tuple(draw(st.integers(1, 3)) for _ in range(n))
    d = tuple(draw(st.integers(1, 2)) for _ in range(n))
    p = tuple(draw(st.integers(0, 2)) for _ in range(n))
    if not transpose:  # padding "same" (stride 1; an even span pads one more after) or "valid" (none)
        mode = draw(st.sampled_from(["ints", "ints", "same", "valid"]))
        s = (1,) * n if mode == "same" else s
        p = p if mode == "ints" else mode
    if draw(st.booleans()):  # the kernel covers the whole (padded) input
        size = tuple(max(1, d[i] * (k[i] - 1) + 1 - 2 * (p[i] if isinstance(p, tuple) else 0)) for i in range(n))
    else:
        size = tuple(draw(st.integers(1, 9)) for _ in range(n))
    kwargs = {"kernel_size": k, "stride": s, "padding": p, "dilation": d, "groups": groups,
              "bias": draw(st.booleans())}
    if transpose:
        kwargs["output_padding"] = tuple(draw(st.integers(0, max(s[i], d[i]) - 1)) for i in range(n))
    return op, (c_out,), kwargs, [(draw(st.integers(1, 3)), c_in, *size)]


@st.composite
def pool(draw, op, n):
    k = tuple(draw(st.integers(1, 4)) for _ in range(n))
    s = tuple(draw(st.integers(1, 3)) for _ in range(n))
    p = tuple(draw(st.integers(0, ki // 2)) for ki in k)
    size = tuple(draw(st.integers(1, 9)) for _ in range(n))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), *size)
    return op, (), {"kernel_size": k, "stride": s, "padding": p}, [shape]


@st.composite
def resample(draw, op, n):
    size = tuple(draw(st.integers(1, 7)) for _ in range(n))
    return op, (draw(st.integers(1, 4)),), {}, [(draw(st.integers(1, 3)), draw(st.integers(1, 3)), *size)]


@st.composite
def linear(draw):
    rank = draw(st.integers(2, 3))
    shape = tuple(draw(st.integers(1, 5)) for _ in range(rank))
    return "linear", (draw(st.integers(1, 5)),), {"bias": draw(st.booleans())}, [shape]


@st.composite
def global_pool(draw):
    n = draw(st.integers(1, 2))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), *(draw(st.integers(1, 6)) for _ in range(n)))
    return "global_pool", (draw(st.sampled_from(["max", "mean"])),), {"keepdim": draw(st.booleans())}, [shape]


@st.composite
def batchnorm(draw, op, ranks):
    rank = draw(st.sampled_from(ranks))
    # at least 3 values per channel: with 2, the normalised output is +-1 whatever the input
    shape = (draw(st.integers(3, 5)), *(draw(st.integers(1, 4)) for _ in range(rank - 1)))
    return op, (), {"affine": draw(st.booleans()), "momentum": draw(st.sampled_from([0.1, 0.5]))}, [shape]


@st.composite
def layernorm(draw):
    rank = draw(st.integers(2, 4))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    k = draw(st.integers(1, rank - 1))
    if int(np.prod(shape[-k:])) < 3:  # see batchnorm
        shape = (*shape[:-1], 3)
    return "layernorm", (k,), {"elementwise_affine": draw(st.booleans())}, [shape]


@st.composite
def flatten(draw):
    rank = draw(st.integers(2, 4))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    return "flatten", (draw(st.integers(0, rank - 1)),), {}, [shape]


@st.composite
def broadcast(draw, op):
    """Two shapes that broadcast: equal, or with some dims 1 in one of them (or fewer dims)."""
    rank = draw(st.integers(1, 4))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    other = tuple(1 if draw(st.booleans()) else d for d in shape)[draw(st.integers(0, rank - 1)):]
    shapes = [shape, other] if draw(st.booleans()) else [other, shape]
    return op, ("other",), {}, shapes


@st.composite
def concat(draw):
    rank = draw(st.integers(2, 4))
    shape = [draw(st.integers(1, 4)) for _ in range(rank)]
    dim = draw(st.integers(-rank, rank - 1))
    shapes = []
    for _ in range(draw(st.integers(2, 4))):
        s = list(shape)
        s[dim] = draw(st.integers(1, 3))
        shapes.append(tuple(s))
    return "concat", tuple(f"v{i}" for i in range(len(shapes) - 1)), {"dim": dim}, shapes


def _shape(draw, ranks, lo=1, hi=5):
    rank = draw(st.sampled_from(ranks))
    return tuple(draw(st.integers(lo, hi)) for _ in range(rank))


@st.composite
def prelu(draw):
    shape = _shape(draw, (2, 3, 4))
    return "prelu", (draw(st.sampled_from([1, shape[1]])),), {"init": draw(st.floats(0.0, 0.5))}, [shape]


@st.composite
def groupnorm(draw):
    g = draw(st.integers(1, 3))
    shape = (draw(st.integers(1, 3)), g * draw(st.integers(1, 3)), *(draw(st.integers(2, 4)) for _ in range(
        draw(st.integers(1, 2)))))
    if shape[1] // g * int(np.prod(shape[2:])) < 3:  # at least 3 values per group (see batchnorm)
        shape = (*shape[:-1], 3)
    return "groupnorm", (g,), {"affine": draw(st.booleans())}, [shape]


@st.composite
def instancenorm(draw, op, n):
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), *(draw(st.integers(2, 4)) for _ in range(n)))
    if int(np.prod(shape[2:])) < 3:
        shape = (*shape[:-1], 3)
    return op, (), {"affine": draw(st.booleans())}, [shape]


@st.composite
def layernorm2d(draw):
    shape = (draw(st.integers(1, 3)), draw(st.integers(3, 5)), *(draw(st.integers(1, 4)) for _ in range(
        draw(st.integers(1, 2)))))
    return "layernorm2d", (), {"affine": draw(st.booleans())}, [shape]


@st.composite
def any_rank(draw, op, ranks=(2, 3, 4), **kwargs):
    return op, (), kwargs, [_shape(draw, ranks)]


@st.composite
def pool_modes(draw, op, n, mean):
    """Pools with ceil mode and (for means) with and without counting the padding."""
    k = tuple(draw(st.integers(1, 4)) for _ in range(n))
    s = tuple(draw(st.integers(1, 3)) for _ in range(n))
    p = tuple(draw(st.integers(0, ki // 2)) for ki in k)
    size = tuple(draw(st.integers(1, 9)) for _ in range(n))
    kwargs = {"kernel_size": k, "stride": s, "padding": p, "ceil_mode": draw(st.booleans())}
    if mean:
        kwargs["count_include_pad"] = draw(st.booleans())
    return op, (), kwargs, [(draw(st.integers(1, 3)), draw(st.integers(1, 3)), *size)]


@st.composite
def adaptive(draw, op, n):
    size = tuple(draw(st.integers(1, 9)) for _ in range(n))
    out = tuple(draw(st.integers(1, 6)) for _ in range(n))
    return op, (out,), {}, [(draw(st.integers(1, 3)), draw(st.integers(1, 3)), *size)]


@st.composite
def resize(draw, op, n, linear):
    size = tuple(draw(st.integers(1, 6)) for _ in range(n))
    mode = draw(st.sampled_from(["nearest", linear]))
    kwargs = {"mode": mode, "align_corners": mode != "nearest" and draw(st.booleans())}
    if draw(st.booleans()):
        kwargs["scale"] = draw(st.integers(1, 3))
    else:
        kwargs["size"] = tuple(draw(st.integers(1, 8)) for _ in range(n))
    return op, (), kwargs, [(draw(st.integers(1, 3)), draw(st.integers(1, 3)), *size)]


@st.composite
def pad(draw):
    n = draw(st.integers(1, 2))
    mode = draw(st.sampled_from(["constant", "reflect", "replicate"]))
    pairs = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(n))
    size = tuple(max(b, e) + draw(st.integers(1, 4)) for b, e in pairs)
    kwargs = {"mode": mode, "channels": (draw(st.integers(0, 2)), draw(st.integers(0, 2)))}
    if mode == "constant":
        kwargs["value"] = draw(st.sampled_from([0.0, 1.5]))
    return "pad", (pairs,), kwargs, [(draw(st.integers(1, 3)), draw(st.integers(1, 3)), *size)]


@st.composite
def permute(draw):
    shape = _shape(draw, (2, 3, 4))
    return "permute", (tuple(draw(st.permutations(range(len(shape))))),), {}, [shape]


@st.composite
def chunk(draw):
    shape = _shape(draw, (2, 3, 4), 1, 6)
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    chunks = draw(st.integers(1, 4))
    return "chunk", (chunks, draw(st.integers(0, chunks - 1))), {"dim": dim}, [shape]


@st.composite
def shuffle(draw):
    g = draw(st.integers(1, 3))
    shape = (draw(st.integers(1, 3)), g * draw(st.integers(1, 3)), *(draw(st.integers(1, 3)) for _ in range(
        draw(st.integers(1, 2)))))
    return "channel_shuffle", (g,), {}, [shape]
