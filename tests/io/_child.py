"""Child processes of the io tests import this checkout's fieldconv, not an installed copy."""

import os
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def checkout_env():
    """``os.environ`` with the repository root first on ``PYTHONPATH``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env
