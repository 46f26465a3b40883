"""Zero-insertion upsampling and keep-every-k-th downsampling (course semantics).

  upsample by k:   W -> k(W-1) + 1   (k-1 zeros between neighbours)
  downsample by k: W -> ceil(W/k)    (keep indices 0, k, 2k, ...)
"""

from archc.dims import ceildiv
from archc.ops.base import Attr, OpDef, expect_rank, register
from archc.ops.conv import LAYOUT


def _rule(name, n, size):
    def shape(ins, a):
        (x,) = ins
        expect_rank(name, x, n + 2, LAYOUT[n])
        return (*x[:2], *(size(w, a["factor"]) for w in x[2:]))
    return shape


for _n in (1, 2):
    register(OpDef(name=f"upsample{_n}d", family="resample", positional=("factor",),
                   attrs=(Attr("factor", "int", minimum=1),),
                   shape=_rule(f"upsample{_n}d", _n, lambda w, k: k * (w - 1) + 1),
                   doc=f"{LAYOUT[_n]} -> [N, C, *(k(W-1)+1)]"))
    register(OpDef(name=f"downsample{_n}d", family="resample", positional=("factor",),
                   attrs=(Attr("factor", "int", minimum=1),),
                   shape=_rule(f"downsample{_n}d", _n, ceildiv),
                   doc=f"{LAYOUT[_n]} -> [N, C, *ceil(W/k)]"))
