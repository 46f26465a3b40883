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
