"""Convolution layers: conv1d/2d and conv_transpose1d/2d (PyTorch semantics)."""

from __future__ import annotations

import numpy as np

from archc.emit_numpy.base import Layer, register
from archc.emit_numpy.conv_math import ConvWorkspace, conv_backward, conv_forward, pad, unpad
from archc.emit_numpy.resample import downsample, upsample
from archc.sizes import conv_padding


def _bias_shape(n: int) -> tuple:
    return (1, -1, *([1] * n))


class Conv(Layer):
    """conv1d / conv2d: a stride-s convolution over a padded input, one matrix product.

    A: (N, C_in, *size)
    Z: (N, C_out, *out), out = floor((size + 2p - d(K-1) - 1)/s) + 1 (padding "same"/"valid": sizes.conv_padding)
    """

    ws: ConvWorkspace | None = None

    def forward(self, A: np.ndarray) -> np.ndarray:
        a = self.attrs
        self.sides = conv_padding(a["padding"], a["kernel_size"], a["dilation"])  # (before, after)
        Ap = pad(A, *self.sides)
        self.Ap_shape = Ap.shape
        self.ws = self.ws or ConvWorkspace()
        Z, self.cols = conv_forward(Ap, self.params["weight"], a["stride"], a["dilation"], a["groups"], self.ws)
        if "bias" in self.params:
            Z += self.params["bias"].reshape(_bias_shape(Z.ndim - 2))
        return Z

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        a = self.attrs
        dLdAp, dLdW = conv_backward(dLdZ, self.cols, self.params["weight"], self.Ap_shape, a["stride"],
                                    a["dilation"], a["groups"], self.ws, self.input_grad)
        self.grads["weight"] += dLdW
        if "bias" in self.params:
            self.grads["bias"] += dLdZ.sum(axis=(0, *range(2, dLdZ.ndim)))
        return None if dLdAp is None else unpad(dLdAp, *self.sides)


register("conv1d", Conv)
register("conv2d", Conv)


class ConvTranspose(Layer):
    """conv_transpose1d / conv_transpose2d: upsample by s, pad, stride-1 conv with the flipped kernel.

    A: (N, C_in, *size)
    Z: (N, C_out, *out), out = (size-1)s - 2p + d(K-1) + output_padding + 1
    weight: (C_in, C_out/groups, *K), as in PyTorch
    """

    ws: ConvWorkspace | None = None

    @staticmethod
    def fan_in(weight_shape: tuple) -> int:
        return int(weight_shape[1] * np.prod(weight_shape[2:]))  # PyTorch's fan-in for transposed convs

    def _as_conv_weight(self, W: np.ndarray) -> np.ndarray:
        g = self.attrs["groups"]
        c_in, c_out_g, *k = W.shape
        Wg = W.reshape(g, c_in // g, c_out_g, *k).swapaxes(1, 2)  # (G, C_out/G, C_in/G, *K)
        flip = (slice(None),) * 3 + (slice(None, None, -1),) * len(k)
        return Wg[flip].reshape(g * c_out_g, c_in // g, *k)

    def _from_conv_weight(self, Wc: np.ndarray) -> np.ndarray:
        g = self.attrs["groups"]
        c_out, c_in_g, *k = Wc.shape
        flip = (slice(None),) * 3 + (slice(None, None, -1),) * len(k)
        Wg = Wc.reshape(g, c_out // g, c_in_g, *k)[flip].swapaxes(1, 2)
        return Wg.reshape(g * c_in_g, c_out // g, *k)

    def _padding(self) -> tuple[tuple, tuple]:
        a = self.attrs
        k, d, p, op = a["kernel_size"], a["dilation"], a["padding"], a["output_padding"]
        before = tuple(d[i] * (k[i] - 1) - p[i] for i in range(len(k)))
        return before, tuple(b + op[i] for i, b in enumerate(before))

    def forward(self, A: np.ndarray) -> np.ndarray:
        a = self.attrs
        U = upsample(A, a["stride"])
        before, after = self._padding()
        Up = pad(U, before, after)
        self.Up_shape = Up.shape
        self.Wc = np.ascontiguousarray(self._as_conv_weight(self.params["weight"]))
        ones = (1,) * len(a["stride"])
        self.ws = self.ws or ConvWorkspace()
        Z, self.cols = conv_forward(Up, self.Wc, ones, a["dilation"], a["groups"], self.ws)
        if "bias" in self.params:
            Z += self.params["bias"].reshape(_bias_shape(Z.ndim - 2))
        return Z

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        a = self.attrs
        ones = (1,) * len(a["stride"])
        dLdUp, dLdWc = conv_backward(dLdZ, self.cols, self.Wc, self.Up_shape, ones, a["dilation"], a["groups"],
                                     self.ws)
        self.grads["weight"] += self._from_conv_weight(dLdWc)
        if "bias" in self.params:
            self.grads["bias"] += dLdZ.sum(axis=(0, *range(2, dLdZ.ndim)))
        before, after = self._padding()
        return downsample(unpad(dLdUp, before, after), a["stride"])


register("conv_transpose1d", ConvTranspose)
register("conv_transpose2d", ConvTranspose)
