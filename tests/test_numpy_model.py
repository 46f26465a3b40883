"""Whole networks in the NumPy backend: every spec against PyTorch (same weights, float64),
training, save/load, modes, runtime errors."""

import numpy as np
import pytest

import archc
from archc.emit_numpy import SGD, Adam, MSELoss, SoftmaxCrossEntropy
from archc.errors import EmitError
from tests.conftest import SPECS

SPEC_NETS = [(p.name, n.name) for p in sorted(SPECS.glob("*.arch")) for n in archc.parse(str(p)).networks]
SMALL_INPUT = {"varres_cnn": (3, 1, 32, 32), "unet": (2, 1, 32, 32)}


def concrete_input(typed, rng, batch=2):
    shape = [batch if not isinstance(d, int) else d for d in typed.shapes[typed.graph.inputs[0].name]]
    return rng.standard_normal(shape)


def build(spec, network, dtype=np.float64):
    typed = archc.check(str(SPECS / spec), network, input_shape=SMALL_INPUT.get(network))
    return typed, archc.compile(str(SPECS / spec), network=network, dtype=dtype)


torch = pytest.importorskip("torch", reason="torch is an optional extra; CI installs it")
from tests.torch_ref import reference  # noqa: E402


def torch_forward(typed, state, x, training=True):
    """An independent torch interpreter of the graph (torch.nn.functional per node)."""
    values = {typed.graph.inputs[0].name: x}
    for node in typed.graph.nodes:
        params = {k: state[f"{node.name}.{k}"] for k in typed.layers[node.name].params}
        buffers = {k: state[f"{node.name}.{k}"] for k in typed.layers[node.name].buffers
                   if k != "num_batches_tracked"}
        values[node.name] = reference(node.op, node.attrs, params, buffers, [values[i] for i in node.inputs],
                                      training)
    return values[typed.graph.outputs[0]]


@pytest.mark.parametrize("spec,network", SPEC_NETS, ids=[f"{s}:{n}" for s, n in SPEC_NETS])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_spec_matches_torch(spec, network, training):
    typed, model = build(spec, network)
    rng = np.random.default_rng(0)
    for v in model.parameters().values():  # random weights everywhere, BN affine included
        v[...] = rng.standard_normal(v.shape) * (0.5 if v.ndim > 1 else 0.1)
    for k, v in model.buffers().items():
        if k.endswith("running_mean"):
            v[...] = rng.standard_normal(v.shape) * 0.1
        elif k.endswith("running_var"):
            v[...] = rng.uniform(0.5, 1.5, v.shape)
    model.train(training)
    x = concrete_input(typed, rng, batch=3)
    state = {k: torch.tensor(v, requires_grad=k in model.parameters()) for k, v in model.state_dict().items()}
    t_x = torch.tensor(x, requires_grad=True)
    y = model.forward(x)
    t_y = torch_forward(typed, state, t_x, training)
    scale = max(1.0, float(np.abs(y).max()))
    np.testing.assert_allclose(y, t_y.detach().numpy(), rtol=1e-9, atol=1e-9 * scale)
    G = rng.standard_normal(y.shape)
    dx = model.backward(G)
    t_y.backward(torch.tensor(G))
    gscale = max(1.0, float(np.abs(t_x.grad.numpy()).max()))
    np.testing.assert_allclose(dx, t_x.grad.numpy(), rtol=1e-8, atol=1e-9 * gscale, err_msg="dLdx")
    for name, g in model.gradients().items():
        ref = state[name].grad.numpy()
        np.testing.assert_allclose(g, ref, rtol=1e-8, atol=1e-9 * max(1.0, float(np.abs(ref).max())), err_msg=name)


