"""Torch references of the ops that take more than a line (see tests/op_cases.py for ``t``)."""


def conv(t):
    fn = getattr(t.F, f"conv{t.x.dim() - 2}d")
    return fn(t.x, t.p["weight"], t.p.get("bias"), t.a["stride"], t.a["padding"], t.a["dilation"], t.a["groups"])


def conv_transpose(t):
    fn = getattr(t.F, f"conv_transpose{t.x.dim() - 2}d")
    return fn(t.x, t.p["weight"], t.p.get("bias"), t.a["stride"], t.a["padding"], t.a["output_padding"],
              t.a["groups"], t.a["dilation"])


def maxpool(t):
    return getattr(t.F, f"max_pool{t.x.dim() - 2}d")(t.x, t.a["kernel_size"], t.a["stride"], t.a["padding"],
                                                      ceil_mode=t.a["ceil_mode"])


def meanpool(t):
    return getattr(t.F, f"avg_pool{t.x.dim() - 2}d")(t.x, t.a["kernel_size"], t.a["stride"], t.a["padding"],
                                                      ceil_mode=t.a["ceil_mode"],
                                                      count_include_pad=t.a["count_include_pad"])


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
    keep = t.a["keepdim"]
    return t.x.amax(dim=dims, keepdim=keep) if t.a["mode"] == "max" else t.x.mean(dim=dims, keepdim=keep)


def batchnorm(t):
    return t.F.batch_norm(t.x, t.b["running_mean"], t.b["running_var"], t.p.get("weight"), t.p.get("bias"),
                          t.training, t.a["momentum"], t.a["eps"])


def adaptive_max(t):
    return getattr(t.F, f"adaptive_max_pool{t.x.dim() - 2}d")(t.x, t.a["output_size"])


def adaptive_mean(t):
    return getattr(t.F, f"adaptive_avg_pool{t.x.dim() - 2}d")(t.x, t.a["output_size"])


def resize(t):
    a = t.a
    kwargs = {"size": a["size"]} if a["size"] else {"scale_factor": float(a["scale"])}
    if a["mode"] != "nearest":
        kwargs["align_corners"] = a["align_corners"]
    return t.F.interpolate(t.x, mode=a["mode"], **kwargs)


def instancenorm(t):
    return t.F.instance_norm(t.x, weight=t.p.get("weight"), bias=t.p.get("bias"), eps=t.a["eps"])


def layernorm2d(t):
    x = t.x.movedim(1, -1)
    return t.F.layer_norm(x, x.shape[-1:], t.p.get("weight"), t.p.get("bias"), t.a["eps"]).movedim(-1, 1)


def pad(t):
    a, x = t.a, t.x
    pairs = a["amount"] * (x.dim() - 2) if len(a["amount"]) == 1 else a["amount"]
    spatial = [p for b, e in reversed(pairs) for p in (b, e)]
    c0, c1 = a["channels"]
    if a["mode"] == "constant":
        return t.F.pad(x, [*spatial, c0, c1], value=a["value"])
    x = t.F.pad(x, [*([0, 0] * (x.dim() - 2)), c0, c1])
    return t.F.pad(x, spatial, mode=a["mode"])
