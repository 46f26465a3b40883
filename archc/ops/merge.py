"""Ops that read several values: add (residuals)."""

from archc.dims import shape_str
from archc.errors import ShapeError
from archc.ops.base import Attr, OpDef, join_dim, register


def broadcast_shape(op):
    """NumPy broadcasting of two shapes, checked statically: sizes agree, or one of them is 1.

    With ``broadcast=false`` (what `residual` uses) the shapes must be equal.
    """
    def shape(ins, a):
        x, y = ins
        describe = lambda: f"{shape_str(x)} and {shape_str(y)}"  # noqa: E731
        if not a.get("broadcast", True):
            if len(x) != len(y):
                raise ShapeError(f"{op}: shapes differ: {describe()}")
            try:
                return tuple(join_dim(op, dx, dy, describe) for dx, dy in zip(x, y))
            except ShapeError as e:
                e.hint = "a residual branch must keep the shape; give it a shortcut branch"
                raise
        rank = max(len(x), len(y))
        xs, ys = (1,) * (rank - len(x)) + tuple(x), (1,) * (rank - len(y)) + tuple(y)
        out = []
        for dx, dy in zip(xs, ys):
            if dx == 1 and dy != 1:
                out.append(dy)
            elif dy == 1:
                out.append(dx)
            else:
                out.append(join_dim(op, dx, dy, describe))
        return tuple(out)
    return shape


register(OpDef(name="add", family="merge", positional=("other",),
               attrs=(Attr("other", "ref", doc="the value added to the current one"),
                      Attr("broadcast", "bool", True,
                           doc="allow NumPy broadcasting (a residual requires equal shapes)")),
               shape=broadcast_shape("add"), label=lambda a, ins: "+",
               doc="the current value plus another (a residual connection); shapes broadcast",
               inputs_doc="[*] + [*] -> [*]"))


register(OpDef(name="mul", family="merge", positional=("other",),
               attrs=(Attr("other", "ref", doc="the value multiplied with the current one (e.g. a gate)"),),
               shape=broadcast_shape("mul"), label=lambda a, ins: "×",
               doc="the current value times another, elementwise; shapes broadcast (squeeze-excitation gates)",
               inputs_doc="[*] * [*] -> [*]"))


def concat_shape(ins, a):
    rank = len(ins[0])
    shown = lambda: ", ".join(shape_str(s) for s in ins)  # noqa: E731
    d = a["dim"]
    if any(len(s) != rank for s in ins):
        raise ShapeError(f"concat: the values have different ranks: {shown()}")
    if not -rank <= d < rank:
        raise ShapeError(f"concat: dim={d} is out of range for rank {rank}; values {shown()}")
    d %= rank
    out = list(ins[0])
    for s in ins[1:]:
        for i in range(rank):
            if i == d:
                out[i] = out[i] + s[i]
            else:
                out[i] = join_dim("concat", out[i], s[i], lambda: f"along every dim but {d}: {shown()}")
    return tuple(out)


register(OpDef(name="concat", family="merge", positional=("others",),
               attrs=(Attr("others", "refs", (), doc="the values joined after the current one, in order"),
                      Attr("dim", "int", 1, doc="the dim to join along (channels by default)")),
               shape=concat_shape, label=lambda a, ins: f"dim {a['dim']}" if a["dim"] != 1 else "",
               doc="join values along a dim (channels by default): U-Net skips, Inception and DenseNet",
               inputs_doc="[N, C1, *] ++ [N, C2, *] -> [N, C1 + C2, *]"))
