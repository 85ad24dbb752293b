"""Batch runs: many inputs and steps from one config, resumable, in parallel processes.

A config (a TOML file or the same structure as a dict) lists steps; each
step turns every file its ``inputs`` match into one output::

    output_dir = "results"            # default: the config file's folder
    jobs = 2                          # processes (default 1)

    [[steps]]
    name = "pm"                       # default: the step kind; unique
    step = "poisson"                  # paint | poisson | convolve | smooth
    inputs = ["snapshots/snap_*.hdf5"]  # globs, relative to the config's folder
    output = "{stem}.pm.h5"           # default "{stem}.{name}.h5", in output_dir
    [steps.params]                    # the step's parameters (fieldconv.io.STEPS)
    shape = 128
    scheme = "tsc"

    [[steps]]
    name = "smoothed"
    step = "convolve"
    inputs = ["@pm"]                  # the outputs of step "pm"
    [steps.params]
    dataset = "density"
    kernel_args = { sigma = 2.0 }

The pieces ``base.0.hdf5, base.1.hdf5, ...`` of a multi-file snapshot are
one input (stem ``base``).  :func:`run_batch` runs the steps in order (a
step's tasks in parallel with ``jobs > 1``, each process with
``cores // jobs`` threads) and records every finished output in the
manifest (:class:`~fieldconv.io.Manifest`).  A rerun skips the
outputs whose manifest record matches the task's key (step, parameters and
the inputs' SHA-256) and whose content matches the recorded SHA-256; an
output that exists without a record (the process died between writing it and
recording it) is adopted if its provenance carries the task's key and it
reads back with valid checksums.  Everything else runs again: missing
outputs, and stale ones (changed inputs or parameters).  A failing task is
reported and the others go on (its dependents are marked blocked); an
interrupt (Ctrl-C) stops the run, keeps every finished output and leaves no
partial file at an output path.
"""

import concurrent.futures
import dataclasses
import glob
import logging
import os
import signal
import sys
import time

from ..errors import FileFormatError
from ._manifest import MANIFEST_NAME, Manifest
from ._steps import get_step, input_files, run_step

__all__ = ["load_config", "plan", "run_batch", "BatchConfig", "StepConfig", "Task", "TaskResult", "BatchSummary",
           "BatchInterrupted"]

log = logging.getLogger("fieldconv.io.batch")

_TOP_KEYS = ("output_dir", "manifest", "jobs", "steps")
_STEP_KEYS = ("name", "step", "inputs", "output", "params")
_TEMPLATE_KEYS = ("stem", "name", "step", "index")


@dataclasses.dataclass(frozen=True)
class StepConfig:
    """One ``[[steps]]`` entry, checked: parameters normalised with defaults."""

    name: str
    step: str
    inputs: tuple
    output: str
    params: dict


@dataclasses.dataclass(frozen=True)
class BatchConfig:
    """A checked batch config: absolute folders, the manifest, jobs and steps."""

    base_dir: str
    output_dir: str
    manifest: str
    jobs: int
    steps: tuple


@dataclasses.dataclass(frozen=True, eq=False)
class Task:
    """One output to make: the step, its input, the output path and parameters.

    ``after`` names the step whose output is the input (None for files).
    """

    step: str
    name: str
    stem: str
    input: str
    output: str
    params: dict
    after: object = None


@dataclasses.dataclass(frozen=True, eq=False)
class TaskResult:
    """What became of a task.

    ``status`` is one of ``"done"`` (computed now), ``"up-to-date"``
    (skipped: the manifest and the output's checksum match), ``"adopted"``
    (an existing output with the task's key, recorded without recomputing),
    ``"would-run"`` (dry run), ``"failed"``, ``"blocked"`` (its input's task
    failed or was interrupted); ``reason`` says why.
    """

    task: Task
    status: str
    reason: str = ""
    seconds: float = 0.0


