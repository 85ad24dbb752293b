"""Multi-label metrics and decision thresholds: F1 per group, micro/macro/weighted F1, perfection rate.

All functions take host arrays (NumPy or array-likes) of 0/1 labels of shape
(n_samples, n_groups); bring device results back with ``backend.to_numpy``
first.

Definitions (per group ``g``: true positives ``TP_g``, false positives
``FP_g``, false negatives ``FN_g``):

* F1 of a group: ``2 TP / (2 TP + FP + FN)``; a group with no positive in
  either the truth or the prediction has F1 = 1 (nothing to find, nothing
  claimed; scikit-learn's ``zero_division=1``).
* micro F1: the same formula on the counts summed over groups;
* macro F1: the mean of the group F1s; weighted F1: their mean weighted by
  the number of true positives (support) of each group;
* molecule perfection rate: the fraction of spectra whose whole label row is
  right (scikit-learn's subset accuracy).
"""

import numpy as np

__all__ = ["f1_per_group", "f1_score", "perfection_rate", "tune_thresholds", "multilabel_report"]

_AVERAGES = ("micro", "macro", "weighted")


def _labels(Y, name):
    a = np.asarray(Y)
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_groups); got shape {a.shape}")
    if a.dtype == bool:
        return a
    if not np.all((a == 0) | (a == 1)):
        bad = a[(a != 0) & (a != 1)].ravel()[:3]
        raise ValueError(f"{name} must hold 0/1 labels; got values such as {bad.tolist()}")
    return a.astype(bool)


def _pair(Y_true, Y_pred):
    t, p = _labels(Y_true, "Y_true"), _labels(Y_pred, "Y_pred")
    if t.shape != p.shape:
        raise ValueError(f"Y_pred must have the shape of Y_true {t.shape}; got {p.shape}")
    return t, p


def _counts(t, p):
    tp = np.sum(t & p, axis=0)
    fp = np.sum(~t & p, axis=0)
    fn = np.sum(t & ~p, axis=0)
    return tp, fp, fn


def _f1(tp, fp, fn):
    den = 2 * tp + fp + fn
    return np.where(den > 0, 2 * tp / np.maximum(den, 1), 1.0)


def f1_per_group(Y_true, Y_pred):
    """F1 of every group (column).

    Returns
    -------
    ndarray, float64, shape (n_groups,)

    Raises
    ------
    ValueError
        Not 2-D, labels other than 0/1, or shapes that differ.

    Examples
    --------
    >>> from fieldconv.nn import f1_per_group
    >>> f1_per_group([[1, 0], [1, 1], [0, 0]], [[1, 0], [0, 1], [0, 1]])
    array([0.66666667, 0.66666667])
    """
    return _f1(*_counts(*_pair(Y_true, Y_pred)))


def f1_score(Y_true, Y_pred, average="micro"):
    """Micro, macro or weighted F1 over groups (see the module notes).

    Parameters
    ----------
    Y_true, Y_pred : array_like of 0/1, shape (n_samples, n_groups)
    average : {"micro", "macro", "weighted"}, optional

    Returns
    -------
    float

    Examples
    --------
    >>> from fieldconv.nn import f1_score
    >>> Y, P = [[1, 0], [1, 1], [0, 0]], [[1, 0], [0, 1], [0, 1]]
    >>> round(f1_score(Y, P), 4), round(f1_score(Y, P, "macro"), 4)
    (0.6667, 0.6667)
    """
    if average not in _AVERAGES:
        raise ValueError(f"average must be one of {', '.join(repr(a) for a in _AVERAGES)}; got {average!r}")
    t, p = _pair(Y_true, Y_pred)
    tp, fp, fn = _counts(t, p)
    if average == "micro":
        return float(_f1(tp.sum(), fp.sum(), fn.sum()))
    f1 = _f1(tp, fp, fn)
    if average == "macro":
        return float(f1.mean())
    support = tp + fn
    return float(np.sum(f1 * support) / support.sum()) if support.sum() else 1.0


