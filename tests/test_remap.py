"""Weight remapping: the course's autograder fixtures, random Conv1d stacks, conv -> matrix."""

import io
from contextlib import redirect_stdout

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import archc
from archc.cli import main
from archc.errors import EmitError
from archc.remap import cnn_to_mlp, conv_matrix, conv_stack, mlp_to_cnn, network_matrix, shared_slices
from tests.conftest import SHARED_DATA, SPECS

HW2 = SHARED_DATA / "hw2p1"
needs_fixtures = pytest.mark.skipif(not HW2.is_dir(), reason=f"course fixtures not found at {HW2} (see PROVENANCE)")


def fixture_input():
    return np.loadtxt(HW2 / "data" / "data.asc").T.reshape(1, 24, -1)


@needs_fixtures
@pytest.mark.parametrize("spec,part", [("scan_simple", "b"), ("scan_distributed", "c")])
def test_autograder_fixtures_reproduce_exactly(spec, part):
    typed = archc.check(str(SPECS / f"{spec}.arch"))
    mlp = list(np.load(HW2 / "weights" / f"mlp_weights_part_{part}.npy", allow_pickle=True))
    state = mlp_to_cnn(conv_stack(typed), mlp)
    expected = np.load(HW2 / "ref_result" / f"res_{part}.npy")
    x = fixture_input()
    model = archc.compile(str(SPECS / f"{spec}.arch"), dtype=np.float64)
    model.load_state_dict(state)
    np.testing.assert_array_equal(model.forward(x), expected)
    torch = pytest.importorskip("torch")
    module = archc.compile(str(SPECS / f"{spec}.arch"), target="torch").double()
    module.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=True)
    np.testing.assert_array_equal(module(torch.from_numpy(x)).detach().numpy(), expected)


@needs_fixtures
def test_distributed_fixture_blocks_are_the_shared_parameters():
    stack = conv_stack(archc.check(str(SPECS / "scan_distributed.arch")))
    assert stack.positions == (8, 4, 2, 1) and (stack.window, stack.hop) == (8, 4)
    W = np.load(HW2 / "weights" / "mlp_weights_part_c.npy", allow_pickle=True)
    slices = shared_slices(stack)
    assert [s["block"] for s in slices] == [(slice(0, 48), slice(0, 2)), (slice(0, 4), slice(0, 8)),
                                            (slice(0, 16), slice(0, 4))]
    state = mlp_to_cnn(stack, list(W))
    w1 = W[0][:48, :2]  # the course's rule: W.T.reshape(out, k, in).transpose(0, 2, 1)
    np.testing.assert_array_equal(state["layer1.weight"], w1.T.reshape(2, 2, 24).transpose(0, 2, 1))
    dense = cnn_to_mlp(stack, state, fill=np.nan)
    for mine, theirs in zip(dense, W):
        np.testing.assert_array_equal(np.isnan(mine["weight"]), np.isnan(theirs.astype(float)))
        np.testing.assert_array_equal(np.nan_to_num(mine["weight"]), np.nan_to_num(theirs.astype(float)))


@needs_fixtures
def test_remap_cli_round_trip(tmp_path):
    out = tmp_path / "cnn.npz"
    weights = HW2 / "weights" / "mlp_weights_part_b.npy"
    assert main(["remap", str(SPECS / "scan_simple.arch"), "--from-mlp", str(weights), "--out", str(out)]) == 1
    with redirect_stdout(io.StringIO()):
        assert main(["remap", str(SPECS / "scan_simple.arch"), "--from-mlp", str(weights), "--out", str(out),
                     "--allow-pickle"]) == 0
    model = archc.compile(str(SPECS / "scan_simple.arch"), dtype=np.float64)
    model.load(out)
    np.testing.assert_array_equal(model.forward(fixture_input()), np.load(HW2 / "ref_result" / "res_b.npy"))


# -- random stacks ----------------------------------------------------------------------------
@st.composite
def stacks(draw):
    n = draw(st.integers(1, 3))
    channels = [draw(st.integers(1, 4)) for _ in range(n + 1)]
    layers = [(channels[i + 1], draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.booleans()),
               draw(st.sampled_from(["", ', padding="valid"'])))  # "valid" is no padding
              for i in range(n)]
    body = " -> relu -> ".join(f"conv1d({c}, kernel={k}, stride={s}, bias={'true' if b else 'false'}{p})"
                               for c, k, s, b, p in layers)
    return f"network s {{ input x: [N, {channels[0]}, T]\n {body} }}"


