"""Normalisation and scales: batch, layer, group and instance norms; a learned per-channel scale."""

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


# -- the norms and scales of the torchvision zoo ----------------------------------------------------------
def _channels_at_least(name, rank):
    def shape(ins, a):
        (x,) = ins
        if len(x) < rank:
            raise ShapeError(f"{name} expects an input [N, C, *spatial], got {shape_str(x)}")
        concrete(name, "channel count", x[1], x)
        if "num_groups" in a and x[1] % a["num_groups"]:
            raise ShapeError(f"{name}: {x[1]} channels do not divide into num_groups={a['num_groups']}")
        return x
    return shape


def channel_params(ins, a):
    c = ins[0][1]
    return {"weight": (c,), "bias": (c,)} if a["affine"] else {}


register(OpDef(name="groupnorm", family="norm", positional=("num_groups",),
               attrs=(Attr("num_groups", "int", minimum=1, doc="groups of channels normalised together"),
                      Attr("eps", "float", 1e-5, above=0, doc="added to the variance before the square root"),
                      Attr("affine", "bool", True, doc="learned per-channel scale (weight) and shift (bias)")),
               shape=_channels_at_least("groupnorm", 2), params=channel_params,
               label=lambda a, ins: f"{a['num_groups']} groups",
               doc="normalisation over each group of channels (and positions), per example",
               inputs_doc="[N, C, *] -> same"))
IN_ATTRS = (Attr("eps", "float", 1e-5, above=0, doc="added to the variance before the square root"),
            Attr("affine", "bool", False, doc="learned per-channel scale and shift (PyTorch's default: none)"))
register(OpDef(name="instancenorm1d", family="norm", attrs=IN_ATTRS, shape=_channels_at_least("instancenorm1d", 3),
               params=channel_params, doc="normalisation per example and channel, over positions",
               inputs_doc="[N, C, W] -> same"))
register(OpDef(name="instancenorm2d", family="norm", attrs=IN_ATTRS, shape=_channels_at_least("instancenorm2d", 4),
               params=channel_params, doc="normalisation per example and channel, over positions",
               inputs_doc="[N, C, H, W] -> same"))
register(OpDef(name="layernorm2d", family="norm", window=KEEP,
               attrs=(Attr("eps", "float", 1e-5, above=0, doc="added to the variance before the square root"),
                      Attr("affine", "bool", True, doc="learned per-channel scale (weight) and shift (bias)")),
               shape=_channels_at_least("layernorm2d", 3), params=channel_params,
               doc="layer normalisation over the channels of each position (ConvNeXt's LayerNorm2d)",
               inputs_doc="[N, C, *spatial] -> same"))


def scale_params(ins, a):
    x = ins[0]
    return {"": (x[1], *(1,) * (len(x) - 2))}


register(OpDef(name="layer_scale", family="norm", window=KEEP, positional=("init",),
               attrs=(Attr("init", "float", 1e-6, doc="the initial value of every scale"),),
               shape=_channels_at_least("layer_scale", 2), params=scale_params,
               label=lambda a, ins: f"init {a['init']:g}",
               doc="a learned scale per channel, owned by the enclosing block (ConvNeXt's layer_scale; its "
                   "state-dict key is the layer's own name)", inputs_doc="[N, C, *] -> same"))
