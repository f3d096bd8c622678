"""Scenario files are validated on load; errors name the file and the key."""

from __future__ import annotations

import pytest

from abm import ScenarioError, load_scenario, shipped_scenarios


def _write(tmp_path, name, text):
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
