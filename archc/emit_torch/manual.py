"""Manual-backward modules: convolution and linear layers as torch.autograd.Functions with
hand-written backward passes (a convolution is unfold, one matrix product, and fold for the
gradient). Copied verbatim into emitted source in `--backward manual` mode, with the size formula
it calls from archc.sizes: the emitted file imports only torch."""

import torch
from torch import nn
from torch.nn import functional as F

from archc.sizes import conv_out, conv_padding


class ConvFunction(torch.autograd.Function):
    """2-D convolution: cols = unfold(x); y = W @ cols (per group) + b. ``padding`` is the amount on both
    sides per dim; ``extra`` the amount more after (padding "same" with an even span)."""

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups, extra=(0, 0)):
        if any(extra):
            x = F.pad(x, (0, extra[1], 0, extra[0]))
        n, _, h, w = x.shape
        o, cg, kh, kw = weight.shape
        cols = F.unfold(x, (kh, kw), dilation=dilation, padding=padding, stride=stride)  # (N, C*K, L)
        out_h = conv_out(h, kh, stride[0], padding[0], dilation[0])
        out_w = conv_out(w, kw, stride[1], padding[1], dilation[1])
        cols_g = cols.view(n, groups, cg * kh * kw, -1)  # (N, G, C/G*K, L)
        w_g = weight.reshape(groups, o // groups, cg * kh * kw)  # (G, O/G, C/G*K)
        y = torch.matmul(w_g, cols_g).reshape(n, o, out_h, out_w)
        if bias is not None:
            y = y + bias.view(1, -1, 1, 1)
        ctx.save_for_backward(weight, cols_g)
        ctx.conf = (h, w, stride, padding, dilation, groups, bias is not None, extra)
        return y

    @staticmethod
    def backward(ctx, grad_y):
        weight, cols_g = ctx.saved_tensors
        h, w, stride, padding, dilation, groups, has_bias, extra = ctx.conf
        n, o = grad_y.shape[:2]
        kh, kw = weight.shape[2:]
        g_y = grad_y.reshape(n, groups, o // groups, -1)  # (N, G, O/G, L)
        grad_w = torch.matmul(g_y, cols_g.transpose(-1, -2)).sum(0).reshape(weight.shape)
        w_g = weight.reshape(groups, o // groups, -1)
        grad_cols = torch.matmul(w_g.transpose(-1, -2), g_y).reshape(n, -1, g_y.shape[-1])
        grad_x = F.fold(grad_cols, (h, w), (kh, kw), dilation=dilation, padding=padding, stride=stride)
        grad_x = grad_x[:, :, :h - extra[0], :w - extra[1]]
        grad_b = grad_y.sum((0, 2, 3)) if has_bias else None
        return grad_x, grad_w, grad_b, None, None, None, None, None


class LinearFunction(torch.autograd.Function):
    """y = x W^T + b over the last dim."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        y = x.matmul(weight.t())
        return y + bias if bias is not None else y

    @staticmethod
    def backward(ctx, grad_y):
        x, weight = ctx.saved_tensors
        rows = grad_y.reshape(-1, grad_y.shape[-1])
        grad_w = rows.t().matmul(x.reshape(-1, x.shape[-1]))
        grad_b = rows.sum(0) if ctx.has_bias else None
        return grad_y.matmul(weight), grad_w, grad_b


class ManualConv2d(nn.Conv2d):
    """nn.Conv2d whose backward is ConvFunction's."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        before, after = conv_padding(self.padding, self.kernel_size, self.dilation)
        return ConvFunction.apply(x, self.weight, self.bias, self.stride, before, self.dilation, self.groups,
                                  tuple(a - b for b, a in zip(before, after)))


class ManualConv1d(nn.Conv1d):
    """nn.Conv1d as a 1 x K 2-D convolution with ConvFunction's backward."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (before,), (after,) = conv_padding(self.padding, self.kernel_size, self.dilation)
        y = ConvFunction.apply(x.unsqueeze(2), self.weight.unsqueeze(2), self.bias, (1, self.stride[0]),
                               (0, before), (1, self.dilation[0]), self.groups, (0, after - before))
        return y.squeeze(2)


class ManualLinear(nn.Linear):
    """nn.Linear whose backward is LinearFunction's."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return LinearFunction.apply(x, self.weight, self.bias)