class BatchSummary:
    """The results of a batch run, in task order.

    Attributes
    ----------
    results : list of TaskResult
    seconds : float
    interrupted : bool
    dry_run : bool
    """

    def __init__(self, results, seconds, *, interrupted=False, dry_run=False):
        self.results, self.seconds, self.interrupted, self.dry_run = list(results), seconds, interrupted, dry_run

    def count(self, status):
        """Number of tasks with `status`."""
        return sum(r.status == status for r in self.results)

    @property
    def failed(self):
        """The failed and blocked results."""
        return [r for r in self.results if r.status in ("failed", "blocked")]

    @property
    def ok(self):
        """True when nothing failed and the run was not interrupted."""
        return not self.failed and not self.interrupted

    @property
    def exit_code(self):
        """0 if all went well, 1 if a task failed, 130 if interrupted."""
        return 130 if self.interrupted else (0 if self.ok else 1)

    def format(self, *, verbose=False):
        """A human-readable report: counts, then every failure (every task with `verbose`)."""
        order = ("done", "up-to-date", "adopted", "would-run", "failed", "blocked")
        parts = [f"{self.count(s)} {s}" for s in order if self.count(s)]
        head = f"batch: {len(self.results)} task(s): {', '.join(parts) or 'nothing to do'} ({self.seconds:.1f} s)"
        if self.dry_run:
            head += " [dry run: nothing computed or written]"
        if self.interrupted:
            head += " [interrupted: finished outputs are kept; rerun to resume]"
        lines = [head]
        shown = self.results if verbose else self.failed
        for r in shown:
            t = r.task
            what = f"{t.input} -> {t.output}" if t.output else f"inputs {t.input!r}"
            lines.append(f"  {r.status:10s} {t.name}: {what}" + (f": {r.reason}" if r.reason else ""))
        return "\n".join(lines)

    def __repr__(self):
        return f"BatchSummary({self.format().splitlines()[0]!r})"


class BatchInterrupted(KeyboardInterrupt):
    """The batch was interrupted (Ctrl-C); ``summary`` holds what finished.

    A :class:`KeyboardInterrupt`, so a plain ``except KeyboardInterrupt``
    still sees it.
    """

    def __init__(self, summary):
        super().__init__(summary.format())
        self.summary = summary


# ------------------------------------------------------------------ config
def _load_toml(path):
    try:
        import tomllib
    except ImportError:  # Python 3.10: the same parser, as the tomli package
        import tomli as tomllib

    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from exc


