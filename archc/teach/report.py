"""Tables for the teaching reports, written once and printed as plain text, Markdown, HTML or LaTeX.

A :class:`Table` is a title, a header, rows of cells and notes under it. Every report of
:mod:`archc.teach` is a list of tables, so it prints in a terminal, pastes into a Markdown
report or a LaTeX handout, and shows as a table in a notebook (``_repr_markdown_``,
``_repr_html_``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

RIGHT = re.compile(r"^[−\-+]?[\d,]+$|^[+−\-]?[\d,]+ *[<←].*$")  # numbers align right


@dataclass
class Table:
    """A titled table: ``rows`` of cells (strings), notes printed under it."""

    title: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    math: tuple[int, ...] = ()  # the columns that hold formulas or numbers (LaTeX math mode)

    def text(self) -> str:
        """Aligned columns, numbers to the right, fit to paste into a plain-text report."""
        widths = [max(len(c) for c in col) for col in zip(self.header, *self.rows)]
        right = self._right()

        def line(cells: list[str]) -> str:
            return "  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)).rstrip()

        out = [self.title] if self.title else []
        out += ["  " + line(self.header), ("  " + "  ".join(("-" if h else " ") * w
                                                              for h, w in zip(self.header, widths))).rstrip()]
        out += ["  " + line(r) for r in self.rows]
        out += [f"  {n}" for n in self.notes]
        return "\n".join(out)

    def _right(self) -> list[bool]:
        return [bool(self.rows) and all(RIGHT.match(r[i]) or r[i] in ("", "-") for r in self.rows)
                for i in range(len(self.header))]

    def rich(self) -> Any:
        """The table as a rich Table (for the terminal, like `archc summary`'s)."""
        from rich.table import Table as RichTable
        from rich.text import Text

        table = RichTable(title=self.title or None, title_justify="left", caption=" ".join(self.notes) or None,
                          caption_justify="left")
        for h, r in zip(self.header, self._right()):
            table.add_column(h, justify="right" if r else "left")
        for row in self.rows:
            table.add_row(*(Text(c) for c in row))
        return table

    def markdown(self) -> str:
        def row(cells: list[str]) -> str:
            return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

        out = [f"**{self.title}**", ""] if self.title else []
        out += [row(self.header), "|" + "|".join("---" for _ in self.header) + "|"]
        out += [row(r) for r in self.rows]
        if self.notes:
            out += [""] + [f"{n}  " for n in self.notes]
        return "\n".join(out)

    def html(self) -> str:
        e = html.escape
        head = "".join(f"<th>{e(c)}</th>" for c in self.header)
        body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in self.rows)
        caption = f"<caption style='text-align:left'><b>{e(self.title)}</b></caption>" if self.title else ""
        notes = "".join(f"<p>{e(n)}</p>" for n in self.notes)
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{notes}"

    def latex(self) -> str:
        cols = "l" * len(self.header)
        out = [f"% {self.title}" if self.title else "", f"\\begin{{tabular}}{{{cols}}}", "\\hline",
               " & ".join(latex_text(c) for c in self.header) + r" \\", "\\hline"]
        out += [" & ".join(latex_math(c) if i in self.math else latex_text(c) for i, c in enumerate(r)) + r" \\"
                for r in self.rows]
        out += ["\\hline", "\\end{tabular}"]
        out += [latex_text(n) + r"\\" for n in self.notes]
        return "\n".join(x for x in out if x)


class Report:
    """A list of tables with the notebook hooks; subclasses build ``tables()`` and may print ``text()``
    their own way."""

    def tables(self) -> list[Table]:
        raise NotImplementedError

    def text(self) -> str:
        return "\n\n".join(t.text() for t in self.tables()) + "\n"

    def markdown(self) -> str:
        return "\n\n".join(t.markdown() for t in self.tables()) + "\n"

    def html(self) -> str:
        return "\n".join(t.html() for t in self.tables())

    def latex(self) -> str:
        return "\n\n".join(t.latex() for t in self.tables()) + "\n"

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def _repr_html_(self) -> str:
        return self.html()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's plain-text display: the report as the command prints it."""
        printer.text(self.text().rstrip("\n"))

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._repr_pretty_ = Report._repr_pretty_  # IPython looks in each class before its dataclass __repr__

    def __str__(self) -> str:
        return self.text()


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_SYMBOLS = {"⌊": r"\left\lfloor", "⌋": r"\right\rfloor", "⌈": r"\left\lceil", "⌉": r"\right\rceil", "·": r"\cdot",
            "−": "-", "×": r"\times", "≥": r"\geq", "≤": r"\leq", "←": r"\leftarrow", "→": r"\to", "%": r"\bmod"}
_SUBSCRIPT = re.compile(r"\b([A-Za-z])_([A-Za-z]+)\b")
_THOUSANDS = re.compile(r"(\d),(?=\d{3}\b)")


def latex_text(s: str) -> str:
    """Text with LaTeX's special characters escaped, its math symbols as inline math."""
    out = []
    for c in s:
        if c in _LATEX_SPECIAL:
            out.append(_LATEX_SPECIAL[c])
        elif c in _SYMBOLS and c != "%":
            out.append(f"${_SYMBOLS[c]}$")
        else:
            out.append(c)
    return "".join(out)


def latex_math(s: str, inline: bool = True) -> str:
    """A formula or a number as LaTeX math (inline: between $ signs): ⌊ ⌋ as \\lfloor \\rfloor, · as \\cdot,
    H_out as H_{\\mathrm{out}}."""
    if not s:
        return ""
    s = _THOUSANDS.sub(r"\1{,}", s)
    s = "".join(f" {_SYMBOLS[c]} " if c in _SYMBOLS else c for c in s)
    s = _SUBSCRIPT.sub(lambda m: f"{m.group(1)}_{{\\mathrm{{{m.group(2)}}}}}", s)
    s = " ".join(s.split())
    return f"${s}$" if inline else s
