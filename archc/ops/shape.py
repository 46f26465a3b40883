"""Ops that move data: pad, permute, chunk (channel split) and channel shuffle."""

from archc.dims import shape_str
from archc.errors import ShapeError
from archc.ops.base import KEEP, Attr, OpDef, apply_size, concrete, dim_label, register, require_positive
from archc.sizes import pad_out


def pad_sides(x, a):
    """(before, after) per spatial dim of ``x`` from the ``amount`` attribute."""
    n = len(x) - 2
    pairs = a["amount"]
    if len(pairs) == 1:
        pairs = pairs * n
    if len(pairs) != n:
        raise ShapeError(f"pad: {len(pairs)} (before, after) pairs for {n} spatial dims of {shape_str(x)}")
    return pairs


def pad_shape(ins, a):
    (x,) = ins
    if len(x) < 2:
        raise ShapeError(f"pad expects an input [N, C, *spatial], got {shape_str(x)}")
    c0, c1 = a["channels"]
    if a["mode"] != "constant" and (c0 or c1):
        raise ShapeError(f"pad: channels can be padded only with constants, not mode={a['mode']!r}")
    out = [x[0], concrete("pad", "channel count", x[1], x) + c0 + c1 if c0 or c1 else x[1]]
    for i, (w, (b, e)) in enumerate(zip(x[2:], pad_sides(x, a))):
        if min(b, e) < 0:
            raise ShapeError(f"pad: amounts must be 0 or more, got {a['amount']}")
        if a["mode"] == "reflect":  # reflection needs more positions than it reflects
            require_positive("pad", "size left after reflecting", w - max(b, e), f"input {shape_str(x)}")
        out.append(apply_size(pad_out, dim_label(len(x) - 2, i), size=w, before=b, after=e))
    return tuple(out)


def pad_label(a, ins):
    pairs = ", ".join(f"{b}|{e}" for b, e in a["amount"])
    chan = f" C {a['channels'][0]}|{a['channels'][1]}" if any(a["channels"]) else ""
    return f"{a['mode']} {pairs}{chan}"


register(OpDef(name="pad", family="shape", positional=("amount",), window=KEEP,
               attrs=(Attr("amount", "sides", 0, doc="per spatial dim: an int, a tuple (one per dim), or "
                                                    "(before, after) pairs; one value or pair applies to every dim"),
                      Attr("channels", "pair", 0, minimum=0,
                           doc="(before, after) new channels of the constant (zeros for reflect and replicate): "
                               "option-A shortcuts"),
                      Attr("mode", "choice", "constant", choices=("constant", "reflect", "replicate"),
                           doc="what the new entries hold"),
                      Attr("value", "float", 0.0, doc="the constant, for mode=constant")),
               shape=pad_shape, label=pad_label,
               doc="pad the spatial dims (and with zeros the channels)", inputs_doc="[N, C, *] -> [N, C', *']"))


def permute_shape(ins, a):
    (x,) = ins
    dims = a["dims"]
    if sorted(dims) != list(range(len(x))):
        raise ShapeError(f"permute: dims={dims} is not an order of the {len(x)} dims of {shape_str(x)}")
    return tuple(x[d] for d in dims)


register(OpDef(name="permute", family="shape", positional=("dims",),
               attrs=(Attr("dims", "intlist", minimum=0, doc="the new order of the dims"),),
               shape=permute_shape, label=lambda a, ins: str(a["dims"]),
               doc="reorder the dims (as torch.permute; ConvNeXt's channels-last blocks)",
               inputs_doc="[d0, d1, ...] -> [d_dims[0], ...]"))


def chunk_size(c, chunks, index):
    """The size of piece ``index`` when torch.chunk cuts ``c`` into ``chunks`` pieces of ceil(c/chunks)."""
    size = -(-c // chunks)
    return min(size, c - index * size)


def chunk_shape(ins, a):
    (x,) = ins
    d = a["dim"] % len(x) if -len(x) <= a["dim"] < len(x) else None
    if d is None:
        raise ShapeError(f"chunk: dim={a['dim']} is out of range for {shape_str(x)}")
    c = concrete("chunk", f"size of dim {d}", x[d], x)
    piece = chunk_size(c, a["chunks"], a["index"])
    if piece < 1:
        raise ShapeError(f"chunk: {c} cut into pieces of {-(-c // a['chunks'])} has no piece {a['index']}")
    return (*x[:d], piece, *x[d + 1:])


register(OpDef(name="chunk", family="shape", positional=("chunks", "index"), window=KEEP,
               attrs=(Attr("chunks", "int", minimum=1, doc="how many pieces (as torch.chunk: of ceil(size/chunks))"),
                      Attr("index", "int", minimum=0, doc="which piece"),
                      Attr("dim", "int", 1, doc="the dim to cut (channels by default)")),
               shape=chunk_shape, label=lambda a, ins: f"{a['index']} of {a['chunks']}",
               doc="one piece of the value cut along a dim (ShuffleNet's channel split)",
               inputs_doc="[N, C, *] -> [N, C/chunks, *]"))


def shuffle_shape(ins, a):
    (x,) = ins
    if len(x) < 3:
        raise ShapeError(f"channel_shuffle expects an input [N, C, *spatial], got {shape_str(x)}")
    c = concrete("channel_shuffle", "channel count", x[1], x)
    if c is None or c % a["groups"]:
        raise ShapeError(f"channel_shuffle: the channels of {shape_str(x)} do not divide into {a['groups']} groups")
    return x


register(OpDef(name="channel_shuffle", family="shape", positional=("groups",), window=KEEP,
               attrs=(Attr("groups", "int", minimum=1, doc="channel groups to interleave"),),
               shape=shuffle_shape, label=lambda a, ins: f"{a['groups']} groups",
               doc="interleave the channels of the groups (ShuffleNet)", inputs_doc="[N, C, *] -> same"))
