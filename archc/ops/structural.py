"""Flatten, and the regularisers: dropout (elements or channels) and stochastic depth."""

from archc.dims import product, shape_str
from archc.errors import ShapeError
from archc.ops.base import KEEP, Attr, OpDef, register, same_shape


def flatten_shape(ins, a):
    (x,) = ins
    s = a["start_dim"]
    if not 0 <= s < len(x):
        raise ShapeError(f"flatten: start_dim={s} is out of range for input {shape_str(x)}")
    return (*x[:s], product(x[s:]))


register(OpDef(name="flatten", family="shape", positional=("start_dim",),
               attrs=(Attr("start_dim", "int", 1, minimum=0, doc="the first dim to merge"),),
               shape=flatten_shape, label=lambda a, ins: f"from dim {a['start_dim']}" if a["start_dim"] != 1 else "",
               doc="merge the dims from start_dim on, channel-major (as torch.flatten)",
               inputs_doc="[N, C, *] -> [N, C*prod(*)]"))

register(OpDef(name="dropout", family="regularize", positional=("p",), elementwise=True,
               attrs=(Attr("p", "float", 0.5, minimum=0, maximum=1, doc="probability of zeroing an element"),),
               shape=same_shape, label=lambda a, ins: f"p={a['p']:g}",
               doc="zero each element with probability p and scale by 1/(1-p) in training; identity in eval",
               inputs_doc="[*] -> [*]"))


def channel_dropout_shape(name, ranks):
    def shape(ins, a):
        (x,) = ins
        if len(x) not in ranks:
            raise ShapeError(f"{name} expects a {' or '.join(f'{r}-D' for r in ranks)} input [N, C, ...], "
                             f"got {shape_str(x)}")
        return x
    return shape


P = (Attr("p", "float", 0.5, minimum=0, maximum=1, doc="probability of zeroing a whole channel"),)
register(OpDef(name="dropout1d", family="regularize", positional=("p",), attrs=P, window=KEEP,
               shape=channel_dropout_shape("dropout1d", (3,)), label=lambda a, ins: f"p={a['p']:g}",
               doc="zero whole channels with probability p, scale the rest by 1/(1-p), in training",
               inputs_doc="[N, C, W] -> same"))
register(OpDef(name="dropout2d", family="regularize", positional=("p",), attrs=P, window=KEEP,
               shape=channel_dropout_shape("dropout2d", (4,)), label=lambda a, ins: f"p={a['p']:g}",
               doc="zero whole channels with probability p, scale the rest by 1/(1-p), in training",
               inputs_doc="[N, C, H, W] -> same"))
register(OpDef(name="stochastic_depth", family="regularize", positional=("p", "mode"), window=KEEP,
               attrs=(Attr("p", "float", minimum=0, maximum=1, doc="probability of dropping the branch"),
                      Attr("mode", "choice", "row", choices=("row", "batch"),
                           doc="row: drop per example; batch: the whole batch at once")),
               shape=same_shape, label=lambda a, ins: f"p={a['p']:g}",
               doc="in training, zero the value (a residual branch) per example with probability p and scale "
                   "the rest by 1/(1-p); the identity in eval", inputs_doc="[N, *] -> same"))