def load_config(config, *, base_dir=None):
    """Read and check a batch config.

    Parameters
    ----------
    config : str, os.PathLike or dict
        A TOML file, or the same structure as a dict.
    base_dir : str, optional
        Folder that relative paths of a dict config refer to (default: the
        current folder; a TOML file's own folder for a file).

    Returns
    -------
    BatchConfig

    Raises
    ------
    ValueError
        Invalid TOML, unknown keys, a step without inputs, duplicate step
        names, an unknown step, bad parameters (naming the step and
        parameter), an output template with unknown fields.
    TypeError
        Values of the wrong type.
    FileNotFoundError
        No such config file.

    Examples
    --------
    >>> cfg = load_config({"steps": [{"step": "paint", "inputs": ["snaps/*.hdf5"], "params": {"shape": 32}}]},
    ...                   base_dir="/data")
    >>> cfg.output_dir, cfg.steps[0].name, cfg.steps[0].output, cfg.steps[0].params["scheme"]
    ('/data', 'paint', '{stem}.{name}.h5', 'cic')
    """
    if isinstance(config, dict):
        doc = config
        base = os.path.abspath(base_dir or os.getcwd())
    elif isinstance(config, (str, os.PathLike)):
        path = os.path.abspath(os.fspath(config))
        if not os.path.isfile(path):
            raise FileNotFoundError(2, "no such batch config", path)
        doc = _load_toml(path)
        base = os.path.abspath(base_dir) if base_dir else os.path.dirname(path)
    else:
        raise TypeError(f"config must be a TOML path or a dict; got {type(config).__name__}")
    unknown = sorted(set(doc) - set(_TOP_KEYS))
    if unknown:
        raise ValueError(f"unknown batch config key {unknown[0]!r}; the keys are {', '.join(_TOP_KEYS)}")
    out_dir = doc.get("output_dir", ".")
    if not isinstance(out_dir, str):
        raise TypeError(f"output_dir must be a string; got {out_dir!r}")
    out_dir = os.path.normpath(os.path.join(base, out_dir))
    manifest = doc.get("manifest", MANIFEST_NAME)
    if not isinstance(manifest, str) or not manifest:
        raise TypeError(f"manifest must be a file name; got {manifest!r}")
    jobs = _jobs(doc.get("jobs", 1), "jobs")
    steps_doc = doc.get("steps")
    if not isinstance(steps_doc, list) or not steps_doc:
        raise ValueError("the batch config needs at least one [[steps]] entry")
    steps, names = [], set()
    for i, s in enumerate(steps_doc):
        if not isinstance(s, dict):
            raise TypeError(f"steps[{i}] must be a table; got {type(s).__name__}")
        unknown = sorted(set(s) - set(_STEP_KEYS))
        if unknown:
            raise ValueError(f"steps[{i}] has unknown key {unknown[0]!r}; the keys are {', '.join(_STEP_KEYS)} "
                             "(step parameters go in [steps.params])")
        kind = s.get("step")
        if not isinstance(kind, str):
            raise ValueError(f"steps[{i}] needs step = one of 'paint', 'poisson', 'convolve', 'smooth'")
        st = get_step(kind)
        name = s.get("name", kind)
        if not isinstance(name, str) or not name or "/" in name or name.startswith("@"):
            raise ValueError(f"steps[{i}].name must be a non-empty string without '/' or a leading '@'; got {name!r}")
        if name in names:
            raise ValueError(f"steps[{i}].name {name!r} is used twice; give each step its own name")
        names.add(name)
        inputs = s.get("inputs")
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, list) or not inputs or not all(isinstance(x, str) and x for x in inputs):
            raise ValueError(f"steps[{i}] ({name}) needs inputs = a list of glob patterns or '@step' names")
        for x in inputs:
            if x.startswith("@") and x[1:] not in names - {name}:
                raise ValueError(f"steps[{i}] ({name}) input {x!r} must name an earlier step")
        output = s.get("output", "{stem}.{name}.h5")
        _check_template(output, f"steps[{i}].output")
        try:
            params = st.normalize(s.get("params", {}))
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"steps[{i}] ({name}): {exc}") from None
        steps.append(StepConfig(name, kind, tuple(inputs), output, params))
    return BatchConfig(base, out_dir, os.path.join(out_dir, manifest), jobs, tuple(steps))


def _jobs(value, name):
    from .._validate import check_int

    return check_int(name, value, minimum=1)


def _check_template(text, name):
    import string

    if not isinstance(text, str) or not text:
        raise TypeError(f"{name} must be a non-empty string; got {text!r}")
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError as exc:
        raise ValueError(f"{name} {text!r} is not a valid template ({exc})") from exc
    bad = sorted(f for f in fields if f not in _TEMPLATE_KEYS)
    if bad:
        raise ValueError(f"{name} {text!r} uses unknown field {{{bad[0]}}}; the fields are "
                         + ", ".join("{" + k + "}" for k in _TEMPLATE_KEYS))
    if "{stem}" not in text and "{index}" not in text:
        raise ValueError(f"{name} {text!r} must contain {{stem}} or {{index}} (one output per input)")


# ------------------------------------------------------------------ planning
def _stem(path):
    name = os.path.basename(path)
    return name.rsplit(".", 1)[0] if "." in name else name


