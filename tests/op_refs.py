"""Torch references of the ops that take more than a line (see tests/op_cases.py for ``t``)."""


def conv(t):
    fn = getattr(t.F, f"conv{t.x.dim() - 2}d")
    return fn(t.x, t.p["weight"], t.p.get("bias"), t.a["stride"], t.a["padding"], t.a["dilation"], t.a["groups"])


def conv_transpose(t):
    fn = getattr(t.F, f"conv_transpose{t.x.dim() - 2}d")
    return fn(t.x, t.p["weight"], t.p.get("bias"), t.a["stride"], t.a["padding"], t.a["output_padding"],
              t.a["groups"], t.a["dilation"])


def maxpool(t):
    return getattr(t.F, f"max_pool{t.x.dim() - 2}d")(t.x, t.a["kernel_size"], t.a["stride"], t.a["padding"])


def meanpool(t):
    return getattr(t.F, f"avg_pool{t.x.dim() - 2}d")(t.x, t.a["kernel_size"], t.a["stride"], t.a["padding"],
                                                      count_include_pad=True)


def upsample_zeros(t):
    """Zero insertion written out: a zero tensor with the input at every k-th position."""
    x, k = t.x, t.a["factor"]
    out = t.torch.zeros(*x.shape[:2], *(k * (s - 1) + 1 for s in x.shape[2:]), dtype=x.dtype)
    out[(slice(None), slice(None), *([slice(None, None, k)] * (x.dim() - 2)))] = x
    return out


def downsample(t):
    return t.x[(slice(None), slice(None), *([slice(None, None, t.a["factor"])] * (t.x.dim() - 2)))]


def global_pool(t):
    dims = tuple(range(2, t.x.dim()))
    return t.x.amax(dim=dims) if t.a["mode"] == "max" else t.x.mean(dim=dims)


def batchnorm(t):
    return t.F.batch_norm(t.x, t.b["running_mean"], t.b["running_var"], t.p.get("weight"), t.p.get("bias"),
                          t.training, t.a["momentum"], t.a["eps"])
