"""Regression tests for the defects an independent oracle found (issue "One op, one place"), one each."""

import json
import subprocess
import sys

import numpy as np
import pytest

import archc
from archc.errors import ArchcError
from tests.emitted import load_source, model_class


def net(body, shape):
    return f"network n {{\n  input x: {shape}\n  {body}\n}}\n"


def torch_or_skip():
    return pytest.importorskip("torch", reason="torch is an optional extra; CI installs it")


def emitted_torch(spec, tmp_path):
    mod = load_source(archc.emit(spec, target="torch"), tmp_path)
    return model_class(mod, "n")()


# 1. pools emitted without their stride=1 ---------------------------------------------------------
@pytest.mark.parametrize("pool,shape", [("maxpool1d", "[N, 1, 4]"), ("meanpool1d", "[N, 1, 4]"),
                                        ("maxpool2d", "[N, 1, 4, 4]"), ("meanpool2d", "[N, 1, 4, 4]")])
def test_emitted_pools_keep_stride_1(pool, shape, tmp_path):
    torch = torch_or_skip()
    spec = net(f"{pool}(2, stride=1)", shape)
    assert "stride=1" in archc.emit(spec)
    module, memory = emitted_torch(spec, tmp_path), archc.compile(spec, target="torch")
    assert repr(module.get_submodule(f"{pool}_1")) == repr(memory.get_submodule(f"{pool}_1"))
    x = torch.randn(2, 1, *(4,) * (len(shape.split(",")) - 2))
    assert module(x).shape[-1] == 3 and torch.equal(module(x), memory(x))


# 2. a LayerNorm shape with equal dims collapsed to one int -----------------------------------------
@pytest.mark.parametrize("affine", ["true", "false"])
def test_emitted_layernorm_keeps_its_whole_shape(affine, tmp_path):
    torch = torch_or_skip()
    spec = net(f"layernorm(2, elementwise_affine={affine})", "[N, 2, 3, 3]")
    memory = archc.compile(spec, target="torch")
    module = emitted_torch(spec, tmp_path)
    assert module.layernorm_1.normalized_shape == (3, 3)
    module.load_state_dict(memory.state_dict(), strict=True)
    x = torch.randn(4, 2, 3, 3)
    torch.testing.assert_close(module(x), memory(x))


# 3. the emitted NumPy backward when a node reads one value twice ------------------------------------
@pytest.mark.parametrize("body", ["tanh as t -> add(t)", "residual { }", "tanh -> residual { } -> relu"])
def test_emitted_numpy_backward_with_a_value_read_twice(body, tmp_path):
    spec = net(body, "[N, 2]")
    model = archc.compile(spec, dtype=np.float64)
    emitted = model_class(load_source(archc.emit(spec, target="numpy"), tmp_path), "n")(dtype=np.float64)
    emitted.load_state_dict(model.state_dict())
    x = np.random.default_rng(0).standard_normal((3, 2))
    np.testing.assert_array_equal(emitted.forward(x), model.forward(x))
    g = np.random.default_rng(1).standard_normal((3, 2))
    np.testing.assert_array_equal(emitted.backward(g), model.backward(g))


