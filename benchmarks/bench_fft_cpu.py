"""The planner policy in CPU seconds: first calls and tenth calls, robust to a loaded machine.

Companion of ``bench_fft.py --first-call``, whose wall-clock figures a shared machine inflates
unevenly.  Each figure here is the CPU time of the process (``time.process_time``, all its
threads), which waiting for a core does not add to (``threads=1``):

* first call (imports included) of a float64 ``rfftn``: fieldconv's default pyfftw backend with an
  empty wisdom cache against scipy.fft, in fresh processes alternated (target: ratio <= 1.5);
* in a process whose wisdom cache holds the measured plan (``plan_fft`` in a previous process,
  as after a first run or ``fieldconv warmup``): the tenth call and the median of 20 alternated
  calls against a pre-planned FFTW_MEASURE plan made in that process without our wisdom
  (target <= 1.05; prime shapes stay on scipy.fft and are compared with FFTW_ESTIMATE).

Usage: ``python benchmarks/bench_fft_cpu.py [repeats]`` (default 3).
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile

FC = r"""
import json, sys, time
import numpy as np
shape = tuple(json.loads(sys.argv[1])); x = np.random.default_rng(0).standard_normal(shape)
c0 = time.process_time(); w0 = time.perf_counter()
from fieldconv.backend import get_backend
be = get_backend("pyfftw", threads=1, planner_effort="auto"); be.rfftn(x)
print("RESULT", json.dumps({"cpu": time.process_time() - c0, "wall": time.perf_counter() - w0}))
"""
SP = r"""
import json, sys, time
import numpy as np
shape = tuple(json.loads(sys.argv[1])); x = np.random.default_rng(0).standard_normal(shape)
c0 = time.process_time(); w0 = time.perf_counter()
import scipy.fft; scipy.fft.rfftn(x, workers=1)
print("RESULT", json.dumps({"cpu": time.process_time() - c0, "wall": time.perf_counter() - w0}))
"""
TENTH = r"""
import json, sys, time, statistics
import numpy as np
shape = tuple(json.loads(sys.argv[1])); x = np.random.default_rng(0).standard_normal(shape)
from fieldconv.backend import get_backend, _fftw_plans
be = get_backend("pyfftw", threads=1, planner_effort="auto")
ct = []
for _ in range(10):
    c = time.process_time(); be.rfftn(x); ct.append(time.process_time() - c)
import pyfftw
with _fftw_plans._planner_lock:
    pyfftw.forget_wisdom()
ref = get_backend("pyfftw", threads=1, planner_effort=sys.argv[2]); ref.rfftn(x)
r, a = [], []
for _ in range(20):
    c = time.process_time(); ref.rfftn(x); r.append(time.process_time() - c)
    c = time.process_time(); be.rfftn(x); a.append(time.process_time() - c)
print("RESULT", json.dumps({"tenth": ct[9], "ref": statistics.median(r), "steady": statistics.median(a)}))
"""
def run(code, args, env):
    p = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True)
    for l in p.stdout.splitlines():
        if l.startswith("RESULT "):
            return json.loads(l[7:])
    raise RuntimeError(p.stderr[-1500:])
shapes = [(64, 64, 64), (128, 128, 128), (1024, 1024), (2**20,), (105, 105, 105), (210, 210), (99225,),
          (211, 223, 227), (4099, 4111), (1_000_003,)]
reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
print(f"load {os.getloadavg()[0]:.1f}; CPU seconds; threads=1; median of {reps} alternated fresh-process pairs")
print(f"{'shape':16s} {'scipy 1st':>9s} {'fc 1st':>8s} {'ratio':>6s} | {'ref ms':>8s} {'10th ms':>8s} {'10th/ref':>8s} {'steady/ref':>10s}")
for shape in shapes:
    big = max(n for n in shape)
    prime = shape in [(211, 223, 227), (4099, 4111), (1_000_003,)]
    sp, fc = [], []
    for _ in range(reps):
        with tempfile.TemporaryDirectory(prefix="fc-cpu-fft-") as tmp:
            env = dict(os.environ, FIELDCONV_CACHE_DIR=tmp, FIELDCONV_FFTW_WISDOM_CACHE="1")
            env.pop("FIELDCONV_FFTW_PLANNER", None); env.pop("PYTHONDONTWRITEBYTECODE", None)
            sp.append(run(SP, [json.dumps(shape)], env)["cpu"])
            fc.append(run(FC, [json.dumps(shape)], env)["cpu"])
    with tempfile.TemporaryDirectory(prefix="fc-cpu-fft-") as tmp:
        env = dict(os.environ, FIELDCONV_CACHE_DIR=tmp, FIELDCONV_FFTW_WISDOM_CACHE="1")
        env.pop("FIELDCONV_FFTW_PLANNER", None); env.pop("PYTHONDONTWRITEBYTECODE", None)
        if not prime:
            run("import json,sys; from fieldconv.backend import plan_fft; plan_fft(tuple(json.loads(sys.argv[1])), kinds=['rfftn'], threads=1); print('RESULT {}')", [json.dumps(shape)], env)
        t = run(TENTH, [json.dumps(shape), "FFTW_ESTIMATE" if prime else "FFTW_MEASURE"], env)
    s, f = statistics.median(sp), statistics.median(fc)
    print(f"{'x'.join(map(str, shape)):16s} {s:9.3f} {f:8.3f} {f / s:6.2f} | {t['ref']*1e3:8.2f}{'E' if prime else ' '} "
          f"{t['tenth']*1e3:8.2f} {t['tenth']/t['ref']:8.2f} {t['steady']/t['ref']:10.2f}", flush=True)
print("E: reference is FFTW_ESTIMATE (prime shapes stay on scipy.fft under the policy; MEASURE takes minutes)")
