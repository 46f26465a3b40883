"""Every spec in specs/ checks, with parameter counts and shapes computed by hand
here from the layer formulas (not from archc's registry)."""

from itertools import pairwise

import pytest

import archc
from archc.dims import dim_str, floordiv, sym
from tests.conftest import SPECS


def conv(c_in, c_out, k, bias=True, groups=1):
    return c_out * (c_in // groups) * k + (c_out if bias else 0)


def lin(n_in, n_out, bias=True):
    return n_in * n_out + (n_out if bias else 0)


def bn(c):
    return 2 * c


def out(w, k, s=1, p=0, d=1):
    return (w + 2 * p - d * (k - 1) - 1) // s + 1


def preact_params():
    total = conv(3, 64, 9) + (bn(64) + conv(64, 64, 9))
    total += conv(64, 128, 1) + 2 * (bn(128) + conv(128, 128, 9))
    total += conv(128, 256, 1) + 2 * (bn(256) + conv(256, 256, 9))
    total += conv(256, 512, 1) + 2 * (bn(512) + conv(512, 512, 9))
    total += 2 * (bn(512) + conv(512, 512, 9))
    return total + bn(512) + lin(512, 10)


def resnet32_params(projection):
    """Option A (projection=False): the shortcuts of the stride-2 blocks subsample and zero-pad, no
    parameters; option B: a 1x1 conv + BatchNorm."""
    total = conv(3, 16, 9, bias=False) + bn(16)
    total += 5 * 2 * (conv(16, 16, 9, False) + bn(16))
    for c_in, c in ((16, 32), (32, 64)):
        total += conv(c_in, c, 9, False) + bn(c) + conv(c, c, 9, False) + bn(c)  # first block
        total += (conv(c_in, c, 1, False) + bn(c)) if projection else 0  # its shortcut
        total += 4 * 2 * (conv(c, c, 9, False) + bn(c))
    return total + lin(64, 10)


def unet_params(base=64, classes=2):
    """Four levels of double convs (3x3, no bias, BatchNorm) down and up; 2x2 transposed convs up."""
    def double(c_in, c):
        return conv(c_in, c, 9, False) + bn(c) + conv(c, c, 9, False) + bn(c)

    widths = [base * 2 ** i for i in range(5)]
    total = double(1, base) + sum(double(a, b) for a, b in pairwise(widths))
    total += sum(conv(a, b, 4) + double(2 * b, b) for a, b in pairwise(widths[::-1]))
    return total + conv(base, classes, 1)


# spec, network, total params, output shape, {layer: shape} spot checks
EXPECTED = [
    ("mnist_cnn.arch", None, conv(1, 16, 9) + conv(16, 32, 9) + conv(32, 64, 9) + lin(576, 10), ("N", 10),
     {"maxpool2d_1": ("N", 16, 14, 14), "maxpool2d_2": ("N", 32, 7, 7), "maxpool2d_3": ("N", 64, 3, 3),
      "flatten_1": ("N", 576)}),
    ("varres_cnn.arch", None, conv(1, 16, 9) + conv(16, 32, 9) + conv(32, 81, 9) + lin(81, 10), ("N", 10),
     {"global_pool_1": ("N", 81)}),
    ("hw2p1_cnn.arch", None, conv(24, 56, 5) + conv(56, 28, 6) + conv(28, 14, 2) + lin(420, 10), ("N", 10),
     {"tanh_1": ("N", 56, 124), "relu_1": ("N", 28, 60), "sigmoid_1": ("N", 14, 30), "flatten_1": ("N", 420)}),
    ("scan_simple.arch", None, 192 * 8 + 8 * 16 + 16 * 4, ("N", 124),
     {"mlp.layer1": ("N", 8, 31), "mlp.layer2": ("N", 16, 31), "mlp.layer3": ("N", 4, 31)}),
    ("scan_distributed.arch", None, conv(24, 2, 2, False) + conv(2, 8, 2, False) + conv(8, 4, 2, False), ("N", 124),
     {"layer1": ("N", 2, 64), "layer2": ("N", 8, 32), "layer3": ("N", 4, 31)}),
    ("mlp_elu.arch", None, lin(3072, 100) + lin(100, 10), ("N", 10), {"elu_1": ("N", 100)}),
    ("two_layer.arch", None, lin(2, 3) + lin(3, 2), ("N", 2), {"sigmoid_1": ("N", 3)}),
    ("vanilla_cnn.arch", None, conv(3, 32, 49) + lin(32 * 13 * 13, 10), ("N", 10),
     {"relu_1": ("N", 32, 26, 26), "maxpool2d_1": ("N", 32, 13, 13), "flatten_1": ("N", 5408)}),
    ("preact_convnet.arch", None, preact_params(), ("N", 10),
     {"conv0": ("N", 64, 32, 32), "maxpool1": ("N", 128, 16, 16), "maxpool5": ("N", 512, 1, 1),
      "preact5_b.residual_1": ("N", 512, 2, 2), "fc": ("N", 10)}),
    ("resnet32.arch", None, resnet32_params(projection=False), ("N", 10),
     {"stage1.4.relu_1": ("N", 16, 32, 32), "stage2_down.downsample2d_1": ("N", 16, 16, 16),
      "stage2_down.pad_1": ("N", 32, 16, 16), "stage3_down.pad_1": ("N", 64, 8, 8),
      "stage2_down.residual_1": ("N", 32, 16, 16), "stage3.3.relu_2": ("N", 64, 8, 8), "global_pool_1": ("N", 64)}),
    ("resnet32_b.arch", None, resnet32_params(projection=True), ("N", 10),
     {"stage2_down.residual_1": ("N", 32, 16, 16), "stage3.3.relu_2": ("N", 64, 8, 8)}),
    ("unet.arch", None, unet_params(), ("N", 2, "H", "W"),
     {"enc1.relu_2": ("N", 64, "H", "W"), "enc4.conv.relu_2": ("N", 512, "floor(H/8)", "floor(W/8)"),
      "bottleneck.conv.relu_2": ("N", 1024, "floor(H/16)", "floor(W/16)"),
      "dec4.concat_1": ("N", 1024, "floor(H/8)", "floor(W/8)"), "dec1.concat_1": ("N", 128, "H", "W")}),
    ("mnist1d_cnn.arch", None, conv(1, 32, 5) + 2 * conv(32, 32, 3) + lin(32 * 10, 10), ("N", 10),
     {"relu_1": ("N", 32, 40), "relu_2": ("N", 32, out(40, 3, 2, 1)), "relu_3": ("N", 32, 10),
      "flatten_1": ("N", 320)}),
    ("mnist1d_mlp.arch", None, lin(40, 100) + lin(100, 100) + lin(100, 10), ("N", 10), {"flatten_1": ("N", 40)}),
    ("varres_fixed64.arch", None, conv(1, 16, 9) + conv(16, 32, 9) + conv(32, 64, 9) + lin(64 * 8 * 8, 10),
     ("N", 10), {"maxpool2d_3": ("N", 64, 8, 8), "flatten_1": ("N", 4096)}),
    ("layer_zoo.arch", "zoo1d",
     3 * 8 * 5 + 8 + conv(8, 8, 3, groups=2) + (8 * 6 * 4 + 6) + (6 * 4 * 3 + 4), ("N", 4),
     {"upsample1d_1": ("N", 3, 2 * 59 + 1), "downsample1d_1": ("N", 3, 40),
      "conv1d_1": ("N", 8, out(40, 5, 2, 2)), "conv1d_2": ("N", 8, out(20, 3, d=2)),
      "conv_transpose1d_1": ("N", 6, (16 - 1) * 2 - 2 + 3 + 1), "maxpool1d_1": ("N", 6, out(32, 3, 2, 1)),
      "conv_transpose1d_2": ("N", 4, (8 - 1) * 3 + 2 + 1 + 1)}),
    ("layer_zoo.arch", "zoo2d", (8 * 3 * 15 + 8) + (8 * 4 * 9 + 4) + (4 * 1 * 9 + 4), ("N", 4),
     {"conv2d_1": ("N", 8, 32, out(32, 5, 2, 2)), "upsample2d_1": ("N", 8, 63, 31),
      "conv_transpose2d_1": ("N", 4, 31 * 2 - 2 + 2 + 1 + 1, 15 * 2 - 2 + 2 + 1 + 1),
      "meanpool2d_1": ("N", 4, out(32, 3, 2, 1), out(16, 3, 2, 1))}),
]


def _shape(t):
    return tuple(d if isinstance(d, int) else dim_str(d) for d in t)


@pytest.mark.parametrize("spec,network,params,output,layers", EXPECTED, ids=[f"{e[0]}:{e[1]}" for e in EXPECTED])
def test_spec_params_and_shapes(spec, network, params, output, layers):
    typed = archc.check(str(SPECS / spec), network)
    assert typed.total_params == params
    assert _shape(typed.output_shapes[0]) == output
    for name, shape in layers.items():
        assert _shape(typed.shapes[name]) == shape, name


def test_every_spec_is_covered():
    names = {p.name for p in SPECS.glob("*.arch")}
    assert names == {e[0] for e in EXPECTED}
    assert len(list(SPECS.glob("*.yaml"))) >= 3


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.name)
def test_yaml_specs_match_their_dsl_twins(path):
    twin = path.with_suffix(".arch")
    a, b = archc.load(str(path)), archc.load(str(twin))
    assert [(n.name, n.op, n.inputs, n.attrs) for n in a.nodes] == [(n.name, n.op, n.inputs, n.attrs) for n in b.nodes]


