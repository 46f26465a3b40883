"""Symbolic dims: every canonical form evaluates like plain integer arithmetic."""

from hypothesis import given, settings
from hypothesis import strategies as st

from archc.dims import ceildiv, dim_str, evaluate, floordiv, sym

SYMS = ["H", "W"]


@st.composite
def exprs(draw, depth=0):
    """A random expression as (symbolic value, function computing it from ints)."""
    if depth > 3 or draw(st.booleans()):
        if draw(st.booleans()):
            name = draw(st.sampled_from(SYMS))
            return sym(name), lambda env, n=name: env[n]
        k = draw(st.integers(-5, 9))
        return k, lambda env, k=k: k
    a, fa = draw(exprs(depth + 1))
    op = draw(st.sampled_from(["+", "-", "*k", "floor", "ceil", "mul"]))
    if op in ("+", "-", "mul"):
        b, fb = draw(exprs(depth + 1))
        if op == "+":
            return a + b, lambda env: fa(env) + fb(env)
        if op == "-":
            return a - b, lambda env: fa(env) - fb(env)
        return a * b, lambda env: fa(env) * fb(env)
    k = draw(st.integers(1, 7))
    if op == "*k":
        return a * k, lambda env: fa(env) * k
    if op == "floor":
        return floordiv(a, k), lambda env: fa(env) // k
    return ceildiv(a, k), lambda env: -((-fa(env)) // k)


@settings(max_examples=400, deadline=None)
@given(exprs(), st.integers(1, 300), st.integers(1, 300))
def test_canonical_form_evaluates_like_integers(e, h, w):
    value, reference = e
    env = {"H": h, "W": w}
    assert evaluate(value, env) == reference(env)


def test_conv_pool_chain_simplifies():
    h = sym("H")
    x = h
    for _ in range(3):
        x = floordiv(x + 2 * 1 - 3, 1) + 1  # conv 3x3, padding 1: size kept
        x = floordiv(x - 2, 2) + 1  # maxpool 2
    assert dim_str(x) == "floor(H/8)"
    assert dim_str(64 * x * x) == "64*floor(H/8)*floor(H/8)"


def test_equal_forms_compare_equal():
    w = sym("W")
    assert floordiv(2 * w + 3, 2) == w + 1
    assert floordiv(floordiv(w, 2) + 1, 3) == floordiv(w + 2, 6)
    assert ceildiv(w, 2) == floordiv(w + 1, 2)
    assert w - w == 0 and isinstance(w - w, int)


def test_ceil_mode_pools_stay_symbolic_when_no_last_window_can_start_in_the_padding():
    """pool_ceil_out drops a last window that would start in the right padding; ceil_needs_concrete says
    exactly when that can happen, so that symbolic sizes are refused only then (stride 1 never:
    GoogLeNet's maxpool2d(3, stride=1, padding=1, ceil_mode=true) keeps H)."""
    import pytest

    import archc
    from archc.errors import ArchcError
    from archc.sizes import ceil_needs_concrete, pool_ceil_out

    for k in range(1, 6):
        for s in range(1, 6):
            for p in range(0, k // 2 + 1):
                dropped = any(pool_ceil_out(w, k, s, p) != (w + 2 * p - k + s - 1) // s + 1
                              for w in range(max(1, k - 2 * p), 40))
                assert dropped == ceil_needs_concrete(k, s, p), (k, s, p)
    spec = "network n {{\n  input x: [N, 4, H, W]\n  maxpool2d(3, stride={}, padding=1, ceil_mode=true)\n}}\n"
    assert archc.check(spec.format(1)).output_shapes[0][2:] == tuple(sym(d) for d in "HW")
    with pytest.raises(ArchcError, match="must be concrete"):
        archc.check(spec.format(3))
