"""The layout holds: layers import one way, modules stay small, one file per instrument.

Layers (docs/architecture.md): command line -> ensembles and analysis -> model -> mechanisms and
policy -> state -> kernels. The import graph is read from the source files (function-level
imports included, ``TYPE_CHECKING`` blocks excluded), so a violation fails here before it
tangles the code.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from abm.recording.record import QuarterRecord
from abm.recording.variables import VARIABLES
from abm.state.flows import QuarterFlows

ROOT = Path(__file__).resolve().parents[2]


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _runtime_imports(path: Path) -> set[str]:
    """Modules imported by ``path`` at run time (TYPE_CHECKING blocks left out)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def _files(*folders: str) -> list[Path]:
    return [p for f in folders for p in sorted((ROOT / f).rglob("*.py"))]


def _violations(folders: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in _files(*folders):
        for mod in _runtime_imports(path):
            if any(mod == f or mod.startswith(f + ".") for f in forbidden):
                bad.append(f"{_module_name(path)} imports {mod}")
    return bad


def test_kernels_import_only_numpy_and_numba() -> None:
    # llvmlite is numba's code generator (kernels.labour emits a prefetch intrinsic)
    bad = []
    for path in _files("kernels"):
        for mod in _runtime_imports(path):
            top = mod.split(".")[0]
            if top not in ("numpy", "numba", "llvmlite", "math", "kernels", "__future__"):
                bad.append(f"{_module_name(path)} imports {mod}")
    assert not bad, bad


@pytest.mark.parametrize(
    ("folders", "forbidden"),
    [
        (
            ("abm/state",),
            (
                "abm.mechanisms",
                "abm.policy",
                "abm.model",
                "abm.recording",
                "mesa",
                "abm.mesa_core",
                "xarray",
            ),
        ),
        (
            ("abm/policy", "abm/mechanisms"),
            ("abm.model", "mesa", "abm.mesa_core", "xarray", "dask"),
        ),
        (("abm/recording",), ("abm.model", "abm.mechanisms", "mesa", "abm.mesa_core", "dask")),
    ],
    ids=["state", "mechanisms-and-policy", "recording"],
)
def test_layers_import_one_way(folders: tuple[str, ...], forbidden: tuple[str, ...]) -> None:
    bad = _violations(folders, forbidden)
    assert not bad, bad


def test_the_model_never_imports_dask() -> None:
    imports = _runtime_imports(ROOT / "abm" / "model.py")
    assert not [m for m in imports if m.split(".")[0] in ("dask", "distributed")]


def test_modules_stay_small() -> None:
    assert len((ROOT / "abm" / "model.py").read_text().splitlines()) < 300
    big = [
        f"{p.relative_to(ROOT)} ({n} lines)"
        for p in _files("abm/state", "abm/mechanisms", "abm/policy", "abm/recording", "kernels")
        if (n := len(p.read_text().splitlines())) > 500
    ]
    assert not big, big


def test_every_instrument_has_its_own_policy_file() -> None:
    import importlib

    from abm.scenario import instrument_fields
    from abm.state.sectors import INSTRUMENTS

    for name in INSTRUMENTS:
        mod = importlib.import_module(f"abm.policy.{name}")
        assert mod.INSTRUMENT == name
        assert mod.__doc__ and len(mod.__doc__) > 200, f"abm/policy/{name}.py needs a docstring"
        assert instrument_fields(name)  # and a schema entry


def test_every_mechanism_function_documents_itself() -> None:
    for path in _files("abm/mechanisms", "abm/policy"):
        tree = ast.parse(path.read_text())
        assert ast.get_docstring(tree), f"{path.name}: no module docstring"
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                assert ast.get_docstring(node), f"{path.name}:{node.name}: no docstring"


def test_the_quarter_record_has_one_field_per_output_variable() -> None:
    fields = {f.name for f in dataclasses.fields(QuarterRecord)}
    assert fields == set(VARIABLES) | {"date"}


def test_flows_between_steps_are_typed() -> None:
    assert dataclasses.is_dataclass(QuarterFlows)
    f = QuarterFlows()
    with pytest.raises(AttributeError):
        f.no_such_flow  # noqa: B018 - a typo is an error, not a new key
    from abm import EconomyModel

    m = EconomyModel("diffuse", seed=1, scale=5000, quarters=1)
    m.step()
    assert not hasattr(m, "q")
    assert isinstance(m.flows, QuarterFlows) and m.flows.gdp > 0
