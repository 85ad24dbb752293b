"""Tests of fieldconv.io._batch: config checking, planning (multi-file snapshots, chained
steps), resume by hash (up to date, stale, touched, edited, adopted), one bad input
reported while the rest go on, dry runs, and jobs=2 equal to jobs=1."""

import os
import shutil

import numpy as np
import pytest

from fieldconv.io import FileFormatError, Manifest, load_config, plan, read_mesh, run_batch, write_snapshot

CONFIG = """
output_dir = "out"

[[steps]]
name = "pm"
step = "poisson"
inputs = ["snaps/*.hdf5"]
[steps.params]
shape = 8
particles = true

[[steps]]
name = "smooth"
step = "convolve"
inputs = ["@pm"]
output = "smooth/{stem}.h5"
[steps.params]
dataset = "density"
kernel_args = { sigma = 1.0 }
"""


def _make(tmp_path, nsnap=3, config=CONFIG):
    (tmp_path / "snaps").mkdir()
    rng = np.random.default_rng(0)
    for i in range(nsnap):
        pos = (rng.random((400, 3)) * 5.0).astype(np.float32)
        nfiles = 2 if i == 0 else 1
        name = tmp_path / "snaps" / (f"snap_{i:03d}" if nfiles > 1 else f"snap_{i:03d}.hdf5")
        write_snapshot(name, {1: {"positions": pos, "masses": 1.0}}, box_size=5.0, nfiles=nfiles)
    (tmp_path / "batch.toml").write_text(config)
    return tmp_path / "batch.toml"


def _status(summary):
    return {(r.task.name, os.path.basename(r.task.output)): r.status for r in summary.results}


def _stamp(folder):
    return {p: (os.stat(p).st_ino, os.stat(p).st_mtime_ns)
            for p in (os.path.join(d, f) for d, _, fs in os.walk(folder) for f in fs) if p.endswith(".h5")}


# ------------------------------------------------------------------ config and plan
@pytest.mark.parametrize(
    "doc, exc, match",
    [
        ({"steps": []}, ValueError, "at least one"),
        ({"steps": [{"step": "paint", "inputs": ["a"], "params": {"shape": 8}}], "outdir": "x"}, ValueError,
         "unknown batch config key 'outdir'"),
        ({"steps": [{"step": "paint", "inputs": ["a"], "shape": 8}]}, ValueError, r"unknown key 'shape'.*\[steps.params\]"),
        ({"steps": [{"step": "paint", "inputs": ["a"]}]}, ValueError, r"steps\[0\] \(paint\): step 'paint' needs parameter 'shape'"),
        ({"steps": [{"step": "fft", "inputs": ["a"]}]}, ValueError, "step must be one of"),
        ({"steps": [{"step": "paint", "inputs": ["a"], "params": {"shape": 8}}] * 2}, ValueError, "used twice"),
        ({"steps": [{"step": "paint", "inputs": ["@x"], "params": {"shape": 8}}]}, ValueError, "must name an earlier step"),
        ({"steps": [{"step": "paint", "inputs": ["a"], "output": "{stemm}.h5", "params": {"shape": 8}}]}, ValueError,
         "unknown field {stemm}"),
        ({"steps": [{"step": "paint", "inputs": ["a"], "output": "same.h5", "params": {"shape": 8}}]}, ValueError,
         "must contain {stem} or {index}"),
        ({"jobs": 0, "steps": [{"step": "paint", "inputs": ["a"], "params": {"shape": 8}}]}, ValueError, "jobs must be >= 1"),
    ],
    ids=["no steps", "top key", "param at step level", "missing param", "unknown step", "duplicate name",
         "bad reference", "template field", "template constant", "jobs"],
)
def test_config_errors(doc, exc, match):
    with pytest.raises(exc, match=match):
        load_config(doc, base_dir="/data")


