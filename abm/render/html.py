"""What the report's templates draw: tables (cells with a class, span and tooltip), two-column
key-value tables whose long values fold, and figures embedded as base64 ``data:`` URIs. The
markup itself is in ``templates/``; these are plain data (jinja2 escapes every text)."""

from __future__ import annotations

import base64
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from abm.render.format import pretty


@dataclass
class Cell:
    """A table cell: text with an optional class, column span and tooltip."""

    text: Any
    cls: str = ""
    colspan: int = 1
    header: bool = False
    title: str = ""


@dataclass
class Row:
    """A table row and its class (``ref``, ``group``)."""

    cells: list[Cell]
    cls: str = ""


@dataclass
class Table:
    """A table with a header row, an optional caption and id."""

    header: list[Cell]
    rows: list[Row]
    caption: str | None = None
    id: str | None = None
    cls: str = "data"


def num_cell(text: Any) -> Cell:
    """A right-aligned number."""
    return Cell(text, "num")


def table(
    header: Sequence[str | Cell],
    rows: Iterable[tuple[str, Sequence[Any]] | Sequence[Any]],
    caption: str | None = None,
    table_id: str | None = None,
    cls: str = "data",
) -> Table:
    """A table. Rows are cell sequences, or ``(row_class, cells)`` tuples; a cell that is not a
    :class:`Cell` is its text."""
    heads = [h if isinstance(h, Cell) else Cell(h) for h in header]
    for h in heads:
        h.header = True
    body = []
    for row in rows:
        row_cls = ""
        if isinstance(row, tuple) and len(row) == 2 and isinstance(row[0], str):
            row_cls, row = row
        body.append(Row([c if isinstance(c, Cell) else Cell(c) for c in row], row_cls))
    return Table(heads, body, caption, table_id, cls)


@dataclass
class KeyValue:
    """A row of a key-value table: the value on one line, and in full when it folds."""

    key: str
    line: str
    full: str | None = None


@dataclass
class KeyValues:
    """A two-column table; long or multi-line values fold into a ``<details>``."""

    rows: list[KeyValue] = field(default_factory=list)
    id: str | None = None


def key_values(items: Iterable[tuple[str, Any]], table_id: str | None = None) -> KeyValues:
    """The key-value table of ``items`` (values shown with :func:`abm.render.format.pretty`)."""
    return KeyValues([KeyValue(str(k), *pretty(v)) for k, v in items], table_id)


@dataclass
class Figure:
    """An embedded image (``src`` a data URI), or the note that says why it is not."""

    name: str
    caption: str
    src: str | None = None
    alt: str = ""
    problem: str = ""


def _mime(data: bytes, path: Path) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    head = data[:512].lstrip().lower()
    if path.suffix.lower() == ".svg" or head.startswith(b"<svg") or b"<svg" in head:
        return "image/svg+xml"
    return None


def figure(path: Path | str, name: str, caption: str) -> Figure:
    """A figure read from ``path``; an unreadable file or one that is no image becomes a
    visible note (and a warning), not a failure."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        warnings.warn(f"report: figure '{name}' not embedded: {e}", stacklevel=3)
        return Figure(name, caption, problem=f"Figure {name} could not be read: {e}")
    mime = _mime(data, p)
    if mime is None:
        warnings.warn(f"report: figure '{name}' ({p}) is not a PNG, JPEG, GIF or SVG", stacklevel=3)
        return Figure(name, caption, problem=f"Figure {name} ({p.name}) is not an image.")
    b64 = base64.b64encode(data).decode("ascii")
    return Figure(name, caption, f"data:{mime};base64,{b64}", f"{caption} (figure '{name}')")
