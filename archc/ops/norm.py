"""Normalisation: batchnorm1d/2d (running statistics as buffers) and layernorm."""

from archc.dims import shape_str
from archc.errors import ShapeError
from archc.ops.base import Attr, OpDef, register


def _bn_rule(name, ranks, layout):
    def shape(ins, a):
        (x,) = ins
        if len(x) not in ranks:
            raise ShapeError(f"{name} expects an input {layout}, got {shape_str(x)}")
        if not isinstance(x[1], int):
            raise ShapeError(f"{name} needs a concrete channel count, got {shape_str(x)}")
        return x
    return shape


def _bn_params(ins, a):
    c = ins[0][1]
    return {"weight": (c,), "bias": (c,)} if a["affine"] else {}


def _bn_buffers(ins, a):
    c = ins[0][1]
    return {"running_mean": (c,), "running_var": (c,), "num_batches_tracked": ()}


_BN_ATTRS = (Attr("eps", "float", 1e-5, minimum=0), Attr("momentum", "float", 0.1, minimum=0),
             Attr("affine", "bool", True))

register(OpDef(name="batchnorm1d", family="norm", attrs=_BN_ATTRS,
               shape=_bn_rule("batchnorm1d", (2, 3), "[N, C] or [N, C, W]"),
               params=_bn_params, buffers=_bn_buffers, doc="[N, C(, W)] -> same"))
register(OpDef(name="batchnorm2d", family="norm", attrs=_BN_ATTRS,
               shape=_bn_rule("batchnorm2d", (4,), "[N, C, H, W]"),
               params=_bn_params, buffers=_bn_buffers, doc="[N, C, H, W] -> same"))


def _normalized(ins, a):
    x = ins[0]
    k = a["ndim"]
    if len(x) <= k:
        raise ShapeError(f"layernorm over the last {k} dims needs an input of rank > {k}, got {shape_str(x)}")
    dims = tuple(x[-k:])
    if not all(isinstance(d, int) for d in dims):
        raise ShapeError(f"layernorm needs concrete normalized dims, got {shape_str(x)}")
    return dims


def _ln_shape(ins, a):
    _normalized(ins, a)
    return ins[0]


def _ln_params(ins, a):
    dims = _normalized(ins, a)
    return {"weight": dims, "bias": dims} if a["elementwise_affine"] else {}


register(OpDef(name="layernorm", family="norm", positional=("ndim",),
               attrs=(Attr("ndim", "int", 1, minimum=1), Attr("eps", "float", 1e-5, minimum=0),
                      Attr("elementwise_affine", "bool", True)),
               shape=_ln_shape, params=_ln_params,
               doc="[*, D...] -> same, normalised over the last `ndim` dims"))
