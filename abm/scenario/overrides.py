"""Parameter overrides: the one parser of the keys that set a value in a scenario, of sweeps
(``KEY=V1,V2,...``) and of ranges (``KEY=LOW:HIGH``), and the one function that applies them.

``abm ensemble --sweep``, the scenarios' ``[uncertain]`` samples, ``abm sensitivity
--parameter`` and the EMA keywords of :mod:`abm.ema` all go through here. A key is one of:

``section.name``
    A number in ``abm/calibration/netherlands.toml`` (``rd.sigma``); for a per-sector or
    per-skill list, every element is set to the value (:attr:`Override.kind` ``"all"``).
``section.name[element]``
    One element of such a list, by sector or skill name or by index
    (``niches.niche_share[biotech]``).
``chosen:section.name``
    A multiplier of the six chosen markets' entries of a per-sector list (1 is the
    calibration; the other entries stay).
``programme:INSTRUMENT.FIELD``
    A numeric setting of every programme of that instrument (a scenario without one is
    unchanged). For a setting with a rising path (``domestic_share`` with
    ``domestic_share_end``) the whole path moves: the end moves by the same amount, clipped to
    [0, 1].
``reallocation``
    A top-level scenario setting (:data:`SCENARIO_SETTINGS`): the dose of focus, the share of
    the credit and box budget moved into the scenario's targeted market programmes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import numpy as np

from abm.calibration import load_calibration
from abm.scenario.schema import Scenario, ScenarioError, instrument_fields
from abm.sectors import CHOSEN_MARKETS, INSTRUMENTS, SECTORS, SKILLS

Kind = Literal["calibration", "all", "element", "chosen", "programme", "scenario"]
#: Top-level numeric scenario settings an override can set.
SCENARIO_SETTINGS: tuple[str, ...] = ("reallocation",)

_CHOSEN_IDX = np.array([SECTORS.index(s) for s in CHOSEN_MARKETS])
_KEY_RE = re.compile(r"([A-Za-z0-9_]+\.[A-Za-z0-9_]+)(?:\[([A-Za-z0-9_]+)\])?")
_PROGRAMME_RE = re.compile(r"programme:([a-z_]+)\.([a-z_]+)")
_SWEEP_USAGE = "expected KEY=V1,V2,... or KEY=LOW:HIGH:COUNT, e.g. rd.sigma=0.5,1,2"


class OverrideError(ScenarioError):
    """A key, value or range that cannot be applied to a scenario; the message is one line."""


@dataclass(frozen=True)
class Override:
    """Where a value goes in a scenario.

    Attributes
    ----------
    key : str
        Canonical key (``rd.sigma``, ``niches.niche_share[biotech]``,
        ``chosen:niches.niche_share``, ``programme:grant.selection_noise``).
    kind : {"calibration", "all", "element", "chosen", "programme"}
        A calibration number, every element of a list, one element, the chosen markets'
        multiplier, or a programme setting.
    target : str
        The calibration key, or the programme field.
    index : int or None
        The element (``kind == "element"``).
    instrument : str or None
        The programme instrument (``kind == "programme"``).
    """

    key: str
    kind: Kind
    target: str
    index: int | None = None
    instrument: str | None = None

    @property
    def coordinate(self) -> str:
        """Name of the realization coordinate that carries the value in an ensemble file."""
        return coordinate_name(self.key)

    def default(self, scenario: Scenario) -> float:
        """The value ``scenario`` runs with when the override is not applied (NaN when there
        is no single value: a whole list, or no programme of the instrument)."""
        if self.kind == "chosen":
            return 1.0
        if self.kind == "scenario":
            return float(getattr(scenario, self.target))
        if self.kind == "programme":
            for spec in scenario.programmes.values():
                if spec.instrument == self.instrument:
                    v = getattr(spec, self.target)
                    return float("nan") if v is None else float(v)
            return float("nan")
        if self.kind == "all":
            return float("nan")
        v = scenario.calibration()[self.target]
        return float(v if self.index is None else np.asarray(v)[self.index])


def coordinate_name(key: str) -> str:
    """``rd.sigma`` -> ``param_rd__sigma``, ``niches.niche_share[biotech]`` ->
    ``param_niches__niche_share__biotech``, ``programme:grant.selection_noise`` ->
    ``param_programme__grant__selection_noise``."""
    return "param_" + re.sub(r"[^A-Za-z0-9_]+", "__", key).strip("_")


def numeric_fields(instrument: str) -> tuple[str, ...]:
    """The numeric settings of a programme of ``instrument`` (dates excluded)."""
    return tuple(
        name
        for name, f in instrument_fields(instrument).items()
        if f.annotation in (float, float | None, int) and name not in ("start", "end")
    )


def _element_names(shape: tuple[int, ...]) -> tuple[str, ...] | None:
    if shape == (len(SECTORS),):
        return SECTORS
    if shape == (len(SKILLS),):
        return SKILLS
    return None


def parse_key(key: str) -> Override:
    """Check a key (see the module docstring) and return where its value goes.

    Raises
    ------
    OverrideError
        Unknown key, element, instrument or programme setting.
    """
    key = key.strip()
    if key in SCENARIO_SETTINGS:
        return Override(key, "scenario", key)
    if key.startswith("programme:"):
        return _programme_key(key)
    if key.startswith("chosen:"):
        return _chosen_key(key)
    m = _KEY_RE.fullmatch(key)
    if not m:
        raise OverrideError(
            f"parameter '{key}': expected a calibration key 'section.name' or "
            "'section.name[element]' (see abm/calibration/netherlands.toml)"
        )
    base, elem = m.group(1), m.group(2)
    cal = load_calibration()
    if base not in cal:
        raise OverrideError(
            f"parameter '{base}': not a calibration parameter; allowed keys are 'section.name' "
            "entries of abm/calibration/netherlands.toml (e.g. rd.sigma)"
        )
    shape = np.shape(cal[base])
    if elem is None:
        return Override(base, "calibration" if shape == () else "all", base)
    if shape == ():
        raise OverrideError(f"parameter '{key}': '{base}' is a number, it has no elements")
    names = _element_names(shape)
    if elem.isdigit() and int(elem) < shape[0]:
        idx = int(elem)
    elif names is not None and elem in names:
        idx = names.index(elem)
    else:
        allowed = ", ".join(names) if names else f"0..{shape[0] - 1}"
        raise OverrideError(f"parameter '{key}': unknown element '{elem}'; allowed: {allowed}")
    return Override(f"{base}[{names[idx] if names else idx}]", "element", base, idx)


def _programme_key(key: str) -> Override:
    m = _PROGRAMME_RE.fullmatch(key)
    if not m or m.group(1) not in INSTRUMENTS:
        raise OverrideError(
            f"parameter '{key}': expected programme:INSTRUMENT.FIELD with INSTRUMENT one of: "
            f"{', '.join(INSTRUMENTS)}"
        )
    instrument, name = m.group(1), m.group(2)
    fields = numeric_fields(instrument)
    if name not in fields:
        raise OverrideError(
            f"parameter '{key}': '{name}' is not a numeric programme setting; allowed: "
            f"{', '.join(fields)}"
        )
    return Override(key, "programme", name, instrument=instrument)


def _chosen_key(key: str) -> Override:
    target = key.removeprefix("chosen:")
    cal = load_calibration()
    if target not in cal:
        raise OverrideError(
            f"parameter '{key}': '{target}' is not a calibration parameter (see "
            "abm/calibration/netherlands.toml)"
        )
    if np.shape(cal[target]) != (len(SECTORS),):
        raise OverrideError(
            f"parameter '{key}': 'chosen:' multiplies the chosen markets' entries of a "
            f"per-sector list; '{target}' is not one"
        )
    return Override(key, "chosen", target)


def parse_sweep(spec: str) -> tuple[Override, list[float]]:
    """One sweep: ``KEY=V1,V2,...`` or ``KEY=LOW:HIGH:COUNT`` (evenly spaced, both ends in).

    Raises
    ------
    OverrideError
        A malformed spec, an unknown key, a non-number, a non-finite or a repeated value.
    """
    if "=" not in spec:
        raise OverrideError(f"option '--sweep {spec}': {_SWEEP_USAGE}")
    key, _, rhs = spec.partition("=")
    override = parse_key(key)
    rhs = rhs.strip()
    try:
        if ":" in rhs:
            parts = rhs.split(":")
            if len(parts) != 3:
                raise ValueError(rhs)
            lo, hi, n = float(parts[0]), float(parts[1]), int(parts[2])
            if n < 1:
                raise ValueError(parts[2])
            values = [float(v) for v in np.linspace(lo, hi, n)]
        else:
            values = [float(v) for v in rhs.split(",")]
    except ValueError:
        raise OverrideError(f"option '--sweep {spec}': {_SWEEP_USAGE}") from None
    check_values(f"option '--sweep {spec}'", values)
    return override, values


def check_values(what: str, values: list[float]) -> None:
    """Values of a sweep must be finite and distinct."""
    if not values or not all(math.isfinite(v) for v in values):
        raise OverrideError(f"{what}: values must be finite numbers")
    if len(set(values)) != len(values):
        raise OverrideError(f"{what}: a value is repeated")


def parse_range(spec: str) -> tuple[str, tuple[float, float] | None]:
    """``KEY`` or ``KEY=LOW:HIGH``: the key and the range given (None without one).

    Raises
    ------
    OverrideError
        A malformed or empty range.
    """
    key, sep, rng = spec.strip().partition("=")
    if not sep:
        return key.strip(), None
    try:
        lo_s, hi_s = rng.split(":")
        given = (float(lo_s), float(hi_s))
    except ValueError:
        raise OverrideError(
            f"parameter '{spec}': expected KEY or KEY=LOW:HIGH (e.g. rd.sigma=0:2)"
        ) from None
    if not all(math.isfinite(v) for v in given) or not given[1] > given[0]:
        raise OverrideError(f"parameter '{spec}': the range must be finite with LOW < HIGH")
    return key.strip(), given


def from_keyword(name: str) -> str:
    """The key of a Python-identifier keyword (EMA): ``rd__sigma`` -> ``rd.sigma``,
    ``chosen__niches__niche_share`` -> ``chosen:niches.niche_share``,
    ``programme__grant__selection_noise`` -> ``programme:grant.selection_noise``,
    ``sectors__world_demand_growth__biotech`` -> ``sectors.world_demand_growth[biotech]``.

    Raises
    ------
    OverrideError
        Not of one of these forms.
    """
    if name in SCENARIO_SETTINGS:
        return name
    parts = name.split("__")
    if len(parts) == 3 and parts[0] in ("chosen", "programme"):
        return f"{parts[0]}:{parts[1]}.{parts[2]}"
    if len(parts) == 2:
        return f"{parts[0]}.{parts[1]}"
    if len(parts) == 3:
        return f"{parts[0]}.{parts[1]}[{parts[2]}]"
    raise OverrideError(
        f"keyword '{name}': expected section__name (a calibration key with '.' as '__'), "
        "section__name__element, chosen__section__name or programme__instrument__field"
    )


def apply_overrides(
    scenario: Scenario, values: Mapping[Override, float] | Iterable[tuple[Override, float]]
) -> Scenario:
    """A validated copy of ``scenario`` with the values applied (the original is untouched).

    Raises
    ------
    OverrideError
        A value the scenario format rejects (a calibration value or a programme setting out
        of its bounds).
    """
    items = list(values.items() if isinstance(values, Mapping) else values)
    cal = scenario.calibration()
    over: dict[str, float | list[float]] = {}
    settings: list[tuple[Override, float]] = []
    top: dict[str, float] = {}
    for o, v in items:
        v = float(v)
        if o.kind == "scenario":
            top[o.target] = v
        elif o.kind == "calibration":
            over[o.target] = v
        elif o.kind == "programme":
            settings.append((o, v))
        else:
            arr = np.array(over.get(o.target, cal[o.target]), dtype=float)
            if o.kind == "all":
                arr[:] = v
            elif o.kind == "element":
                arr[o.index] = v
            else:  # chosen
                arr[_CHOSEN_IDX] = arr[_CHOSEN_IDX] * v
            over[o.target] = [float(x) for x in arr]
    try:
        out = scenario.with_parameters(**over) if over else scenario
    except ScenarioError as e:
        raise OverrideError(str(e)) from None
    if settings:
        out = out.model_copy(update={"programmes": _set_programmes(out, scenario.name, settings)})
    if top:
        data = {**out.model_dump(exclude={"source_file"}), **top}
        try:
            out = type(out).model_validate({**data, "source_file": out.source_file})
        except ValueError as e:  # pydantic.ValidationError
            errs = e.errors() if hasattr(e, "errors") else []
            msg = errs[0]["msg"] if errs else " ".join(str(e).split())
            raise OverrideError(
                f"parameter '{next(iter(top))}': not allowed for scenario '{scenario.name}' "
                f"({msg.removeprefix('Value error, ')})"
            ) from None
    return out


def _set_programmes(
    scenario: Scenario, name: str, settings: list[tuple[Override, float]]
) -> dict[str, object]:
    progs = dict(scenario.programmes)
    for o, v in settings:
        for pname, spec in progs.items():
            if spec.instrument != o.instrument:
                continue
            fields = instrument_fields(spec.instrument)
            new = spec.model_copy()
            if fields[o.target].annotation is int:
                v = float(round(v))
            end = f"{o.target}_end"
            try:
                old = getattr(new, o.target)
                if end in fields and getattr(new, end) is not None:
                    shifted = getattr(new, end) + (v - (old or 0.0))
                    setattr(new, end, min(max(shifted, 0.0), 1.0))
                setattr(new, o.target, v)
            except ValueError as e:  # pydantic.ValidationError
                errs = e.errors() if hasattr(e, "errors") else []
                msg = errs[0]["msg"] if errs else " ".join(str(e).split())
                raise OverrideError(
                    f"parameter '{o.key}': value {v:g} not allowed for programme '{pname}' of "
                    f"scenario '{name}' ({msg})"
                ) from None
            progs[pname] = new
    return progs


@contextmanager
def reraise_as(error: type[Exception], *also: type[Exception]) -> Iterator[None]:
    """Turn a :class:`~abm.scenario.ScenarioError` (so also an :class:`OverrideError`), or an
    error of the types ``also``, into ``error`` with the same one-line message: the input error
    an API documents, whichever layer found the fault."""
    try:
        yield
    except (ScenarioError, *also) as e:
        if isinstance(e, error):
            raise
        raise error(str(e)) from None
