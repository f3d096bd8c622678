"""The analysis gives the same tables as before the redesign of issue #9, to the last digit.

The files in ``tests/abm/frozen/`` were written by the code as it stood before #9 (commit
7db66ec) from model-free inputs: a synthetic ensemble built here, fixed designs, a stand-in for
the model in the sensitivity pipeline, and fixed report inputs. A change of any number, label
or table layout of ``abm compare``, ``abm sensitivity`` or ``abm report`` fails here. Regenerate
them (``python tests/abm/test_same_tables.py``) only when an analysis change is intended, and say
so in the commit. The tables are computed, and frozen, with numpy's SIMD loops pinned to its
baseline (the ``numpy_baseline`` fixture, ``tests/numpy_baseline.py``): on a CPU with AVX-512,
numpy's own float64 ``exp`` and ``log`` would change the last digits.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

FROZEN = Path(__file__).with_name("frozen")
SECTORS = (
    "semiconductors",
    "biotech",
    "defence_tech",
    "digital_ai",
    "machinery",
    "chemistry",
    "other_industry",
    "services",
)
SKILLS = ("low", "medium", "high")
#: A valid 1x1 PNG (the report embeds it byte for byte).
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
#: Provenance entries that change from run to run.
VOLATILE = ("created", "seconds", "run_seconds", "model_version", "salib_version")


# ----------------------------------------------------------------------------- inputs
def synthetic_ensemble() -> xr.Dataset:
    """An ensemble as `abm ensemble` writes it: 3 scenarios x 7 members x 24 quarters
    (2026-2031), one failed member (NaN, ``member_ok == 0``). Head counts are multiples of the
    scale (4000 persons per agent), as in the model; money and shares are not round."""
    rng = np.random.default_rng(2024)
    names = ["diffuse", "focused", "laissez_faire"]
    S, R, T = len(names), 7, 24
    time = pd.date_range("2026-01-01", periods=T, freq="QS")
    t = np.arange(T) / 4.0
    lvl = np.array([1.0, 0.995, 0.99])[:, None, None]
    trend = np.array([0.016, 0.019, 0.012])[:, None, None]
    shock = rng.normal(0.0, 0.006, (S, R, T)).cumsum(axis=2) * 0.5
    common = rng.normal(0.0, 0.004, (1, R, T))
    gdp_real = 3.1e11 * lvl * np.exp(trend * t + shock + common)
    gdp = gdp_real * (1.02**t)
    industry = (
        0.125
        + np.array([0.004, 0.02, 0.0])[:, None, None] * t / 5
        + rng.normal(0.0, 0.004, (S, R, T))
    )
    rd = (
        0.022
        + np.array([0.001, 0.0015, -0.0005])[:, None, None] * t
        + rng.normal(0.0, 0.0008, (S, R, T))
    )

    def heads(mean: float, sd: float, shape: tuple[int, ...]) -> np.ndarray:
        return 4000.0 * np.maximum(np.round(rng.normal(mean, sd, shape)), 0.0)

    talent = np.stack([heads(m, 9, (S, R, T)) for m in (900, 1200, 600)], axis=-1)
    va_share = rng.dirichlet(np.full(len(SECTORS), 5.0), (S, R))[:, :, None, :]
    value_added = gdp[..., None] * va_share * (1 + rng.normal(0, 0.01, (S, R, T, len(SECTORS))))
    programmes = ["wbso", "box", "grants", "research"]
    instruments = ["rd_tax_credit", "innovation_box", "grant", "public_research"]
    spend = rng.uniform(0.9, 1.1, (S, R, T, len(programmes))) * np.array([4e8, 3e8, 2e8, 1.5e9])
    spend[2, :, :, :3] = 0.0  # laissez_faire: no innovation policy
    spend[1, :, :, 2] *= 1.6
    ds = xr.Dataset(
        {
            "gdp_real": (("scenario", "realization", "time"), gdp_real),
            "gdp": (("scenario", "realization", "time"), gdp),
            "industry_share": (("scenario", "realization", "time"), industry),
            "rd_intensity": (("scenario", "realization", "time"), rd),
            "rd_intensity_business": (("scenario", "realization", "time"), rd * 0.7),
            "employment": (("scenario", "realization", "time"), heads(2400, 20, (S, R, T))),
            "unemployment_rate": (
                ("scenario", "realization", "time"),
                rng.uniform(0.03, 0.05, (S, R, T)),
            ),
            "talent_stock": (("scenario", "realization", "time", "skill"), talent),
            "high_skill_immigration": (
                ("scenario", "realization", "time"),
                heads(6, 2, (S, R, T)),
            ),
            "high_skill_emigration": (("scenario", "realization", "time"), heads(4, 2, (S, R, T))),
            "capital_outflow": (
                ("scenario", "realization", "time"),
                rng.lognormal(np.log(3e9), 0.3, (S, R, T)),
            ),
            "business_rd": (("scenario", "realization", "time"), gdp * rd * 0.7),
            # added for issue #12, as functions of the arrays above (no new draws, so the
            # values frozen before stay what they were)
            "gdp_real_per_capita": (("scenario", "realization", "time"), gdp_real / 1.8e7),
            "gdp_real_per_worker": (
                ("scenario", "realization", "time"),
                gdp_real / (2400.0 * 4000.0),
            ),
            "government_balance": (("scenario", "realization", "time"), -0.02 * gdp * (1 + rd)),
            "exports": (
                ("scenario", "realization", "time", "sector"),
                value_added * rng.uniform(0.3, 0.9, len(SECTORS)),
            ),
            "value_added": (("scenario", "realization", "time", "sector"), value_added),
            "programme_spending": (("scenario", "realization", "time", "programme"), spend),
            "programme_instrument": ("programme", np.array(instruments, dtype=object)),
            "scale": ("scenario", np.full(S, 4000.0)),
            "member_ok": (("scenario", "realization"), np.ones((S, R), dtype=np.int8)),
        },
        coords={
            "scenario": names,
            "realization": np.arange(R),
            "member": ("realization", np.arange(R)),
            "time": time,
            "sector": list(SECTORS),
            "skill": list(SKILLS),
            "programme": programmes,
        },
        attrs={"root_seed": 5, "runs": R, "model_version": "0.1.0", "ensemble_id": "frozen"},
    )
    ds["member_ok"][1, 3] = 0
    for v in ds.data_vars:
        if ds[v].dims[:2] == ("scenario", "realization") and v != "member_ok":
            ds[v][1, 3] = np.nan
    return ds


def _fake_outcomes(scenario, seed, outcomes, **kw):  # noqa: ANN001 - stands in for a model run
    """Outcomes as a smooth function of the varied settings plus member noise."""
    cal = scenario.calibration()
    sigma, eta = float(cal["rd.sigma"]), float(cal["rd.eta"])
    niche = float(np.asarray(cal["niches.niche_share"])[:6].mean())
    noise = [s.selection_noise for s in scenario.programmes.values() if s.instrument == "grant"]
    g = float(noise[0]) if noise else 0.0
    focused = scenario.name.startswith("focused")
    u = np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key).generate_state(4) / 2**32
    base = {
        "gdp_real": 1.2e12 * (1 + 0.01 * sigma - 0.006 * eta**2 + 0.004 * niche)
        + (1.2e10 * (0.4 * sigma - 0.3 * eta - 0.1 * g) if focused else 0.0)
        + 2e8 * u[0],
        "rd_intensity": 0.022
        + (0.002 * sigma * niche - 0.001 * g if focused else 0.0005)
        + 1e-4 * u[1],
        "capital_outflow": 3e9 * (1 - 0.05 * sigma + (0.04 * eta if focused else 0.0)) + 1e7 * u[2],
    }
    return {oc.name: base[oc.measure.name] for oc in outcomes}


def report_inputs(tmp: Path):
    """A comparison, a sensitivity analysis and a validation, fixed (no model run)."""
    from abm.results import CompareResult, SensitivityResult
    from abm.validate import Check, ValidationReport

    nan = float("nan")
    figs = tmp / "figs"
    figs.mkdir(parents=True, exist_ok=True)
    png = figs / "fig.png"
    png.write_bytes(PNG)
    rows = []
    spec = {
        "gdp_real": ("EUR/year (2025 prices)", 1.25e12, 1.256e12, 6.0e9, 2.0e9, 9.5e9, 0.85),
        "industry_share": ("1", 0.1312, 0.1523, 0.0211, 0.015, 0.027, 1.0),
        "rd_intensity": ("1", 0.0221, 0.0219, -0.0002, -0.0006, 0.0001, 0.3),
        "capital_outflow": ("EUR/year", 3.1e9, 2.9e9, -2.0e8, -3.0e8, -1.0e8, 0.9),
        "innovation_money": ("EUR", 2.8e10, 2.79e10, -1.0e8, -2.0e8, 5.0e7, 0.6),
        "talent_high": ("persons", 2.4e6, 2.41e6, 1.0e4, -5.0e3, 2.5e4, 0.7),
    }
    for outcome, (units, ref, ch, d, lo, hi, p) in spec.items():
        for year in (2030, 2040) if outcome != "innovation_money" else (2040,):
            for s, m, dd in (("diffuse", ref, nan), ("focused", ch, d)):
                rows.append(
                    dict(outcome=outcome, year=year, scenario=s, units=units, mean=m,
                         p05=m * 0.98, p95=m * 1.02, diff_mean=dd,
                         diff_low=nan if s == "diffuse" else lo,
                         diff_high=nan if s == "diffuse" else hi,
                         unpaired_low=nan if s == "diffuse" else lo - abs(d) * 3,
                         unpaired_high=nan if s == "diffuse" else hi + abs(d) * 3,
                         prob_better=nan if s == "diffuse" else p)
                )  # fmt: skip
    targets = pd.DataFrame(
        [
            ("diffuse", "industry >= 15% of GDP in 2030", 0.15, 0.1312, 0.0, False),
            ("focused", "industry >= 15% of GDP in 2030", 0.15, 0.1523, 0.6, True),
            ("diffuse", "R&D >= 3% of GDP in 2030", 0.03, 0.0221, 0.0, False),
            ("focused", "R&D >= 3% of GDP in 2030", 0.03, 0.0319, 1.0, True),
        ],
        columns=["scenario", "target", "threshold", "mean", "share_meeting", "met"],
    )
    pd.DataFrame(
        [
            {"sector": sec, "year": 2030, "scenario": s, "mean": 1e10 * (k + 1) * (1 + 0.1 * i),
             "diff_mean": nan if i == 0 else 1e9 * (k - 3), "diff_low": nan if i == 0 else -2e9,
             "diff_high": nan if i == 0 else 3e9}
            for k, sec in enumerate(SECTORS) for i, s in enumerate(("diffuse", "focused"))
        ]
    ).to_csv(figs / "value_added_by_sector.csv", index=False)  # fmt: skip
    cr = CompareResult(
        scenarios=["diffuse", "focused"],
        table=pd.DataFrame(rows),
        targets=targets,
        figures={"fan_gdp_real": png, "paired_differences": png, "fan_talent_high": png},
        outdir=figs,
        ensemble=None,
        provenance={
            "model_version": "0.1.0",
            "root_seed": 7,
            "runs": 12,
            "notes": ["a note from the comparison", "another <note> & more"],
            "members_used": {"diffuse": 12, "focused": 12},
            "years": {"base": 2026, "end": 2040, "key": [2030, 2040]},
            "scenario_toml": {"x": "y"},
            "long": list(range(80)),
        },
    )
    params = ["rd.sigma", "rd.eta", "labour.migration_mobility"]
    rng = np.random.default_rng(3)
    sr = SensitivityResult(
        a="focused",
        b="diffuse",
        method="morris",
        outcomes=["gdp_real_2040", "rd_intensity_2030"],
        indices=pd.DataFrame(
            [
                {
                    "outcome": o,
                    "parameter": p,
                    "mu_star": m * f,
                    "mu_star_conf": m * f / 4,
                    "sigma": m * f / 2,
                    "mu": -m * f / 3,
                    "rank": k + 1,
                }
                for o, f in (("gdp_real_2040", 1.0), ("rd_intensity_2030", 1e-12))
                for k, (p, m) in enumerate(zip(params, (4.0e9, 1.5e9, 2.0e8), strict=True))
            ]
        ),  # fmt: skip
        flip=pd.DataFrame(
            [
                {
                    "outcome": "gdp_real_2040",
                    "parameter": "rd.sigma",
                    "rank": 1,
                    "default": 0.5,
                    "flip_value": 0.4321,
                    "flip_low": 0.31,
                    "flip_high": 0.58,
                    "a_wins": "above",
                    "diff_at_low": -1e9,
                    "diff_at_high": 2e9,
                    "note": "focused beats diffuse above 0.432",
                },
                {
                    "outcome": "gdp_real_2040",
                    "parameter": "rd.eta",
                    "rank": 2,
                    "default": 1.0,
                    "flip_value": nan,
                    "flip_low": nan,
                    "flip_high": nan,
                    "a_wins": "everywhere",
                    "diff_at_low": 1e9,
                    "diff_at_high": 2e9,
                    "note": "no crossing",
                },
            ]
        ),  # fmt: skip
        samples=pd.DataFrame(
            {
                "point": np.arange(8),
                "rd.sigma": rng.uniform(0, 2, 8),
                "rd.eta": rng.uniform(0, 2, 8),
                "labour.migration_mobility": rng.uniform(1, 10, 8),
                "gdp_real_2040": rng.normal(1e9, 2e9, 8),
                "rd_intensity_2030": rng.normal(1e-4, 2e-4, 8),
                "pairs": np.ones(8, dtype=int),
            }
        ),
        figures={"indices": png, "flip": png},
        outdir=figs,
        provenance={
            "root_seed": 7,
            "samples": 2,
            "parameters": {
                p: {"low": 0.0, "high": 2.0, "range_source": "calibration", "default": 0.5}
                for p in params
            },
        },
    )
    vr = ValidationReport(
        "diffuse",
        runs=2,
        seed=7,
        quarters=200,
        checks=[
            Check("accounting", "stock-flow identities, every quarter", 2.0, "2 of 2 runs", True),
            Check("calibration", "industry share of GDP", 0.1262, "0.125 +-0.02", True),
            Check(
                "stylized fact",
                "fat-tailed firm growth (excess kurtosis)",
                -0.25,
                "> 0",
                False,
                "a <detail>",
            ),
        ],  # fmt: skip
    )
    toml = {
        "diffuse": 'name = "diffuse"\ndescription = "Generic <instruments>"\n\n'
        '[parameters]\n"rd.sigma" = 0.7\n\n[programmes.wbso]\ninstrument = "rd_tax_credit"\n'
        'budget = 1500000000.0\nbudget_growth = 0.02\ntargets = "all"\nstart = 2026\nend = 2040\n'
        'rate_first = 0.32\n\n[uncertain]\n"rd.eta" = [0.0, 2.0]\n',
        "focused": 'name = "focused"\ndescription = "Six markets"\n\n[programmes.grants]\n'
        'instrument = "grant"\nbudget = 250000000.0\nbudget_path = { 2026 = 2e8, 2030 = 3e8 }\n'
        'targets = ["semiconductors", "biotech", "defence_tech", "digital_ai", "machinery", '
        '"chemistry"]\nstart = 2026\nend = 2035\nselection_noise = 0.5\n\n[defence]\n'
        "stable_orders = true\ndomestic_share = 0.4\n",
    }
    return cr, sr, vr, toml


# ----------------------------------------------------------------------------- outputs
def compare_outputs(tmp: Path) -> dict[str, str]:
    from abm.compare import compare_dataset

    ds = synthetic_ensemble()
    out: dict[str, str] = {}
    compare_dataset(ds, tmp / "all", n_boot=400, figures=False)
    lf = ds.isel(scenario=[2, 0, 1])
    compare_dataset(
        lf,
        tmp / "lf",
        n_boot=300,
        boot_seed=9,
        figures=False,
        outcomes=["gdp_real", "gdp_per_euro", "net_migration_high", "innovation_money"],
    )
    for case in ("all", "lf"):
        for f in ("comparison.csv", "targets.csv", "value_added_by_sector.csv", "comparison.md"):
            out[f"compare_{case}_{f}"] = (tmp / case / f).read_text()
    return out


def measure_outputs() -> dict[str, str]:
    from abm.sensitivity import MEASURES, parse_outcome

    ds = synthetic_ensemble()
    rows = []
    for m in MEASURES.values():
        names = [f"{m.name}_{y}" for y in range(2026, 2032)] + (
            [f"{m.name}_total"] if m.flow else []
        )
        for name in names:
            oc = parse_outcome(name)
            v = oc.value(ds).transpose("scenario", "realization").values
            rows += [
                {"outcome": name, "units": oc.units, "description": oc.description,
                 "higher_is_better": oc.higher_is_better, "scenario": i, "realization": r,
                 "value": float(v[i, r])}
                for i in range(v.shape[0]) for r in range(v.shape[1])
            ]  # fmt: skip
    return {"measures.csv": pd.DataFrame(rows).to_csv(index=False)}


def design_outputs() -> dict[str, str]:
    from abm.sensitivity import (
        analyze_design,
        flip_table,
        make_problem,
        parse_outcome,
        resolve_parameters,
        sample_design,
    )

    out = {}
    params = resolve_parameters(["rd.sigma", "rd.eta=0:1.5", "programme:grant.selection_noise"])
    problem = make_problem([p.key for p in params], [(p.low, p.high) for p in params])
    ocs = [parse_outcome("gdp_real_2030"), parse_outcome("capital_outflow_total")]
    for method, n in (("morris", 5), ("sobol", 8)):
        X = sample_design(problem, method, n, seed=4)
        y1 = 1e9 * (X[:, 0] - 0.8 * X[:, 1] ** 2 + 0.1 * X[:, 0] * X[:, 2])
        y2 = -2e8 * X[:, 1] + 5e7 * np.sin(3 * X[:, 0])
        y1[7] = np.nan
        ys = {o.name: y for o, y in zip(ocs, (y1, y2), strict=True)}
        idx, used = analyze_design(problem, method, X, ys, seed=4)
        samples = pd.DataFrame(X, columns=[p.key for p in params])
        samples["gdp_real_2030"], samples["capital_outflow_total"] = y1, y2
        flip = flip_table(samples, idx, params, ocs, top=2, names=("A", "B"),
                          defaults={"rd.sigma": 0.5}, seed=4)  # fmt: skip
        out[f"design_{method}_X.csv"] = pd.DataFrame(X).to_csv(index=False)
        out[f"design_{method}_indices.csv"] = idx.to_csv(index=False)
        out[f"design_{method}_used.json"] = json.dumps(used, indent=1)
        out[f"design_{method}_flip.csv"] = flip.to_csv(index=False)
    return out


def sensitivity_outputs_patched(tmp: Path) -> dict[str, str]:
    """:func:`sensitivity_outputs` with its own monkeypatch (picklable: the baseline worker's)."""
    with pytest.MonkeyPatch.context() as mp:
        return sensitivity_outputs(tmp, mp)


def sensitivity_outputs(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    import abm.ensemble.points
    from abm.sensitivity import sensitivity

    monkeypatch.setattr(abm.ensemble.points, "run_outcomes", _fake_outcomes)
    out = {}
    for method, n in (("morris", 3), ("sobol", 4)):
        res = sensitivity(
            "focused",
            "diffuse",
            method=method,
            samples=n,
            parameters=["rd.sigma", "rd.eta", "programme:grant.selection_noise",
                        "chosen:niches.niche_share"],
            outcomes=["gdp_real_2027", "rd_intensity_2026", "capital_outflow_total"],
            quarters=8,
            workers=1,
            runs=2,
            root_seed=11,
            top=2,
            outdir=tmp / method,
            progress=False,
        )  # fmt: skip
        for f in ("indices.csv", "flip.csv", "samples.csv", "members.csv"):
            out[f"sensitivity_{method}_{f}"] = (res.outdir / f).read_text()
        prov = json.loads((res.outdir / "sensitivity.json").read_text())
        for k in VOLATILE:
            prov.pop(k, None)
        out[f"sensitivity_{method}.json"] = json.dumps(prov, indent=1, sort_keys=True)
    return out


class _Tokens(HTMLParser):
    """The page as a list of tags (with sorted attributes) and texts, white space folded:
    what a browser shows, whatever the indentation of the markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[list] = []
        self.pre = 0

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        self.pre += tag == "pre"
        self.tokens.append(["<", tag, sorted(attrs)])

    def handle_startendtag(self, tag, attrs):  # noqa: ANN001
        self.tokens.append(["<", tag, sorted(attrs)])

    def handle_endtag(self, tag):  # noqa: ANN001
        self.pre -= tag == "pre"
        self.tokens.append([">", tag])

    def handle_data(self, data):  # noqa: ANN001
        text = data if self.pre else re.sub(r"\s+", " ", data)
        if text.strip():
            if self.tokens and self.tokens[-1][0] == "t":
                self.tokens[-1][1] += text
            else:
                self.tokens.append(["t", text])


def html_tokens(text: str, tmp: Path) -> str:
    text = text.replace(str(tmp), "TMP")
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", "TIME", text)
    text = re.sub(r'(<table class="kv" id="library-versions">).*?(</table>)', r"\1\2", text,
                  flags=re.S)  # fmt: skip
    text = text.replace('content="focus-abm 0.1.0"', 'content="focus-abm VERSION"')
    p = _Tokens()
    p.feed(text)
    return "\n".join(json.dumps(t) for t in p.tokens) + "\n"


def report_outputs(tmp: Path) -> dict[str, str]:
    from abm.report import make_report

    cr, sr, vr, toml = report_inputs(tmp)
    full = make_report(cr, sr, vr, tmp / "full.html", "A <report>", scenarios=toml)
    short = make_report(cr, output=tmp / "short.html", scenarios={"diffuse": toml["diffuse"]})
    return {
        "report_full.json": html_tokens(full.read_text(encoding="utf-8"), tmp),
        "report_short.json": html_tokens(short.read_text(encoding="utf-8"), tmp),
    }


# ----------------------------------------------------------------------------- the tests
def _check(outputs: dict[str, str]) -> None:
    for name, text in outputs.items():
        frozen = (FROZEN / name).read_text()
        assert text == frozen, f"{name} differs from the table frozen before issue #9"


# numbers computed with numpy at its baseline, as when the files were frozen (on a CPU with
# AVX-512 numpy's float64 exp, log and power differ in the last bit: tests/numpy_baseline.py)
def test_compare_tables_are_unchanged(tmp_path, numpy_baseline):
    _check(numpy_baseline(compare_outputs, tmp_path))


def test_outcome_values_are_unchanged(numpy_baseline):
    _check(numpy_baseline(measure_outputs))


def test_sensitivity_designs_indices_and_flip_tables_are_unchanged(numpy_baseline):
    _check(numpy_baseline(design_outputs))


def test_sensitivity_pipeline_tables_are_unchanged(tmp_path, numpy_baseline):
    _check(numpy_baseline(sensitivity_outputs_patched, tmp_path))


def test_report_page_is_unchanged(tmp_path, numpy_baseline):
    _check(numpy_baseline(report_outputs, tmp_path))


if __name__ == "__main__":  # pragma: no cover - regenerates the frozen files
    import importlib.util
    import subprocess
    import tempfile

    _spec = importlib.util.spec_from_file_location(
        "numpy_baseline", Path(__file__).resolve().parents[1] / "numpy_baseline.py"
    )
    _nb = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_nb)
    if _nb.numpy_dispatches_above_baseline():  # freeze numpy's baseline bits (the tests' own)
        if os.environ.get("NPY_DISABLE_CPU_FEATURES"):  # pinned, and yet: never loop
            sys.exit("NPY_DISABLE_CPU_FEATURES left numpy's SIMD features enabled")
        sys.exit(subprocess.run([sys.executable, __file__], env=_nb.pinned_env()).returncode)

    FROZEN.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as d, pytest.MonkeyPatch.context() as mp:
        tmp = Path(d)
        outputs = {
            **compare_outputs(tmp / "c"),
            **measure_outputs(),
            **design_outputs(),
            **sensitivity_outputs(tmp / "s", mp),
            **report_outputs(tmp / "r"),
        }
    for name, text in outputs.items():
        (FROZEN / name).write_text(text)
    print(f"wrote {len(outputs)} files to {FROZEN}", file=sys.stderr)
