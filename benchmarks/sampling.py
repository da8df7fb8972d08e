"""Resident memory of a process and everything it started, sampled over time.

One Dagster run holds every stage of the chain in one process (dbt in a child of it), so the
kernel's high-water mark would give one figure for the whole run. Sampling the resident set of
the process tree a few times a second lets each stage report the peak inside its own time
window. A short spike between two samples can be missed; the whole run's high-water mark
(measured separately, `benchmarks.measure`) still bounds it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path

_PAGE = os.sysconf("SC_PAGE_SIZE")


def _tree_rss_bytes(root: int) -> int:
    """Resident bytes of `root` and all its descendants (from /proc/<pid>/stat)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: fields start after the last ')'
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        rss[pid] = int(fields[21]) * _PAGE
    total, frontier = rss.get(root, 0), [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        total += sum(rss[pid] for pid in children)
        frontier.extend(children)
    return total


class RssSampler:
    """Samples (unix time, resident bytes of this process tree) in a daemon thread."""

    def __init__(self, interval_seconds: float = 0.25) -> None:
        self.interval = interval_seconds
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        pid = os.getpid()
        while not self._stop.is_set():
            self.samples.append((time.time(), _tree_rss_bytes(pid)))
            self._stop.wait(self.interval)

    def peak(self, windows: Iterable[tuple[float, float]]) -> int:
        """The largest sample inside any of the (start, end) windows, counting for each window
        the last sample before it too (a window shorter than the interval may hold none)."""
        best = 0
        for start, end in windows:
            before = [value for at, value in self.samples if at < start][-1:]
            inside = [value for at, value in self.samples if start <= at <= end]
            best = max(best, *before, *inside)
        return best
