"""Multi-label metrics and threshold tuning, cross-checked with scikit-learn where installed."""

import numpy as np
import pytest

from fieldconv.nn import f1_per_group, f1_score, multilabel_report, perfection_rate, tune_thresholds


def _random_labels(rng, n=200, g=6):
    Y = (rng.random((n, g)) < 0.3).astype(int)
    P = np.where(rng.random((n, g)) < 0.8, Y, 1 - Y)
    P[:, -1] = 0  # a group never predicted
    Y[:, -2] = 0  # a group never present
    return Y, P


def test_matches_scikit_learn(rng):
    sk = pytest.importorskip("sklearn.metrics")
    Y, P = _random_labels(rng)
    np.testing.assert_allclose(f1_per_group(Y, P), sk.f1_score(Y, P, average=None, zero_division=1.0))
    for avg in ("micro", "macro", "weighted"):
        assert f1_score(Y, P, avg) == pytest.approx(sk.f1_score(Y, P, average=avg, zero_division=1.0), rel=1e-12)
    assert perfection_rate(Y, P) == pytest.approx(sk.accuracy_score(Y, P))


def test_exact_small_cases():
    Y = np.array([[1, 0, 0], [1, 1, 0]])
    assert f1_score(Y, Y) == 1.0 and perfection_rate(Y, Y) == 1.0
    np.testing.assert_array_equal(f1_per_group(Y, np.zeros_like(Y)), [0.0, 0.0, 1.0])
    assert f1_score(Y, 1 - Y) == 0.0


def test_tuned_thresholds_are_the_f1_optimum(rng):
    n = 400
    Y = (rng.random((n, 2)) < 0.3).astype(int)
    P = np.clip(0.25 + 0.3 * Y + 0.1 * rng.standard_normal((n, 2)), 0, 1)  # positives ~0.55, negatives ~0.25
    th = tune_thresholds(Y, P)
    assert np.all((th > 0.3) & (th < 0.55))
    for g in range(2):  # no candidate does better than the chosen one
        best = f1_per_group(Y[:, [g]], (P[:, [g]] >= th[g]).astype(int))[0]
        for c in np.arange(0.05, 0.96, 0.01):
            assert f1_per_group(Y[:, [g]], (P[:, [g]] >= c).astype(int))[0] <= best + 1e-12


def test_report_names_groups():
    r = multilabel_report([[1, 0]], [[1, 1]], groups=["a", "b"])
    assert set(r["per_group"]) == {"a", "b"} and r["perfection_rate"] == 0.0


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: f1_score([[0, 2]], [[0, 1]]), "Y_true must hold 0/1 labels"),
        (lambda: f1_score([0, 1], [0, 1]), "Y_true must be 2-D"),
        (lambda: f1_score([[0, 1]], [[0, 1, 1]]), "Y_pred must have the shape of Y_true"),
        (lambda: f1_score([[0, 1]], [[0, 1]], "samples"), "average must be one of"),
        (lambda: tune_thresholds([[0, 1]], [[0.1, np.nan]]), "proba must be finite"),
        (lambda: tune_thresholds([[0, 1]], [[0.1, 0.2]], candidates=[0.0, 0.5]), "candidates must be"),
        (lambda: multilabel_report([[0, 1]], [[0, 1]], groups=["a"]), "groups must name the 2 columns"),
    ],
    ids=["not-01", "1d", "shape", "average", "nan-proba", "bad-candidates", "names"],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
