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

A family that needs an optional part of the package lists the modules in
``_registry.FAMILY_REQUIRES`` (``pm`` needs :mod:`fieldconv.pm` and
``fieldconv/validation/_zeldovich.py``): it is offered only where they are
found.
"""
