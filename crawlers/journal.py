"""The Reddit spider's journal of threads in progress, so an interrupted crawl resumes them.

A thread is written to the feed only once all its parts are in. Until then every part that
arrives (the thread page, each ``/api/morechildren`` answer, each "continue this thread" page) is
appended to ``FOLDER/t3_ID.jsonl``, one JSON line a part, flushed at once. A crawl that is killed
leaves those files; the next crawl replays them into a :class:`ThreadAssembler` and asks only for
what was still missing. A finished thread's file is removed. A cut-off last line (the process died
while writing it) is skipped: that part is simply asked for again.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawlers.threads import ThreadAssembler

_LINK_ID = re.compile(r"^t3_\w+$")


@dataclass(frozen=True)
class JournalPart:
    """One recorded response of a thread.

    Attributes:
        kind: ``page`` (the thread page), ``more`` (``/api/morechildren``) or ``continue``.
        payload: The response's JSON.
        asked: The comment ids a ``more`` request named, or the comment a ``continue`` page is for.
    """

    kind: str
    payload: Any
    asked: tuple[str, ...] = ()


def replay(link_id: str, parts: list[JournalPart]) -> ThreadAssembler:
    """An assembler holding every recorded part; what it still lacks it asks for next.

    Raises:
        ValueError: When a recorded payload is not what its kind should be.
    """
    assembler = ThreadAssembler(link_id)
    for part in parts:
        if part.kind == "more":
            assembler.mark_asked(part.asked)
            assembler.add_morechildren(part.payload)
        else:
            assembler.add_thread_page(part.payload)
            for comment in part.asked:
                assembler.mark_continued(comment)
    return assembler


class ThreadJournal:
    """Per-thread JSON Lines files of the parts received so far, in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def _file(self, link_id: str) -> Path:
        if not _LINK_ID.match(link_id):
            raise ValueError(f"{link_id!r} is not a thread fullname (t3_…)")
        return self.folder / f"{link_id}.jsonl"

    def record(self, link_id: str, source: str, part: JournalPart) -> None:
        """Append one part (and flush: a killed process keeps what it wrote)."""
        line = {"source": source, "kind": part.kind, "asked": list(part.asked),
                "payload": part.payload}  # fmt: skip
        with self._file(link_id).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, separators=(",", ":")) + "\n")

    def threads(self) -> list[str]:
        """Fullnames of the threads with recorded parts, oldest file first."""
        files = sorted(self.folder.glob("t3_*.jsonl"), key=lambda p: (p.stat().st_mtime, p.name))
        return [p.stem for p in files]

    def load(self, link_id: str) -> tuple[str, list[JournalPart]] | None:
        """The thread's source and recorded parts; None when nothing usable was recorded."""
        path = self._file(link_id)
        if not path.exists():
            return None
        source, parts = None, []
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
                part = JournalPart(str(record["kind"]), record["payload"],
                                   tuple(str(a) for a in record.get("asked") or ()))  # fmt: skip
            except (ValueError, KeyError, TypeError):
                continue  # cut off while being written
            source = source or str(record.get("source") or "reddit-thread")
            parts.append(part)
        if source is None or not any(p.kind == "page" for p in parts):
            return None
        return source, parts

    def finish(self, link_id: str) -> None:
        """Forget a thread (written whole, or known to be stored)."""
        self._file(link_id).unlink(missing_ok=True)
