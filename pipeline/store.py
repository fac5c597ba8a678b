"""The study database: connection, numbered SQL migrations and the runs log.

The schema lives in ``pipeline/sql/NNNN_name.sql``. Opening a database for writing applies every
migration it has not seen yet, each in its own transaction, and records it in
``schema_migrations``; a database made by an older framewatch therefore upgrades itself in place.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import signal
import stat
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, cast

import duckdb

from pipeline.errors import FramewatchError, StoreError, UsageError

SQL_DIR = Path(__file__).parent / "sql"
# How long a flow that writes (crawl ingest, analysis, export) waits for another process to let
# go of the database: a researcher's query, or a notebook that holds it open read-only.
WRITER_WAIT_SECONDS = 600.0
# How long a writer that steps aside (see :class:`SteppingWriter`) waits for the readers it let in
# to open the file before it opens it again (readers retry every half second).
HANDOFF_SECONDS = 5.0
# A waiting reader touches its ticket every half second; one untouched for longer than this is
# left by a reader that died (or is no ticket at all) and is removed.
TICKET_SECONDS = 30.0
_MIGRATION_NAME = re.compile(r"^(\d{4})_(\w+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file."""

    version: int
    name: str
    sql: str


def list_migrations(sql_dir: Path = SQL_DIR) -> list[Migration]:
    """Return the migrations shipped with framewatch, in version order."""
    found = []
    for path in sorted(sql_dir.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match:
            found.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    return found


def scalar(con: duckdb.DuckDBPyConnection, query: str, params: list[Any] | None = None) -> Any:
    """The first value of a query's first row (None when there is no row).

    Fetches the whole result, so the connection is free for the next statement.
    """
    rows = con.execute(query, params or []).fetchall()
    return rows[0][0] if rows else None


def applied_versions(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Return the migration versions recorded in the database (empty for a new one)."""
    if not scalar(
        con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ):
        return []
    return [
        row[0] for row in con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
    ]


def migrate(
    con: duckdb.DuckDBPyConnection,
    upto: int | None = None,
    migrations: list[Migration] | None = None,
) -> list[int]:
    """Apply the pending migrations, each in one transaction.

    Args:
        con: A writable connection.
        upto: Stop after this version (tests use it to build an old database).
        migrations: The migrations to apply (default: those shipped in ``pipeline/sql``).

    Returns:
        The versions applied now.
    """
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    done = set(applied_versions(con))
    applied = []
    for migration in migrations if migrations is not None else list_migrations():
        if migration.version in done or (upto is not None and migration.version > upto):
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                [migration.version, migration.name],
            )
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise StoreError(
                f"migration {migration.version:04d}_{migration.name} failed ({exc}); "
                "the database is unchanged, report this with the database's framewatch version"
            ) from exc
        applied.append(migration.version)
    return applied


def connect(
    path: Path,
    *,
    read_only: bool = False,
    wait_seconds: float = 0.0,
    on_wait: Callable[[str], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the study database, creating and upgrading it unless ``read_only``.

    DuckDB lets one process write a file at a time, and no other process open it meanwhile. With
    ``wait_seconds``, a locked database is retried until it is free (a crawl or analysis between
    batches) or the time is up; ``on_wait`` is told why once.

    Raises:
        StoreError: When the file is missing (read-only), stays locked or is not DuckDB.
    """
    if read_only and not path.exists():
        raise StoreError(
            f"{path}: the study has no database yet; run `framewatch import FILE` or `framewatch crawl` first"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    hint = "or pass --wait SECONDS" if read_only else "then run this again"
    told = False
    ticket: Path | None = None
    try:
        while True:
            try:
                con = duckdb.connect(str(path), read_only=read_only)
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise StoreError(f"{path}: cannot open the database ({exc})") from exc
                holder = lock_holder(path, str(exc))
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"{path}: the database is in use by {holder}. DuckDB lets one process "
                        "write a file and no other open it meanwhile (a reader that keeps it open "
                        f"holds off writers too); wait for it to finish, {hint}"
                    ) from exc
                if read_only:
                    # Touched each time round: a writer takes an untouched one for a dead
                    # reader's and removes it; then this reader queues again.
                    ticket = _refresh_ticket(path, ticket)
                if on_wait and not told:
                    on_wait(f"The database is in use by {holder}; waiting for it…")
                    told = True
                time.sleep(0.5)
            except duckdb.Error as exc:
                raise StoreError(
                    f"{path}: not a DuckDB database ({exc}); check study.database"
                ) from exc
    finally:
        if ticket is not None:
            _leave_queue(ticket)
    if read_only:
        pending = {m.version for m in list_migrations()} - set(applied_versions(con))
        if pending:
            # A database from an older framewatch: upgrade it once, then reopen read-only; but
            # never under a run of that framewatch that let this reader in between batches.
            con.close()
            if older_writer := _live_writer(path):
                raise StoreError(
                    f"{path}: an older framewatch's {older_writer} is writing this database; "
                    "this framewatch would upgrade its schema (migrations "
                    f"{', '.join(str(v) for v in sorted(pending))}) under that run. Query it once "
                    "the run ends (the next command upgrades it then), or with the framewatch "
                    "that runs it"
                )
            connect(path, wait_seconds=wait_seconds, on_wait=on_wait).close()
            return connect(path, read_only=True, wait_seconds=wait_seconds, on_wait=on_wait)
    else:
        migrate(con)
    con.execute("SET TimeZone = 'UTC'")
    return con


def connect_writer(
    path: Path, on_wait: Callable[[str], None] | None = print
) -> duckdb.DuckDBPyConnection:
    """Open the database to write, waiting up to :data:`WRITER_WAIT_SECONDS` for other processes
    (a reader included) to let go, and saying once for whom (``on_wait``; a flow's log by default).
    """
    return connect(path, wait_seconds=WRITER_WAIT_SECONDS, on_wait=on_wait)


class SteppingWriter:
    """A writer's connection that steps aside between batches for framewatch readers that wait.

    DuckDB lets no other process open a file while one writes it, so a researcher's query during
    an hours-long analysis would wait for the whole analysis. A reader that waits (``framewatch
    sql``, ``framewatch status``, :func:`connect` with ``wait_seconds``) leaves a ticket in the
    ``….readers`` folder beside the database. Where a long stage has committed a batch it calls
    :func:`let_readers_in`; if a live reader waits, this closes the file, gives the readers a few
    seconds to open it, and opens it again (waiting, as any writer does, until they let go). Every
    other attribute is the DuckDB connection's.
    """

    def __init__(self, path: Path, on_wait: Callable[[str], None] | None = print) -> None:
        self._path = path
        self._on_wait = on_wait
        self._lost: BaseException | None = None
        self._con = connect_writer(path, on_wait)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in {"_con", "_path", "_on_wait", "_lost"}:
            raise AttributeError(name)
        if self._lost is not None:
            raise StoreError(
                f"{self._path}: the database could not be opened again after letting readers in "
                f"({self._lost}); run the command again to go on where it stopped"
            )
        return getattr(self._con, name)

    def close(self) -> None:
        """Close the connection (nothing to do when it was lost)."""
        if self._lost is None:
            self._con.close()

    def let_readers_in(self) -> int:
        """Step aside if framewatch readers wait for the file; how many did.

        Raises:
            StoreError: When the file stays held for :data:`WRITER_WAIT_SECONDS` after the hand-off
                (a reader that keeps it open, or another writer that took it meanwhile).
        """
        waiting = waiting_readers(self._path)
        if not waiting:
            return 0
        if self._on_wait:
            self._on_wait(f"{waiting} reader(s) wait for the database: letting them in")
        self._con.close()
        try:
            deadline = time.monotonic() + HANDOFF_SECONDS
            while waiting_readers(self._path) and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            try:
                self._con = connect_writer(self._path, self._on_wait)
            except BaseException as exc:  # an interrupt while waiting too
                self._lost = exc
                raise
        return waiting


def connect_stepping_writer(
    path: Path, on_wait: Callable[[str], None] | None = print
) -> duckdb.DuckDBPyConnection:
    """:func:`connect_writer` for a long writer that lets waiting readers in between batches (a
    :class:`SteppingWriter`, used wherever a DuckDB connection is)."""
    return cast(duckdb.DuckDBPyConnection, SteppingWriter(path, on_wait))


def let_readers_in(con: duckdb.DuckDBPyConnection) -> int:
    """Where a long write has committed a batch: let waiting readers in if ``con`` steps aside (a
    plain connection never does). Nothing may be held open on ``con`` across this call."""
    step = getattr(con, "let_readers_in", None)
    return int(step()) if step is not None else 0


def reader_queue(database: Path) -> Path:
    """The folder beside the database where waiting readers leave their ticket (``….readers``)."""
    return database.with_name(database.name + ".readers")


_TICKET_NAME = re.compile(r"^(\d+)-[0-9a-f]{8}$")


def waiting_readers(database: Path) -> int:
    """How many live processes wait to read the database (tickets of dead ones, and tickets not
    touched for :data:`TICKET_SECONDS`, are removed)."""
    folder = reader_queue(database)
    if folder.is_symlink():
        return 0  # not made by framewatch: neither trusted nor cleaned
    try:
        tickets = list(folder.iterdir())
    except OSError:
        return 0
    alive = 0
    for ticket in tickets:
        name = _TICKET_NAME.match(ticket.name)
        if name is None:
            continue  # not a ticket: left alone
        try:
            info = ticket.lstat()
        except OSError:
            continue  # its reader just took it away
        if not stat.S_ISREG(info.st_mode):
            continue
        if time.time() - info.st_mtime < TICKET_SECONDS and _process_alive(int(name[1])):
            alive += 1
        else:
            with contextlib.suppress(OSError):
                ticket.unlink()
    return alive


def _live_writer(database: Path) -> str | None:
    """The run named in the writer's note while its process lives, if not this one's (on POSIX
    only: elsewhere a note that a crashed run left could not be told from a live one)."""
    note = writer_note(database)
    if os.name != "posix" or note is None:
        return None
    try:
        pid = int(note["pid"])
    except (KeyError, TypeError, ValueError):
        return None
    if pid == os.getpid() or not _process_alive(pid):
        return None
    return f"`{note.get('command')}` run (PID {pid})"


def _process_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # signal 0 means Ctrl-C on Windows; the ticket's age decides there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, under another user
    return True


def _refresh_ticket(database: Path, ticket: Path | None) -> Path | None:
    """Touch this reader's ticket, making it (and its folder) first where needed. Where that
    fails (a folder it may not write) the reader waits as before, trying again next time round;
    None where the folder is a symlink, which framewatch never uses."""
    folder = reader_queue(database)
    if folder.is_symlink():
        return None
    ticket = ticket or folder / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    with contextlib.suppress(OSError):
        folder.mkdir(exist_ok=True)
        ticket.touch()
    return ticket


def _leave_queue(ticket: Path) -> None:
    with contextlib.suppress(OSError):
        ticket.unlink()
    with contextlib.suppress(OSError):
        ticket.parent.rmdir()  # only when no other reader waits


def writer_note_path(database: Path) -> Path:
    """The file beside the database saying which command is writing it (``….writer.json``)."""
    return database.with_name(database.name + ".writer.json")


def writer_note(database: Path) -> dict[str, Any] | None:
    """The writer's note as written by :func:`record_run` (None: no note, or not one)."""
    try:
        note = json.loads(writer_note_path(database).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return note if isinstance(note, dict) else None


def lock_holder(database: Path, message: str) -> str:
    """Who holds the write lock, for a reader told to wait: the command and since when.

    DuckDB's lock error names the holder's PID; the writer's note (see :func:`record_run`) says
    which framewatch command that process is running. A note left by another process is ignored.
    """
    match = re.search(r"PID (\d+)", message)
    if not match:
        return "another process"
    note = writer_note(database)
    if note is None or str(note.get("pid")) != match[1]:
        return f"another process (PID {match[1]})"
    steps_aside = (
        ", which lets waiting readers in between batches" if note.get("steps_aside") else ""
    )
    return (
        f"framewatch's `{note.get('command')}` run (PID {match[1]}, run {note.get('run_id')}, "
        f"started {note.get('started_at')} UTC){steps_aside}"
    )


@contextmanager
def _writer_note(con: duckdb.DuckDBPyConnection, run: Run) -> Iterator[None]:
    """Say in the writer's note which run writes the database, and restore the outer run's after."""
    found = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    if not found or not found[0][0]:
        yield  # an in-memory database: nobody else can wait for it
        return
    note = writer_note_path(Path(found[0][0]))
    try:
        outer: str | None = note.read_text(encoding="utf-8")
    except OSError:
        outer = None
    stamp = {
        "pid": os.getpid(),
        "command": run.command,
        "run_id": run.run_id,
        "steps_aside": isinstance(con, SteppingWriter),
    }
    with contextlib.suppress(OSError):
        note.write_text(
            json.dumps({**stamp, "started_at": f"{utcnow():%Y-%m-%d %H:%M:%S}"}), encoding="utf-8"
        )
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            if outer is None:
                note.unlink(missing_ok=True)
            else:
                note.write_text(outer, encoding="utf-8")


def framewatch_version() -> str:
    """The installed framewatch version (``0+unknown`` when run from a bare checkout)."""
    try:
        return metadata.version("framewatch")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def utcnow() -> datetime:
    """Current UTC time as a naive datetime, the way the database stores times."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Run:
    """A row of ``runs`` being written: the command adds to ``counts`` as it goes."""

    run_id: str
    command: str
    counts: dict[str, int] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    status: str = "ok"
    message: str | None = None

    def add(self, key: str, amount: int = 1) -> None:
        """Increase one count."""
        self.counts[key] = self.counts.get(key, 0) + amount


def new_run_id() -> str:
    """A unique, time-ordered run id such as ``20261129T130833-3f9a1c``."""
    return f"{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


@contextmanager
def record_run(
    con: duckdb.DuckDBPyConnection, command: str, params: dict[str, Any]
) -> Iterator[Run]:
    """Log a command in ``runs``: a ``running`` row first, its outcome at the end.

    A crash leaves the row as ``running`` with no ``finished_at``, which ``framewatch status`` shows.
    """
    run = Run(new_run_id(), command, versions={"framewatch": framewatch_version()})
    con.execute(
        "INSERT INTO runs (run_id, command, started_at, status, params) VALUES (?, ?, ?, 'running', ?)",
        [run.run_id, command, utcnow(), json.dumps(params, default=str)],
    )
    try:
        with _writer_note(con, run):
            yield run
    except (FramewatchError, duckdb.Error, OSError, KeyboardInterrupt) as exc:
        # A connection lost in a hand-off to readers cannot record the failure: the row stays
        # `running` as after a crash, and the error itself is what the researcher sees.
        with contextlib.suppress(FramewatchError, duckdb.Error):
            _finish_run(con, run, "failed", str(exc))
        raise
    else:
        _finish_run(con, run, run.status, run.message)


def _finish_run(con: duckdb.DuckDBPyConnection, run: Run, status: str, message: str | None) -> None:
    con.execute(
        "UPDATE runs SET finished_at = ?, status = ?, counts = ?, versions = ?, message = ? WHERE run_id = ?",
        [utcnow(), status, json.dumps(run.counts), json.dumps(run.versions), message, run.run_id],
    )


CTRL_C_MESSAGE = "the query was stopped by Ctrl-C before it finished; nothing was changed"


class QueryStopped(FramewatchError):
    """A ``framewatch sql`` query was stopped by Ctrl-C or its time limit (exit status 1)."""


def check_single_statement(query: str) -> None:
    """Refuse an empty query and one of several statements (DuckDB would print only the last).

    A query DuckDB cannot parse passes here, so that running it reports DuckDB's own message.

    Raises:
        UsageError: When the query holds no statement or more than one.
    """
    try:
        count = len(duckdb.connect(":memory:").extract_statements(query))
    except duckdb.Error:
        return
    if count == 0:
        raise UsageError(
            'the query is empty; write one statement, e.g. "SELECT count(*) FROM documents"'
        )
    if count > 1:
        raise UsageError(
            f"the query holds {count} statements and only the last one's rows would be printed; "
            "run them one at a time"
        )


@contextmanager
def stoppable_query(con: duckdb.DuckDBPyConnection, timeout: float = 0.0) -> Iterator[None]:
    """Let Ctrl-C, or ``timeout`` seconds (0: none), stop the query the block runs on ``con``.

    DuckDB checks Python's signals only now and then (a cross join not at all), so a watchdog
    thread stops the query with ``con.interrupt()``: it learns of Ctrl-C through the signal
    module's wake-up file descriptor, which the interpreter writes even while the main thread is
    inside DuckDB. The caller closes ``con`` afterwards, so a stopped reader never keeps a writer
    waiting.

    Raises:
        QueryStopped: When the query was stopped, in place of DuckDB's interrupt error.
    """
    reason: list[str] = []
    done = threading.Event()

    def stop(why: str) -> None:
        if not reason:
            reason.append(why)
        con.interrupt()

    with _ctrl_c_pipe(lambda: stop("ctrl-c")) as wakeup:
        watchdog = threading.Thread(
            target=_watch, args=(wakeup, timeout, done, stop), name="sql-watchdog", daemon=True
        )
        watchdog.start()
        try:
            yield
        except duckdb.Error:
            if reason:
                raise _stopped(reason[0], timeout) from None
            raise
        finally:
            done.set()
            watchdog.join()
    if reason and reason[0] == "ctrl-c":
        raise _stopped(reason[0], timeout)


def _stopped(why: str, timeout: float) -> QueryStopped:
    if why == "timeout":
        return QueryStopped(
            f"the query ran longer than {timeout:g} s and was stopped; narrow it (WHERE, LIMIT) "
            "or allow more time with --timeout SECONDS"
        )
    return QueryStopped(CTRL_C_MESSAGE)


@contextmanager
def _ctrl_c_pipe(on_ctrl_c: Callable[[], None]) -> Iterator[int | None]:
    """While the block runs, Ctrl-C calls ``on_ctrl_c`` instead of raising KeyboardInterrupt, and
    its signal number is written to the yielded file descriptor (None off the main thread)."""
    if threading.current_thread() is not threading.main_thread() or os.name != "posix":
        yield None
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    os.set_blocking(write_fd, False)
    previous = signal.signal(signal.SIGINT, lambda _signum, _frame: on_ctrl_c())
    previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    try:
        yield read_fd
    finally:
        signal.set_wakeup_fd(previous_fd)
        signal.signal(signal.SIGINT, previous)
        os.close(read_fd)
        os.close(write_fd)


def _watch(
    wakeup: int | None, timeout: float, done: threading.Event, stop: Callable[[str], None]
) -> None:
    deadline = time.monotonic() + timeout if timeout > 0 else None
    while not done.is_set():
        wait = 0.1 if deadline is None else max(0.0, min(0.1, deadline - time.monotonic()))
        if wakeup is None:
            done.wait(wait)
        elif select.select([wakeup], [], [], wait)[0]:
            with contextlib.suppress(BlockingIOError):
                if signal.SIGINT in os.read(wakeup, 512):
                    stop("ctrl-c")
                    return
        if deadline is not None and time.monotonic() >= deadline and not done.is_set():
            stop("timeout")
            return