def _expand(pattern, base, kind):
    """(input path, stem) pairs a glob pattern matches, multi-file snapshots grouped."""
    from ._snapshot import _PIECE

    full = os.path.join(base, os.path.expanduser(pattern))
    paths = sorted(p for p in glob.glob(full) if os.path.isfile(p))
    if kind != "snapshot":
        return [(p, _stem(p)) for p in paths]
    groups = {}
    for p in paths:
        m = _PIECE.match(p)
        key = (m["base"], m["ext"]) if m else (p, None)
        groups.setdefault(key, []).append(p)
    out = []
    for (b, ext), members in sorted(groups.items()):
        if ext is None:
            out.append((members[0], _stem(members[0])))
        else:
            out.append((b, os.path.basename(b)))  # the base opens every piece
    return out


def plan(config):
    """The tasks of a batch config, in run order, and the patterns that matched nothing.

    Returns
    -------
    tasks : list of Task
    unmatched : list of (step name, pattern)

    Raises
    ------
    ValueError
        Two tasks would write the same output, or an output would overwrite
        an input.
    """
    if not isinstance(config, BatchConfig):
        config = load_config(config)
    tasks, unmatched, by_step = [], [], {}
    for sc in config.steps:
        kind = get_step(sc.step).input_kind
        items = []
        for pattern in sc.inputs:
            if pattern.startswith("@"):
                items += [(t.output, t.stem, pattern[1:]) for t in by_step[pattern[1:]]]
                continue
            found = _expand(pattern, config.base_dir, kind)
            if not found:
                unmatched.append((sc.name, pattern))
            items += [(p, stem, None) for p, stem in found]
        step_tasks = []
        seen = set()
        for index, (path, stem, after) in enumerate(items):
            if path in seen:
                continue
            seen.add(path)
            out = sc.output.format(stem=stem, name=sc.name, step=sc.step, index=index)
            out = os.path.normpath(os.path.join(config.output_dir, out))
            step_tasks.append(Task(sc.step, sc.name, stem, path, out, sc.params, after))
        by_step[sc.name] = step_tasks
        tasks += step_tasks
    outputs = {}
    inputs = {os.path.abspath(t.input) for t in tasks if t.after is None}
    for t in tasks:
        if t.output in outputs:
            other = outputs[t.output]
            raise ValueError(f"two tasks would write {t.output}: {other.name} on {other.input} and {t.name} on "
                             f"{t.input}; make the output templates differ")
        if t.output in inputs:
            raise ValueError(f"task {t.name} on {t.input} would overwrite the input {t.output}")
        outputs[t.output] = t
    return tasks, unmatched


# ------------------------------------------------------------------ one task
def _input_records(task, known):
    """Input files of `task` with size, mtime and SHA-256 (reused from the manifest when unchanged)."""
    from ._provenance import file_sha256

    recs = []
    for f in input_files(task.step, task.input):
        f = os.path.abspath(f)
        st = os.stat(f)
        k = known.get(f)
        sha = k[2] if k is not None and k[0] == st.st_size and k[1] == st.st_mtime_ns else file_sha256(f)
        recs.append({"path": f, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha})
    return recs


def _adoptable(output, key):
    """True if `output` holds the result of the task `key` and reads back with valid checksums."""
    from ._mesh import read_mesh

    try:
        if read_mesh(output, names=[]).provenance.get("key") != key:  # provenance first: cheap
            return False
        read_mesh(output)  # then every dataset, checksums verified
    except (FileFormatError, OSError, KeyError, ValueError):
        return False
    return True


