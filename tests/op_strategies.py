"""Hypothesis strategies that draw op cases: (op, args, kwargs, input shapes)."""

import numpy as np
from hypothesis import strategies as st


@st.composite
def _elementwise(draw, op, **kwargs):
    rank = draw(st.integers(2, 4))
    shape = tuple(draw(st.integers(1, 5)) for _ in range(rank))
    return op, (), kwargs, [shape]


@st.composite
def _softmax(draw, op):
    rank = draw(st.integers(2, 3))
    shape = tuple(draw(st.integers(1, 5)) for _ in range(rank))
    return op, (), {"dim": draw(st.integers(-rank, rank - 1))}, [shape]


@st.composite
def _conv(draw, op, n, transpose=False):
    groups = draw(st.sampled_from([1, 1, 2]))
    c_in = groups * draw(st.integers(1, 3))
    c_out = groups * draw(st.integers(1, 3))
    k = tuple(draw(st.integers(1, 4)) for _ in range(n))
    s = tuple(draw(st.integers(1, 3)) for _ in range(n))
    d = tuple(draw(st.integers(1, 2)) for _ in range(n))
    p = tuple(draw(st.integers(0, 2)) for _ in range(n))
    if draw(st.booleans()):  # the kernel covers the whole (padded) input
        size = tuple(max(1, d[i] * (k[i] - 1) + 1 - 2 * p[i]) for i in range(n))
    else:
        size = tuple(draw(st.integers(1, 9)) for _ in range(n))
    kwargs = {"kernel_size": k, "stride": s, "padding": p, "dilation": d, "groups": groups,
              "bias": draw(st.booleans())}
    if transpose:
        kwargs["output_padding"] = tuple(draw(st.integers(0, max(s[i], d[i]) - 1)) for i in range(n))
    return op, (c_out,), kwargs, [(draw(st.integers(1, 3)), c_in, *size)]


@st.composite
def _pool(draw, op, n):
    k = tuple(draw(st.integers(1, 4)) for _ in range(n))
    s = tuple(draw(st.integers(1, 3)) for _ in range(n))
    p = tuple(draw(st.integers(0, ki // 2)) for ki in k)
    size = tuple(draw(st.integers(1, 9)) for _ in range(n))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), *size)
    return op, (), {"kernel_size": k, "stride": s, "padding": p}, [shape]


@st.composite
def _resample(draw, op, n):
    size = tuple(draw(st.integers(1, 7)) for _ in range(n))
    return op, (draw(st.integers(1, 4)),), {}, [(draw(st.integers(1, 3)), draw(st.integers(1, 3)), *size)]


@st.composite
def _linear(draw):
    rank = draw(st.integers(2, 3))
    shape = tuple(draw(st.integers(1, 5)) for _ in range(rank))
    return "linear", (draw(st.integers(1, 5)),), {"bias": draw(st.booleans())}, [shape]


@st.composite
def _global(draw):
    n = draw(st.integers(1, 2))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), *(draw(st.integers(1, 6)) for _ in range(n)))
    return "global_pool", (draw(st.sampled_from(["max", "mean"])),), {}, [shape]


@st.composite
def _batchnorm(draw, op, ranks):
    rank = draw(st.sampled_from(ranks))
    # at least 3 values per channel: with 2, the normalised output is +-1 whatever the input
    shape = (draw(st.integers(3, 5)), *(draw(st.integers(1, 4)) for _ in range(rank - 1)))
    return op, (), {"affine": draw(st.booleans()), "momentum": draw(st.sampled_from([0.1, 0.5]))}, [shape]


@st.composite
def _layernorm(draw):
    rank = draw(st.integers(2, 4))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    k = draw(st.integers(1, rank - 1))
    if int(np.prod(shape[-k:])) < 3:  # see _batchnorm
        shape = (*shape[:-1], 3)
    return "layernorm", (k,), {"elementwise_affine": draw(st.booleans())}, [shape]


@st.composite
def _flatten(draw):
    rank = draw(st.integers(2, 4))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    return "flatten", (draw(st.integers(0, rank - 1)),), {}, [shape]


@st.composite
def _broadcast(draw, op):
    """Two shapes that broadcast: equal, or with some dims 1 in one of them (or fewer dims)."""
    rank = draw(st.integers(1, 4))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    other = tuple(1 if draw(st.booleans()) else d for d in shape)[draw(st.integers(0, rank - 1)):]
    shapes = [shape, other] if draw(st.booleans()) else [other, shape]
    return op, ("other",), {}, shapes


@st.composite
def _concat(draw):
    rank = draw(st.integers(2, 4))
    shape = [draw(st.integers(1, 4)) for _ in range(rank)]
    dim = draw(st.integers(-rank, rank - 1))
    shapes = []
    for _ in range(draw(st.integers(2, 4))):
        s = list(shape)
        s[dim] = draw(st.integers(1, 3))
        shapes.append(tuple(s))
    return "concat", tuple(f"v{i}" for i in range(len(shapes) - 1)), {"dim": dim}, shapes
