"""Normalisation: batchnorm1d/2d (running statistics as buffers) and layernorm."""

from archc.dims import shape_str
from archc.errors import ShapeError
from archc.ops.base import KEEP, Attr, OpDef, concrete, register


def bn_shape(name, ranks, layout):
    def shape(ins, a):
        (x,) = ins
        if len(x) not in ranks:
            raise ShapeError(f"{name} expects an input {layout}, got {shape_str(x)}")
        concrete(name, "channel count", x[1], x)
        return x
    return shape


def bn_params(ins, a):
    c = ins[0][1]
    return {"weight": (c,), "bias": (c,)} if a["affine"] else {}


def bn_buffers(ins, a):
    c = ins[0][1]
    return {"running_mean": (c,), "running_var": (c,), "num_batches_tracked": ()}


BN_ATTRS = (Attr("eps", "float", 1e-5, above=0, doc="added to the variance before the square root"),
            Attr("momentum", "float", 0.1, minimum=0, maximum=1, doc="weight of the batch in the running statistics"),
            Attr("affine", "bool", True, doc="learned per-channel scale (weight) and shift (bias)"))

register(OpDef(name="batchnorm1d", family="norm", attrs=BN_ATTRS,
               shape=bn_shape("batchnorm1d", (2, 3), "[N, C] or [N, C, W]"), params=bn_params, buffers=bn_buffers,
               window=KEEP, doc="batch normalisation per channel, over the batch (and positions)",
               inputs_doc="[N, C(, W)] -> same"))
register(OpDef(name="batchnorm2d", family="norm", attrs=BN_ATTRS,
               shape=bn_shape("batchnorm2d", (4,), "[N, C, H, W]"), params=bn_params, buffers=bn_buffers,
               window=KEEP, doc="batch normalisation per channel, over the batch and positions",
               inputs_doc="[N, C, H, W] -> same"))


def normalized_dims(ins, a):
    x, k = ins[0], a["ndim"]
    if len(x) <= k:
        raise ShapeError(f"layernorm over the last {k} dims needs an input of rank > {k}, got {shape_str(x)}")
    dims = tuple(x[-k:])
    if not all(isinstance(d, int) for d in dims):
        raise ShapeError(f"layernorm needs concrete normalized dims, got {shape_str(x)}")
    return dims


def ln_shape(ins, a):
    normalized_dims(ins, a)
    return ins[0]


def ln_params(ins, a):
    dims = normalized_dims(ins, a)
    return {"weight": dims, "bias": dims} if a["elementwise_affine"] else {}


register(OpDef(name="layernorm", family="norm", positional=("ndim",),
               attrs=(Attr("ndim", "int", 1, minimum=1, doc="how many trailing dims to normalise over"),
                      Attr("eps", "float", 1e-5, above=0, doc="added to the variance before the square root"),
                      Attr("elementwise_affine", "bool", True, doc="learned scale and shift per normalised entry")),
               shape=ln_shape, params=ln_params,
               label=lambda a, ins: f"last {a['ndim']} dim(s)",
               doc="layer normalisation over the last ndim dims", inputs_doc="[*, D...] -> same"))
