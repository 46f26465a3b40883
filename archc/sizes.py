"""Output sizes of the sliding-window, resampling and padding ops: each formula once.

Every function takes one spatial size and works on plain ``int``s and on symbolic
dims alike (it uses only ``+ - * //`` and unary minus, which :class:`archc.dims.Expr`
implements), so shape inference, every backend and `archc explain` call the same
code. The module imports nothing: the emitted NumPy and torch sources copy the
functions they need.

Each function carries its textbook form in ``FORMULAS`` (the names are the
function's parameters), which `archc explain` fills in with numbers; where the
dilation is 1 it shows the shorter form ``FORMULAS[textbook(name, args)]``.
"""


def conv_out(size, kernel, stride=1, padding=0, dilation=1):
    """floor((W + 2p - d(K-1) - 1) / s) + 1: convolution and pooling (floor mode)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def pool_ceil_out(size, kernel, stride=1, padding=0, dilation=1):
    """ceil((W + 2p - d(K-1) - 1) / s) + 1, less one if the last window would start in the right padding."""
    out = (size + 2 * padding - dilation * (kernel - 1) - 1 + stride - 1) // stride + 1
    if isinstance(size, int) and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def ceil_needs_concrete(kernel, stride, padding, dilation=1):
    """Whether pool_ceil_out's last-window correction can apply, so that a symbolic size cannot be decided.

    The last window starts at most p + s - 1 - d(K-1) - 1 positions past the input's last index, so
    the correction never applies while p + s <= d(K-1) + 1: windows at least as long as the stride
    with no padding, or stride 1 with any padding (GoogLeNet's 3x3/1 ceil-mode pools, padding 1).
    """
    return padding + stride > dilation * (kernel - 1) + 1


def conv_transpose_out(size, kernel, stride=1, padding=0, dilation=1, output_padding=0):
    """(W-1)s - 2p + d(K-1) + output_padding + 1: transposed convolution (PyTorch)."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def same_padding(kernel, dilation=1):
    """(before, after) padding that keeps a stride-1 convolution's size: total d(K-1), the extra one after."""
    total = dilation * (kernel - 1)
    return total // 2, total - total // 2


def conv_padding(padding, kernel, dilation):
    """(before, after), each one amount per spatial dim, of a convolution's ``padding`` attribute: its
    amounts on both sides, none for "valid", and for "same" same_padding's (the extra one after, as PyTorch)."""
    if padding == "valid":
        return (0,) * len(kernel), (0,) * len(kernel)
    if padding == "same":
        sides = [same_padding(k, d) for k, d in zip(kernel, dilation)]
        return tuple(b for b, _ in sides), tuple(a for _, a in sides)
    return tuple(padding), tuple(padding)


def upsample_zeros_out(size, factor):
    """k(W-1) + 1: zero insertion, k-1 zeros between neighbours (the course's upsampling)."""
    return factor * (size - 1) + 1


def downsample_out(size, factor):
    """ceil(W/k): keep indices 0, k, 2k, ... (the course's downsampling)."""
    return (size + factor - 1) // factor


def resize_out(size, scale):
    """floor(W * scale) for a resizing upsample by an integer scale factor."""
    return size * scale


def pad_out(size, before, after):
    """W + before + after (a negative amount crops)."""
    return size + before + after


def adaptive_window(size, out, i):
    """The window [start, end) that output index i of an adaptive pool reads: floor(i W/o) to ceil((i+1) W/o)."""
    return (i * size) // out, ((i + 1) * size + out - 1) // out


FORMULAS = {
    "conv_out": "⌊({size} + 2·{padding} − {dilation}·({kernel} − 1) − 1) / {stride}⌋ + 1",
    "pool_ceil_out": "⌈({size} + 2·{padding} − {dilation}·({kernel} − 1) − 1) / {stride}⌉ + 1",
    "conv_transpose_out": "({size} − 1)·{stride} − 2·{padding} + {dilation}·({kernel} − 1) + {output_padding} + 1",
    # the same with dilation 1, as textbooks write them
    "conv_out(dilation=1)": "⌊({size} + 2·{padding} − {kernel}) / {stride}⌋ + 1",
    "pool_ceil_out(dilation=1)": "⌈({size} + 2·{padding} − {kernel}) / {stride}⌉ + 1",
    "conv_transpose_out(dilation=1)": "({size} − 1)·{stride} − 2·{padding} + {kernel} + {output_padding}",
    "upsample_zeros_out": "{factor}·({size} − 1) + 1",
    "downsample_out": "⌈{size} / {factor}⌉",
    "resize_out": "{size}·{scale}",
    "pad_out": "{size} + {before} + {after}",
}


def textbook(name: str, args: dict) -> str:
    """The key of ``FORMULAS`` to show for function ``name`` applied to ``args``: its dilation-1 form where
    the dilation is 1 (or not given), else its general form."""
    plain = f"{name}(dilation=1)"
    return plain if plain in FORMULAS and args.get("dilation", 1) == 1 else name
