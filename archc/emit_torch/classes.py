"""The classes of emitted torch source: one nn.Module class per block (and per other group that is
not a plain nn.Sequential), called with its arguments.

Instances of one block whose structure is the same share a class. A constructor argument
that differs between instances becomes a parameter of the class, named after the block
parameter (or ``in_channels``, the channels of the block's input) that has the same value in
every instance, or that times a constant; any other becomes a parameter named after it.
Arguments equal to the torch default are left out, as a person writing it would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archc import codegen
from archc.emit_torch.printing import arg_text, call_text, default_text, forward_lines
from archc.emit_torch.rules import Module, Parameter
from archc.emit_torch.tree import Group, Leaf, assign, attr_names, walk
from archc.shape_infer import TypedGraph


@dataclass
class Slot:
    text: str  # the value as source
    cls: str | None = None  # for a module argument: the class and the argument's name
    key: str = ""
    name: str = ""  # a name for the parameter it may become
    reads_input: bool = False  # the module reads the group's input (its in_channels are the group's)
    prefer: tuple[str, ...] = ()  # the names the spec's expression for this value reads


@dataclass
class Draft:
    """One group as a class to be: its constructor entries (with slots for values) and its forward."""

    group: Group
    attrs: dict[str, str]
    entries: list[tuple[str, Any]]  # (attribute, expression tree)
    slots: list[Slot] = field(default_factory=list)
    forward: tuple[list[str], list[str]] = ([], [])
    cls: Class | None = None

    def add(self, slot: Slot) -> int:
        self.slots.append(slot)
        return len(self.slots) - 1


@dataclass
class Class:
    name: str
    drafts: list[Draft]
    params: list[str] = field(default_factory=list)
    exprs: dict[int, str | None] = field(default_factory=dict)  # slot -> source (None: left out)
    args: dict[int, list[str]] = field(default_factory=dict)  # id(draft) -> constructor argument texts
    text: str = ""


def _key(group: Group) -> tuple:
    sc = group.scope
    if sc is None:
        return ("root",) if not group.path else ("group", group.path[-1])
    return (sc.kind, sc.label)


def _expr(child: Leaf | Group, draft: Draft, drafts: dict[int, Draft]) -> Any:
    if isinstance(child, Leaf):
        impl = child.impl
        if isinstance(impl, Parameter):
            return ("param", draft.add(Slot(codegen.literal(impl.shape), name=f"{child.local}_shape")),
                    draft.add(Slot(codegen.literal(impl.init), name=f"{child.local}_init")))
        assert isinstance(impl, Module)
        first = bool(draft.group.inputs) and child.node.inputs[:1] == (draft.group.inputs[0],)
        uses = child.node.uses
        return ("module", impl.cls, [(k, draft.add(Slot(arg_text(k, v), impl.cls, k, f"{child.local}_{k}", first,
                                                        uses.get(k, ()))))
                                     for k, v in impl.kwargs.items()])
    if child.sequential:
        return ("seq", [_expr(c, draft, drafts) for c in child.children.values()])
    sub = drafts[id(child)]
    return ("new", sub, [draft.add(Slot(a)) for a in sub.cls.args[id(sub)]])


def _shape_of(expr: Any) -> Any:
    """The expression without its values: what instances must share to share a class."""
    if expr[0] == "module":
        return ("module", expr[1], tuple(k for k, _ in expr[2]))
    if expr[0] == "seq":
        return ("seq", tuple(_shape_of(e) for e in expr[1]))
    if expr[0] == "new":
        return ("new", id(expr[1].cls), len(expr[2]))
    return ("param",)


def _candidates(draft: Draft, typed: TypedGraph) -> dict[str, str]:
    """The values a varying argument may be named after: in_channels and the block's arguments."""
    out = {}
    g = draft.group
    if g.inputs and len(typed.shapes[g.inputs[0]]) >= 2:
        out["in_channels"] = codegen.literal(typed.shapes[g.inputs[0]][1])
    if g.scope is not None and g.scope.kind == "block":
        for k, v in g.scope.attrs.items():
            if isinstance(v, int | float | tuple) and codegen.IDENT.match(k):
                out[k] = codegen.literal(v)
    return out


