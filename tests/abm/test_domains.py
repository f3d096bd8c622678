"""Domains of the calibration parameters (abm/calibration/domains.py), checked on every override."""

from fnmatch import fnmatchcase

import numpy as np
import pytest
from click.testing import CliRunner

from abm import ScenarioError, load_scenario
from abm.calibration import calibration_keys, calibration_ranges, load_calibration
from abm.calibration.domains import RULES, domain, outside
from abm.cli import main
from abm.scenario.overrides import OverrideError, apply_overrides, parse_key


def test_the_shipped_calibration_and_its_ranges_lie_in_their_domains():
    cal = load_calibration()
    for k in calibration_keys():
        assert outside(k, cal[k]) is None, k
    for k, (lo, hi) in calibration_ranges().items():
        assert outside(k, lo) is None and outside(k, hi) is None, k


def test_every_rule_governs_some_key():
    # a rule that matches no key (a typo, a renamed key) would silently check nothing
    keys = list(calibration_keys())
    for i, (pattern, *_rest) in enumerate(RULES):
        earlier = [p for p, *_ in RULES[:i]]
        won = [
            k
            for k in keys
            if fnmatchcase(k, pattern) and not any(fnmatchcase(k, e) for e in earlier)
        ]
        assert won, pattern


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("labour.retirement_rate", -0.01, "[0, 1]"),
        ("sectors.import_share_final", [0.5] * 7 + [1.7], "[0, 1]"),
        ("finance.loan_maturity", 0.0, "at least 0.25"),
        ("macro.gdp_2025", 0.0, "above 0"),
        ("rd.elasticity_long", -0.5, "at least 0"),
    ],
)
def test_a_value_outside_its_domain_is_a_one_line_error_naming_key_and_allowed(
    tmp_path, key, value, allowed
):
    sc = load_scenario("diffuse")
    with pytest.raises(ScenarioError) as e:
        sc.with_parameters(**{key: value})
    msg = str(e.value)
    assert f"'parameters.{key}'" in msg and allowed in msg and "\n" not in msg
    # from a scenario file through the command: exit 2, one line naming the file, nothing written
    lit = value if np.ndim(value) == 0 else "[" + ", ".join(map(str, value)) + "]"
    p = tmp_path / "bad.toml"
    p.write_text(f'extends = "diffuse"\nname = "bad"\n[parameters]\n"{key}" = {lit}\n')
    out = tmp_path / "out.nc"
    r = CliRunner().invoke(main, ["run", str(p), "--quarters", "1", "-o", str(out)])
    assert r.exit_code == 2 and str(p) in r.output and allowed in r.output, r.output
    assert not out.exists()


def test_overrides_and_uncertain_ranges_are_held_to_the_domains(tmp_path):
    sc = load_scenario("diffuse")
    with pytest.raises(OverrideError, match="labour.quit_rate.*not allowed"):
        apply_overrides(sc, [(parse_key("labour.quit_rate"), 1.5)])
    assert apply_overrides(sc, [(parse_key("labour.quit_rate"), 0.02)]).parameters[
        "labour.quit_rate"
    ] == pytest.approx(0.02)
    p = tmp_path / "u.toml"
    p.write_text('extends = "diffuse"\nname = "u"\n[uncertain]\n"labour.quit_rate" = [0.0, 1.2]\n')
    with pytest.raises(ScenarioError, match=r"uncertain.labour.quit_rate.*1.2 not allowed"):
        load_scenario(p)


def test_signed_keys_take_negative_values():
    assert domain("macro.current_account_share")[0] == -np.inf
    assert outside("government.balance_share", -0.03) is None
    assert outside("finance.home_bias", -1.0) is None
    assert outside("firms.deposit_rate", -0.005) is None
