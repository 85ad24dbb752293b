"""Checks, verdicts and order fits: the pieces every family's table is made of."""

import math

import pytest

from fieldconv.validation import Check, fit_order
from fieldconv.validation._check import ROUNDOFF_MARGIN, above_roundoff, error_check, order_check


def test_verdicts():
    assert error_check("f", "c", "err", 1e-15, 1e-14, "b").verdict == "PASS"
    assert error_check("f", "c", "err", 2e-14, 1e-14, "b").verdict == "FAIL"
    assert Check("f", "c", "order", 1.96, 1.9, ">=", "b").passed
    assert not Check("f", "c", "order", 1.8, 1.9, ">=", "b").passed


def test_nan_value_fails_unless_declared():
    assert not error_check("f", "c", "err", float("nan"), 1.0, "b").passed
    assert not error_check("f", "c", "err", float("inf"), 1.0, "b").passed


def test_bad_relation():
    with pytest.raises(ValueError, match="relation must be"):
        Check("f", "c", "q", 1.0, 1.0, "<", "b")


@pytest.mark.parametrize("p", [1, 2, 4, 6])
def test_fit_order_exact_power_law(p):
    ns = [16, 32, 64, 128]
    assert fit_order(ns, [3.0 * n**-p for n in ns]) == pytest.approx(p, abs=1e-4)


def test_fit_order_errors():
    with pytest.raises(ValueError, match="two or more"):
        fit_order([16], [1e-3])
    with pytest.raises(ValueError, match="must be positive"):
        fit_order([16, 32], [1e-3, 0.0])


def test_order_fitted_only_above_round_off():
    # a sixth-order method that meets its round-off floor (1e-13) at N = 256: that point would bend the slope
    ns = [32, 64, 128, 256]
    errs = [1e3 * 32.0**-6, 1e3 * 64.0**-6, 1e3 * 128.0**-6, 8e-12]
    floors = [1e-13] * 4
    assert above_roundoff(ns, errs, floors) == [32, 64, 128]
    c = order_check("f", "c", ns, errs, floors, 6, 5.9, "b")
    assert c.value == pytest.approx(6.0, abs=1e-3)
    assert c.quantity == "order (expect 6), N=32-128"
    assert fit_order(ns, errs) < 5.7  # what an unfiltered fit would claim


def test_order_at_round_off_has_no_value():
    c = order_check("f", "c", [16, 32], [3e-16, 2e-16], [1e-16, 1e-16], 2, 1.9, "b")
    assert math.isnan(c.value) and c.note == "round-off" and c.passed
    # errors neither at round-off nor measurable (one finite point): FAIL, not a silent pass
    c = order_check("f", "c", [16, 32], [1e-3, float("nan")], [1e-16, 1e-16], 2, 1.9, "b")
    assert not c.passed


def test_margin_is_what_the_legend_says():
    from fieldconv.validation import LEGEND

    assert f"{ROUNDOFF_MARGIN:g} x its round-off floor" in LEGEND