def _execute(task, manifest_path, known, dry_run, verify="stat"):
    """Run one task (in this process or a worker); return (status, reason, seconds)."""
    from ._provenance import task_key

    t0 = time.perf_counter()
    try:
        if task.after is not None and not os.path.isfile(task.input):
            if dry_run:
                return "would-run", f"after step {task.after!r} makes its input", 0.0
            return "blocked", f"input {task.input} was not made (step {task.after!r})", 0.0
        recs = _input_records(task, known)
        key = task_key(task.step, task.params, [r["sha256"] for r in recs])
        manifest = Manifest(manifest_path)
        if manifest.is_current(task.output, key, verify=verify):
            return "up-to-date", "", time.perf_counter() - t0
        exists = os.path.isfile(task.output)
        if exists and _adoptable(task.output, key):
            if not dry_run:
                manifest.record(task.output, key=key, step=task.step, parameters=task.params, inputs=recs)
            return "adopted", "output with this task's key found without a manifest record", time.perf_counter() - t0
        if dry_run:
            rec = manifest.lookup(task.output)
            why = ("missing" if not exists else "stale: inputs or parameters changed"
                   if rec is not None and rec.get("key") != key else "output differs from its record or is not recorded")
            return "would-run", why, 0.0
        os.makedirs(os.path.dirname(task.output), exist_ok=True)
        run_step(task.step, task.input, task.output, task.params, inputs=recs)
        seconds = time.perf_counter() - t0
        manifest.record(task.output, key=key, step=task.step, parameters=task.params, inputs=recs, seconds=seconds)
        return "done", "", seconds
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # one bad input is reported; the batch goes on
        return "failed", f"{type(exc).__name__}: {exc}", time.perf_counter() - t0


# ------------------------------------------------------------------ workers
def _cores():
    """CPUs this batch may use: the thread policy's default (``FIELDCONV_NUM_THREADS``, else the affinity)."""
    from ..backend import default_threads

    return default_threads()


#: Threads of this worker process (set by :func:`_init_worker`; None in the parent: the default policy).
_worker_threads = None
#: Set in a worker by Ctrl-C (SIGINT reaches the whole process group): no new task starts there.
_worker_interrupted = False


def _note_interrupt(signum, frame):  # pragma: no cover - runs in worker processes
    global _worker_interrupted

    _worker_interrupted = True


def _terminate(signum, frame):  # pragma: no cover - runs in worker processes
    raise SystemExit(128 + signum)


def _execute_in_worker(task, manifest_path, known, dry_run, verify, execute=None):
    """:func:`_execute` in a pool worker, inside the worker's thread scope.

    ``fieldconv.backend.threads`` sets FFTW's, numba's and BLAS's threads
    for everything the task calls; a termination ends the process once the
    write is cleaned up.  `execute` (default :func:`_execute`, same
    arguments) is what runs the task (tests give their own).
    """
    from ..backend import threads

    if _worker_interrupted:  # the parent is stopping the batch: leave the task to a rerun
        return "failed", "not started: the batch was interrupted (Ctrl-C)", 0.0
    try:
        with threads(_worker_threads):
            return (execute or _execute)(task, manifest_path, known, dry_run, verify)
    except SystemExit as exc:  # SIGTERM from the parent, after atomic_path removed its temporary
        os._exit(exc.code if isinstance(exc.code, int) else 1)


def _init_worker(threads):
    """Worker start: its share of the cores (the thread policy's scope per task), parent-driven interrupts."""
    global _worker_threads

    _worker_threads = threads
    # Ctrl-C: the running task goes on (the parent terminates it, or it finishes and is adopted by
    # the rerun), no new one starts; the parent decides what happens next
    signal.signal(signal.SIGINT, _note_interrupt)
    signal.signal(signal.SIGTERM, _terminate)  # SystemExit: atomic writes remove their temporaries


def _stop_workers(pool):
    terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
    if terminate is not None:
        terminate()
        return
    for p in list(getattr(pool, "_processes", {}).values()):  # earlier Pythons: no public API
        if p.is_alive():
            p.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def _known_for(task, known):
    """The recorded checksums of `task`'s input files only (what a worker needs to be sent)."""
    base = os.path.abspath(task.input)
    return {p: v for p, v in known.items() if p == base or p.startswith(base + ".")}


