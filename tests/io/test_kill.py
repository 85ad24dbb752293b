"""Kill a batch run halfway (SIGKILL, and SIGINT as Ctrl-C sends it, to the whole process
group), then rerun it: no partial file at any output path, finished outputs not
recomputed (their manifest records and checksums match, their inodes and mtimes are
unchanged), and the final outputs equal those of an uninterrupted run.  Also a write
killed in the middle of an HDF5 file, deterministically.

The default size (4 snapshots of 4,000 particles, 16^3, 8 tasks) keeps each test to a few
seconds on 2 cores; ``FIELDCONV_KILL_TEST=full`` runs the size of the original study (8
snapshots of 20,000 particles, 32^3, 16 tasks), and ``validation/run_kill_resume.py`` repeats
the module to look for rare failures."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from fieldconv import _atomic
from fieldconv.io import Manifest, read_mesh, write_snapshot

from ._child import checkout_env

pytestmark = pytest.mark.slow

RUNNER = textwrap.dedent(
    """
    import os
    import sys
    import time

    from fieldconv.io import BatchInterrupted, run_batch

    # Pace the tasks (the parent's and, as this module is the spawned workers' __mp_main__, the
    # workers'): each waits PACE s before its work, so the test's 20 ms poll sees the batch
    # halfway however fast the machine; the outputs are unchanged.
    PACE = float(os.environ.get("KILL_TEST_PACE", "0"))
    if PACE:
        import fieldconv.io._batch as _batch

        _run_step = _batch.run_step

        def _paced(*args, **kwargs):
            time.sleep(PACE)
            return _run_step(*args, **kwargs)

        _batch.run_step = _paced

    if __name__ == "__main__":
        try:
            summary = run_batch(sys.argv[1], jobs=int(sys.argv[2]))
        except BatchInterrupted as exc:
            print(exc.summary.format(), flush=True)
            sys.exit(130)
        print(summary.format(verbose=True), flush=True)
        if len(sys.argv) > 3:  # the status of each output, for the test
            import json

            with open(sys.argv[3], "w") as fh:
                json.dump([[os.path.basename(r.task.output), r.status] for r in summary.results], fh)
        sys.exit(summary.exit_code)
    """
)

CONFIG = """
output_dir = "{out}"

[[steps]]
name = "pm"
step = "poisson"
inputs = ["snaps/*.hdf5"]
[steps.params]
shape = {shape}
particles = true

[[steps]]
name = "smooth"
step = "convolve"
inputs = ["@pm"]
[steps.params]
kernel_args = {{ sigma = 1.5 }}
"""

FULL = os.environ.get("FIELDCONV_KILL_TEST", "") == "full"
NSNAP, NPART, SHAPE = (8, 20000, 32) if FULL else (4, 4000, 16)
TOTAL = 2 * NSNAP  # a poisson and a chained convolve output per snapshot
MIN_DONE = 3 if FULL else 2  # outputs finished before the signal (the rerun must skip them)
PACE = 0.0 if FULL else 0.3  # s before each task of the killed run (the full size runs unpaced)
# Every run (the reference, the killed one, the rerun) in a fresh process with a fixed FFTW
# planner and thread count: outputs compared bit for bit must come from the same FFT plans
# (FFTW_MEASURE chooses by timing, and this process's wisdom from other tests would leak into
# its plans; docs/io.md, reproducibility), and no process pays FFTW_MEASURE's planning.
ENV = {"FIELDCONV_FFTW_PLANNER": "FFTW_ESTIMATE", "FIELDCONV_NUM_THREADS": "1"}


def _run(root, cfg, jobs, *, pace=0.0, results=None, **popen):
    argv = [sys.executable, str(root / "runner.py"), str(cfg), str(jobs)] + ([str(results)] if results else [])
    env = {**checkout_env(), **ENV, "KILL_TEST_PACE": str(pace)}
    return subprocess.Popen(argv, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **popen)


def _run_to_end(root, cfg, jobs):
    """Run the batch of `cfg` in a fresh process; (exit status, output, {output name: status})."""
    results = cfg.with_suffix(".results.json")
    proc = _run(root, cfg, jobs, results=results)
    text = proc.communicate(timeout=600)[0].decode()
    status = dict(json.loads(results.read_text())) if results.exists() else {}
    return proc.returncode, text, status


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Inputs, and the outputs of an uninterrupted run."""
    root = tmp_path_factory.mktemp("kill")
    (root / "snaps").mkdir()
    rng = np.random.default_rng(0)
    for i in range(NSNAP):
        pos = (rng.random((NPART, 3)) * 5.0).astype(np.float32)
        write_snapshot(root / "snaps" / f"snap_{i:03d}.hdf5", {1: {"positions": pos, "masses": 1.0}}, box_size=5.0)
    (root / "ref.toml").write_text(CONFIG.format(out="ref", shape=SHAPE))
    (root / "runner.py").write_text(RUNNER)
    code, text, status = _run_to_end(root, root / "ref.toml", 1)
    assert code == 0 and list(status.values()) == ["done"] * TOTAL, text
    return root, _outputs(root / "ref")


