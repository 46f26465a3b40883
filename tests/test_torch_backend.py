"""The PyTorch backend: shapes and counts against shape inference, the in-memory module
against the emitted source and the manual-backward mode, state dicts shared with NumPy."""

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is an optional extra; CI installs it")

import archc  # noqa: E402
from archc.emit_torch import build_torch, emit_source  # noqa: E402
from archc.emit_torch.manual import ConvFunction, LinearFunction  # noqa: E402
from archc.errors import EmitError  # noqa: E402
from tests.conftest import SPECS  # noqa: E402

SPEC_NETS = [(p.name, n.name) for p in sorted(SPECS.glob("*.arch")) for n in archc.parse(str(p)).networks]
INPUT = {"varres_cnn": (2, 1, 48, 40), "unet": (2, 1, 32, 48)}


def concrete(spec, network):
    typed = archc.check(str(SPECS / spec), network, input_shape=INPUT.get(network))
    shape = tuple(d if isinstance(d, int) else 2 for d in typed.shapes[typed.graph.inputs[0].name])
    return typed, shape


def load_source(text, tmp_path, name="emitted"):
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def emitted_class(typed, tmp_path, backward="autograd"):
    mod = load_source(emit_source(typed, backward), tmp_path, f"m_{typed.graph.name}_{backward}")
    classes = [v for k, v in vars(mod).items() if isinstance(v, type) and issubclass(v, torch.nn.Module)
               and v.__module__ == mod.__name__ and k[0].isupper() and "Manual" not in k and k not in
               ("Upsample", "Downsample", "GlobalPool")]
    return classes[-1]()


@pytest.mark.parametrize("spec,network", SPEC_NETS, ids=[f"{s}:{n}" for s, n in SPEC_NETS])
def test_module_shapes_and_counts_equal_shape_inference(spec, network):
    typed, shape = concrete(spec, network)
    module = build_torch(typed)
    assert sum(p.numel() for p in module.parameters()) == typed.total_params
    seen = {}
    hooks = [getattr(module, n.name).register_forward_hook(
        lambda m, i, o, name=n.name: seen.__setitem__(name, tuple(o.shape)))
        for n in typed.graph.nodes if hasattr(module, n.name)]
    out = module(torch.zeros(shape))
    for h in hooks:
        h.remove()
    batch = archc.check(str(SPECS / spec), network, input_shape=shape)
    for name, got in seen.items():
        assert got == batch.shapes[name], name
    assert tuple(out.shape) == batch.output_shapes[0]


@pytest.mark.parametrize("spec,network", SPEC_NETS, ids=[f"{s}:{n}" for s, n in SPEC_NETS])
def test_in_memory_emitted_and_manual_agree(spec, network, tmp_path):
    typed, shape = concrete(spec, network)
    reference = build_torch(typed, dtype=torch.float64, seed=1)
    state = reference.state_dict()
    models = {"in-memory": reference,
              "manual": build_torch(typed, backward="manual", dtype=torch.float64),
              "emitted": emitted_class(typed, tmp_path).double(),
              "emitted-manual": emitted_class(typed, tmp_path, "manual").double()}
    x = torch.randn(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    g = None
    results = {}
    for label, m in models.items():
        m.load_state_dict(state, strict=True)
        xi = x.clone().requires_grad_(True)
        y = m(xi)
        if g is None:
            g = torch.randn(y.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
        y.backward(g)
        results[label] = (y.detach(), xi.grad, {k: p.grad for k, p in m.named_parameters()})
    y0, dx0, grads0 = results["in-memory"]
    for label, (y, dx, grads) in results.items():
        torch.testing.assert_close(y, y0, rtol=1e-10, atol=1e-10, msg=f"{label} output")
        torch.testing.assert_close(dx, dx0, rtol=1e-10, atol=1e-10, msg=f"{label} dL/dx")
        for k, v in grads.items():
            torch.testing.assert_close(v, grads0[k], rtol=1e-10, atol=1e-10, msg=f"{label} {k}")


@pytest.mark.parametrize("spec,network", SPEC_NETS, ids=[f"{s}:{n}" for s, n in SPEC_NETS])
def test_numpy_state_dict_loads_strictly_and_back(spec, network):
    typed, shape = concrete(spec, network)
    np_model = archc.compile(str(SPECS / spec), network=network, dtype=np.float64, seed=5).eval()
    module = build_torch(typed, dtype=torch.float64).eval()
    module.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in np_model.state_dict().items()},
                           strict=True)
    x = np.random.default_rng(0).standard_normal(shape)
    np.testing.assert_allclose(module(torch.from_numpy(x)).detach().numpy(), np_model.forward(x), rtol=1e-9,
                               atol=1e-9)
    back = archc.compile(str(SPECS / spec), network=network, dtype=np.float64, seed=6).eval()
    back.load_state_dict(module.state_dict(), strict=True)
    np.testing.assert_allclose(back.forward(x), np_model.forward(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("stride,padding,dilation,groups", [
    ((1, 1), (0, 0), (1, 1), 1), ((2, 3), (1, 2), (1, 1), 1), ((1, 2), (2, 0), (2, 1), 2), ((3, 3), (1, 1), (2, 2), 3)])
def test_conv_function_gradcheck(stride, padding, dilation, groups):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3 * groups, 7, 8, dtype=torch.float64, generator=gen, requires_grad=True)
    w = torch.randn(2 * groups, 3, 3, 2, dtype=torch.float64, generator=gen, requires_grad=True)
    b = torch.randn(2 * groups, dtype=torch.float64, generator=gen, requires_grad=True)
    fn = lambda x, w, b: ConvFunction.apply(x, w, b, stride, padding, dilation, groups)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (x, w, b))
    ref = torch.nn.functional.conv2d(x, w, b, stride, padding, dilation, groups)
    torch.testing.assert_close(fn(x, w, b), ref)