def test_mnist_cnn_trains_with_adam():
    """A learnable synthetic task: the class is which quadrant holds a bright blob."""
    rng = np.random.default_rng(0)
    n = 256
    labels = rng.integers(0, 4, n)
    x = rng.normal(0, 0.3, (n, 1, 28, 28)).astype(np.float32)
    for i, c in enumerate(labels):
        r, col = 3 + 14 * (c // 2) + rng.integers(0, 4), 3 + 14 * (c % 2) + rng.integers(0, 4)
        x[i, 0, r:r + 6, col:col + 6] += 2.0
    model = archc.compile(str(SPECS / "mnist_cnn.arch"), seed=1)
    loss_fn, opt = SoftmaxCrossEntropy(), Adam(model, lr=2e-3)
    losses = []
    for _epoch in range(3):
        for b in range(0, n, 32):
            opt.zero_grad()
            losses.append(loss_fn.forward(model.forward(x[b:b + 32]), labels[b:b + 32]))
            model.backward(loss_fn.backward())
            opt.step()
    assert np.mean(losses[:4]) > 1.2  # chance level is ln(10) on the 10-way head
    assert np.mean(losses[-4:]) < 0.2
    model.eval()
    accuracy = (model.forward(x).argmax(1) == labels).mean()
    assert accuracy > 0.95


def test_sgd_momentum_and_weight_decay_match_torch():
    typed, model = build("two_layer.arch", None)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 2)), rng.integers(0, 2, 8)
    t_params = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in model.parameters().items()}
    t_opt = torch.optim.SGD(t_params.values(), lr=0.1, momentum=0.9, weight_decay=0.01)
    opt = SGD(model, lr=0.1, momentum=0.9, weight_decay=0.01)
    mse = MSELoss()
    for _ in range(3):
        opt.zero_grad()
        target = np.eye(2)[y]
        mse.forward(model.forward(x), target)
        model.backward(mse.backward())
        opt.step()
        t_opt.zero_grad()
        out = torch_forward(typed, t_params, torch.tensor(x))
        ((out - torch.tensor(target)) ** 2).mean().backward()
        t_opt.step()
    for k, v in model.parameters().items():
        np.testing.assert_allclose(v, t_params[k].detach().numpy(), rtol=1e-10, atol=1e-12)


def test_adam_matches_torch():
    typed, model = build("mlp_elu.arch", None)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((4, 3072)), rng.integers(0, 10, 4)
    t_params = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in model.parameters().items()}
    t_opt = torch.optim.Adam(t_params.values(), lr=1e-3, weight_decay=1e-4)
    opt, ce = Adam(model, lr=1e-3, weight_decay=1e-4), SoftmaxCrossEntropy()
    for _ in range(3):
        opt.zero_grad()
        ce.forward(model.forward(x), y)
        model.backward(ce.backward())
        opt.step()
        t_opt.zero_grad()
        torch.nn.functional.cross_entropy(torch_forward(typed, t_params, torch.tensor(x)), torch.tensor(y)).backward()
        t_opt.step()
    for k, v in model.parameters().items():
        np.testing.assert_allclose(v, t_params[k].detach().numpy(), rtol=1e-9, atol=1e-12)


def test_cross_entropy_is_stable_for_huge_logits():
    ce = SoftmaxCrossEntropy()
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0]])
    loss = ce.forward(logits, np.array([0, 2]))
    assert np.isfinite(loss) and abs(loss - 0.5 * (1e4 - 3.0)) < 1e-6
    assert np.all(np.isfinite(ce.backward()))
    t_loss = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor([0, 2]))
    assert abs(loss - t_loss.item()) < 1e-9


def test_save_and_load_npz_is_lossless(tmp_path):
    model = archc.compile(str(SPECS / "resnet32.arch"), seed=3)
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    model.forward(x)  # updates BatchNorm's running statistics
    model.eval()
    before = model.forward(x)
    model.save(tmp_path / "w.npz")
    other = archc.compile(str(SPECS / "resnet32.arch"), seed=99).eval()
    other.load(tmp_path / "w.npz")
    np.testing.assert_array_equal(other.forward(x), before)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(other.state_dict()[k], v)


def test_state_dict_names_follow_the_shared_scheme():
    model = archc.compile(str(SPECS / "preact_convnet.arch"))
    keys = set(model.state_dict())
    assert {"conv0.weight", "conv0.bias", "fc.weight", "norm.running_mean", "norm.num_batches_tracked"} <= keys
    with pytest.raises(EmitError, match="missing"):
        model.load_state_dict({"conv0.weight": np.zeros((64, 3, 3, 3))})


