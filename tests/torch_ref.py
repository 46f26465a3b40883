"""Independent PyTorch references for every op (torch.nn.functional, or a few lines of
torch where torch has no such layer, e.g. zero-insertion upsampling)."""

import torch
import torch.nn.functional as F


def _spatial(x):
    return tuple(range(2, x.dim()))


def upsample_ref(x, k):
    n = x.dim() - 2
    out = torch.zeros(*x.shape[:2], *(k * (s - 1) + 1 for s in x.shape[2:]), dtype=x.dtype)
    index = (slice(None), slice(None), *([slice(None, None, k)] * n))
    out[index] = x
    return out


def reference(op, attrs, params, buffers, inputs, training=True):
    """The output of `op` computed by torch; `buffers` are updated in place (batchnorm)."""
    x = inputs[0]
    a = attrs
    w, b = params.get("weight"), params.get("bias")
    if op == "identity":
        return x
    if op in ("relu", "tanh", "sigmoid"):
        return getattr(torch, op)(x)
    if op == "leaky_relu":
        return F.leaky_relu(x, a["negative_slope"])
    if op == "elu":
        return F.elu(x, a["alpha"])
    if op == "gelu":
        return F.gelu(x, approximate=a["approximate"])
    if op in ("softmax", "log_softmax"):
        return getattr(F, op)(x, dim=a["dim"])
    if op == "dropout":
        return x  # compared in eval mode (and with p = 0); training masks are tested on their own
    if op == "linear":
        return F.linear(x, w, b)
    if op in ("conv1d", "conv2d"):
        return getattr(F, op)(x, w, b, a["stride"], a["padding"], a["dilation"], a["groups"])
    if op.startswith("conv_transpose"):
        return getattr(F, op)(x, w, b, a["stride"], a["padding"], a["output_padding"], a["groups"], a["dilation"])
    if op.startswith("maxpool"):
        return getattr(F, f"max_pool{op[-2:]}")(x, a["kernel_size"], a["stride"], a["padding"])
    if op.startswith("meanpool"):
        return getattr(F, f"avg_pool{op[-2:]}")(x, a["kernel_size"], a["stride"], a["padding"],
                                                 count_include_pad=True)
    if op.startswith("upsample"):
        return upsample_ref(x, a["factor"])
    if op.startswith("downsample"):
        k = a["factor"]
        return x[(slice(None), slice(None), *([slice(None, None, k)] * (x.dim() - 2)))]
    if op == "global_pool":
        return x.amax(dim=_spatial(x)) if a["mode"] == "max" else x.mean(dim=_spatial(x))
    if op.startswith("batchnorm"):
        return F.batch_norm(x, buffers["running_mean"], buffers["running_var"], w, b, training,
                             a["momentum"], a["eps"])
    if op == "layernorm":
        return F.layer_norm(x, x.shape[-a["ndim"]:], w, b, a["eps"])
    if op == "flatten":
        return torch.flatten(x, a["start_dim"])
    if op == "add":
        return x + inputs[1]
    raise KeyError(op)
