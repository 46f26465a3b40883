"""Hypothesis strategies for every registered op: (op, args, kwargs, input shapes).

`test_numpy_ops.py` asserts that this table covers exactly the op registry, so
a newly registered op is untested until it gets a case here.
"""

import numpy as np
from hypothesis import strategies as st

from archc.errors import ArchcError
from archc.ops import REGISTRY, bind_attrs


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


CASES = {
    "identity": _elementwise("identity"), "relu": _elementwise("relu"), "tanh": _elementwise("tanh"),
    "sigmoid": _elementwise("sigmoid"),
    "leaky_relu": st.floats(0.0, 0.5).flatmap(lambda a: _elementwise("leaky_relu", negative_slope=a)),
    "elu": st.floats(0.1, 2.0).flatmap(lambda a: _elementwise("elu", alpha=a)),
    "gelu": st.sampled_from(["none", "tanh"]).flatmap(lambda a: _elementwise("gelu", approximate=a)),
    "softmax": _softmax("softmax"), "log_softmax": _softmax("log_softmax"),
    "dropout": st.sampled_from([0.0, 0.3, 0.7]).flatmap(lambda p: _elementwise("dropout", p=p)),
    "linear": _linear(),
    "conv1d": _conv("conv1d", 1), "conv2d": _conv("conv2d", 2),
    "conv_transpose1d": _conv("conv_transpose1d", 1, True), "conv_transpose2d": _conv("conv_transpose2d", 2, True),
    "maxpool1d": _pool("maxpool1d", 1), "maxpool2d": _pool("maxpool2d", 2),
    "meanpool1d": _pool("meanpool1d", 1), "meanpool2d": _pool("meanpool2d", 2),
    "upsample1d": _resample("upsample1d", 1), "upsample2d": _resample("upsample2d", 2),
    "downsample1d": _resample("downsample1d", 1), "downsample2d": _resample("downsample2d", 2),
    "global_pool": _global(),
    "batchnorm1d": _batchnorm("batchnorm1d", (2, 3)), "batchnorm2d": _batchnorm("batchnorm2d", (4,)),
    "layernorm": _layernorm(), "flatten": _flatten(), "add": _broadcast("add"), "mul": _broadcast("mul"),
    "concat": _concat(),
}


def resolve(case):
    """(op, attrs, input shapes, output shape, param shapes, buffer shapes), or None if invalid."""
    op_name, args, kwargs, shapes = case
    op = REGISTRY[op_name]
    try:
        attrs = bind_attrs(op, list(args), dict(kwargs))
        for ref in op.ref_attrs:  # references become inputs: the layer does not see them
            attrs.pop(ref)
        out = op.shape(shapes, attrs)
    except ArchcError:
        return None
    return op_name, attrs, shapes, out, op.params(shapes, attrs), op.buffers(shapes, attrs)