def _ratio(big: list[int], small: list[int]) -> bool:
    """Whether big == r * small for one integer r > 1, in every instance."""
    if not all(x > 0 for x in small) or any(b % x for b, x in zip(big, small)):
        return False
    ratios = {b // x for b, x in zip(big, small)}
    return len(ratios) == 1 and ratios != {1}


def _name_slot(s: int, c: Class, cands: list[dict[str, str]]) -> tuple[str, str | None]:
    """(expression, parameter it needs or None) for a slot whose value differs between instances."""
    texts = [d.slots[s].text for d in c.drafts]
    slot = c.drafts[0].slots[s]
    declared = [p for p in dict.fromkeys([*slot.prefer, *cands[0]]) if p in cands[0] and p != "in_channels"]
    if slot.key in ("in_channels", "num_features") and slot.reads_input:  # the group's input channels
        phases = [(["in_channels"], False), (declared, False), (declared, True)]
    else:  # what the spec's expression names first, then the block's parameters, then the input's channels
        phases = [(declared, False), (declared, True), (["in_channels"], False), (["in_channels"], True)]
    for names, scaled in phases:
        for p in names:
            if p not in cands[0]:
                continue
            if not scaled and all(cand.get(p) == t for cand, t in zip(cands, texts)):
                return p, p
            if scaled:
                try:
                    pv, tv = [int(cand[p]) for cand in cands], [int(t) for t in texts]
                except (KeyError, ValueError):
                    continue
                if _ratio(tv, pv):
                    return f"{tv[0] // pv[0]} * {p}", p
                if _ratio(pv, tv):
                    return f"{p} // {pv[0] // tv[0]}", p
    return "", None


def finalize(c: Class, typed: TypedGraph) -> None:
    """Decide each slot (literal, parameter, or left out), the parameters, and each instance's arguments."""
    cands = [_candidates(d, typed) for d in c.drafts]
    namer = codegen.Namer(codegen.RESERVED | {"x"})
    used: dict[str, str] = {}  # parameter -> where its value comes from ("cand" or a slot index)
    first = c.drafts[0]
    for s, slot in enumerate(first.slots):
        texts = [d.slots[s].text for d in c.drafts]
        if len(set(texts)) == 1:
            c.exprs[s] = None if slot.cls and default_text(slot.cls, slot.key) == texts[0] else texts[0]
            continue
        expr, param = _name_slot(s, c, cands)
        if param is None:
            param = namer(("slot", s), slot.name or "arg")
            used[param] = str(s)
            expr = param
        else:
            namer.reserve(param)
            used.setdefault(param, "cand")
        c.exprs[s] = expr
    declared = list(cands[0])
    c.params = sorted(used, key=lambda p: (declared.index(p) if p in declared else len(declared) + int(used[p])))
    for d, cand in zip(c.drafts, cands):
        c.args[id(d)] = [cand[p] if used[p] == "cand" else d.slots[int(used[p])].text for p in c.params]


def _render(expr: Any, c: Class, indent: str) -> str:
    if expr[0] == "module":
        parts = [(k, c.exprs[s]) for k, s in expr[2] if c.exprs[s] is not None]
        return call_text(expr[1], parts)
    if expr[0] == "param":
        return f"nn.Parameter(torch.full({c.exprs[expr[1]]}, {c.exprs[expr[2]]}))"
    if expr[0] == "new":
        return f"{expr[1].cls.name}({', '.join(c.exprs[s] for s in expr[2])})"
    items = [_render(e, c, indent + "    ") for e in expr[1]]
    one = f"nn.Sequential({', '.join(items)})"
    if len(one) + len(indent) <= 100:
        return one
    return "nn.Sequential(\n" + "".join(f"{indent}    {it},\n" for it in items) + f"{indent})"


def render_class(c: Class, typed: TypedGraph, doc: str, comment: Any = None, outputs: list[str] | None = None) -> str:
    d = c.drafts[0]
    g = d.group
    hints = {p: type(v).__name__ if not isinstance(v, tuple) else "tuple"
             for p, v in zip(c.params, [_value(t) for t in c.args[id(d)]])}
    sig = "".join(f", {p}: {hints[p]}" for p in c.params)
    noqa = "  # noqa: N803 - the spec's names" if any(p != p.lower() for p in c.params) else ""
    lines = [f"class {c.name}(nn.Module):", codegen.docstring(doc, "    "), "",
             f"    def __init__(self{sig}) -> None:{noqa}", "        super().__init__()"]
    for attr, expr in d.entries:
        lines.append("        " + assign(attr, _render(expr, c, "        ")))
    renamed = {a: local for local, a in d.attrs.items() if a != local}
    if renamed:
        lines.append(f"        keep_spec_names(self, {codegen.literal(renamed)})")
    args, body = forward_lines(g, d.attrs, comment, outputs, root=g.scope is None)
    n_out = len(outputs) if outputs else 1
    ret = "torch.Tensor" if n_out == 1 else f"tuple[{', '.join(['torch.Tensor'] * n_out)}]"
    lines += ["", f"    def forward(self{''.join(f', {a}: torch.Tensor' for a in args)}) -> {ret}:"]
    lines += ["        " + ln for ln in body]
    return "\n".join(lines)


def _value(text: str) -> Any:
    if text in ("True", "False"):
        return True
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return ()


def _variant_names(base: str, variants: list[list[Draft]]) -> list[str]:
    """Class names for the structures one block takes (an `if` in it): the one with the fewest children is
    ``base``; another is named after the children only it has (``BasicDownsample``), else numbered."""
    if len(variants) == 1:
        return [base]
    children = [{a for a, _ in v[0].entries} for v in variants]
    smallest = min(range(len(variants)), key=lambda i: (len(children[i]), i))
    out = []
    for i, kids in enumerate(children):
        extra = sorted(kids - children[smallest])
        out.append(base if i == smallest else base + "".join(codegen.class_name(e) for e in extra) if extra
                   else f"{base}{i + 1}")
    return out


def build_classes(root: Group, typed: TypedGraph, root_name: str | None = None,
                  reserved: frozenset[str] = frozenset()) -> tuple[list[Class], dict[int, Draft]]:
    """Every class of the emitted source, children's classes first; and the draft of each group.

    The network's class is named first, so it keeps its name (or ``root_name``); a block whose name
    would be the same takes the next free one. No class takes a name in ``reserved``."""
    groups = [g for g in walk(root) if g is root or not g.sequential]
    drafts = {id(g): Draft(g, attr_names(g), []) for g in groups}
    depth: dict[int, int] = {}

    def level(g: Group) -> int:
        if id(g) not in depth:
            subs = [level(x) for x in walk(g) if x is not g and id(x) in drafts]
            depth[id(g)] = 1 + max(subs, default=-1)
        return depth[id(g)]

    by_key: dict[tuple, list[Draft]] = {}
    for g in groups:
        by_key.setdefault(_key(g), []).append(drafts[id(g)])
    classes: list[Class] = []
    names = codegen.Namer(codegen.RESERVED | reserved | {"keep_spec_names", "MODEL"})
    names(("class", "root"), root_name or codegen.class_name(typed.graph.name))
    for key in sorted(by_key, key=lambda k: max(level(d.group) for d in by_key[k])):
        shared: dict[Any, list[Draft]] = {}
        for d in by_key[key]:
            d.entries = [(d.attrs[local], _expr(child, d, drafts)) for local, child in d.group.children.items()]
            d.forward = forward_lines(d.group, d.attrs)
            shape = (tuple((a, _shape_of(e)) for a, e in d.entries), tuple(d.forward[1]), tuple(d.forward[0]))
            shared.setdefault(shape, []).append(d)
        base = codegen.class_name(typed.graph.name if key == ("root",) else key[1])
        variants = _variant_names(base, list(shared.values()))
        for same, name in zip(shared.values(), variants):
            c = Class(names(("class", "root") if key == ("root",) else ("class", id(same[0])), name), same)
            for d in same:
                d.cls = c
            finalize(c, typed)
            classes.append(c)
    return classes, drafts