def test_mnist_cnn_matches_its_parameter_target():
    assert archc.check(str(SPECS / "mnist_cnn.arch")).total_params == 29066


def test_varres_width_is_the_closest_match_to_the_mnist_cnn():
    counts = {c: archc.check(str(SPECS / "varres_cnn.arch"), overrides={"C": c}).total_params for c in range(60, 100)}
    best = min(counts, key=lambda c: abs(counts[c] - 29066))
    assert best == 81 and counts[81] == 29029


def test_varres_symbolic_shapes_follow_the_input():
    typed = archc.check(str(SPECS / "varres_cnn.arch"))
    h, w = sym("H"), sym("W")
    assert typed.shapes["maxpool2d_3"] == (sym("N"), 81, floordiv(h, 8), floordiv(w, 8))
    assert dim_str(typed.shapes["maxpool2d_3"][2]) == "floor(H/8)"
    for size in (32, 48, 64):
        concrete = archc.check(str(SPECS / "varres_cnn.arch"), input_shape=(2, 1, size, size))
        assert concrete.shapes["maxpool2d_3"] == (2, 81, size // 8, size // 8)
        assert concrete.output_shapes == [(2, 10)]


def test_hw2p1_width_parameter():
    typed = archc.check(str(SPECS / "hw2p1_cnn.arch"), overrides={"width": 60})
    assert typed.shapes["tanh_1"][2] == 56 and typed.shapes["relu_1"][2] == 26
    assert typed.shapes["sigmoid_1"][2] == 13 and typed.shapes["flatten_1"][1] == 14 * 13


def test_scan_lowers_to_the_course_cnn():
    g = archc.load(str(SPECS / "scan_simple.arch"))
    convs = [(n.attrs["out_channels"], n.attrs["kernel_size"], n.attrs["stride"], n.attrs["bias"])
             for n in g.nodes if n.op == "conv1d"]
    assert convs == [(8, (8,), (4,), False), (16, (1,), (1,), False), (4, (1,), (1,), False)]


def test_receptive_field_and_jump_of_the_distributed_net():
    typed = archc.check(str(SPECS / "scan_distributed.arch"))
    got = [(typed.layers[n].receptive_field, typed.layers[n].jump) for n in ("layer1", "layer2", "layer3")]
    assert got == [((2,), (2,)), ((4,), (4,)), ((8,), (4,))]


def test_macs_of_the_mnist_cnn():
    typed = archc.check(str(SPECS / "mnist_cnn.arch"))
    expected = 16 * 28 * 28 * 9 + 32 * 14 * 14 * 16 * 9 + 64 * 7 * 7 * 32 * 9 + 576 * 10
    assert typed.total_macs == expected
