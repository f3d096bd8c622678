"""Print the appendix of docs/model.md: every calibration key with its value and source.

Reads ``abm/calibration/netherlands.toml`` (the authoritative file) and prints one Markdown table
per section: key, value, and the source or "assumption" with its range and note. Two flags are
added so a reviewer sees them at once:

- **not read by the model**: the key's quoted name (``"section.name"``) appears in none of the
  model's source files (``abm/model.py``, ``abm/agents.py``, ``abm/state/``, ``abm/mechanisms/``,
  ``abm/policy/``, ``abm/recording/``, ``abm/scenario/``, ``kernels/``);
- **value outside its range**: some element of the value lies outside the declared ``range``.

Usage (from the repository root)::

    python scripts/make_calibration_table.py                  # print the tables
    python scripts/make_calibration_table.py --update docs/model.md

``--update`` replaces the text between the markers ``<!-- calibration-table:begin -->`` and
``<!-- calibration-table:end -->`` in the given file and leaves everything else alone.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALIBRATION = ROOT / "abm" / "calibration" / "netherlands.toml"
MODEL_FILES = (
    [ROOT / "abm" / f for f in ("model.py", "agents.py")]
    + sorted(
        p
        for folder in ("state", "mechanisms", "policy", "recording", "scenario")
        for p in (ROOT / "abm" / folder).glob("*.py")
    )
    + sorted((ROOT / "kernels").glob("*.py"))
)
BEGIN = "<!-- calibration-table:begin -->"
END = "<!-- calibration-table:end -->"


def _number(v: object) -> str:
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def _value(v: object) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_number(x) for x in v) + "]"
    return _number(v)


def _outside(v: object, lo: float, hi: float) -> bool:
    vals = v if isinstance(v, list) else [v]
    return any(not (lo <= float(x) <= hi) for x in vals)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(path: Path = CALIBRATION) -> str:
    """The appendix as Markdown text."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    source = "\n".join(p.read_text(encoding="utf-8") for p in MODEL_FILES)
    out: list[str] = []
    for section, entries in data.items():
        out += [f"**[{section}]**", "", "| key | value | source, or assumption with range |"]
        out.append("|---|---|---|")
        for name, e in entries.items():
            key = f"{section}.{name}"
            parts = []
            if "source" in e:
                parts.append(e["source"])
            if e.get("assumption") and not str(e.get("source", "")).startswith("assumption"):
                parts.append("assumption")
            if "range" in e:
                lo, hi = e["range"]
                parts.append(f"range [{_number(lo)}, {_number(hi)}]")
            if "note" in e:
                parts.append(f"({e['note']})")
            flags = []
            if f'"{key}"' not in source:
                flags.append("**not read by the model**")
            if "range" in e and _outside(e["value"], *e["range"]):
                flags.append("**value outside its range**")
            text = "; ".join(parts) + (" " + " ".join(flags) if flags else "")
            out.append(f"| `{key}` | {_value(e['value'])} | {_cell(text)} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--update", type=Path, help="replace the marked table in this file")
    args = ap.parse_args(argv)
    text = table()
    if args.update is None:
        sys.stdout.write(text)
        return 0
    doc = args.update.read_text(encoding="utf-8")
    if BEGIN not in doc or END not in doc:
        print(f"error: {args.update}: markers {BEGIN} ... {END} not found", file=sys.stderr)
        return 2
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    args.update.write_text(f"{head}{BEGIN}\n\n{text}\n{END}{tail}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