# 4. names that `check` accepts break emitted sources -------------------------------------------------
HOSTILE_NAMES = ["backward", "layers", "LAYERS", "np", "gradients", "forward", "train", "self", "class", "torch",
                 "nn", "F", "x", "KEYS", "dtype", "super", "def", "eval", "state_dict", "training", "None_"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_any_accepted_name_works_in_every_emitted_file(name, tmp_path):
    spec = f"network n {{\n  input inp: [N, 3]\n  linear(3) as {name} -> tanh -> add({name}) -> linear(2)\n}}\n"
    typed = archc.check(spec)
    model = archc.compile(spec, dtype=np.float64)
    keys = set(model.state_dict())
    assert {f"{name}.weight", f"{name}.bias"} <= keys
    x = np.random.default_rng(0).standard_normal((2, 3))
    emitted = model_class(load_source(archc.emit(typed, target="numpy"), tmp_path), "n")(dtype=np.float64)
    emitted.load_state_dict(model.state_dict())
    assert set(emitted.state_dict()) == keys
    np.testing.assert_allclose(emitted.forward(x), model.forward(x), rtol=1e-12)
    g = np.ones((2, 2))
    np.testing.assert_allclose(emitted.backward(g), model.backward(g), rtol=1e-12)
    torch = pytest.importorskip("torch")
    memory = archc.compile(spec, target="torch").double()
    module = model_class(load_source(archc.emit(typed), tmp_path), "n")().double()
    assert set(module.state_dict()) == set(memory.state_dict()) == keys
    module.load_state_dict(memory.state_dict(), strict=True)
    torch.testing.assert_close(module(torch.from_numpy(x)), memory(torch.from_numpy(x)))


@pytest.mark.parametrize("name", ["class", "self", "def", "torch", "np", "forward"])
def test_an_input_with_a_python_name_works(name, tmp_path):
    spec = f"network n {{\n  input {name}: [N, 3]\n  linear(2)\n}}\n"
    model = archc.compile(spec, dtype=np.float64)
    emitted = model_class(load_source(archc.emit(spec, target="numpy"), tmp_path), "n")(dtype=np.float64)
    emitted.load_state_dict(model.state_dict())
    x = np.ones((1, 3))
    np.testing.assert_array_equal(emitted.forward(x), model.forward(x))
    torch = pytest.importorskip("torch")
    module = model_class(load_source(archc.emit(spec), tmp_path), "n")()
    module.load_state_dict(archc.compile(spec, target="torch").state_dict())
    assert module(torch.ones(1, 3)).shape == (1, 2)


# 5. the spec's file name reaches emitted code ----------------------------------------------------------
HOSTILE_FILES = ['x"""; import os; os.system("touch PWNED"); """', "x'''; import os; os.system('touch PWNED'); '''",
                 "x\\\"\"\"; touch PWNED", "x\nimport os; os.system('touch PWNED')\n#", "x\\", "x\u2028y"]


@pytest.mark.parametrize("target", ["torch", "numpy"])
@pytest.mark.parametrize("stem", HOSTILE_FILES, ids=range(len(HOSTILE_FILES)))
def test_hostile_file_names_never_run_when_the_emitted_file_is_imported(stem, target, tmp_path):
    if target == "torch":
        torch_or_skip()
    spec = tmp_path / f"{stem}.arch"
    spec.write_text(net("linear(2)", "[N, 3]"))
    out = tmp_path / "o.py"
    done = subprocess.run([sys.executable, "-m", "archc", "emit", str(spec), "--target", target, "-o", str(out)],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    subprocess.run([sys.executable, "-c", "import o"], cwd=tmp_path, check=True, capture_output=True)
    assert not (tmp_path / "PWNED").exists()
    assert str(spec) in subprocess.run([sys.executable, "-c", "import o; print(o.__doc__)"], cwd=tmp_path,
                                       capture_output=True, text=True).stdout


# 6. attribute values that must be validated in the registry ---------------------------------------
@pytest.mark.parametrize("body,shape,message", [
    ("dropout(1.5)", "[N, 4]", "must be <= 1"),
    ("dropout(2.0)", "[N, 4]", "must be <= 1"),
    ("dropout(-0.1)", "[N, 4]", "must be >= 0"),
    ("softmax(2)", "[N, 4]", "dim=2 is out of range"),
    ("softmax(dim=5)", "[N, 4, 4]", "dim=5 is out of range"),
    ("log_softmax(-3)", "[N, 4]", "dim=-3 is out of range"),
    ("batchnorm1d(eps=0)", "[N, 4]", "must be > 0"),
    ("batchnorm1d(momentum=1.5)", "[N, 4]", "must be <= 1"),
    ("layernorm(eps=0)", "[N, 4]", "must be > 0"),
    ("leaky_relu(1e999)", "[N, 4]", "finite"),
])
def test_bad_attribute_values_are_located_errors(body, shape, message):
    with pytest.raises(ArchcError) as info:
        archc.check(net(body, shape))
    assert message in info.value.message
    assert info.value.span is not None and info.value.span.line == 3


# 7. sizes that are equal for every input compare equal ------------------------------------------------
def test_equal_symbolic_sizes_compare_equal():
    spec = net("residual { downsample1d(2) } shortcut { upsample1d(2) -> downsample1d(4) }", "[N, 1, W]")
    typed = archc.check(spec)
    assert str(typed.output_shapes[0][2]) == "floor((W + 1)/2)"
    for w in range(1, 40):
        assert archc.check(spec, input_shape=(1, 1, w)).output_shapes[0] == (1, 1, (w + 1) // 2)


def test_sizes_equal_only_for_some_inputs_are_a_condition_decided_at_concrete_sizes():
    spec = net("residual { maxpool1d(2) -> upsample1d(2) -> conv1d(1, kernel=2, padding=1) }", "[N, 1, W]")
    typed = archc.check(spec)  # W even works, W odd does not: not rejected symbolically
    assert any(kind == "eq" for _, kind, *_ in typed.constraints)
    assert archc.check(spec, input_shape=(1, 1, 8)).output_shapes[0] == (1, 1, 8)
    with pytest.raises(ArchcError, match="shapes differ"):
        archc.check(spec, input_shape=(1, 1, 9))


def test_sizes_that_never_agree_are_an_error():
    with pytest.raises(ArchcError, match="shapes differ for every input size"):
        archc.check(net("residual { conv1d(1, kernel=3) }", "[N, 1, W]"))


# 8. MACs per sample and per batch -----------------------------------------------------------------------
def test_macs_are_labelled_per_sample_and_per_batch(tmp_path):
    spec = tmp_path / "m.arch"
    spec.write_text(net("conv1d(2, kernel=3)", "[N, 1, 8]"))
    typed = archc.check(str(spec), input_shape=(4, 1, 8))
    assert typed.total_macs == 36 and typed.macs_per_batch() == 144
    out = subprocess.run([sys.executable, "-m", "archc", "summary", str(spec), "--input", "4,1,8"],
                         capture_output=True, text=True).stdout
    assert "MACs per sample: 36" in out and "MACs per batch of 4: 144" in out and "bias" in out
    data = json.loads(subprocess.run([sys.executable, "-m", "archc", "summary", str(spec), "--input", "4,1,8",
                                      "--json"], capture_output=True, text=True).stdout)
    assert (data["macs_per_sample"], data["macs_per_batch"], data["batch"]) == (36, 144, 4)
    assert "bias" in data["macs_counting"]


# 9. a block whose class name is the network's -------------------------------------------------------------
CLASHING = ("block N(c){ linear(c) -> tanh }\nblock n_(c){ linear(c) }\n"
            "network n { input x: [N, 4]  N(3) as a -> n_(2) as b }\n")


def test_the_network_keeps_its_class_name_when_a_block_has_it(tmp_path):
    model = archc.compile(CLASHING, dtype=np.float64)
    x = np.random.default_rng(0).standard_normal((2, 4))
    numpy_mod = load_source(archc.emit(CLASHING, target="numpy"), tmp_path)
    emitted = model_class(numpy_mod, "n")(dtype=np.float64)
    assert numpy_mod.MODEL is numpy_mod.NNumpy and "the class NNumpy " in numpy_mod.__doc__
    emitted.load_state_dict(model.state_dict())
    assert sum(v.size for v in emitted.parameters().values()) == 4 * 3 + 3 + 3 * 2 + 2
    np.testing.assert_array_equal(emitted.forward(x), model.forward(x))
    torch = torch_or_skip()
    memory = archc.compile(CLASHING, target="torch").double()
    mod = load_source(archc.emit(CLASHING), tmp_path)
    assert mod.MODEL is mod.N and "The model is the class N " in mod.__doc__
    assert {mod.N_2.__doc__, mod.N_3.__doc__} == {"N(c=3)", "n_(c=2)"}
    module = model_class(mod, "n")().double()
    module.load_state_dict(memory.state_dict(), strict=True)
    assert set(module.state_dict()) == {f"{b}.linear_1.{k}" for b in "ab" for k in ("weight", "bias")}
    out = module(torch.from_numpy(x))
    assert out.shape == (2, 2)
    torch.testing.assert_close(out, memory(torch.from_numpy(x)))
    module.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()}, strict=True)
    np.testing.assert_allclose(module(torch.from_numpy(x)).detach().numpy(), model.forward(x), rtol=1e-12)
