"""Peak memory of a process together with its worker processes, sampled while it runs.

``ru_maxrss`` counts one process only; the NLP stage runs on worker processes, so the benchmarks
sample the resident memory of this process and all its descendants and keep the largest sum.
"""

from __future__ import annotations

import threading
from types import TracebackType

import psutil


class PeakMemory:
    """Context manager: ``peak_mib`` is the largest total RSS of this process tree seen."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.peak_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._measure()

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self._measure()

    def _measure(self) -> None:
        me = psutil.Process()
        total = me.memory_info().rss
        for child in me.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                continue  # a worker that just ended
        self.peak_mib = max(self.peak_mib, total / 2**20)
