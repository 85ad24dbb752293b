"""Every registered family in its quick form: all checks pass, the figure is written, the table is complete."""

import importlib.util
import json

import numpy as np
import pytest

from fieldconv.cli import main
from fieldconv.validation import Family, FamilyResult, family_names, registered_families, validate
from fieldconv.validation import _report

# "pm" (the Zel'dovich pancake) joins where fieldconv.pm and validation/_zeldovich.py are installed
EXPECTED_FAMILIES = ("stencil", "savgol", "convolution", "assign", "poisson") + (
    ("pm",) if importlib.util.find_spec("fieldconv.pm") and importlib.util.find_spec("fieldconv.validation._zeldovich")
    else ())
# poisson's quick run solves 3-D problems at 64^3: the test takes the 1-D/2-D problems (the 3-D ones run in
# tests/validation/test_poisson_study.py at N = 16, 32)
OPTIONS = {"poisson": {"problems": ["trig1d", "trig2d", "gauss2d_log", "sheet2d"], "sizes": [32, 64]}}


def test_registry():
    assert family_names() == EXPECTED_FAMILIES
    fams = registered_families()
    assert list(fams) == list(EXPECTED_FAMILIES)
    for name, fam in fams.items():
        assert fam.namespace.startswith("fieldconv.") and fam.title and fam.tolerances, name


@pytest.fixture(scope="module")
def report():
    return validate(quick=True, options=OPTIONS)


@pytest.mark.parametrize("name", EXPECTED_FAMILIES)
def test_family_passes(report, name):
    _, res = report.results[name]
    assert res.checks, name
    failed = [f"{c.case}: {c.quantity} = {c.value} vs {c.relation} {c.limit}" for c in res.checks if not c.passed]
    assert not failed, failed
    for c in res.checks:
        assert c.basis, c  # every tolerance says where it comes from
        assert c.limit > 0 and np.isfinite(c.limit), c


@pytest.mark.parametrize("name", EXPECTED_FAMILIES)
def test_family_figure(report, name, tmp_path):
    fam, res = report.results[name]
    path = fam.plot(res, tmp_path / f"{name}.png")
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_report_text_and_json(report, tmp_path):
    text = report.format()
    assert report.exit_code == 0
    for name in EXPECTED_FAMILIES:
        assert f"== {name}:" in text
    assert "Legend" in text and "ALL PASS" in text
    written = report.write(tmp_path, plots=False)
    data = json.loads((tmp_path / "validation.json").read_text())
    assert data["exit_code"] == 0 and set(data["families"]) == set(EXPECTED_FAMILIES)
    assert {p.rsplit("/", 1)[-1] for p in written} == {"validation.txt", "validation.json", "poisson_details.txt"}
    assert "order_phi" in (tmp_path / "poisson_details.txt").read_text()


def test_expected_orders_are_reported(report):
    checks = {(c.family, c.case, c.quantity.split(",")[0]): c for c in report.checks}
    lap6 = checks[("stencil", "laplacian order 6, periodic 3-D", "order (expect 6)")]
    assert lap6.value == pytest.approx(6, abs=0.2)
    ngp = checks[("assign", "readout ngp of sin(k.x), 3-D, 20000 particles", "order (expect 1)")]
    assert ngp.value == pytest.approx(1, abs=0.1)


def _failing_family():
    from fieldconv.validation._check import error_check

    def run(settings):
        return FamilyResult(checks=[error_check("broken", "an operator that is off", "rel. error", 1e-3, 1e-12, "test")])

    return Family("broken", "a family that fails", "fieldconv.test", run, lambda res, path: path)


def test_a_failure_sets_exit_status_1(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(_report, "family_names", lambda: ("broken",))
    monkeypatch.setattr(_report, "registered_families", lambda names=None: {"broken": _failing_family()})
    report = validate()
    assert report.exit_code == 1 and "1 FAIL" in report.summary()
    assert "FAIL broken: an operator that is off" in report.format()
    assert main(["validate", "--output", str(tmp_path), "--no-plots", "--no-progress"]) == 1
    assert "1 FAIL" in capsys.readouterr().out


def test_validate_errors():
    with pytest.raises(ValueError, match="families must be names from"):
        validate(["nope"])
    with pytest.raises(ValueError, match="families must be names from"):
        validate([])


def test_registered_families_errors():
    with pytest.raises(ValueError, match="families must be names from"):
        registered_families(["nope"])


def test_a_family_with_missing_modules_is_left_out(monkeypatch):
    from fieldconv.validation import _registry

    monkeypatch.setattr(_registry, "FAMILY_REQUIRES", {"savgol": ("fieldconv._no_such_module",),
                                                       "pm": ("no_such_package.sub",)})
    assert "savgol" not in family_names() and "pm" not in family_names() and "stencil" in family_names()
    assert "savgol" not in registered_families()
    with pytest.raises(ValueError, match=r"family 'savgol' needs \['fieldconv._no_such_module'\], which this"):
        registered_families(["savgol"])
    with pytest.raises(ValueError, match="families must be names from"):
        validate(["savgol"])


def test_pm_family_module_imports_without_fieldconv_pm():
    # the module is registered on every installation; it touches fieldconv.pm only when it runs
    from fieldconv.validation._families import pm

    assert pm.FAMILY.name == "pm" and pm.FAMILY.namespace == "fieldconv.pm"
    lx, lv = pm.linear_estimates(32)
    assert 0 < lx < lv < 0.02  # (2 pi/32)^2/4 ~ 9.6e-3 times factors ~0.8 and ~1.3
