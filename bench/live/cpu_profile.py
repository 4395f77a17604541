"""CPU profile of the live workers for `bench/live/run.py --cpu-profile DIR` (yappi, CPU clock).

Imported by the worker's settings when `KOKOUS_BENCH_CPU_PROFILE` names a directory: every
thread of the worker is profiled (request threads are short-lived, and py-spy on this machine
cannot tell waiting threads from running ones). A first SIGUSR2 clears the statistics at the
start of the vote, a second one writes `<dir>/worker-<pid>.pstat` (pstats) and `.txt`.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

_state = {"armed": False}


def install(directory: str) -> None:
    import yappi

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    yappi.set_clock_type("cpu")
    yappi.start(builtins=False, profile_threads=True)

    def toggle(signum: int, frame: Any) -> None:
        if not _state["armed"]:
            yappi.clear_stats()
            _state["armed"] = True
            return
        _state["armed"] = False
        stats = yappi.get_func_stats()
        path = out / f"worker-{os.getpid()}"
        stats.save(str(path) + ".pstat", type="pstat")
        with open(str(path) + ".txt", "w") as f:
            stats.sort("ttot").print_all(out=f, columns={0: ("name", 100), 1: ("ncall", 10),
                                                          2: ("tsub", 8), 3: ("ttot", 8)})

    signal.signal(signal.SIGUSR2, toggle)
