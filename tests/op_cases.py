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
from tests import op_strategies as S


class Case(NamedTuple):
    strategy: Any
    reference: Any
    scale: float = 1.0  # standard deviation of the test inputs (wider for ops with kinks away from 0)
    tol: float = 1e-8  # against torch


CASES = {
    "identity": Case(S.elementwise("identity"), lambda t: t.x),
    "relu": Case(S.elementwise("relu"), lambda t: t.torch.relu(t.x)),
    "relu6": Case(S.elementwise("relu6"), lambda t: t.F.relu6(t.x), 4.0),
    "hardtanh": Case(S.elementwise("hardtanh", min_val=-0.5, max_val=1.5), lambda t: t.F.hardtanh(t.x, -0.5, 1.5)),
    "silu": Case(S.elementwise("silu"), lambda t: t.F.silu(t.x), 3.0),
    "hardswish": Case(S.elementwise("hardswish"), lambda t: t.F.hardswish(t.x), 3.0),
    # torch's float64 hardsigmoid gradient multiplies by 1/6 rounded to float32 (3e-8 off)
    "hardsigmoid": Case(S.elementwise("hardsigmoid"), lambda t: t.F.hardsigmoid(t.x), 3.0, 1e-7),
    "mish": Case(S.elementwise("mish"), lambda t: t.F.mish(t.x), 3.0),
    "softplus": Case(st.sampled_from([1.0, 2.5]).flatmap(lambda b: S.elementwise("softplus", beta=b, threshold=4.0)),
                     lambda t: t.F.softplus(t.x, t.a["beta"], t.a["threshold"]), 3.0),
    "prelu": Case(S.prelu(), lambda t: t.F.prelu(t.x, t.p["weight"])),
    "tanh": Case(S.elementwise("tanh"), lambda t: t.torch.tanh(t.x)),
    "sigmoid": Case(S.elementwise("sigmoid"), lambda t: t.torch.sigmoid(t.x)),
    "leaky_relu": Case(st.floats(0.0, 0.5).flatmap(lambda a: S.elementwise("leaky_relu", negative_slope=a)),
                       lambda t: t.F.leaky_relu(t.x, t.a["negative_slope"])),
    "elu": Case(st.floats(0.1, 2.0).flatmap(lambda a: S.elementwise("elu", alpha=a)),
                lambda t: t.F.elu(t.x, t.a["alpha"])),
    "gelu": Case(st.sampled_from(["none", "tanh"]).flatmap(lambda a: S.elementwise("gelu", approximate=a)),
                 lambda t: t.F.gelu(t.x, approximate=t.a["approximate"])),
    "softmax": Case(S.softmax("softmax"), lambda t: t.F.softmax(t.x, dim=t.a["dim"])),
    "log_softmax": Case(S.softmax("log_softmax"), lambda t: t.F.log_softmax(t.x, dim=t.a["dim"])),
    "dropout": Case(st.sampled_from([0.0, 0.3, 0.7]).flatmap(lambda p: S.elementwise("dropout", p=p)),
                    lambda t: t.x),  # compared in eval mode; training masks are tested on their own
    "linear": Case(S.linear(), lambda t: t.F.linear(t.x, t.p["weight"], t.p.get("bias"))),
    "conv1d": Case(S.conv("conv1d", 1), R.conv), "conv2d": Case(S.conv("conv2d", 2), R.conv),
    "conv_transpose1d": Case(S.conv("conv_transpose1d", 1, True), R.conv_transpose),
    "conv_transpose2d": Case(S.conv("conv_transpose2d", 2, True), R.conv_transpose),
    "maxpool1d": Case(S.pool_modes("maxpool1d", 1, False), R.maxpool),
    "maxpool2d": Case(S.pool_modes("maxpool2d", 2, False), R.maxpool),
    "meanpool1d": Case(S.pool_modes("meanpool1d", 1, True), R.meanpool),
    "meanpool2d": Case(S.pool_modes("meanpool2d", 2, True), R.meanpool),
    "adaptive_maxpool1d": Case(S.adaptive("adaptive_maxpool1d", 1), R.adaptive_max),
    "adaptive_maxpool2d": Case(S.adaptive("adaptive_maxpool2d", 2), R.adaptive_max),
    "adaptive_meanpool1d": Case(S.adaptive("adaptive_meanpool1d", 1), R.adaptive_mean),
    "adaptive_meanpool2d": Case(S.adaptive("adaptive_meanpool2d", 2), R.adaptive_mean),
    "upsample1d": Case(S.resample("upsample1d", 1), R.upsample_zeros),
    "upsample2d": Case(S.resample("upsample2d", 2), R.upsample_zeros),
    "downsample1d": Case(S.resample("downsample1d", 1), R.downsample),
    "downsample2d": Case(S.resample("downsample2d", 2), R.downsample),
    "resize1d": Case(S.resize("resize1d", 1, "linear"), R.resize),
    "resize2d": Case(S.resize("resize2d", 2, "bilinear"), R.resize),
    "global_pool": Case(S.global_pool(), R.global_pool),
    "batchnorm1d": Case(S.batchnorm("batchnorm1d", (2, 3)), R.batchnorm),
    "batchnorm2d": Case(S.batchnorm("batchnorm2d", (4,)), R.batchnorm),
    "layernorm": Case(S.layernorm(), lambda t: t.F.layer_norm(t.x, t.x.shape[-t.a["ndim"]:], t.p.get("weight"),
                                                             t.p.get("bias"), t.a["eps"])),
    "groupnorm": Case(S.groupnorm(), lambda t: t.F.group_norm(t.x, t.a["num_groups"], t.p.get("weight"),
                                                             t.p.get("bias"), t.a["eps"])),
    "instancenorm1d": Case(S.instancenorm("instancenorm1d", 1), R.instancenorm),
    "instancenorm2d": Case(S.instancenorm("instancenorm2d", 2), R.instancenorm),
    "layernorm2d": Case(S.layernorm2d(), R.layernorm2d),
    "layer_scale": Case(S.any_rank("layer_scale", init=0.5), lambda t: t.x * t.p[""]),
    "flatten": Case(S.flatten(), lambda t: t.torch.flatten(t.x, t.a["start_dim"])),
    "dropout1d": Case(S.any_rank("dropout1d", (3,), p=0.3), lambda t: t.x),  # eval mode, as dropout
    "dropout2d": Case(S.any_rank("dropout2d", (4,), p=0.3), lambda t: t.x),
    "stochastic_depth": Case(S.any_rank("stochastic_depth", p=0.3), lambda t: t.x),
    "pad": Case(S.pad(), R.pad),
    "permute": Case(S.permute(), lambda t: t.torch.permute(t.x, t.a["dims"])),
    "chunk": Case(S.chunk(), lambda t: t.torch.chunk(t.x, t.a["chunks"], dim=t.a["dim"])[t.a["index"]]),
    "channel_shuffle": Case(S.shuffle(), lambda t: t.F.channel_shuffle(t.x, t.a["groups"])),
    "add": Case(S.broadcast("add"), lambda t: t.xs[0] + t.xs[1]),
    "mul": Case(S.broadcast("mul"), lambda t: t.xs[0] * t.xs[1]),
    "concat": Case(S.concat(), lambda t: t.torch.cat(list(t.xs), dim=t.a["dim"])),
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