def test_linear_function_gradcheck():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 5, dtype=torch.float64, generator=gen, requires_grad=True)
    w = torch.randn(4, 5, dtype=torch.float64, generator=gen, requires_grad=True)
    b = torch.randn(4, dtype=torch.float64, generator=gen, requires_grad=True)
    assert torch.autograd.gradcheck(LinearFunction.apply, (x, w, b))
    assert torch.autograd.gradcheck(lambda x, w: LinearFunction.apply(x, w, None), (x, w))


def test_gradcheck_fails_for_a_wrong_backward():
    """Negative control: gradcheck must catch a backward that is off."""

    class Wrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g  # should be 2x * g

    x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    assert not torch.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False)


@pytest.mark.parametrize("spec,network", SPEC_NETS, ids=[f"{s}:{n}" for s, n in SPEC_NETS])
def test_emitted_source_scripts_and_is_ruff_clean(spec, network, tmp_path):
    typed, shape = concrete(spec, network)
    text = emit_source(typed)
    module = emitted_class(typed, tmp_path).eval()
    scripted = torch.jit.script(module)
    x = torch.randn(shape)
    torch.testing.assert_close(scripted(x), module(x))
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--select", "E,F,W,I,N,UP,B",
                           "--line-length", "120", "--stdin-filename", "model.py", "-"], input=text,
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout


FIXED = [(s, n) for s, n in SPEC_NETS if n != "varres_cnn"]


@pytest.mark.parametrize("spec,network", FIXED, ids=[f"{s}:{n}" for s, n in FIXED])
def test_onnx_export(spec, network, tmp_path):
    pytest.importorskip("onnx", reason="ONNX export needs the onnx package (in the dev extra)")
    typed, shape = concrete(spec, network)
    module = build_torch(typed).eval()
    path = tmp_path / f"{network}.onnx"
    torch.onnx.export(module, (torch.randn(shape),), str(path), dynamo=False)
    import onnx

    onnx.checker.check_model(onnx.load(str(path)))
    ort = pytest.importorskip("onnxruntime", reason="running the export needs onnxruntime (in the dev extra)")
    x = torch.randn(shape)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    np.testing.assert_allclose(got, module(x).detach().numpy(), rtol=1e-4, atol=1e-5)


def test_torch_compile_runs_the_compiled_module():
    typed, shape = concrete("mnist_cnn.arch", None)
    module = build_torch(typed).eval()
    compiled = torch.compile(module, backend="aot_eager")
    x = torch.randn(shape)
    torch.testing.assert_close(compiled(x), module(x))


def test_varres_module_runs_at_every_resolution():
    module = archc.compile(str(SPECS / "varres_cnn.arch"), target="torch")
    for size in (32, 48, 64):
        assert tuple(module(torch.zeros(3, 1, size, size)).shape) == (3, 10)


def test_wrong_input_is_a_clear_error():
    module = archc.compile(str(SPECS / "mnist_cnn.arch"), target="torch")
    with pytest.raises(EmitError, match=r"declared \[N, 1, 28, 28\], got \[2, 1, 32, 32\]"):
        module(torch.zeros(2, 1, 32, 32))


def test_emit_cli_writes_a_module(tmp_path):
    from archc.cli import main

    out = tmp_path / "model.py"
    assert main(["emit", str(SPECS / "mnist_cnn.arch"), "--target", "torch", "-o", str(out)]) == 0
    text = out.read_text()
    assert "class MnistCnn(nn.Module):" in text and "self.conv2d_1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)" in text
    assert "x = self.maxpool2d_1(x)  # (N, 16, 14, 14)" in text


def test_every_registered_op_has_a_torch_rule():
    from archc.emit_torch.rules import RULES
    from archc.ops import REGISTRY

    assert set(RULES) == set(REGISTRY)