def _outputs(folder):
    out = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".h5"):
            m = read_mesh(folder / name)
            out[name] = (m.fields, m.units, m.provenance["parameters"], m.provenance["key"])
    return out


def _records(manifest):
    try:
        with open(manifest) as fh:
            return len(json.load(fh)["entries"])
    except (OSError, ValueError, KeyError):
        return 0


def _stamps(folder):
    return {n: (os.stat(folder / n).st_ino, os.stat(folder / n).st_mtime_ns)
            for n in os.listdir(folder) if n.endswith(".h5") and not n.startswith(_atomic.TMP_PREFIX)}


def _assert_complete_and_equal(path, ref):
    m = read_mesh(path)  # a partial file would fail here (truncated, checksums, contents record)
    fields, units, params, key = ref
    assert m.units == units and m.provenance["parameters"] == params
    if path.name.endswith(".pm.h5"):  # same snapshots, same parameters: same task key (a chained step's
        assert m.provenance["key"] == key  # input file carries its own date, so its key differs by run)
    assert fields.keys() == m.fields.keys()
    for k in fields:
        assert m.fields[k].dtype == fields[k].dtype
        np.testing.assert_array_equal(m.fields[k], fields[k])


def _finished(out):
    """Outputs at their final paths (temporaries excluded)."""
    if not out.is_dir():
        return []
    return sorted(n for n in os.listdir(out) if n.endswith(".h5") and not n.startswith(_atomic.TMP_PREFIX))


def _writing(out):
    return out.is_dir() and any(n.startswith(_atomic.TMP_PREFIX) for n in os.listdir(out))