def _random_state(model, seed):
    rng = np.random.default_rng(seed)
    for v in model.parameters().values():
        v[...] = rng.standard_normal(v.shape)
    return model.state_dict()


@settings(max_examples=60, deadline=None)
@given(stacks(), st.integers(0, 1000), st.sampled_from(["in_out", "out_in"]), st.sampled_from(["time", "channel"]))
def test_cnn_to_dense_mlp_to_cnn_is_the_identity(src, seed, layout, flatten):
    typed = archc.check(src)
    stack = conv_stack(typed)
    state = _random_state(archc.compile(src, dtype=np.float64), seed)
    dense = cnn_to_mlp(stack, state, layout=layout, flatten=flatten)
    back = mlp_to_cnn(stack, [d["weight"] for d in dense], [d.get("bias") for d in dense], layout=layout,
                      flatten=flatten)
    assert set(back) == set(state)
    for k, v in state.items():
        np.testing.assert_array_equal(back[k], v)


@settings(max_examples=60, deadline=None)
@given(stacks(), st.integers(0, 1000), st.integers(0, 6))
def test_scanning_mlp_window_by_window_equals_the_cnn(src, seed, extra):
    typed = archc.check(src)
    stack = conv_stack(typed)
    model = archc.compile(src, dtype=np.float64)
    state = _random_state(model, seed)
    dense = cnn_to_mlp(stack, state)
    c_in = stack.layers[0].in_channels
    T = stack.window + extra * stack.hop
    x = np.random.default_rng(seed).standard_normal((2, c_in, T))
    y = model.forward(x)  # (N, C_out, positions)
    for start in range(0, T - stack.window + 1, stack.hop):  # the MLP, one window at a time
        h = x[:, :, start:start + stack.window].transpose(0, 2, 1).reshape(2, -1)  # time-major flatten
        for i, layer in enumerate(dense):
            h = h @ layer["weight"] + layer.get("bias", 0)
            if i < len(dense) - 1:
                h = np.maximum(h, 0)
        np.testing.assert_allclose(h, y[:, :, start // stack.hop], rtol=1e-10, atol=1e-10)


def test_a_padded_stack_is_not_a_scanning_mlp():
    for pad in ("1", '"same"'):
        typed = archc.check(f"network s {{ input x: [N, 2, T]\n conv1d(3, kernel=3, padding={pad}) as c }}")
        with pytest.raises(EmitError, match="'c': a scanning MLP needs convolutions without padding"):
            conv_stack(typed)


def test_disagreeing_blocks_name_the_layer_and_block():
    typed = archc.check(str(SPECS / "scan_distributed.arch"))
    stack = conv_stack(typed)
    state = _random_state(archc.compile(str(SPECS / "scan_distributed.arch"), dtype=np.float64), 0)
    dense = [d["weight"] for d in cnn_to_mlp(stack, state, fill=np.nan)]
    dense[1][5, 9] += 1.0  # block 1 of layer2
    with pytest.raises(EmitError, match=r"'layer2': the copies of the shared weight disagree: block 1"):
        mlp_to_cnn(stack, dense)
    dense = [d["weight"] for d in cnn_to_mlp(stack, state)]
    dense[0][60, 0] = 3.0  # outside every block of layer1
    with pytest.raises(EmitError, match=r"'layer1': entry \[60, 0\] = 3 lies outside every shared block"):
        mlp_to_cnn(stack, dense)
    with pytest.raises(EmitError, match="check --layout"):
        mlp_to_cnn(stack, [d.T for d in dense])


# -- convolution -> matrix ----------------------------------------------------------------------
@st.composite
def conv_layers(draw):
    n = draw(st.integers(1, 2))
    transpose = draw(st.booleans())
    g = draw(st.sampled_from([1, 2]))
    c_in, c_out = g * draw(st.integers(1, 2)), g * draw(st.integers(1, 2))
    k = tuple(draw(st.integers(1, 4)) for _ in range(n))
    s = tuple(draw(st.integers(1, 4)) for _ in range(n))
    d = tuple(draw(st.integers(1, 2)) for _ in range(n))
    p = tuple(draw(st.integers(0, 2)) for _ in range(n))
    if not transpose:  # padding "same" (stride 1; an odd span pads one more after) or "valid"
        p = draw(st.sampled_from([p, p, '"same"', '"valid"']))
        s = (1,) * n if p == '"same"' else s
    size = tuple(draw(st.integers(4, 9)) for _ in range(n))
    op = f"conv_transpose{n}d" if transpose else f"conv{n}d"
    extra = f", output_padding={tuple(min(x, y) - 1 for x, y in zip(s, d))}" if transpose else ""
    src = (f"network c {{ input x: [N, {c_in}, {', '.join(map(str, size))}]\n"
           f" {op}({c_out}, kernel={k}, stride={s}, padding={p}, dilation={d}, groups={g}{extra}) as layer }}")
    return src


@settings(max_examples=80, deadline=None)
@given(conv_layers(), st.integers(0, 1000))
def test_conv_matrix_equals_the_layer_and_its_transpose_the_gradient(src, seed):
    try:
        typed = archc.check(src)
    except archc.ArchcError:
        typed = None  # an output size below 1: nothing to lower; hypothesis draws another case
    assume(typed is not None)
    model = archc.compile(src, dtype=np.float64)
    state = _random_state(model, seed)
    A, b = conv_matrix(typed, "layer", state)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, *typed.shapes["x"][1:]))
    y = model.forward(x)
    np.testing.assert_allclose(A @ x.ravel() + b, y.ravel(), rtol=1e-10, atol=1e-10)
    g = rng.standard_normal(y.shape)
    np.testing.assert_allclose(A.T @ g.ravel(), model.backward(g).ravel(), rtol=1e-10, atol=1e-10)


