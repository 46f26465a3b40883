"""Front ends: the DSL (lark) and YAML, both producing :mod:`archc.parser.ast`."""

from archc.parser.dsl import parse_dsl
from archc.parser.yaml_loader import parse_yaml

__all__ = ["parse_dsl", "parse_yaml"]