def test_toml_errors(tmp_path):
    (tmp_path / "b.toml").write_text("[[steps]\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_config(tmp_path / "b.toml")
    with pytest.raises(FileNotFoundError):
        load_config(tmp_path / "none.toml")


def test_plan_groups_multifile_snapshots_and_chains_steps(tmp_path):
    cfg = _make(tmp_path)
    tasks, unmatched = plan(load_config(cfg))
    assert unmatched == []
    pm = [t for t in tasks if t.name == "pm"]
    assert [t.stem for t in pm] == ["snap_000", "snap_001", "snap_002"]
    assert pm[0].input == str(tmp_path / "snaps" / "snap_000")  # both pieces: one input
    sm = [t for t in tasks if t.name == "smooth"]
    assert [t.input for t in sm] == [t.output for t in pm] and all(t.after == "pm" for t in sm)
    assert sm[0].output == str(tmp_path / "out" / "smooth" / "snap_000.h5")


def test_plan_refuses_two_tasks_on_one_output(tmp_path):
    cfg = _make(tmp_path)
    doc = {"steps": [{"name": "a", "step": "paint", "inputs": ["snaps/*.hdf5"], "output": "{stem}.h5", "params": {"shape": 4}},
                     {"name": "b", "step": "paint", "inputs": ["snaps/*.hdf5"], "output": "{stem}.h5", "params": {"shape": 8}}]}
    with pytest.raises(ValueError, match="two tasks would write"):
        plan(load_config(doc, base_dir=cfg.parent))


# ------------------------------------------------------------------ runs and resume
def test_run_then_resume_by_hash(tmp_path):
    cfg = _make(tmp_path)
    s1 = run_batch(cfg)
    assert s1.ok and s1.exit_code == 0 and s1.count("done") == 6
    stamps = _stamp(tmp_path / "out")
    assert len(stamps) == 6
    # rerun: nothing recomputed (statuses and the files' inodes and mtimes)
    s2 = run_batch(cfg)
    assert s2.count("up-to-date") == 6 and _stamp(tmp_path / "out") == stamps
    # an input touched but unchanged: still up to date (verified by content, not by date)
    os.utime(tmp_path / "snaps" / "snap_001.hdf5", ns=(1, 1))
    assert run_batch(cfg).count("up-to-date") == 6
    # an input changed: its two outputs are redone, nothing else
    write_snapshot(tmp_path / "snaps" / "snap_001.hdf5", {1: np.full((400, 3), 2.5, np.float32)}, box_size=5.0)
    s3 = run_batch(cfg)
    assert {k for k, v in _status(s3).items() if v == "done"} == {("pm", "snap_001.pm.h5"), ("smooth", "snap_001.h5")}
    # an output edited on disk: redone
    path = tmp_path / "out" / "snap_002.pm.h5"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    s4 = run_batch(cfg)
    assert _status(s4)[("pm", "snap_002.pm.h5")] == "done"
    # an output edited with its size and mtime kept: only verify="content" sees it
    st = os.stat(path)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 3] ^= 0xFF
    path.write_bytes(bytes(raw))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert _status(run_batch(cfg))[("pm", "snap_002.pm.h5")] == "up-to-date"
    assert _status(run_batch(cfg, verify="content"))[("pm", "snap_002.pm.h5")] == "done"
    # parameters changed for one step: only that step's outputs are stale
    s5 = run_batch(_edited(cfg, "sigma = 1.0", "sigma = 2.0"))
    assert {k[0] for k, v in _status(s5).items() if v == "done"} == {"smooth"} and s5.count("done") == 3


def _edited(cfg, old, new):
    text = cfg.read_text().replace(old, new)
    edited = cfg.with_name("edited.toml")
    edited.write_text(text)
    return edited


def test_lost_manifest_adopts_outputs(tmp_path):
    cfg = _make(tmp_path)
    run_batch(cfg)
    stamps = _stamp(tmp_path / "out")
    os.remove(tmp_path / "out" / "fieldconv-manifest.json")
    s = run_batch(cfg)
    assert s.count("adopted") == 6 and _stamp(tmp_path / "out") == stamps
    assert run_batch(cfg).count("up-to-date") == 6


def test_damaged_manifest_stops_before_work(tmp_path):
    cfg = _make(tmp_path)
    run_batch(cfg)
    (tmp_path / "out" / "fieldconv-manifest.json").write_text("{")
    with pytest.raises(FileFormatError, match="fieldconv-manifest.json: the batch manifest is not valid JSON"):
        run_batch(cfg)


def test_bad_input_is_reported_and_the_rest_go_on(tmp_path):
    cfg = _make(tmp_path, nsnap=4)
    bad = tmp_path / "snaps" / "snap_002.hdf5"
    bad.write_bytes(bad.read_bytes()[:2000])  # truncated
    s = run_batch(cfg)
    st = _status(s)
    assert st[("pm", "snap_002.pm.h5")] == "failed" and st[("smooth", "snap_002.h5")] == "blocked"
    assert s.count("done") == 6 and not s.ok and s.exit_code == 1
    failure = next(r for r in s.results if r.status == "failed")
    assert str(bad) in failure.reason and "truncated" in failure.reason
    text = s.format()
    assert "1 failed, 1 blocked" in text and str(bad) in text
    # fixed input: only the failed task and its dependent run
    write_snapshot(bad, {1: np.full((10, 3), 1.0, np.float32)}, box_size=5.0)
    assert run_batch(cfg).count("done") == 2


