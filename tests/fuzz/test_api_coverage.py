"""Every public callable of fieldconv has fuzz coverage (or a stated reason why not).

The public API is read from the package itself: ``fieldconv.__all__`` and the ``__all__``
of every subpackage in ``fieldconv._SUBPACKAGES``.  ``nn`` and ``io`` are being extended
by other work: of them, ``nn.ChannelMixer`` and the spectrum-file readers and writers are
required here; names they gain later are listed in the report but do not fail this test.
The covered names come from the ``@covers(...)`` marks of the fuzz tests
(``_contract.COVERAGE``), so the registry cannot drift from the tests.
"""

import importlib
import os

import fieldconv

from ._contract import COVERAGE

#: public callables deliberately without a fuzz test, and why
EXEMPT = {
    "errors.FieldconvError": "exception type: raised, not called (the contract checks what operators raise)",
    "errors.BackendUnavailableError": "exception type (raised by get_backend: test_backend_names_and_threads)",
    "errors.HostDeviceCopyError": "exception type (needs a device backend: CuPy)",
    "errors.FileFormatError": "exception type (raised by the readers: test_fuzz_files.py checks they raise it naming the file)",
    "errors.CollectiveError": "exception type (raised on every rank by fieldconv.distributed: tests/distributed)",
    "errors.FieldconvWarning": "warning type",
    "errors.AccuracyWarning": "warning type",
}

#: of the subpackages other work is extending, the names fuzzed here
PARTIAL = {
    "nn": {"ChannelMixer"},
    "io": {"read_jcamp", "write_jcamp", "read_csv", "write_csv", "read_hdf5", "write_hdf5"},
    # the Poisson study's driver is fuzzed; validate()'s report types are exercised by tests/validation
    "validation": {"run_validation", "format_table", "observed_orders", "plot_convergence", "run_demo", "Problem"},
    # collectives need mpiexec: their bad input (NaN, small meshes, a failing rank) is tested under
    # mpiexec -n 1, 2, 4 in tests/distributed; a hypothesis run per launch would cost minutes
    "distributed": set(),
}


def _fuzz_modules():
    here = os.path.dirname(__file__)
    for name in sorted(os.listdir(here)):
        if name.startswith("test_") and name.endswith(".py") and name != "test_api_coverage.py":
            importlib.import_module(f"{__package__}.{name[:-3]}")


def public_callables():
    """(required, later) public callables as "subpackage.name"."""
    required, later = [], []
    for sub in fieldconv._SUBPACKAGES:
        mod = importlib.import_module(f"fieldconv.{sub}")
        for n in mod.__all__:
            if not callable(getattr(mod, n)):
                continue  # constants (MODES, SCHEMES, PROBLEMS...)
            name = f"{sub}.{n}"
            (later if sub in PARTIAL and n not in PARTIAL[sub] else required).append(name)
    return required, later


def test_every_public_callable_is_fuzzed():
    _fuzz_modules()
    required, later = public_callables()
    missing = [n for n in required if n not in COVERAGE and n not in EXEMPT]
    assert not missing, f"public callables without fuzz coverage (add a @covers test in tests/fuzz): {missing}"
    covered = sum(1 for n in required if n in COVERAGE)
    print(f"fuzz coverage: {covered}/{len(required)} public callables ({len(EXEMPT)} exempt: exception types); "
          f"not required yet (nn/io, other work): {later}")


def test_top_level_exports_are_covered():
    # fieldconv.<name> re-exports subpackage names: each must be covered through its subpackage
    _fuzz_modules()
    missing = []
    for n in fieldconv.__all__:
        if n == "__version__":
            continue
        module = fieldconv._EXPORTS[n]
        name = f"{module.split('.')[1]}.{n}"
        if name not in COVERAGE and name not in EXEMPT:
            missing.append(name)
    assert not missing, missing


def test_registry_names_exist():
    # a @covers mark naming something that is not public (a typo, a removed function) fails here
    _fuzz_modules()
    required, later = public_callables()
    known = set(required) | set(later)
    stale = sorted(n for n in COVERAGE if n not in known)
    assert not stale, f"@covers names that are not public callables: {stale}"
