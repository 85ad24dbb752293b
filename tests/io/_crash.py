"""A task function for worker-crash tests: the task with stem "bad" kills its process."""

import os
import signal
import time


def execute(task, manifest_path, known, dry_run, verify):
    time.sleep(0.3)  # the other tasks are running when the bad one dies
    if task.stem == "bad":
        os.kill(os.getpid(), signal.SIGSEGV)
    return "done", "", 0.3
