"""The import paths of before issue #9 still work for one release, and give the same objects as
the rooms the code now lives in; one outcome registry, one atomic writer, one override parser."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import abm.analysis.outcomes as registry
from abm.io import atomic

ROOT = Path(__file__).resolve().parents[2]

MOVED = {
    "abm.compare": {
        "compare": "abm.cli.compare",
        "compare_dataset": "abm.cli.compare",
        "written_files": "abm.cli.compare",
        "CompareError": "abm.analysis.errors",
        "outcome_values": "abm.analysis.outcome_values",
        "open_ensembles": "abm.analysis.inputs",
        "paired_interval": "abm.analysis.stats",
        "table_markdown": "abm.render.markdown",
        "TABLE_COLUMNS": "abm.analysis.compare",
        "TARGET_YEAR": "abm.analysis.outcomes",
    },
    "abm.sensitivity": {
        "sensitivity": "abm.cli.sensitivity",
        "SensitivityInputError": "abm.analysis.errors",
        "parse_parameter": "abm.analysis.sensitivity",
        "apply_parameters": "abm.analysis.sensitivity",
        "parse_outcome": "abm.analysis.outcome_names",
        "MEASURES": "abm.analysis.outcomes",
        "sample_design": "abm.analysis.design",
        "flip_point": "abm.analysis.flip",
        "run_outcomes": "abm.ensemble.points",
    },
    "abm.report": {"report": "abm.cli.report", "make_report": "abm.render.report"},
    "abm.results": {"CompareResult": "abm.analysis.results"},
    "abm.validate": {"validate": "abm.analysis.validate", "Check": "abm.analysis.validate"},
    "abm.figures": {"make_figures": "abm.render.compare_figures", "save_png": "abm.render.figures"},
    "abm.compare_cli": {"compare_cmd": "abm.cli.compare"},
    "abm.ensemble_cli": {"ensemble_cmd": "abm.cli.ensemble"},
    "abm.sensitivity_cli": {"sensitivity_cmd": "abm.cli.sensitivity"},
    "abm.report_cli": {"report_cmd": "abm.cli.report"},
    "abm.ensemble": {"run_ensemble": "abm.ensemble.run", "member_seed": "abm.ensemble.plan"},
    "abm.analysis": {"innovation_budget": "abm.analysis.series"},
}


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_import_paths_give_the_moved_objects(old):
    for name, new in MOVED[old].items():
        assert getattr(importlib.import_module(old), name) is getattr(
            importlib.import_module(new), name
        ), f"{old}.{name}"


def test_the_compare_view_of_the_registry_keeps_its_fields():
    from abm.compare import OUTCOMES, TARGETS

    o = OUTCOMES["talent_high"]
    assert (o.name, o.label, o.units, o.scale, o.display_units) == (
        "talent_high",
        "high-skill talent stock",
        "persons",
        1e-3,
        "thousand",
    )
    assert registry.ALIASES == {
        "talent_high": "high_skill_talent",
        "net_migration_high": "high_skill_net_migration",
    }
    assert TARGETS == (
        ("industry_share", 0.15, "industry >= 15% of GDP in 2030"),
        ("rd_intensity", 0.03, "R&D >= 3% of GDP in 2030"),
    )


def _code(path: Path) -> list[ast.AST]:
    """The nodes of a module, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            docs.add(id(body[0].value))
    return [n for n in ast.walk(tree) if id(n) not in docs]


def _files(found) -> list[str]:  # noqa: ANN001 - a predicate of nodes
    return sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "abm").rglob("*.py")
        if any(found(n) for n in _code(p))
    )


def test_one_atomic_writer():
    # only abm/io/atomic.py makes temporary files and renames them into place
    def renames(n: ast.AST) -> bool:
        return (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr in ("replace", "rename", "mkstemp", "NamedTemporaryFile")
            and getattr(n.func.value, "id", "") in ("os", "tempfile")
        )

    assert _files(renames) == ["abm/io/atomic.py"]
    assert atomic.atomic_path.__module__ == "abm.io.atomic"


def test_one_copy_of_the_targets():
    # no code spells a target ("15% of GDP", "target 3%"): they all read the registry's
    def spelled(n: ast.AST) -> bool:
        return (
            isinstance(n, ast.Constant)
            and isinstance(n.value, str)
            and any(t in n.value for t in ("15%", "3% of", "target 3", "0.15", "0.03"))
        )

    assert _files(spelled) == []
    assert [(t.outcome, t.threshold) for t in registry.TARGETS] == [
        ("industry_share", 0.15),
        ("rd_intensity", 0.03),
    ]
    found = [
        n.value
        for n in _code(ROOT / "abm" / "analysis" / "outcomes.py")
        if isinstance(n, ast.Constant) and n.value in (0.15, 0.03)
    ]
    assert found == [0.15, 0.03]
