"""The NumPy layers' fast paths, which depend on the memory layout of what they are given: a convolution's
output is a channel-major (C, N, ...) array seen as (N, C, ...), and the next layers read it as it is
(a 1x1 stride-1 convolution without copying it, depthwise convolutions without a column gradient, max
pooling whose windows tile the input without zero-filling). Each case runs the layer on a channel-major
input and on the same values C-ordered, and checks output and every gradient against torch (float64)."""

import numpy as np
import pytest

from tests.harness import make_layer
from tests.op_cases import resolve

torch = pytest.importorskip("torch", reason="torch is an optional extra; CI installs it")

CASES = {  # name: (op, args, kwargs, input shape)
    "conv 1x1": ("conv2d", (6,), {"kernel_size": (1, 1)}, (3, 4, 5, 5)),
    "conv 1x1 stride 2": ("conv2d", (6,), {"kernel_size": (1, 1), "stride": (2, 2)}, (3, 4, 5, 5)),
    "conv 3x3 padded": ("conv2d", (5,), {"kernel_size": (3, 3), "padding": (1, 1)}, (2, 4, 6, 6)),
    "depthwise 3x3": ("conv2d", (4,), {"kernel_size": (3, 3), "padding": (1, 1), "groups": 4}, (2, 4, 6, 6)),
    "depthwise strided dilated": ("conv2d", (4,), {"kernel_size": (3, 3), "stride": (2, 2), "dilation": (2, 1),
                                                   "padding": (2, 1), "groups": 4}, (2, 4, 9, 7)),
    "depthwise x2": ("conv2d", (8,), {"kernel_size": (3, 3), "groups": 4}, (2, 4, 5, 5)),
    "grouped conv1d": ("conv1d", (6,), {"kernel_size": (3,), "stride": (2,), "groups": 3}, (3, 6, 11)),
    "maxpool tiled": ("maxpool2d", (), {"kernel_size": (2, 2)}, (2, 3, 6, 4)),
    "maxpool untiled": ("maxpool2d", (), {"kernel_size": (2, 2)}, (2, 3, 7, 5)),
    "maxpool overlapping": ("maxpool2d", (), {"kernel_size": (3, 3), "stride": (2, 2), "padding": (1, 1)},
                            (2, 3, 7, 7)),
    "batchnorm": ("batchnorm2d", (), {}, (3, 4, 5, 5)),
}


def channel_major(x: np.ndarray) -> np.ndarray:
    """x's values in (C, N, ...) memory, seen as (N, C, ...): how a convolution hands on its output."""
    return np.ascontiguousarray(x.swapaxes(0, 1)).swapaxes(0, 1)


def run(layer, x, G):
    Z = layer.forward(x)
    layer.zero_grad()
    return Z, layer.backward(G), {k: v.copy() for k, v in layer.grads.items()}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("layout", ["channel-major", "C-ordered"])
def test_fast_paths_match_torch(name, layout):
    op, args, kwargs, shape = CASES[name]
    op, attrs, shapes, out, params, buffers = resolve((op, args, kwargs, [shape]))
    layer = make_layer(op, attrs, shapes, params, buffers, seed=0)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)
    if op.startswith("maxpool"):
        x = np.round(x, 1)  # ties: the first maximum in row-major order takes the gradient, as in torch
    G = rng.standard_normal(out)
    xs = channel_major(x) if layout == "channel-major" else x.copy()
    assert xs.flags.c_contiguous == (layout == "C-ordered")
    Z, dx, grads = run(layer, xs, G.copy())

    tx = torch.tensor(x, requires_grad=True)
    if op.startswith("conv"):
        conv = torch.nn.functional.conv2d if op == "conv2d" else torch.nn.functional.conv1d
        tw = torch.tensor(layer.params["weight"], requires_grad=True)
        tb = torch.tensor(layer.params["bias"], requires_grad=True)
        tZ = conv(tx, tw, tb, attrs["stride"], attrs["padding"], attrs["dilation"], attrs["groups"])
        tparams = {"weight": tw, "bias": tb}
    elif op == "maxpool2d":
        tZ = torch.nn.functional.max_pool2d(tx, attrs["kernel_size"], attrs["stride"], attrs["padding"])
        tparams = {}
    else:
        tw = torch.tensor(layer.params["weight"], requires_grad=True)
        tb = torch.tensor(layer.params["bias"], requires_grad=True)
        tZ = torch.nn.functional.batch_norm(tx, None, None, tw, tb, training=True, eps=attrs["eps"])
        tparams = {"weight": tw, "bias": tb}
    tZ.backward(torch.tensor(G))
    np.testing.assert_allclose(Z, tZ.detach().numpy(), rtol=1e-10, atol=1e-10, err_msg=f"{name}: output")
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-10, atol=1e-10, err_msg=f"{name}: dLdA")
    for k, t in tparams.items():
        np.testing.assert_allclose(grads[k], t.grad.numpy(), rtol=1e-10, atol=1e-10, err_msg=f"{name}: dLd{k}")
