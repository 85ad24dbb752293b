"""Task functions for the worker tests: one kills its process for stem "bad", one reports its threads."""

import os
import signal
import time


def execute(task, manifest_path, known, dry_run, verify):
    time.sleep(0.3)  # the other tasks are running when the bad one dies
    if task.stem == "bad":
        os.kill(os.getpid(), signal.SIGSEGV)
    return "done", "", 0.3


def threads_seen(task, manifest_path, known, dry_run, verify):
    """The thread policy in force in the worker, and the BLAS limit, as the task's reason."""
    from threadpoolctl import threadpool_info

    from fieldconv.backend import current_threads

    blas = sorted({lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"})
    return "done", f"threads={current_threads()} blas={blas}", 0.0
