"""Resampling: zero-insertion upsampling and keep-every-k-th downsampling (the course's semantics), and
resizing by interpolation (nearest, linear, bilinear: PyTorch's Upsample).

Output sizes (archc.sizes): upsample_zeros_out k(W-1) + 1, downsample_out ceil(W/k).
"""

from archc.errors import ShapeError
from archc.ops.base import Attr, OpDef, apply_size, dim_label, expect_rank, register
from archc.ops.conv import LAYOUT
from archc.sizes import downsample_out, resize_out, upsample_zeros_out


def resample_shape(name, n, fn):
    def shape(ins, a):
        (x,) = ins
        expect_rank(name, x, n + 2, LAYOUT[n])
        return (*x[:2], *(apply_size(fn, dim_label(n, i), size=w, factor=a["factor"]) for i, w in enumerate(x[2:])))
    return shape


def downsample_window(a, n):
    return ((1, a["factor"], 1),) * n


FACTOR = (Attr("factor", "int", minimum=1, doc="the resampling factor k"),)

register(OpDef(name="upsample1d", family="resample", spatial=1, positional=("factor",), attrs=FACTOR,
               shape=resample_shape("upsample1d", 1, upsample_zeros_out),
               label=lambda a, ins: f"↑{a['factor']} (zeros)",
               doc="insert factor-1 zeros between neighbours", inputs_doc="[N, C, W] -> [N, C, k(W-1)+1]"))
register(OpDef(name="upsample2d", family="resample", spatial=2, positional=("factor",), attrs=FACTOR,
               shape=resample_shape("upsample2d", 2, upsample_zeros_out),
               label=lambda a, ins: f"↑{a['factor']} (zeros)",
               doc="insert factor-1 zeros between neighbours", inputs_doc="[N, C, H, W] -> [N, C, k(H-1)+1, k(W-1)+1]"))
register(OpDef(name="downsample1d", family="resample", spatial=1, positional=("factor",), attrs=FACTOR,
               shape=resample_shape("downsample1d", 1, downsample_out), window=downsample_window,
               label=lambda a, ins: f"↓{a['factor']}",
               doc="keep indices 0, k, 2k, ...", inputs_doc="[N, C, W] -> [N, C, ceil(W/k)]"))
register(OpDef(name="downsample2d", family="resample", spatial=2, positional=("factor",), attrs=FACTOR,
               shape=resample_shape("downsample2d", 2, downsample_out), window=downsample_window,
               label=lambda a, ins: f"↓{a['factor']}",
               doc="keep indices 0, k, 2k, ...", inputs_doc="[N, C, H, W] -> [N, C, ceil(H/k), ceil(W/k)]"))


def resize_shape(name, n):
    def shape(ins, a):
        (x,) = ins
        expect_rank(name, x, n + 2, LAYOUT[n])
        if (a["scale"] is None) == (a["size"] is None):
            raise ShapeError(f"{name} takes either scale or size")
        if a["align_corners"] and a["mode"] == "nearest":
            raise ShapeError(f"{name}: align_corners applies to the linear modes, not nearest")
        if a["size"] is not None:
            return (*x[:2], *a["size"])
        return (*x[:2], *(apply_size(resize_out, dim_label(n, i), size=w, scale=a["scale"])
                          for i, w in enumerate(x[2:])))
    return shape


def resize_attrs(linear):
    return (Attr("scale", "int", None, minimum=1, doc="an integer scale factor (or give size)"),
            Attr("size", "ints", None, minimum=1, doc="the output size, per spatial dim (or give scale)"),
            Attr("mode", "choice", "nearest", choices=("nearest", linear), doc="how new positions are filled"),
            Attr("align_corners", "bool", False, doc="linear modes: corner pixels' centres align (PyTorch's option)"))


def resize_label(a, ins):
    return f"{'×' + str(a['scale']) if a['scale'] else '→' + 'x'.join(map(str, a['size']))} {a['mode']}"


register(OpDef(name="resize1d", family="resample", spatial=1, positional=("scale",), attrs=resize_attrs("linear"),
               shape=resize_shape("resize1d", 1), label=resize_label,
               doc="resize by interpolation (PyTorch's Upsample: nearest or linear)",
               inputs_doc="[N, C, W] -> [N, C, W*scale or size]"))
register(OpDef(name="resize2d", family="resample", spatial=2, positional=("scale",), attrs=resize_attrs("bilinear"),
               shape=resize_shape("resize2d", 2), label=resize_label,
               doc="resize by interpolation (PyTorch's Upsample: nearest or bilinear)",
               inputs_doc="[N, C, H, W] -> [N, C, H*scale or size, W*scale or size]"))