def test_course_exercise_stride_4_padding_2():
    """A 1-D convolution with kernel 3, stride 4, padding 2 as Y = AX, checked entry by entry."""
    src = "network ex { input x: [N, 1, 10]\n conv1d(1, kernel=3, stride=4, padding=2, bias=false) as conv }"
    typed = archc.check(src)
    w = np.array([[[1.0, 2.0, 3.0]]])
    A, b = conv_matrix(typed, "conv", {"conv.weight": w})
    # outputs at 0, 4, 8 of the padded input read x[-2..0], x[2..4], x[6..8]
    expected = np.zeros((3, 10))
    expected[0, 0] = 3.0
    expected[1, 2:5] = [1, 2, 3]
    expected[2, 6:9] = [1, 2, 3]
    np.testing.assert_array_equal(A, expected)
    assert not b.any()


def test_nonlinear_layers_have_no_matrix():
    typed = archc.check(str(SPECS / "mnist_cnn.arch"))
    state = archc.compile(str(SPECS / "mnist_cnn.arch")).state_dict()
    with pytest.raises(EmitError, match=r"'relu_1' \(relu\) is not a linear layer"):
        network_matrix(typed, state)
    A, _ = conv_matrix(typed, "conv2d_1", state)
    assert A.shape == (16 * 28 * 28, 28 * 28)


def test_lower_cli_prints_the_matrix(tmp_path):
    spec = tmp_path / "ex.arch"
    spec.write_text("network ex { input x: [N, 1, 6]\n conv1d(1, kernel=3, stride=2, padding=1, bias=false) }")
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["lower", str(spec)]) == 0
    assert "A 3x6" in out.getvalue()
    with redirect_stdout(io.StringIO()):
        assert main(["lower", str(spec), "-o", str(tmp_path / "a.npz")]) == 0
    assert np.load(tmp_path / "a.npz")["A"].shape == (3, 6)


def test_lower_reads_the_best_weights_of_a_training_checkpoint(tmp_path):
    from archc.train.checkpoint import new_meta, write_npz

    spec = tmp_path / "ex.arch"
    spec.write_text("network ex { input x: [N, 1, 6]\n conv1d(1, kernel=3, stride=2, padding=1, bias=false) as c }")
    w = np.array([[[1.0, 2.0, 3.0]]], dtype=np.float32)
    meta = new_meta("numpy", "ex", spec, [])
    write_npz(tmp_path / "ckpt.npz", {"c.weight": w, "last/c.weight": w * 0, "optim/m/c.weight": w * 0}, meta)
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["lower", str(spec), "--weights", str(tmp_path / "ckpt.npz")]) == 0
    assert "[[2. 3. 0. 0. 0. 0.]" in out.getvalue().replace("  ", " ")
