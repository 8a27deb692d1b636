"""What a child process of Hotline's own does so that it never outlives its parent."""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def stop_with_parent(parent: int | None = None) -> None:
    """In a child: ask Linux to send SIGTERM (a graceful stop) when the parent dies, however it
    dies, SIGKILL and the OOM killer included. `parent`: the pid the child was started by; if
    that one is gone already (it died before the request was made), stop now."""
    if not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if parent is not None and os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGTERM)