def perfection_rate(Y_true, Y_pred):
    """Fraction of spectra whose every group is right (exact-match ratio).

    Examples
    --------
    >>> from fieldconv.nn import perfection_rate
    >>> perfection_rate([[1, 0], [1, 1], [0, 0]], [[1, 0], [0, 1], [0, 0]])
    0.6666666666666666
    """
    t, p = _pair(Y_true, Y_pred)
    return float(np.mean(np.all(t == p, axis=1)))


def tune_thresholds(Y_true, proba, *, candidates=None, default=0.5):
    """Per-group decision thresholds that maximise each group's F1 on validation data.

    Parameters
    ----------
    Y_true : array_like of 0/1, shape (n_samples, n_groups)
        Validation labels.
    proba : array_like, shape (n_samples, n_groups)
        Predicted probabilities for the same spectra.
    candidates : array_like, optional
        Thresholds tried (default 0.05, 0.06, ..., 0.95).
    default : float, optional
        Threshold kept for a group without a positive in `Y_true` (its F1
        cannot be estimated; default 0.5).

    Returns
    -------
    ndarray, float64, shape (n_groups,)
        For each group the candidate with the highest F1 (the one nearest
        0.5 among ties).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import tune_thresholds
    >>> Y = np.array([[1], [1], [0], [0]])
    >>> P = np.array([[0.35], [0.4], [0.3], [0.1]])      # positives score low but above negatives
    >>> tune_thresholds(Y, P)
    array([0.35])
    """
    t = _labels(Y_true, "Y_true")
    p = np.asarray(proba, dtype=np.float64)
    if p.shape != t.shape:
        raise ValueError(f"proba must have the shape of Y_true {t.shape}; got {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError("proba must be finite")
    cand = np.round(np.arange(0.05, 0.951, 0.01), 2) if candidates is None else np.sort(np.asarray(candidates, float))
    if cand.ndim != 1 or cand.size == 0 or np.any((cand <= 0) | (cand >= 1)):
        raise ValueError("candidates must be a non-empty 1-D array of thresholds in (0, 1)")
    out = np.full(t.shape[1], float(default))
    for g in range(t.shape[1]):
        if not t[:, g].any():
            continue
        pred = p[:, g][:, None] >= cand[None, :]  # (n, n_candidates)
        tp = np.sum(pred & t[:, g][:, None], axis=0)
        fp = np.sum(pred & ~t[:, g][:, None], axis=0)
        fn = np.sum(~pred & t[:, g][:, None], axis=0)
        f1 = _f1(tp, fp, fn)
        best = np.flatnonzero(f1 >= f1.max() - 1e-12)
        out[g] = cand[best[np.argmin(np.abs(cand[best] - 0.5))]]
    return out


def multilabel_report(Y_true, Y_pred, groups=None):
    """Per-group F1 and support, micro/macro/weighted F1 and perfection rate, as a dict.

    Examples
    --------
    >>> from fieldconv.nn import multilabel_report
    >>> r = multilabel_report([[1, 0], [0, 1]], [[1, 0], [1, 1]], groups=["ketone", "ester"])
    >>> r["per_group"]["ketone"], r["micro_f1"], r["perfection_rate"]
    ({'f1': 0.6666666666666666, 'support': 1}, 0.8, 0.5)
    """
    t, p = _pair(Y_true, Y_pred)
    names = [f"group_{g}" for g in range(t.shape[1])] if groups is None else list(groups)
    if len(names) != t.shape[1]:
        raise ValueError(f"groups must name the {t.shape[1]} columns; got {len(names)} names")
    f1 = f1_per_group(t, p)
    support = t.sum(axis=0)
    return {
        "per_group": {n: {"f1": float(f), "support": int(s)} for n, f, s in zip(names, f1, support)},
        "micro_f1": f1_score(t, p, "micro"),
        "macro_f1": f1_score(t, p, "macro"),
        "weighted_f1": f1_score(t, p, "weighted"),
        "perfection_rate": perfection_rate(t, p),
    }