def test_unmatched_pattern_fails(tmp_path):
    cfg = _make(tmp_path, config=CONFIG.replace("snaps/*.hdf5", "snapz/*.hdf5"))
    s = run_batch(cfg)
    assert s.exit_code == 1 and "matched no file" in s.format()


def test_dry_run_writes_nothing(tmp_path):
    cfg = _make(tmp_path)
    s = run_batch(cfg, dry_run=True)
    assert s.count("would-run") == 6 and s.dry_run and not (tmp_path / "out").exists()
    reasons = {r.reason for r in s.results}
    assert "missing" in reasons and "after step 'pm' makes its input" in reasons
    run_batch(cfg)
    assert run_batch(cfg, dry_run=True).count("up-to-date") == 6
    s = run_batch(_edited(cfg, "shape = 8", "shape = 16"), dry_run=True)
    assert {r.reason for r in s.results} == {"stale: inputs or parameters changed", "after step 'pm' remakes its input"}


def test_two_jobs_equal_one(tmp_path):
    cfg = _make(tmp_path, nsnap=4)
    s1 = run_batch(cfg, jobs=1)
    one = {k: read_mesh(k).fields for k in _stamp(tmp_path / "out")}
    shutil.rmtree(tmp_path / "out")
    s2 = run_batch(cfg, jobs=2)
    assert s1.count("done") == s2.count("done") == 8
    two = {k: read_mesh(k).fields for k in _stamp(tmp_path / "out")}
    assert one.keys() == two.keys()
    for k in one:
        for name in one[k]:
            np.testing.assert_array_equal(one[k][name], two[k][name])
    assert len(Manifest(tmp_path / "out" / "fieldconv-manifest.json").load()) == 8


def test_dict_config(tmp_path):
    _make(tmp_path)
    doc = {"output_dir": "o", "steps": [{"step": "paint", "inputs": ["snaps/snap_00[12].hdf5"], "params": {"shape": 4}}]}
    s = run_batch(doc, base_dir=tmp_path)
    assert s.count("done") == 2 and sorted(os.listdir(tmp_path / "o")) == [
        "fieldconv-manifest.json", "fieldconv-manifest.json.lock", "snap_001.paint.h5", "snap_002.paint.h5"]


def test_a_crashing_worker_is_reported_and_its_victims_rerun():
    from fieldconv.io._batch import Task, _Workers

    from ._crash import execute

    tasks = [Task("paint", "p", stem, f"/in/{stem}", f"/out/{stem}.h5", {}) for stem in ("a", "bad", "b", "c")]
    results = {}
    workers = _Workers(2)
    try:
        workers.run(tasks, "/out/m.json", {}, False, "stat", lambda t, *r: results.__setitem__(t.stem, r), fn=execute)
    finally:
        workers.close()
    assert results["bad"][0] == "failed" and "worker process died" in results["bad"][1]
    assert {k: v[0] for k, v in results.items() if k != "bad"} == {"a": "done", "b": "done", "c": "done"}


def test_workers_run_on_their_share_of_the_cores(monkeypatch):
    """jobs=2 on 4 cores: each task runs inside fieldconv.backend.threads(2) (FFTW, numba, BLAS)."""
    from fieldconv.io._batch import Task, _Workers

    from ._crash import threads_seen

    monkeypatch.setenv("FIELDCONV_NUM_THREADS", "4")  # the cores the batch may use; workers inherit it
    tasks = [Task("paint", "p", stem, f"/in/{stem}", f"/out/{stem}.h5", {}) for stem in ("a", "b", "c")]
    results = {}
    workers = _Workers(2)
    try:
        workers.run(tasks, "/out/m.json", {}, False, "stat", lambda t, *r: results.__setitem__(t.stem, r),
                    fn=threads_seen)
    finally:
        workers.close()
    assert workers.threads == 2
    for status, reason, _ in results.values():
        assert status == "done" and reason.startswith("threads=2 "), reason
        assert reason.endswith("blas=[]") or reason.endswith("blas=[2]"), reason  # limited where BLAS is loaded