def test_float64_on_request():
    model = archc.compile(str(SPECS / "mnist_cnn.arch"), dtype=np.float64)
    y = model.forward(np.zeros((1, 1, 28, 28)))
    assert y.dtype == np.float64 and all(v.dtype == np.float64 for v in model.parameters().values())


def test_wrong_input_shape_names_the_expected_and_actual_shapes():
    model = archc.compile(str(SPECS / "mnist_cnn.arch"))
    with pytest.raises(EmitError) as info:
        model.forward(np.zeros((2, 3, 28, 28)))
    assert "declared [N, 1, 28, 28], got [2, 3, 28, 28]" in str(info.value)
    with pytest.raises(EmitError) as info:
        archc.compile(str(SPECS / "varres_cnn.arch")).forward(np.zeros((2, 1, 7, 7)))
    assert "computed output size is 0" in str(info.value) and "'maxpool2d_3'" in str(info.value)
    with pytest.raises(EmitError, match="needs a forward"):
        archc.compile(str(SPECS / "mnist_cnn.arch")).backward(np.zeros((1, 10)))


def test_varres_net_runs_at_every_resolution():
    model = archc.compile(str(SPECS / "varres_cnn.arch"))
    for size in (32, 48, 64):
        y = model.forward(np.zeros((2, 1, size, size), dtype=np.float32))
        assert y.shape == (2, 10)
        assert model.backward(np.ones_like(y)).shape == (2, 1, size, size)


@pytest.mark.parametrize("spec,network", SPEC_NETS, ids=[f"{s}:{n}" for s, n in SPEC_NETS])
def test_emitted_numpy_source_equals_the_model(spec, network, tmp_path):
    import importlib.util
    import subprocess
    import sys

    from archc.emit_numpy.source import emit_numpy_source

    typed, model = build(spec, network)
    text = emit_numpy_source(archc.check(str(SPECS / spec), network))
    path = tmp_path / f"np_{network}.py"
    path.write_text(text)
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", str(path)], capture_output=True,
                          text=True)
    assert lint.returncode == 0, lint.stdout
    loader = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(mod)
    cls = next(v for k, v in vars(mod).items() if k.endswith("Numpy"))
    standalone = cls(dtype=np.float64)
    standalone.load_state_dict(model.state_dict())
    x = concrete_input(typed, np.random.default_rng(0))
    y = model.forward(x)
    np.testing.assert_array_equal(standalone.forward(x), y)
    g = np.random.default_rng(1).standard_normal(y.shape)
    np.testing.assert_array_equal(standalone.backward(g), model.backward(g))
    for k, v in model.gradients().items():
        np.testing.assert_array_equal(standalone.gradients()[k], v)


def test_backward_without_the_input_gradient_gives_the_same_parameter_gradients():
    """``backward(..., input_grad=False)`` (what training uses) skips dL/dx in the layers reading the input and
    accumulates exactly the parameter gradients of the full backward."""
    rng = np.random.default_rng(0)
    for spec, shape in (("mnist_cnn.arch", (4, 1, 28, 28)), ("hw2p1_cnn.arch", (4, 24, 128)),
                        ("two_layer.arch", (4, 2))):
        model = archc.compile(str(SPECS / spec), dtype=np.float64)
        x = rng.standard_normal(shape)
        ce = SoftmaxCrossEntropy()
        grads = []
        for want in (True, False):
            model.zero_grad()
            out = model.forward(x)
            ce.forward(out, np.arange(shape[0]) % out.shape[1])
            dx = model.backward(ce.backward(), input_grad=want)
            assert (dx is None) != want and (not want or dx.shape == shape)
            grads.append({k: v.copy() for k, v in model.gradients().items()})
        assert grads[0].keys() == grads[1].keys()
        for k in grads[0]:
            np.testing.assert_array_equal(grads[0][k], grads[1][k], err_msg=f"{spec}: {k}")
