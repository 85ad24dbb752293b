"""The families of ``fieldconv validate``, one module each (listed in ``_registry.FAMILY_MODULES``).

A family module is small and follows one template::

    from .._check import EPS, FamilyResult, Series, error_check, order_check
    from .._registry import Family

    def run(settings):                       # settings: _registry.Settings
        res = FamilyResult(sizes=(32, 64) if settings.quick else (32, 64, 128))
        for n in res.sizes:
            ...                              # run the operator on settings.put(x) with
                                             # backend=settings.backend, compare with a closed form
        res.checks.append(error_check("pm", "case", "rel. error, N=128", err, tol, "how tol is derived"))
        res.checks.append(order_check("pm", "case", res.sizes, errs, floors, 2, 1.9, "why 1.9"))
        res.series.append(Series("label", list(res.sizes), errs, panel="main", order=2, floor=floors))
        return res

    def plot(result, path):
        from .._plot import plot_family
        return plot_family(result, path, title="...", panels=[{"name": "main", "title": "...", "ylabel": "..."}])

    FAMILY = Family(name="pm", title="...", namespace="fieldconv.pm", run=run, plot=plot,
                    tolerances="how the tolerances are derived")

The module's name must equal ``FAMILY.name``.  ``--quick`` must keep the
whole family to a few seconds, the default run to well under a minute on
two cores.

MERGE (branch assignpm): the PM family is ``pm.py`` here, comparing the
leapfrog Zel'dovich pancake of :mod:`fieldconv.pm` with the analytic solution
of ``fieldconv/validation/_zeldovich.py`` (positions and velocities before
shell crossing, the error and its convergence with the mesh size); then
uncomment ``"pm"`` in ``_registry.FAMILY_MODULES`` and add ``"pm"`` to
``EXPECTED_FAMILIES`` in ``tests/validation/test_families.py``.
"""
