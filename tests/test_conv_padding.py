"""padding="same" and "valid" on conv1d/conv2d: the per-side amounts (archc.sizes.conv_padding, by hand),
the NumPy layer against central differences and torch for odd and even kernels and dilation 2, and one
network through every form: the NumPy model, its emitted source, torch autograd and --backward manual
(in memory and emitted)."""

import pytest

import archc
from archc.sizes import conv_padding
from tests.forms import ALL, assert_agree, run_forms
from tests.harness import check_op
from tests.op_cases import resolve


@pytest.mark.parametrize("padding,kernel,dilation,expected", [
    ("same", (3,), (1,), ((1,), (1,))),
    ("same", (4,), (1,), ((1,), (2,))),  # span 3: torch pads the extra one after
    ("same", (2, 5), (1, 1), ((0, 2), (1, 2))),
    ("same", (4, 3), (2, 2), ((3, 2), (3, 2))),  # span d(K-1) = 6 and 4: symmetric
    ("valid", (4, 3), (2, 1), ((0, 0), (0, 0))),
    ((2, 1), (3, 3), (1, 1), ((2, 1), (2, 1))),
])
def test_conv_padding_amounts(padding, kernel, dilation, expected):
    assert conv_padding(padding, kernel, dilation) == expected


SPANS = [(3, 1), (4, 1), (2, 1), (3, 2), (4, 2)]  # (kernel, dilation): odd and even kernels, dilation 2


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("kernel,dilation", SPANS)
@pytest.mark.parametrize("n", [1, 2])
def test_string_padding_matches_differences_and_torch(n, kernel, dilation, padding):
    k = (kernel,) * n if n == 1 else (kernel, 3)
    size = (9,) * n
    case = resolve((f"conv{n}d", (3,), {"kernel_size": k, "padding": padding, "dilation": (dilation,) * n,
                                         "groups": 1, "bias": True}, [(2, 2, *size)]))
    assert case is not None
    out = case[3]
    if padding == "same":
        assert out == (2, 3, *size)
    else:
        assert out == (2, 3, *(s - dilation * (kk - 1) for s, kk in zip(size, k)))
    check_op(case, seed=kernel * 10 + dilation)


SPEC = """network pads {
  input x: [N, 2, 7, 6]
  conv2d(3, 4, padding="same") -> relu
  conv2d(2, (2, 3), padding="same", dilation=2, groups=1)
  conv2d(4, 3, padding="valid", dilation=2) -> tanh
  conv2d(3, 2, padding="same", bias=false)
  flatten -> linear(2)
}
network pads1d {
  input x: [N, 2, 9]
  conv1d(3, 2, padding="same") -> relu
  conv1d(2, 4, padding="same", dilation=2)
  conv1d(3, 3, padding="valid", dilation=2)
  flatten -> linear(2)
}
"""


@pytest.mark.parametrize("network", ["pads", "pads1d"])
def test_string_padding_agrees_in_every_form(network, tmp_path):
    try:
        import torch  # noqa: F401
        forms = ALL
    except ImportError:
        forms = ("numpy", "numpy-emitted")
    typed = archc.check(SPEC, network)
    results = run_forms(typed, tmp_path, True, forms)
    assert set(results) == set(forms)
    assert_agree(typed, results)
