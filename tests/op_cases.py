"""One row per registered op: how to draw cases of it, and what PyTorch computes for it.

    CASES[op] = Case(strategy, reference)

``strategy`` draws (op, args, kwargs, input shapes) (tests/op_strategies.py); ``reference(t)``
is the independent torch computation, given ``t`` with ``t.torch``, ``t.F``, ``t.a`` (attributes),
``t.p`` (parameters), ``t.b`` (buffers), ``t.xs`` (inputs), ``t.x`` (the first) and ``t.training``.
`tests/test_registry.py` asserts the table has exactly the registry's ops, so a newly registered
op is untested until it gets its row here.
"""

from typing import Any, NamedTuple

from hypothesis import strategies as st

from archc.errors import ArchcError
from archc.ops import REGISTRY, bind_attrs
from tests import op_refs as R
from tests.op_strategies import (
    _batchnorm,
    _broadcast,
    _concat,
    _conv,
    _elementwise,
    _flatten,
    _global,
    _layernorm,
    _linear,
    _pool,
    _resample,
    _softmax,
)


class Case(NamedTuple):
    strategy: Any
    reference: Any


CASES = {
    "identity": Case(_elementwise("identity"), lambda t: t.x),
    "relu": Case(_elementwise("relu"), lambda t: t.torch.relu(t.x)),
    "relu6": Case(_elementwise("relu6"), lambda t: t.F.relu6(t.x)),
    "tanh": Case(_elementwise("tanh"), lambda t: t.torch.tanh(t.x)),
    "sigmoid": Case(_elementwise("sigmoid"), lambda t: t.torch.sigmoid(t.x)),
    "leaky_relu": Case(st.floats(0.0, 0.5).flatmap(lambda a: _elementwise("leaky_relu", negative_slope=a)),
                       lambda t: t.F.leaky_relu(t.x, t.a["negative_slope"])),
    "elu": Case(st.floats(0.1, 2.0).flatmap(lambda a: _elementwise("elu", alpha=a)),
                lambda t: t.F.elu(t.x, t.a["alpha"])),
    "gelu": Case(st.sampled_from(["none", "tanh"]).flatmap(lambda a: _elementwise("gelu", approximate=a)),
                 lambda t: t.F.gelu(t.x, approximate=t.a["approximate"])),
    "softmax": Case(_softmax("softmax"), lambda t: t.F.softmax(t.x, dim=t.a["dim"])),
    "log_softmax": Case(_softmax("log_softmax"), lambda t: t.F.log_softmax(t.x, dim=t.a["dim"])),
    "dropout": Case(st.sampled_from([0.0, 0.3, 0.7]).flatmap(lambda p: _elementwise("dropout", p=p)),
                    lambda t: t.x),  # compared in eval mode; training masks are tested on their own
    "linear": Case(_linear(), lambda t: t.F.linear(t.x, t.p["weight"], t.p.get("bias"))),
    "conv1d": Case(_conv("conv1d", 1), R.conv), "conv2d": Case(_conv("conv2d", 2), R.conv),
    "conv_transpose1d": Case(_conv("conv_transpose1d", 1, True), R.conv_transpose),
    "conv_transpose2d": Case(_conv("conv_transpose2d", 2, True), R.conv_transpose),
    "maxpool1d": Case(_pool("maxpool1d", 1), R.maxpool), "maxpool2d": Case(_pool("maxpool2d", 2), R.maxpool),
    "meanpool1d": Case(_pool("meanpool1d", 1), R.meanpool), "meanpool2d": Case(_pool("meanpool2d", 2), R.meanpool),
    "upsample1d": Case(_resample("upsample1d", 1), R.upsample_zeros),
    "upsample2d": Case(_resample("upsample2d", 2), R.upsample_zeros),
    "downsample1d": Case(_resample("downsample1d", 1), R.downsample),
    "downsample2d": Case(_resample("downsample2d", 2), R.downsample),
    "global_pool": Case(_global(), R.global_pool),
    "batchnorm1d": Case(_batchnorm("batchnorm1d", (2, 3)), R.batchnorm),
    "batchnorm2d": Case(_batchnorm("batchnorm2d", (4,)), R.batchnorm),
    "layernorm": Case(_layernorm(), lambda t: t.F.layer_norm(t.x, t.x.shape[-t.a["ndim"]:], t.p.get("weight"),
                                                             t.p.get("bias"), t.a["eps"])),
    "flatten": Case(_flatten(), lambda t: t.torch.flatten(t.x, t.a["start_dim"])),
    "add": Case(_broadcast("add"), lambda t: t.xs[0] + t.xs[1]),
    "mul": Case(_broadcast("mul"), lambda t: t.xs[0] * t.xs[1]),
    "concat": Case(_concat(), lambda t: t.torch.cat(list(t.xs), dim=t.a["dim"])),
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