def _interrupt(root, out, jobs, sig):
    """Start the batch in its own process group, freeze it halfway, check the state, send `sig`.

    The group is stopped (SIGSTOP) as soon as at least MIN_DONE outputs are recorded, preferably while
    a file is being written; what is on disk is then what the signal will find, whatever the
    load on the machine (a poll followed by a kill could be outrun by the batch: it finished all
    its work once while this process was descheduled, and the kill hit its shutdown).  A frozen
    batch that has finished every output is let go and the caller retries.

    Returns (config, return code, output, state at the signal), or None to retry.
    """
    cfg = root / f"cfg_{out.parent.name}_{out.name}.toml"
    cfg.write_text(CONFIG.format(out=str(out), shape=SHAPE))
    manifest = out / "fieldconv-manifest.json"
    proc = _run(root, cfg, jobs, pace=PACE, start_new_session=True)
    state = None
    try:
        deadline, n, last = time.monotonic() + 300, 0, 0.0
        while proc.poll() is None and time.monotonic() < deadline:
            if time.monotonic() - last > 0.02:
                n, last = _records(manifest), time.monotonic()
            if n >= MIN_DONE and _writing(out) or n >= TOTAL - MIN_DONE:
                os.killpg(proc.pid, signal.SIGSTOP)  # freeze the whole group: parent and workers
                done = _finished(out)
                if MIN_DONE <= len(done) < TOTAL:
                    state = {"finished": done, "writing": _writing(out)}
                    break
                os.killpg(proc.pid, signal.SIGCONT)
                if len(done) == TOTAL:
                    break
            time.sleep(0.001)
        if state is None:
            proc.communicate(timeout=300)
            return None
        os.killpg(proc.pid, sig)  # the whole group, as a scheduler or a terminal's Ctrl-C does
        os.killpg(proc.pid, signal.SIGCONT)  # a stopped process handles SIGINT once continued
        text = proc.communicate(timeout=300)[0].decode()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return cfg, proc.returncode, text, state


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
@pytest.mark.parametrize("jobs", [1, 2])
def test_kill_halfway_then_resume(reference, tmp_path, sig, jobs):
    root, ref = reference
    for attempt in range(3):
        out = tmp_path / f"out{attempt}"
        run = _interrupt(root, out, jobs, sig)
        if run is not None:
            break
    assert run is not None, "the batch finished three times before it could be interrupted"
    cfg, returncode, text, state = run
    manifest = out / "fieldconv-manifest.json"
    if sig == signal.SIGINT:
        assert returncode == 130, text
        assert "interrupted: finished outputs are kept" in text
    else:
        assert returncode == -signal.SIGKILL, text

    # 1. nothing partial at any output path; what exists is finished and right
    present = _finished(out)
    if sig == signal.SIGKILL:  # nothing more could finish after the freeze
        assert present == state["finished"], (present, state, text)
    else:  # SIGINT: a task running at the freeze may still finish (one per process); none starts
        assert set(state["finished"]) <= set(present) and len(present) <= len(state["finished"]) + jobs, \
            (present, state, text)
    assert MIN_DONE <= len(present) < TOTAL, (present, text)
    for name in present:
        _assert_complete_and_equal(out / name, ref[name])
    entries = Manifest(manifest).load()  # the manifest is whole
    assert set(entries) <= set(present)
    before = _stamps(out)

    # 2. rerun: finished outputs are recognised by hash, the rest is made
    code, retext, status = _run_to_end(root, cfg, jobs)
    report = f"killed run:\n{text}\nrerun:\n{retext}\npresent before: {present} {state}"
    assert code == 0, report
    skipped = {name for name, st in status.items() if st in ("up-to-date", "adopted")}
    done = {name for name, st in status.items() if st == "done"}
    assert skipped == set(present) and done == set(ref) - set(present), report
    after = _stamps(out)
    assert all(after[n] == before[n] for n in present), report  # not rewritten

    # 3. the result equals the uninterrupted run, and no temporary is left
    assert sorted(after) == sorted(ref)
    for name in ref:
        _assert_complete_and_equal(out / name, ref[name])
    assert not [n for n in os.listdir(out) if n.startswith(_atomic.TMP_PREFIX)]


WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from fieldconv.io import write_mesh

    if __name__ == "__main__":
        data = np.random.default_rng(1).random((48, 256, 256))  # 24 MiB of incompressible float64
        for i in range(1000):
            write_mesh(sys.argv[1], {"a": data + i}, units={"a": "m"}, compression="gzip")
    """
)


def test_write_killed_mid_file(tmp_path):
    """SIGKILL while the HDF5 file is being written: the target keeps the last whole file."""
    (tmp_path / "writer.py").write_text(WRITER)
    target = tmp_path / "mesh.h5"
    proc = subprocess.Popen([sys.executable, str(tmp_path / "writer.py"), str(target)], env=checkout_env())
    try:
        deadline = time.monotonic() + 300
        # wait until a first file is complete and a second is being written
        while time.monotonic() < deadline and proc.poll() is None:
            tmps = [n for n in os.listdir(tmp_path) if n.startswith(_atomic.TMP_PREFIX)]
            try:
                if target.exists() and tmps and os.path.getsize(tmp_path / tmps[0]) > (1 << 20):
                    break
            except FileNotFoundError:  # renamed between the listing and the size
                pass
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    leftovers = [n for n in os.listdir(tmp_path) if n.startswith(_atomic.TMP_PREFIX)]
    assert leftovers, "the kill did not land during a write"
    m = read_mesh(target)  # the previous complete file
    base = np.random.default_rng(1).random((48, 256, 256))
    i = int(round(float(m["a"][0, 0, 0] - base[0, 0, 0])))
    np.testing.assert_array_equal(m["a"], base + i)
    _atomic.remove_stale_temporaries(tmp_path)  # what the next write in the folder does
    assert not [n for n in os.listdir(tmp_path) if n.startswith(_atomic.TMP_PREFIX)]
