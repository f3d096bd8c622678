"""Scenario files are validated on load; errors name the file and the key."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest
from pydantic import TypeAdapter

from abm import ScenarioError, load_scenario, shipped_scenarios
from abm.scenario import (
    SCHEMA_CHANGES,
    SCHEMA_VERSION,
    ProgrammeSpec,
    Scenario,
    instrument_fields,
    loading,
)
from abm.sectors import INSTRUMENTS, SECTORS


def _write(tmp_path, name, text, versioned=True):
    """Write a scenario file; ``versioned`` files declare the current schema unless they say."""
    if versioned and "schema" not in text:
        text = f"schema = {SCHEMA_VERSION}\n" + text
    p = tmp_path / f"{name}.toml"
    p.write_text(text)
    return p


def test_shipped_scenarios_load_and_extend():
    names = shipped_scenarios()
    assert {"laissez_faire", "diffuse", "focused", "focused_defence", "mission_agency"} <= set(
        names
    )
    lf = load_scenario("laissez_faire")
    assert [p.instrument for p in lf.programmes.values()] == ["public_research"]
    d = load_scenario("diffuse")
    assert d.programmes["wbso"].instrument == "rd_tax_credit"
    assert d.run.quarters == lf.run.quarters  # inherited
    assert "rd_tax_credit" in d.to_toml()


def test_extends_overrides_keys_and_can_drop_a_programme(tmp_path):
    p = _write(
        tmp_path,
        "child",
        'name = "child"\nextends = "diffuse"\n'
        "[programmes.wbso]\nbudget = 2e9\n[programmes.grants]\nenabled = false\n"
        '[parameters]\n"rd.sigma" = 1.5\n',
    )
    sc = load_scenario(p)
    assert sc.programmes["wbso"].budget == 2e9
    assert sc.programmes["wbso"].rate_first == 0.36  # kept from the parent
    assert "grants" not in sc.programmes
    assert sc.calibration()["rd.sigma"] == 1.5


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('name = "x"\n[run]\nquartrs = 4\n', "run.quartrs"),
        (
            'name = "x"\n[programmes.p]\ninstrument = "grant"\ntargets = ["shipbuilding"]\n',
            "programmes.p.targets",
        ),
        (
            'name = "x"\n[programmes.p]\ninstrument = "grant"\nbudget = "lots"\n',
            "programmes.p.budget",
        ),
        (
            'name = "x"\n[programmes.p]\ninstrument = "grant"\nbudget = -1.0\n',
            "programmes.p.budget",
        ),
        (
            'name = "x"\n[programmes.p]\ninstrument = "grant"\nstart = 2030\nend = 2028\n',
            "programmes.p",
        ),
        ('name = "x"\n[programmes.p]\ninstrument = "lottery"\n', "programmes.p.instrument"),
        ('name = "x"\n[parameters]\n"rd.sigmaa" = 1.0\n', "parameters.rd.sigmaa"),
        ('name = "x"\n[parameters]\n"rd.sigma" = [1.0, 2.0]\n', "parameters.rd.sigma"),
    ],
)
def test_bad_scenarios_name_file_and_key(tmp_path, text, key):
    p = _write(tmp_path, "bad", text)
    with pytest.raises(ScenarioError) as e:
        load_scenario(p)
    msg = str(e.value)
    assert str(p) in msg and f"'{key}" in msg
    assert "\n" not in msg


def test_extends_cycle_and_malformed_toml(tmp_path):
    a = _write(tmp_path, "a", 'name = "a"\nextends = "b.toml"\n')
    _write(tmp_path, "b", 'name = "b"\nextends = "a.toml"\n')
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(a)
    m = _write(tmp_path, "m", 'name = "m"\n[run\n')
    with pytest.raises(ScenarioError, match="malformed TOML"):
        load_scenario(m)
    with pytest.raises(ScenarioError, match="unknown scenario 'nope'"):
        load_scenario("nope")


# --------------------------------------------------------------- one model per instrument
COMMON = ["instrument", "enabled", "budget", "budget_growth", "budget_path", "targets"]
COMMON += ["start", "end"]

#: Each instrument's own fields: (default, lower bound, upper bound) as before the split.
OWN_FIELDS: dict[str, dict[str, tuple]] = {
    "rd_tax_credit": {
        "track_budget": (True, None, None),
        "rate_first": (0.36, ("ge", 0.0), ("le", 1.0)),
        "rate_second": (0.16, ("ge", 0.0), ("le", 1.0)),
        "rate_starter": (0.50, ("ge", 0.0), ("le", 1.0)),
        "bracket": (380_000.0, ("ge", 0.0), None),
    },
    "innovation_box": {
        "track_budget": (True, None, None),
        "box_rate": (0.09, ("ge", 0.0), ("le", 1.0)),
    },
    "grant": {
        "selection_noise": (0.5, ("ge", 0.0), ("le", 10.0)),
        "grant_share": (0.4, ("gt", 0.0), ("le", 1.0)),
    },
    "procurement": {
        "domestic_share": (0.4, ("ge", 0.0), ("le", 1.0)),
        "domestic_share_end": (None, ("ge", 0.0), ("le", 1.0)),
    },
    "coinvestment": {"match_ratio": (1.0, ("ge", 0.0), ("le", 10.0))},
    "mission_agency": {
        "delay_quarters": (8, ("ge", 0), ("le", 80)),
        "failure_probability": (0.5, ("ge", 0.0), ("le", 1.0)),
    },
    "public_research": {},
    "talent_attraction": {"immigration_boost": (1.0, ("ge", 0.0), ("le", 20.0))},
    "grid_capacity": {},
}


def _bound(field, kind):
    for m in field.metadata:
        if hasattr(m, kind):
            return getattr(m, kind)
    return None


def test_each_instrument_has_only_its_own_fields_with_the_old_defaults_and_bounds():
    assert list(OWN_FIELDS) == list(INSTRUMENTS)
    for instrument, own in OWN_FIELDS.items():
        fields = instrument_fields(instrument)
        assert list(fields) == COMMON + list(own), instrument
        for name, (default, low, high) in own.items():
            f = fields[name]
            assert f.default == default, (instrument, name)
            for bound in (low, high):
                if bound is not None:
                    assert _bound(f, bound[0]) == bound[1], (instrument, name, bound)
    assert (
        instrument_fields("grant")["grant_share"].description == "share of a project's R&D funded"
    )
    with pytest.raises(ValueError, match="unknown instrument 'lottery'; allowed: rd_tax_credit"):
        instrument_fields("lottery")


def test_programme_spec_is_a_union_discriminated_on_instrument():
    adapter = TypeAdapter(ProgrammeSpec)
    for instrument in INSTRUMENTS:
        spec = adapter.validate_python({"instrument": instrument, "budget": 1e8})
        assert spec.instrument == instrument
        assert list(type(spec).model_fields) == list(instrument_fields(instrument))
        assert spec.budget_in(2026) == 1e8 and spec.budget_in(2041) == 0.0
        assert spec.target_mask(np.ones(len(SECTORS))).tolist() == [1.0] * len(SECTORS)
        assert spec.demand_driven is (instrument in ("rd_tax_credit", "innovation_box"))
    d = load_scenario("diffuse")
    assert d.programmes["wbso"].demand_driven and d.programmes["innovation_box"].demand_driven
    assert not d.programmes["grants"].demand_driven
    assert not hasattr(d.programmes["grants"], "box_rate")
    assert d.programmes["grants"].selection_noise == 0.5


@pytest.mark.parametrize(
    ("instrument", "foreign", "owner"),
    [
        ("grant", "box_rate", "innovation_box"),
        ("public_research", "selection_noise", "grant"),
        ("procurement", "match_ratio", "coinvestment"),
        ("coinvestment", "track_budget", "rd_tax_credit, innovation_box"),
    ],
)
def test_a_field_of_another_instrument_is_an_error_naming_what_is_allowed(
    tmp_path, instrument, foreign, owner
):
    p = _write(
        tmp_path,
        "foreign",
        f'name = "x"\n[programmes.p]\ninstrument = "{instrument}"\n{foreign} = 1.0\n',
    )
    with pytest.raises(ScenarioError) as e:
        load_scenario(p)
    allowed = ", ".join(instrument_fields(instrument))
    assert str(e.value) == (
        f"{p}: key 'programmes.p.{foreign}': a field of {owner}, not of {instrument}; "
        f"{instrument} allows: {allowed}"
    )


def test_unknown_programme_keys_and_instruments_name_what_is_allowed(tmp_path):
    cases = {
        'instrument = "grant"\nbudgt = 1.0\n': (
            "key 'programmes.p.budgt': unknown key; grant allows: instrument, enabled, budget, "
            "budget_growth, budget_path, targets, start, end, selection_noise, grant_share"
        ),
        "budget = 1.0\n": (
            "key 'programmes.p.instrument': Field required; allowed: " + ", ".join(INSTRUMENTS)
        ),
        'instrument = "lottery"\n': (
            "key 'programmes.p.instrument': Input should be 'rd_tax_credit', 'innovation_box', "
            "'grant', 'procurement', 'coinvestment', 'mission_agency', 'public_research', "
            "'talent_attraction' or 'grid_capacity' (got 'lottery')"
        ),
        'instrument = "grant"\nstart = 2030\nend = 2028\n': (
            "key 'programmes.p': Value error, end (2028) is before start (2030)"
        ),
    }
    for body, message in cases.items():
        p = _write(tmp_path, "bad", f'name = "x"\n[programmes.p]\n{body}')
        with pytest.raises(ScenarioError) as e:
            load_scenario(p)
        assert str(e.value) == f"{p}: {message}"
    p = _write(tmp_path, "bad", 'name = "x"\nprogrammes = { p = 3 }\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(p)
    assert (
        str(e.value)
        == f"{p}: key 'programmes.p': must be a table of the programme's settings (got 3)"
    )
    box = 'instrument = "innovation_box"\n'
    p = _write(tmp_path, "bad", f'name = "x"\n[programmes.a]\n{box}[programmes.b]\n{box}')
    with pytest.raises(
        ScenarioError, match=r": key 'programmes': Value error, programmes \['a', 'b'\]"
    ):
        load_scenario(p)


def test_extends_keeps_the_inherited_instrument_and_checks_the_merged_table(tmp_path):
    p = _write(
        tmp_path,
        "child",
        'name = "child"\nextends = "focused"\n'
        "[programmes.procurement]\nbudget = 0.2e9\n"
        '[programmes.grants]\ntargets = ["biotech"]\n'
        "[programmes.innovation_box]\nbox_rate = 0.05\n",
    )
    sc = load_scenario(p)
    proc, grants, box = (sc.programmes[k] for k in ("procurement", "grants", "innovation_box"))
    assert proc.instrument == "procurement" and proc.budget == 0.2e9
    assert proc.domestic_share == 0.5 and proc.domestic_share_end == 0.7  # from the parent
    assert grants.instrument == "grant" and grants.targets == ["biotech"]
    assert grants.budget == 0.5e9 and grants.selection_noise == 0.5
    assert box.instrument == "innovation_box" and box.box_rate == 0.05 and box.budget == 1.6e9
    # a field of another instrument on an inherited programme is an error too
    bad = _write(tmp_path, "bad", 'extends = "diffuse"\n[programmes.grants]\nbox_rate = 0.1\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(bad)
    assert str(e.value).startswith(
        f"{bad}: key 'programmes.grants.box_rate': a field of innovation_box, not of grant; "
    )
    # and an inherited programme keeps its instrument
    other = _write(
        tmp_path, "other", 'extends = "diffuse"\n[programmes.wbso]\ninstrument = "grant"\n'
    )
    with pytest.raises(ScenarioError) as e:
        load_scenario(other)
    msg = str(e.value)
    assert msg.startswith(
        f"{other}: key 'programmes.wbso.instrument': 'grant' differs from the inherited "
        "'rd_tax_credit' (from "
    )
    assert "diffuse.toml" in msg and "\n" not in msg


def test_to_toml_writes_the_schema_first_and_only_each_programmes_own_fields():
    for name in shipped_scenarios():
        sc = load_scenario(name)
        text = sc.to_toml()
        assert text.startswith(f"schema = {SCHEMA_VERSION}\n"), name
        data = tomllib.loads(text)
        assert (
            data["schema"] == SCHEMA_VERSION
            and "schema_version" not in data
            and "extends" not in data
        )
        for prog, table in data["programmes"].items():
            allowed = instrument_fields(table["instrument"])
            assert set(table) <= set(allowed), (name, prog)
            unset = {k for k, v in sc.programmes[prog].model_dump().items() if v is None}
            assert set(table) == set(allowed) - unset, (name, prog)
    grants = tomllib.loads(load_scenario("diffuse").to_toml())["programmes"]["grants"]
    assert "box_rate" not in grants and "rate_first" not in grants and "track_budget" not in grants


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_a_dumped_scenario_loads_back_to_the_same_scenario(tmp_path, name):
    sc = load_scenario(name)
    p = _write(tmp_path, "dumped", sc.to_toml())
    again = load_scenario(p)
    assert again.source_file == str(p)
    # the dump is the resolved scenario: all that differs is where it came from
    assert again.extends is None
    assert again == sc.model_copy(update={"source_file": str(p), "extends": None})
    assert again.to_toml() == sc.to_toml()
    assert again.with_parameters() == again


# --------------------------------------------------------------------------- schema version
def test_shipped_scenarios_declare_the_current_schema():
    assert SCHEMA_VERSION == 2 and set(SCHEMA_CHANGES) == {1, 2}
    for name, path in shipped_scenarios().items():
        assert tomllib.loads(path.read_text())["schema"] == 2, name
        assert load_scenario(name).schema_version == 2


def test_an_absent_schema_means_version_1_and_loads_when_no_change_alters_it(tmp_path):
    # no programme without budget_growth: version 2 changes nothing in this file
    p = _write(tmp_path, "plain", 'name = "plain"\nextends = "diffuse"\n', versioned=False)
    sc = load_scenario(p)
    assert sc.schema_version == 2 and sc.to_toml().startswith("schema = 2\n")
    assert Scenario(name="direct").schema_version == 2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"1"', "must be an integer, the scenario schema version; allowed: 2 (got '1')"),
        ("1.0", "must be an integer, the scenario schema version; allowed: 2 (got 1.0)"),
        ("true", "must be an integer, the scenario schema version; allowed: 2 (got True)"),
        ("0", "must be at least 1; allowed: 2 (got 0)"),
        ("-3", "must be at least 1; allowed: 2 (got -3)"),
        (
            "3",
            "version 3 is newer than this focus-abm reads (at most 2); update focus-abm, or "
            "write the file for schema = 2",
        ),
    ],
)
def test_a_bad_schema_is_a_one_line_error_naming_file_key_and_allowed(tmp_path, value, message):
    p = _write(tmp_path, "bad", f'schema = {value}\nname = "x"\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(p)
    assert str(e.value) == f"{p}: key 'schema': {message}"


def test_each_file_of_an_extends_chain_is_checked_on_its_own(tmp_path):
    _write(tmp_path, "parent", 'schema = 7\nname = "parent"\nextends = "laissez_faire"\n')
    child = _write(tmp_path, "child", 'schema = 2\nname = "child"\nextends = "parent.toml"\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(child)
    assert str(e.value).startswith(f"{tmp_path / 'parent.toml'}: key 'schema': version 7 is newer")
    _write(tmp_path, "parent", 'schema = 2\nname = "parent"\nextends = "laissez_faire"\n')
    bad_child = _write(tmp_path, "child", 'schema = "one"\nextends = "parent.toml"\n')
    with pytest.raises(ScenarioError, match=f"^{bad_child}: key 'schema': must be an integer"):
        load_scenario(bad_child)
    # `schema` is not inherited: a child without it is itself version 1, read as 2 since the
    # change of version 2 does not alter it
    _write(tmp_path, "child", 'name = "child"\nextends = "parent.toml"\n', versioned=False)
    assert load_scenario(child).schema_version == 2
    p = _write(tmp_path, "sv", 'schema_version = 1\nname = "x"\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(p)
    assert str(e.value) == (
        f"{p}: key 'schema_version': unknown key; the schema version is written schema = 2"
    )


def test_an_old_file_whose_meaning_changed_says_what_changed(tmp_path):
    grant = '[programmes.g]\ninstrument = "grant"\nbudget = 1e8\n'
    old = _write(tmp_path, "old", 'schema = 1\nname = "old"\n' + grant)
    with pytest.raises(ScenarioError) as e:
        load_scenario(old)
    assert str(e.value) == (
        f"{old}: key 'schema': version 1 is older than the current version 2; to update the "
        f"file, version 2: {SCHEMA_CHANGES[2]}; then set schema = 2"
    )
    unversioned = _write(tmp_path, "unversioned", 'name = "u"\n' + grant, versioned=False)
    with pytest.raises(ScenarioError) as e:
        load_scenario(unversioned)
    assert str(e.value).startswith(
        f"{unversioned}: key 'schema': absent, which means version 1, is older than the current "
        "version 2"
    )
    # the same programme with its growth written out means the same in both versions
    fixed = _write(
        tmp_path, "fixed", 'name = "f"\n' + grant + "budget_growth = 0.0\n", versioned=False
    )
    assert load_scenario(fixed).programmes["g"].budget_in(2030, 0.035) == 1e8
    current = _write(tmp_path, "current", 'schema = 2\nname = "c"\n' + grant)
    assert load_scenario(current).programmes["g"].budget_in(2027, 0.035) == pytest.approx(1.035e8)


def test_a_later_bump_names_every_change_an_old_file_must_take(tmp_path, monkeypatch):
    change = "programme key 'targets' renamed 'sectors': rename it"
    monkeypatch.setattr(loading, "SCHEMA_VERSION", 3)
    monkeypatch.setitem(loading.SCHEMA_CHANGES, 3, change)
    monkeypatch.setitem(loading.SCHEMA_AFFECTS, 3, lambda data: True)
    old = _write(tmp_path, "old", 'schema = 2\nname = "old"\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(old)
    assert str(e.value) == (
        f"{old}: key 'schema': version 2 is older than the current version 3; to update the "
        f"file, version 3: {change}; then set schema = 3"
    )
    new = _write(tmp_path, "new", 'schema = 3\nname = "new"\n')
    sc = load_scenario(new)
    assert sc.schema_version == 3 and sc.to_toml().startswith("schema = 3\n")
    with pytest.raises(ScenarioError, match="newer than this focus-abm reads \\(at most 3\\)"):
        load_scenario(_write(tmp_path, "newer", 'schema = 4\nname = "n"\n'))
