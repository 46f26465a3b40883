"""Function and method calls -> registry ops: ``F.relu``, ``torch.cat``, ``x + y``, ``x.mean((2, 3))``,
``x.view(x.size(0), -1)`` (a flatten), ``torch.chunk``, ``x.permute(...)``, ... by canonical name (see
trace.canonical; torch.export's aten ops have the same names).

``function_op(name, args, kwargs, ctx)`` returns (op, attributes, tensor inputs), or ``ALIAS`` for calls
that return their input (``x.contiguous()``), or ``PIECES`` for ``torch.chunk`` (its items become chunk ops).
"""

from __future__ import annotations

import math
from typing import Any, Protocol

from archc.importer.modules import UnsupportedError, resize_attrs, sides_from_pad

ALIAS, PIECES = "=alias", "=pieces"
ACTIVATIONS = {"relu": (), "relu6": (), "sigmoid": (), "tanh": (), "silu": (), "hardswish": (), "hardsigmoid": (),
               "mish": (), "gelu": ("approximate",), "leaky_relu": ("negative_slope",), "elu": ("alpha",),
               "softplus": ("beta", "threshold"), "hardtanh": ("min_val", "max_val")}
SIGNATURES = {
    "softmax": ("input", "dim", "_stacklevel", "dtype"), "log_softmax": ("input", "dim", "_stacklevel", "dtype"),
    "dropout": ("input", "p", "training", "inplace"), "dropout1d": ("input", "p", "training", "inplace"),
    "dropout2d": ("input", "p", "training", "inplace"),
    "add": ("input", "other", "alpha"), "mul": ("input", "other"), "cat": ("tensors", "dim"),
    "flatten": ("input", "start_dim", "end_dim"), "view": ("input", "*shape"), "reshape": ("input", "*shape"),
    "mean": ("input", "dim", "keepdim", "dtype"), "amax": ("input", "dim", "keepdim"),
    "adaptive_avg_pool1d": ("input", "output_size"), "adaptive_avg_pool2d": ("input", "output_size"),
    "adaptive_max_pool1d": ("input", "output_size", "return_indices"),
    "adaptive_max_pool2d": ("input", "output_size", "return_indices"),
    "max_pool1d": ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"),
    "max_pool2d": ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"),
    "avg_pool1d": ("input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"),
    "avg_pool2d": ("input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                   "divisor_override"),
    "interpolate": ("input", "size", "scale_factor", "mode", "align_corners", "recompute_scale_factor", "antialias"),
    "pad": ("input", "pad", "mode", "value"), "permute": ("input", "*dims"), "transpose": ("input", "dim0", "dim1"),
    "chunk": ("input", "chunks", "dim"), "split": ("input", "split_size_or_sections", "dim"),
    "channel_shuffle": ("input", "groups"), "native_channel_shuffle": ("input", "groups"),
    "contiguous": ("input", "memory_format"), "clone": ("input", "memory_format"),
}
DEFAULTS = {"dim": None, "keepdim": False, "start_dim": 0, "end_dim": -1, "alpha": 1, "stride": None, "padding": 0,
            "dilation": 1, "ceil_mode": False, "return_indices": False, "count_include_pad": True,
            "divisor_override": None, "size": None, "scale_factor": None, "mode": None, "align_corners": None,
            "value": None, "p": 0.5, "training": True, "inplace": False, "approximate": "none",
            "negative_slope": 0.01, "beta": 1.0, "threshold": 20.0, "min_val": -1.0, "max_val": 1.0}


class Context(Protocol):
    """What a mapping may ask about its arguments (values of the traced model)."""

    def tensor(self, arg: Any) -> str: ...  # the value name of a tensor argument; UnsupportedError otherwise
    def is_tensor(self, arg: Any) -> bool: ...
    def shape(self, arg: Any) -> tuple: ...
    def constant(self, arg: Any) -> Any: ...  # a Python value known while tracing (a size of an input: its int)
    def out_shape(self) -> tuple: ...
    @property
    def training(self) -> bool: ...


def bind(name: str, args: tuple, kwargs: dict) -> dict[str, Any]:
    """A call's arguments by parameter name (``*rest`` collects the remaining positional ones)."""
    base = name.rstrip("_")
    params = SIGNATURES.get(name) or SIGNATURES.get(base) or ("input", *ACTIVATIONS.get(base, ()), "inplace")
    out: dict[str, Any] = {}
    for i, p in enumerate(params):
        if p.startswith("*"):
            rest = args[i:]
            out[p[1:]] = rest[0] if len(rest) == 1 and isinstance(rest[0], list | tuple) else tuple(rest)
            break
        if i < len(args):
            out[p] = args[i]
    aliases = {"axis": "dim", "self": "input", "tensor": "input", "a": "input", "x": "input", "train": "training"}
    out.update({aliases.get(k, k): v for k, v in kwargs.items()})
    return out


def _get(b: dict, key: str, ctx: Context) -> Any:
    return ctx.constant(b[key]) if key in b else DEFAULTS.get(key)


def _dims(d: Any, rank: int) -> tuple:
    items = d if isinstance(d, list | tuple) else (d,)
    return tuple(sorted(int(x) % rank for x in items))


def _merge(name: str, b: dict, ctx: Context) -> tuple[str, dict, list]:
    op = name.rstrip("_")
    other = b.get("other")
    if not ctx.is_tensor(b["input"]):
        b["input"], other = other, b["input"]
    if not ctx.is_tensor(other):
        what = "adding" if op == "add" else "multiplying by"
        raise UnsupportedError(f"{what} a constant ({ctx.constant(other)!r}) has no archc op",
                          "a spec's add and mul join two tensors of the network")
    if _get(b, "alpha", ctx) != 1:
        raise UnsupportedError("torch.add with alpha has no archc op")
    return op, {}, [ctx.tensor(b["input"]), ctx.tensor(other)]


def _reduce(name: str, b: dict, ctx: Context) -> tuple[str, dict, list]:
    rank = len(ctx.shape(b["input"]))
    dims = _dims(_get(b, "dim", ctx), rank) if _get(b, "dim", ctx) is not None else tuple(range(rank))
    if rank < 3 or dims != tuple(range(2, rank)):
        raise UnsupportedError(f"{name} over dims {list(dims)} of a rank-{rank} tensor (archc's global_pool takes "
                          "the mean or max over every spatial dim)")
    if b.get("dtype") is not None:
        raise UnsupportedError(f"{name} with a dtype")
    return "global_pool", {"mode": "mean" if name == "mean" else "max", "keepdim": bool(_get(b, "keepdim", ctx))}, \
        [ctx.tensor(b["input"])]


def _reshape(name: str, b: dict, ctx: Context) -> tuple[str, dict, list]:
    x = ctx.tensor(b["input"])
    shape, out = ctx.shape(b["input"]), ctx.out_shape()
    if tuple(out) == tuple(shape):
        return ALIAS, {}, [x]
    for s in range(len(shape)):
        if tuple(out) == (*shape[:s], math.prod(shape[s:])):
            return "flatten", {"start_dim": s}, [x]
    raise UnsupportedError(f"{name} from {list(shape)} to {list(out)} is not a flatten",
                      "archc reshapes only by flatten (the dims from one on merged)")


def _pool(name: str, b: dict, ctx: Context) -> tuple[str, dict, list]:
    rank = len(ctx.shape(b["input"]))
    if _get(b, "dilation", ctx) not in (1, (1,) * (rank - 2), [1] * (rank - 2)):
        raise UnsupportedError(f"{name} with dilation has no archc op")
    if _get(b, "return_indices", ctx) or _get(b, "divisor_override", ctx) is not None:
        raise UnsupportedError(f"{name} with return_indices or divisor_override has no archc op")
    kernel = _get(b, "kernel_size", ctx)
    stride = _get(b, "stride", ctx)
    attrs = {"kernel_size": kernel, "stride": kernel if stride in (None, (), []) else stride,
             "padding": _get(b, "padding", ctx), "ceil_mode": bool(_get(b, "ceil_mode", ctx))}
    attrs = {k: tuple(v) if isinstance(v, list) else v for k, v in attrs.items()}
    if name.startswith("avg"):
        attrs["count_include_pad"] = bool(_get(b, "count_include_pad", ctx))
    return ("meanpool" if name.startswith("avg") else "maxpool") + name[-2:], attrs, [ctx.tensor(b["input"])]


def _adaptive(name: str, b: dict, ctx: Context) -> tuple[str, dict, list]:
    if _get(b, "return_indices", ctx):
        raise UnsupportedError(f"{name} with return_indices has no archc op")
    n = int(name[-2])
    size = _get(b, "output_size", ctx)
    size = tuple(size) if isinstance(size, list | tuple) else (size,) * n
    if None in size:
        raise UnsupportedError(f"{name} to output_size={size} (None keeps a size)")
    op = ("adaptive_meanpool" if "avg" in name else "adaptive_maxpool") + f"{n}d"
    return op, {"output_size": size}, [ctx.tensor(b["input"])]


def _activation(name: str, b: dict, ctx: Context) -> tuple[str, dict, list]:
    op = name.rstrip("_")
    attrs = {k: _get(b, k, ctx) for k in ACTIVATIONS[op]}
    if op == "hardtanh" and (attrs["min_val"], attrs["max_val"]) == (0.0, 6.0):
        op, attrs = "relu6", {}
    return op, attrs, [ctx.tensor(b["input"])]


def _softmax(name: str, b: dict, ctx: Context) -> tuple[str, dict, list]:
    if _get(b, "dim", ctx) is None or b.get("dtype") is not None:
        raise UnsupportedError(f"{name} needs an explicit dim (and no dtype)")
    return name, {"dim": _get(b, "dim", ctx)}, [ctx.tensor(b["input"])]


def _dropout(name: str, b: dict, ctx: Context) -> tuple[str, dict, list]:
    if bool(_get(b, "training", ctx)) != ctx.training:
        raise UnsupportedError(f"{name} with training={_get(b, 'training', ctx)} while the model is in "
                          f"{'training' if ctx.training else 'eval'} mode",
                          "pass training=self.training (or use nn.Dropout), so it is off in eval")
    return name, {"p": float(_get(b, "p", ctx))}, [ctx.tensor(b["input"])]


def _interpolate(name: str, b: dict, ctx: Context) -> tuple[str, dict, list]:
    if _get(b, "antialias", ctx) or _get(b, "recompute_scale_factor", ctx):
        raise UnsupportedError("interpolate with antialias or recompute_scale_factor has no archc op")
    op, attrs = resize_attrs(ctx.shape(b["input"]), _get(b, "size", ctx), _get(b, "scale_factor", ctx),
                             _get(b, "mode", ctx) or "nearest", _get(b, "align_corners", ctx))
    return op, attrs, [ctx.tensor(b["input"])]


def _pad(name: str, b: dict, ctx: Context) -> tuple[str, dict, list]:
    mode = _get(b, "mode", ctx) or "constant"
    if mode not in ("constant", "reflect", "replicate"):
        raise UnsupportedError(f"padding with mode={mode!r} has no archc op")
    amounts = tuple(_get(b, "pad", ctx))
    if not any(amounts):
        return ALIAS, {}, [ctx.tensor(b["input"])]  # F.pad by nothing (a U-Net's pad to the skip's size)
    sides, channels = sides_from_pad(amounts, len(ctx.shape(b["input"])))
    return "pad", {"amount": sides, "channels": channels, "mode": mode,
                   "value": float(_get(b, "value", ctx) or 0.0)}, [ctx.tensor(b["input"])]


def _permute(name: str, b: dict, ctx: Context) -> tuple[str, dict, list]:
    rank = len(ctx.shape(b["input"]))
    if name == "transpose":
        order = list(range(rank))
        i, j = int(_get(b, "dim0", ctx)) % rank, int(_get(b, "dim1", ctx)) % rank
        order[i], order[j] = order[j], order[i]
    else:
        order = [int(d) % rank for d in ctx.constant(b["dims"])]
    return "permute", {"dims": tuple(order)}, [ctx.tensor(b["input"])]


def _pieces(name: str, b: dict, ctx: Context) -> tuple[str, dict, list]:
    shape = ctx.shape(b["input"])
    dim = int(_get(b, "dim", ctx) or 0) % len(shape)
    if name == "chunk":
        chunks = int(_get(b, "chunks", ctx))
    else:
        size = _get(b, "split_size_or_sections", ctx)
        if not isinstance(size, int) or shape[dim] % size:
            raise UnsupportedError(f"split into {size!r} of {shape[dim]} is not equal pieces", "use torch.chunk")
        chunks = shape[dim] // size
    return PIECES, {"chunks": chunks, "dim": dim}, [ctx.tensor(b["input"])]


def _cat(name: str, b: dict, ctx: Context) -> tuple[str, dict, list]:
    tensors = b["tensors"]
    if not isinstance(tensors, list | tuple) or not tensors:
        raise UnsupportedError("torch.cat of no tensors")
    if len(tensors) == 1:
        return ALIAS, {}, [ctx.tensor(tensors[0])]  # DenseNet's first layer: the cat of one feature map
    return "concat", {"dim": int(_get(b, "dim", ctx) or 0)}, [ctx.tensor(t) for t in tensors]


def _flatten(name: str, b: dict, ctx: Context) -> tuple[str, dict, list]:
    rank = len(ctx.shape(b["input"]))
    if int(_get(b, "end_dim", ctx)) % rank != rank - 1:
        raise UnsupportedError("flatten with an end_dim before the last keeps trailing dims: archc's flatten merges "
                          "every dim from start_dim on")
    return "flatten", {"start_dim": int(_get(b, "start_dim", ctx)) % rank}, [ctx.tensor(b["input"])]


def _shuffle(name: str, b: dict, ctx: Context) -> tuple[str, dict, list]:
    return "channel_shuffle", {"groups": int(_get(b, "groups", ctx))}, [ctx.tensor(b["input"])]


RULES = {"add": _merge, "mul": _merge, "add_": _merge, "mul_": _merge, "mean": _reduce, "amax": _reduce,
         "view": _reshape, "reshape": _reshape, "softmax": _softmax, "log_softmax": _softmax,
         "dropout": _dropout, "dropout1d": _dropout, "dropout2d": _dropout, "interpolate": _interpolate,
         "pad": _pad, "permute": _permute, "transpose": _permute, "chunk": _pieces, "split": _pieces,
         "cat": _cat, "concat": _cat, "concatenate": _cat, "flatten": _flatten, "channel_shuffle": _shuffle,
         "native_channel_shuffle": _shuffle,
         "contiguous": lambda n, b, ctx: (ALIAS, {}, [ctx.tensor(b["input"])]),
         "clone": lambda n, b, ctx: (ALIAS, {}, [ctx.tensor(b["input"])])}
for _n in ("max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d"):
    RULES[_n] = _pool
for _n in ("adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d"):
    RULES[_n] = _adaptive
for _n in ACTIVATIONS:
    RULES[_n] = RULES[_n + "_"] = _activation


VALUE_READS = ("item", "tolist", "nonzero", "numel", "__bool__", "__int__", "__index__")


def function_op(name: str, args: tuple, kwargs: dict, ctx: Context) -> tuple[str, dict, list]:
    """The op, attributes and tensor inputs of a call of ``name``; UnsupportedError if archc has none."""
    rule = RULES.get(name)
    if name in VALUE_READS:
        raise UnsupportedError(f"{name}() reads a tensor's values: a size or a choice computed from them has no spec",
                          "a spec's sizes come from the input's shape, not from its values")
    if name == "setitem":
        raise UnsupportedError("assigning into a tensor (x[...] = ...) writes in place",
                               "build the value with ops instead")
    if name == "getitem":
        raise UnsupportedError("indexing or slicing a tensor has no archc op", "torch.chunk splits into equal pieces")
    if rule is None:
        raise UnsupportedError(f"{name}() has no archc op", "`archc ops` lists the ops a spec can use")
    b = bind(name, args, kwargs)
    base = name.rstrip("_")
    known = set(SIGNATURES.get(name) or SIGNATURES.get(base) or ()) | {"input", "inplace", *ACTIVATIONS.get(base, ())}
    extra = set(b) - {k.lstrip("*") for k in known}
    if extra:
        raise UnsupportedError(f"{name}() with {', '.join(sorted(extra))} has no archc op")
    return rule(name, b, ctx)


def inplace(name: str, args: tuple, kwargs: dict) -> bool:
    """Whether the call writes into its first argument (``x.relu_()``, ``F.relu(x, inplace=True)``, ``x += y``)."""
    return name.endswith("_") or bool(bind(name, args, kwargs).get("inplace"))
