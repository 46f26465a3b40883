"""A Conv1d stack read off a checked graph: the layers a scanning MLP is equivalent to."""

from __future__ import annotations

from dataclasses import dataclass

from archc.errors import EmitError
from archc.ops import REGISTRY
from archc.shape_infer import TypedGraph
from archc.sizes import conv_padding


@dataclass(frozen=True)
class ConvLayer:
    name: str
    in_channels: int
    out_channels: int
    kernel: int
    stride: int
    bias: bool


@dataclass(frozen=True)
class ConvStack:
    """Conv1d layers in order (elementwise layers between them do not matter to the weights)."""

    layers: tuple[ConvLayer, ...]

    @property
    def positions(self) -> tuple[int, ...]:
        """Neuron positions per layer inside one window: input first, the last layer's 1 last.

        A layer with kernel k and stride s needs (p - 1)s + k positions below for p above.
        """
        p = [1]
        for layer in reversed(self.layers):
            p.append((p[-1] - 1) * layer.stride + layer.kernel)
        return tuple(reversed(p))

    def state_shapes(self) -> dict[str, tuple[int, ...]]:
        """The CNN state dict's keys and shapes: (out, in, kernel) weights and (out,) biases."""
        out: dict[str, tuple[int, ...]] = {}
        for layer in self.layers:
            out[f"{layer.name}.weight"] = (layer.out_channels, layer.in_channels, layer.kernel)
            if layer.bias:
                out[f"{layer.name}.bias"] = (layer.out_channels,)
        return out

    @property
    def window(self) -> int:
        """The receptive field of the last layer, in input steps: the scanning MLP's window."""
        return self.positions[0]

    @property
    def hop(self) -> int:
        """The jump (total stride) of the last layer: the scanning MLP's hop."""
        j = 1
        for layer in self.layers:
            j *= layer.stride
        return j


def conv_stack(typed: TypedGraph) -> ConvStack:
    """The Conv1d stack of a graph made of conv1d layers, elementwise layers and a final flatten."""
    layers = []
    for node in typed.graph.nodes:
        if node.op == "conv1d":
            a = node.attrs
            if any(sum(conv_padding(a["padding"], a["kernel_size"], a["dilation"]), ())) or a["dilation"] != (1,) \
                    or a["groups"] != 1:
                raise EmitError(f"'{node.name}': a scanning MLP needs convolutions without padding, dilation or "
                                f"groups, got padding={a['padding']}, dilation={a['dilation']}, groups={a['groups']}",
                                node.span, source=typed.graph.source)
            layers.append(ConvLayer(node.name, typed.shapes[node.inputs[0]][1], a["out_channels"],
                                    a["kernel_size"][0], a["stride"][0], a["bias"]))
        elif not REGISTRY[node.op].elementwise and node.op != "flatten":
            raise EmitError(f"'{node.name}' ({node.op}) is not part of a Conv1d stack", node.span,
                            hint="a scanning MLP is conv1d layers with elementwise activations between them",
                            source=typed.graph.source)
    if not layers:
        raise EmitError(f"{typed.graph.name} has no conv1d layers")
    return ConvStack(tuple(layers))