class _Interrupts:
    """Ctrl-C during a batch: raise KeyboardInterrupt, and remember it.

    Python drops a KeyboardInterrupt raised inside a weakref callback or a
    ``__del__`` ("Exception ignored in ..."); the flag lets the batch stop at
    the next task boundary all the same.  Installed only in the main thread and
    only over Python's default handler.
    """

    def __init__(self):
        self.seen, self._old = False, None

    def _handler(self, signum, frame):
        self.seen = True
        raise KeyboardInterrupt

    def check(self):
        if self.seen:
            raise KeyboardInterrupt

    def __enter__(self):
        import threading

        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._old = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc):
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
        return False


class _Workers:
    """Worker processes kept for the whole batch (spawned once), replaced if one dies."""

    def __init__(self, jobs):
        self.jobs, self.threads, self.pool = jobs, max(1, _cores() // jobs), None

    def _new(self, n):
        import multiprocessing

        return concurrent.futures.ProcessPoolExecutor(
            max_workers=n, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
            initargs=(self.threads,))

    def run(self, tasks, manifest_path, known, dry_run, verify, on_result, fn=None, check=None):
        """Run `tasks`; a task whose worker died is retried once alone, to tell it from its victims.

        `fn` (default :func:`_execute`; an importable function with its
        arguments, for tests) is what a worker runs per task, inside
        :func:`_execute_in_worker` (its thread scope and interrupt handling).
        """
        from concurrent.futures.process import BrokenProcessPool

        args = (manifest_path, known, dry_run, verify)

        def submit(pool, t):
            return pool.submit(_execute_in_worker, t, *self._args(t, args), fn)

        if self.pool is None:
            self.pool = self._new(self.jobs)
        futures = {submit(self.pool, t): t for t in tasks}
        crashed = []
        for fut in concurrent.futures.as_completed(futures):
            try:
                on_result(futures[fut], *fut.result())
            except BrokenProcessPool:
                crashed.append(futures[fut])
            if check is not None:
                check()
        if crashed:
            self.pool.shutdown(wait=True)
            self.pool = None
        for t in crashed:
            alone = self._new(1)
            try:
                on_result(t, *submit(alone, t).result())
            except BrokenProcessPool:
                on_result(t, "failed", "the worker process died (a crash in native code?)", 0.0)
            except BaseException:
                _stop_workers(alone)
                raise
            alone.shutdown(wait=True)

    @staticmethod
    def _args(task, args):
        manifest_path, known, dry_run, verify = args
        return manifest_path, _known_for(task, known), dry_run, verify

    def close(self, *, kill=False):
        if self.pool is not None:
            if kill:
                _stop_workers(self.pool)
            else:
                self.pool.shutdown(wait=True)
            self.pool = None


# ------------------------------------------------------------------ driver
def run_batch(config, *, jobs=None, dry_run=False, progress=False, base_dir=None, verify="stat"):
    """Run a batch: every task of the config, resuming from the manifest.

    Parameters
    ----------
    config : str, os.PathLike, dict or BatchConfig
        A TOML file, a dict of the same structure, or a loaded config.
    jobs : int, optional
        Processes (default: the config's ``jobs``, else 1).  With ``jobs >
        1`` each process gets ``cores // jobs`` threads.
    dry_run : bool, optional
        Say what would run and why; compute and write nothing.
    progress : bool, optional
        A progress bar (tqdm, on stderr).
    base_dir : str, optional
        For a dict config: the folder relative paths refer to.
    verify : {"stat", "content"}, optional
        How a finished output is checked against its manifest record:
        "stat" (default) trusts the recorded SHA-256 while the file's size
        and mtime are unchanged and hashes it otherwise; "content" hashes
        every output (a full read of each).

    Returns
    -------
    BatchSummary
        Per-task status; ``summary.exit_code`` is 0, or 1 if anything failed
        (a pattern that matched no file counts as a failure).

    Raises
    ------
    BatchInterrupted
        On Ctrl-C (a KeyboardInterrupt carrying the summary so far).
    ValueError, TypeError, FileNotFoundError
        An invalid config (nothing is run).
    FileFormatError
        A damaged manifest (nothing is run).

    Notes
    -----
    Logging goes to the ``fieldconv.io.batch`` logger: INFO for each
    finished or failed task, DEBUG for skipped ones.
    """
    t0 = time.perf_counter()
    cfg = config if isinstance(config, BatchConfig) else load_config(config, base_dir=base_dir)
    jobs = cfg.jobs if jobs is None else _jobs(jobs, "jobs")
    if verify not in ("stat", "content"):
        raise ValueError(f"verify must be 'stat' or 'content'; got {verify!r}")
    tasks, unmatched = plan(cfg)
    manifest = Manifest(cfg.manifest)
    manifest.load()  # a damaged manifest stops the run before any work
    if not dry_run:
        from .. import _atomic

        os.makedirs(cfg.output_dir, exist_ok=True)
        for folder in {cfg.output_dir} | {os.path.dirname(t.output) for t in tasks}:
            _atomic.remove_stale_temporaries(folder)  # left by a run that was killed
    results = {}
    failed_outputs, pending_outputs = set(), set()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(tasks), unit="task", file=sys.stderr, dynamic_ncols=True)

    def on_result(task, status, reason, seconds):
        results[task] = TaskResult(task, status, reason, seconds)
        if status == "would-run":
            pending_outputs.add(task.output)
        if status in ("failed", "blocked"):
            failed_outputs.add(task.output)
            log.warning("%s %s: %s -> %s: %s", status, task.name, task.input, task.output, reason)
        elif status == "done":
            log.info("done %s: %s (%.1f s)", task.name, task.output, seconds)
        else:
            log.debug("%s %s: %s %s", status, task.name, task.output, reason)
        if bar is not None:
            bar.update(1)

    by_name = {}
    for t in tasks:
        by_name.setdefault(t.name, []).append(t)
    interrupted = False
    workers = _Workers(jobs) if jobs > 1 else None
    interrupts = _Interrupts()
    try:
        interrupts.__enter__()
        for sc in cfg.steps:
            stage = by_name.get(sc.name, [])
            runnable = []
            for t in stage:
                if t.after is not None and t.input in failed_outputs:
                    on_result(t, "blocked", f"its input's task (step {t.after!r}) failed", 0.0)
                elif t.after is not None and t.input in pending_outputs:
                    verb = "remakes" if os.path.isfile(t.input) else "makes"
                    on_result(t, "would-run", f"after step {t.after!r} {verb} its input", 0.0)
                else:
                    runnable.append(t)
            known = manifest.known_inputs()
            if jobs == 1 or len(runnable) <= 1:
                for t in runnable:
                    interrupts.check()
                    on_result(t, *_execute(t, cfg.manifest, known, dry_run, verify))
            else:
                workers.run(runnable, cfg.manifest, known, dry_run, verify, on_result, check=interrupts.check)
            interrupts.check()
    except KeyboardInterrupt:
        interrupted = True
    except BaseException:
        if workers is not None:
            workers.close(kill=True)
            workers = None
        raise
    finally:
        interrupts.__exit__(None, None, None)
        if workers is not None:
            workers.close(kill=interrupted)
        if bar is not None:
            bar.close()
    if not dry_run and not interrupted:  # temporaries of processes that ended during this run (a worker
        for folder in {cfg.output_dir} | {os.path.dirname(t.output) for t in tasks}:  # killed mid-write)
            _atomic.remove_stale_temporaries(folder)
    ordered = [results[t] for t in tasks if t in results]
    for name, pattern in unmatched:
        ordered.append(TaskResult(Task("", name, "", pattern, "", {}), "failed", f"pattern {pattern!r} matched no file"))
    summary = BatchSummary(ordered, time.perf_counter() - t0, interrupted=interrupted, dry_run=dry_run)
    if interrupted:
        raise BatchInterrupted(summary)
    return summary
