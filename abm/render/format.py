"""How the report shows numbers: significant digits with a true minus sign, percentages, the
display scale of an outcome (EUR bn, %, thousands) and one-line forms of settings and
provenance values."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from abm.analysis.errors import SensitivityInputError
from abm.analysis.outcome_names import Outcome, parse_outcome
from abm.analysis.outcomes import KEY_OUTCOMES, split_year

#: Shown for a missing or non-finite value.
NA = "n/a"


def sensitivity_outcome(name: str) -> Outcome | None:
    """The parsed sensitivity outcome ``name``, or None when it does not parse."""
    try:
        return parse_outcome(str(name))
    except SensitivityInputError:
        return None


def finite(v: Any) -> bool:
    """Whether ``v`` is a finite number."""
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def num(v: Any, digits: int = 3, signed: bool = False, decimals: int | None = None) -> str:
    """``v`` with ``decimals`` decimals (default: about ``digits`` significant digits),
    thousands separators and a true minus sign; ``signed`` adds ``+`` to positive values."""
    if not finite(v):
        return NA
    v = float(v)
    a = abs(v)
    if decimals is None:
        decimals = 0 if a == 0 else max(0, min(6, digits - 1 - math.floor(math.log10(a))))
    s = f"{v:,.{decimals}f}"
    if s.lstrip("-").strip("0.,") == "":  # rounded to zero: no sign
        s = s.lstrip("-")
    elif signed and v > 0:
        s = "+" + s
    return s.replace("-", "\u2212")


def pct(v: Any) -> str:
    """A share as a whole percentage (``85%``)."""
    return f"{float(v):.0%}" if finite(v) else NA


def year_text(v: Any) -> str:
    """A year without a decimal point; empty for a missing one."""
    if not finite(v):
        return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
    f = float(v)
    return str(int(f)) if f.is_integer() else str(v)


@dataclass(frozen=True)
class Scale:
    """How an outcome's numbers are shown: value x ``factor`` in ``unit`` with ``decimals``
    (None: about three significant digits); differences in ``diff_unit`` when it differs."""

    factor: float
    unit: str
    diff_unit: str
    decimals: int | None = None
    diff_decimals: int | None = None

    def value(self, v: Any) -> str:
        """A value in the display unit (the unit not appended)."""
        return num(float(v) * self.factor, decimals=self.decimals) if finite(v) else NA

    def diff(self, v: Any) -> str:
        """A signed difference, with its unit where that differs from the values'."""
        if not finite(v):
            return NA
        s = num(float(v) * self.factor, signed=True, decimals=self.diff_decimals)
        return f"{s} {self.diff_unit}" if self.diff_unit else s

    def interval(self, lo: Any, hi: Any, signed: bool = False) -> str:
        """``lo to hi`` in the display unit."""
        if not (finite(lo) and finite(hi)):
            return NA
        d = self.diff_decimals if signed else self.decimals
        return (
            f"{num(float(lo) * self.factor, signed=signed, decimals=d)} to "
            f"{num(float(hi) * self.factor, signed=signed, decimals=d)}"
        )


def scale_for(units: Any, values: Iterable[Any], outcome: str | None = None) -> Scale:
    """How to show an outcome: from its :class:`~abm.analysis.outcomes.Table` when it is a key
    outcome of the comparison,
    else chosen from the units and the size of the values."""
    spec = KEY_OUTCOMES.get(outcome) if outcome else None
    if spec is not None:
        return Scale(
            float(spec.scale),
            str(spec.display_units),
            "" if spec.diff_units == spec.display_units else str(spec.diff_units),
            int(spec.decimals),
            int(spec.diff_decimals),
        )
    u = "" if units is None or (isinstance(units, float) and math.isnan(units)) else str(units)
    u = u.strip()
    sizes = [abs(float(v)) for v in values if finite(v)]
    big = max(sizes) if sizes else 0.0
    if u in ("1", "", "fraction", "share", "ratio") and sizes and big <= 1.5:
        return Scale(100.0, "%", "pp")
    if "EUR" in u:
        if big >= 1e9:
            return Scale(1e-9, u.replace("EUR", "EUR bn", 1), "")
        if big >= 1e6:
            return Scale(1e-6, u.replace("EUR", "EUR mn", 1), "")
        return Scale(1.0, u, "")
    if u in ("1", "") or "person" in u:
        what = "" if u in ("1", "") else f" {u}"
        if big >= 1e6:
            return Scale(1e-6, f"million{what}", "")
        if big >= 1e4:
            return Scale(1e-3, f"thousand{what}", "")
        return Scale(1.0, u if u not in ("1", "") else "count", "")
    return Scale(1.0, u, "")


def difference_scale(outcome: str, values: Iterable[Any] = ()) -> Scale:
    """How to show differences ``a - b`` of a sensitivity outcome (``MEASURE_YEAR``)."""
    oc = sensitivity_outcome(outcome)
    if oc is not None:
        sc = scale_for(oc.units, values)
        return Scale(sc.factor, sc.diff_unit or sc.unit, "")
    spec = KEY_OUTCOMES.get(split_year(str(outcome))[0])
    if spec is not None:
        return Scale(float(spec.scale), str(spec.diff_units), "")
    return Scale(1.0, "", "")


def plain(v: Any) -> str:
    """A setting's value as written: up to six significant digits, thousands separators."""
    if isinstance(v, bool | str) or v is None:
        return str(v)
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:,.6g}" if math.isfinite(v) else str(v)
    return str(v)


def compact(v: Any) -> str:
    """Containers of scalars on one line (``a, b`` or ``k: v, k: v``), else JSON."""
    if isinstance(v, Mapping):
        if all(not isinstance(x, Mapping | list | tuple) for x in v.values()):
            return ", ".join(f"{k}: {plain(x)}" for k, x in v.items())
        return "; ".join(f"{k}: {compact(x)}" for k, x in v.items())
    if isinstance(v, list | tuple):
        if all(not isinstance(x, Mapping | list | tuple) for x in v):
            return "; ".join(plain(x) for x in v)
        return json.dumps(v, default=str)
    return plain(v)


def pretty(v: Any) -> tuple[str, str | None]:
    """A provenance value as (one-line text, folded full text or None)."""
    if isinstance(v, str):
        s = v.strip()
        if s[:1] in "{[":
            try:
                v = json.loads(s)
            except ValueError:
                pass
    if isinstance(v, str):
        if "\n" in v.strip() or len(v) > 200:
            first = v.strip().splitlines()[0] if v.strip() else ""
            return first[:80] + "\u2026", v
        return v, None
    line = compact(v)
    if len(line) <= 200:
        return line, None
    n = len(v) if isinstance(v, Mapping | list | tuple) else 0
    return f"{n} entries", json.dumps(v, indent=1, default=str)
