"""Benchmark: the reference spectral CNN in fieldconv.nn vs the same network in PyTorch (CPU).

Reference network (issue 13), batch 64 x 3600 points, float32::

    Conv1D 1->32 k=15 ("same"), ReLU, MaxPool 2, Conv1D 32->64 k=9 dilation 2 ("same"),
    ReLU, RegionPool to 16 bins (PyTorch: AdaptiveAvgPool1d(16)), Flatten, Dense 1024->16

Both nets hold the same weights (copied), and the outputs are compared
before timing.  Timed, at 1 and 2 threads (BLAS/OpenMP via threadpoolctl,
``torch.set_num_threads``, ``numba.set_num_threads``):

* forward (inference: ``no_grad`` in both);
* one training step: forward, binary cross-entropy with logits on fixed 0/1
  targets, backward, Adam update.

Each timing is the minimum over rounds, the two libraries interleaved so
that load from other processes hits them alike; ratios are fieldconv /
PyTorch (below 1: fieldconv faster).  Peak memory: each (library, task,
threads) runs once more in a fresh subprocess: after setup (model and batch
built) the peak resident set is reset (``VmHWM``, through
``/proc/self/clear_refs``) and the rise of the peak over the resident set then,
across a first call and 3 more, is reported: what the task adds to the
process (buffers kept between calls and allocator caches included), measured
the same way for both.  (Without the reset the import-time peak of the
process masked the task's: forward and step read alike.)

Run under the shared lock::

    flock /tmp/fieldconv-bench.lock python benchmarks/bench_nn.py [--quick]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

B, L, GROUPS = 64, 3600, 16


def _rss_bytes():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _limit_threads(n):
    import numba
    from threadpoolctl import threadpool_limits

    numba.set_num_threads(n)
    return threadpool_limits(n)


def build_fieldconv(seed=0, threads=1):
    from fieldconv.backend import get_backend
    from fieldconv.nn import Conv1D, Dense, Flatten, MaxPool1D, ReLU, RegionPool, Sequential

    be = get_backend("numpy", threads=threads)  # the layers size their GEMM pieces for this many threads
    return Sequential(
        Conv1D(1, 32, 15, random_state=seed, backend=be), ReLU(), MaxPool1D(2),
        Conv1D(32, 64, 9, dilation=2, random_state=seed + 1, backend=be), ReLU(),
        RegionPool(16), Flatten(), Dense(64 * 16, GROUPS, random_state=seed + 2, backend=be),
    )


def build_torch(ours):
    import torch
    from torch import nn

    net = nn.Sequential(
        nn.Conv1d(1, 32, 15, padding="same"), nn.ReLU(), nn.MaxPool1d(2),
        nn.Conv1d(32, 64, 9, dilation=2, padding="same"), nn.ReLU(),
        nn.AdaptiveAvgPool1d(16), nn.Flatten(), nn.Linear(64 * 16, GROUPS),
    )
    with torch.no_grad():
        for (name, p) in ours.named_parameters().items():
            idx, attr = name.split(".")
            getattr(net[int(idx)], attr).copy_(torch.from_numpy(np.asarray(p)))
    return net


def data(seed=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((B, 1, L), dtype=np.float32)
    y = (rng.random((B, GROUPS)) < 0.2).astype(np.float32)
    return x, y


def tasks(lib, threads=1):
    """(forward, step) callables of `lib` on the reference batch."""
    x, y = data()
    if lib == "fieldconv":
        from fieldconv.nn import Adam, BCEWithLogitsLoss, no_grad

        model = build_fieldconv(threads=threads)
        model[0].needs_input_grad = False  # as in PyTorch, where the input batch does not require grad
        loss = BCEWithLogitsLoss()
        opt = Adam(model.parameters(), lr=1e-3)

        def forward():
            with no_grad(model):
                return model(x)

        def step():
            out = model(x)
            loss(out, y)
            model.backward(loss.backward())
            opt.step(model.grads())

        return forward, step
    import torch

    model = build_torch(build_fieldconv())
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    lossf = torch.nn.BCEWithLogitsLoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def forward():
        with torch.no_grad():
            return model(xt)

    def step():
        opt.zero_grad(set_to_none=True)
        lossf(model(xt), yt).backward()
        opt.step()

    return forward, step


def _child(lib, task, threads):
    """Subprocess body: peak RSS rise of `task` over the resident set after setup."""
    import torch

    torch.set_num_threads(threads)
    with _limit_threads(threads):
        fwd, step = tasks(lib, threads)
        fn = fwd if task == "forward" else step
        # the process's peak so far (imports, setup) would mask the task's own: reset the kernel's
        # high-water mark (VmHWM, also ru_maxrss) and measure a first call and 3 more above the RSS now
        # (buffers a library keeps between calls count; numba kernels load from their on-disk cache,
        # filled by the timing run)
        _reset_peak()
        base = _rss_bytes()
        for _ in range(4):
            fn()
        peak = _peak_bytes()
    print(json.dumps({"peak_bytes": max(0, peak - base)}))


def _reset_peak():
    """Reset the peak resident set of this process (Linux >= 4.0: write 5 to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError as exc:
        raise RuntimeError("peak memory needs a resettable high-water mark (/proc/self/clear_refs)") from exc


def _peak_bytes():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak_memory(lib, task, threads):
    out = subprocess.run([sys.executable, __file__, "--child", lib, task, str(threads)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_bytes"]


def check_same_output():
    import torch

    ours = build_fieldconv()
    theirs = build_torch(ours)
    x, _ = data()
    with torch.no_grad():
        ref = theirs(torch.from_numpy(x)).numpy()
    got = ours(x)
    err = float(np.max(np.abs(got - ref)) / np.max(np.abs(ref)))
    # float32 sums of ~300 products per conv output, two convs deep: ~1e-6 relative
    assert err < 1e-4, f"fieldconv and PyTorch outputs differ by {err:.2e} (relative)"
    return err


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds, no memory subprocesses")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--child", nargs=3, metavar=("LIB", "TASK", "THREADS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(args.child[0], args.child[1], int(args.child[2]))
        return
    import torch

    rounds = args.rounds or (3 if args.quick else 7)
    err = check_same_output()
    print(f"torch {torch.__version__}, numpy {np.__version__}, cpus {len(os.sched_getaffinity(0))}, "
          f"load average {os.getloadavg()[0]:.1f}; outputs agree to {err:.1e} (relative)")
    print(f"reference net, batch {B} x {L} float32; min of {rounds} interleaved rounds\n")
    header = f"{'threads':>7} {'task':<22} {'fieldconv ms':>12} {'PyTorch ms':>10} {'ratio':>6}"
    if not args.quick:
        header += f" {'fieldconv peak MB':>17} {'PyTorch peak MB':>15}"
    print(header)
    for threads in args.threads:
        torch.set_num_threads(threads)
        with _limit_threads(threads):
            ours, theirs = tasks("fieldconv", threads), tasks("torch")
            for f in ours + theirs:  # first calls: allocation, oneDNN primitive creation
                f()
            best = {k: float("inf") for k in ("of", "tf", "os", "ts")}
            for _ in range(rounds):
                for key, fn in (("of", ours[0]), ("tf", theirs[0]), ("os", ours[1]), ("ts", theirs[1])):
                    t0 = time.perf_counter()
                    fn()
                    best[key] = min(best[key], time.perf_counter() - t0)
        for task, o, t in (("forward", best["of"], best["tf"]), ("forward+backward+Adam", best["os"], best["ts"])):
            line = f"{threads:>7} {task:<22} {o * 1e3:>12.1f} {t * 1e3:>10.1f} {o / t:>6.2f}"
            if not args.quick:
                name = "forward" if task == "forward" else "step"
                mo = peak_memory("fieldconv", name, threads) / 2**20
                mt = peak_memory("torch", name, threads) / 2**20
                line += f" {mo:>17.0f} {mt:>15.0f}"
            print(line, flush=True)
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
