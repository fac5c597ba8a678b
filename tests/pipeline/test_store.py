"""Migrations, upgrades in place, the runs log and opening errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from pipeline.errors import StoreError, StudyError
from pipeline.store import (
    Migration,
    applied_versions,
    connect,
    connect_stepping_writer,
    let_readers_in,
    list_migrations,
    lock_holder,
    migrate,
    reader_queue,
    record_run,
    waiting_readers,
    writer_note_path,
)


def table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }


def test_new_database_gets_every_migration(tmp_path: Path) -> None:
    con = connect(tmp_path / "db.duckdb")
    shipped = [m.version for m in list_migrations()]
    assert shipped[:2] == [1, 2]
    assert applied_versions(con) == shipped
    assert {
        "outlets",
        "documents",
        "links",
        "runs",
        "documents_weekly",
        "outlet_summary",
    } <= table_names(con)
    con.close()
    again = connect(tmp_path / "db.duckdb")
    assert migrate(again) == [], "a second open applies nothing"
    again.close()


def test_every_researcher_table_and_column_is_documented(con: duckdb.DuckDBPyConnection) -> None:
    undocumented = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns()"
        " WHERE table_name IN ('outlets', 'documents', 'links', 'runs') AND comment IS NULL"
    ).fetchall()
    assert undocumented == []
    tables = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('outlets', 'documents', 'links', 'runs') AND comment IS NOT NULL"
    ).fetchone()
    assert tables == (4,)


def test_database_from_migration_0001_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    migrate(old, upto=1)
    assert applied_versions(old) == [1]
    old.execute(
        "INSERT INTO documents (doc_id, kind, outlet, title, published_at, content_hash, source)"
        " VALUES ('u_1', 'article', 'ledger', 'A title', TIMESTAMP '2026-11-24 10:00', 'abc', 'import')"
    )
    old.close()

    upgraded = connect(path, read_only=True)  # even a read-only open upgrades an old file once
    assert applied_versions(upgraded) == [m.version for m in list_migrations()]
    assert upgraded.execute("SELECT * FROM documents_weekly").fetchall() == [
        ("2026-W48", "ledger", "news", 1, 1)
    ]
    upgraded.close()


def test_a_reader_does_not_upgrade_the_schema_under_an_older_framewatchs_run(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    migrate(old, upto=1)
    old.close()
    # An older framewatch's analysis that has stepped aside for readers: its note, its process.
    older = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        writer_note_path(path).write_text(
            json.dumps({"pid": older.pid, "command": "analyze", "steps_aside": True}),
            encoding="utf-8",
        )
        with pytest.raises(StoreError, match=r"older framewatch's `analyze` run \(PID \d+\)"):
            connect(path, read_only=True)
        check = duckdb.connect(str(path), read_only=True)
        assert applied_versions(check) == [1]
        check.close()
    finally:
        older.kill()
        older.wait()
    # Once that run is gone (a note a killed run left behind), the reader upgrades as before.
    upgraded = connect(path, read_only=True)
    assert applied_versions(upgraded) == [m.version for m in list_migrations()]
    upgraded.close()


def test_failing_migration_leaves_database_unchanged(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "db.duckdb"))
    broken = [
        Migration(1, "good", "CREATE TABLE a (x INTEGER);"),
        Migration(2, "bad", "CREATE TABLE b (x INTEGER); SELECT * FROM no_such_table;"),
    ]
    with pytest.raises(StoreError, match="migration 0002_bad failed"):
        migrate(con, migrations=broken)
    assert applied_versions(con) == [1]
    assert "b" not in table_names(con), "the half-applied migration was rolled back"


def test_record_run_logs_success_and_failure(con: duckdb.DuckDBPyConnection) -> None:
    with record_run(con, "import", {"file": "x.jsonl"}) as run:
        run.add("stored", 3)
        run.add("stored")
    with pytest.raises(StudyError), record_run(con, "crawl", {}):
        raise StudyError("bad study")
    rows = con.execute(
        "SELECT command, status, counts, params, message, finished_at IS NOT NULL FROM runs ORDER BY started_at, command"
    ).fetchall()
    by_command = {r[0]: r for r in rows}
    assert by_command["import"][1] == "ok"
    assert json.loads(by_command["import"][2]) == {"stored": 4}
    assert json.loads(by_command["import"][3]) == {"file": "x.jsonl"}
    assert by_command["crawl"][1:2] == ("failed",)
    assert by_command["crawl"][4] == "bad study"
    assert all(r[5] for r in rows)


def test_read_only_without_database(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no database yet"):
        connect(tmp_path / "missing.duckdb", read_only=True)


def test_not_a_duckdb_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_text("just some text, not a database\n" * 200)
    with pytest.raises(StoreError, match=r"cannot open|not a DuckDB"):
        connect(path)


def other_process(script: str) -> subprocess.Popen[str]:
    """Python running ``script`` in another process, talking over stdin and stdout."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_database_locked_by_another_process(tmp_path: Path) -> None:
    path = tmp_path / "db.duckdb"
    connect(path).close()
    holder = other_process(
        f"""
            import sys, time, duckdb
            con = duckdb.connect({str(path)!r})
            print("locked", flush=True)
            sys.stdin.read()
        """
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(StoreError, match=rf"in use by another process \(PID {holder.pid}\)"):
            connect(path)
    finally:
        holder.communicate("")


def test_a_waiting_reader_is_told_which_run_writes(tmp_path: Path) -> None:
    path = tmp_path / "db.duckdb"
    connect(path).close()
    holder = other_process(
        f"""
            import sys
            from pathlib import Path
            from pipeline.store import connect, record_run
            con = connect(Path({str(path)!r}))
            with record_run(con, "analyze:frames", {{}}) as run:
                print(run.run_id, flush=True)
                sys.stdin.readline()
            print("finished", flush=True)
            sys.stdin.read()
        """
    )
    note = writer_note_path(path)
    try:
        assert holder.stdout is not None and holder.stdin is not None
        run_id = holder.stdout.readline().strip()
        told: list[str] = []
        with pytest.raises(StoreError) as refused:
            connect(path, read_only=True, wait_seconds=1, on_wait=told.append)
        expected = f"framewatch's `analyze:frames` run (PID {holder.pid}, run {run_id}, started "
        assert expected in str(refused.value) and "--wait SECONDS" in str(refused.value)
        assert len(told) == 1 and expected in told[0] and told[0].endswith("waiting for it…")
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "finished"
        assert not note.exists(), "the note goes when the run ends"
    finally:
        holder.communicate("")
    note.write_text('{"pid": 1, "command": "crawl", "run_id": "old", "started_at": "x"}')
    assert lock_holder(path, "Conflicting lock is held in python (PID 4242)") == (
        "another process (PID 4242)"
    ), "a note left by another process is not believed"


def test_a_writer_waits_for_a_reader_that_holds_the_file_open(tmp_path: Path) -> None:
    path = tmp_path / "db.duckdb"
    connect(path).close()
    reader = other_process(
        f"""
            import sys, duckdb
            con = duckdb.connect({str(path)!r}, read_only=True)  # a notebook's connection
            print("reading", flush=True)
            sys.stdin.readline()
            con.close()
            print("closed", flush=True)
        """
    )
    try:
        assert reader.stdout is not None and reader.stdin is not None
        assert reader.stdout.readline().strip() == "reading"
        with pytest.raises(StoreError, match=r"in use by another process .*then run this again"):
            connect(path)
        told: list[str] = []

        def release(why: str) -> None:
            told.append(why)
            assert reader.stdin is not None and reader.stdout is not None
            reader.stdin.write("\n")
            reader.stdin.flush()
            assert reader.stdout.readline().strip() == "closed"

        con = connect(path, wait_seconds=60, on_wait=release)
        con.execute("CREATE TABLE written AS SELECT 1 AS x")
        con.close()
        assert len(told) == 1 and f"(PID {reader.pid})" in told[0]
    finally:
        reader.communicate("")


def test_a_stepping_writer_lets_a_waiting_reader_in_between_batches(tmp_path: Path) -> None:
    path = tmp_path / "db.duckdb"
    told: list[str] = []
    con = connect_stepping_writer(path, on_wait=told.append)
    try:
        con.execute("CREATE TABLE items (n INTEGER PRIMARY KEY)")
        con.execute("INSERT INTO items VALUES (1), (2)")
        assert let_readers_in(con) == 0, "nobody waits: the writer keeps the file"
        reader = other_process(
            f"""
                from pathlib import Path
                from pipeline.store import connect
                con = connect(
                    Path({str(path)!r}), read_only=True, wait_seconds=60,
                    on_wait=lambda why: print(why, flush=True),
                )
                print(con.execute("SELECT count(*) FROM items").fetchone()[0], flush=True)
                con.close()
            """
        )
        assert reader.stdout is not None
        assert "waiting for it" in reader.stdout.readline()
        assert waiting_readers(path) == 1, "the waiting reader left its ticket"
        assert let_readers_in(con) == 1
        out, _ = reader.communicate(timeout=60)
        assert out.strip() == "2", "the reader read what the writer had committed"
        con.execute("INSERT INTO items VALUES (3)")  # the writer goes on where it was
        assert con.execute("SELECT count(*) FROM items").fetchone() == (3,)
        assert not reader_queue(path).exists(), "the reader took its ticket away"
        assert "1 reader(s) wait for the database: letting them in" in told[0]
    finally:
        con.close()
    plain = duckdb.connect()
    assert let_readers_in(plain) == 0, "a plain connection never steps aside"
    plain.close()


def test_a_ticket_left_by_a_reader_that_died_or_gone_stale_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "db.duckdb"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    queue = reader_queue(path)
    queue.mkdir()
    (queue / f"{dead}-0badc0de").touch()
    old = queue / f"{os.getpid()}-5ca1ab1e"  # a live process, but nobody touched it for minutes
    old.touch()
    os.utime(old, (time.time() - 300, time.time() - 300))
    started = time.monotonic()
    con = connect_stepping_writer(path, on_wait=None)
    try:
        assert waiting_readers(path) == 0 and not any(queue.iterdir())
        assert let_readers_in(con) == 0
    finally:
        con.close()
    assert time.monotonic() - started < 5, "no hand-off wait for a dead reader"


def test_the_reader_queue_leaves_alone_what_is_not_a_ticket(tmp_path: Path) -> None:
    path = tmp_path / "db.duckdb"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "notes.txt").write_text("keep me", encoding="utf-8")
    old_ticket = elsewhere / f"{os.getpid()}-0badc0de"
    old_ticket.touch()
    os.utime(old_ticket, (time.time() - 300, time.time() - 300))
    reader_queue(path).symlink_to(elsewhere, target_is_directory=True)
    assert waiting_readers(path) == 0
    assert sorted(p.name for p in elsewhere.iterdir()) == sorted(["notes.txt", old_ticket.name])
    reader_queue(path).unlink()
    reader_queue(path).mkdir()
    (reader_queue(path) / "README").write_text("not a ticket", encoding="utf-8")
    assert waiting_readers(path) == 0 and (reader_queue(path) / "README").exists()


def test_a_reader_that_keeps_the_file_stops_the_writer_with_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipeline.store as store

    path = tmp_path / "db.duckdb"
    monkeypatch.setattr(store, "WRITER_WAIT_SECONDS", 1.0)
    con = connect_stepping_writer(path, on_wait=None)
    reader = other_process(
        f"""
            import sys
            from pathlib import Path
            from pipeline.store import connect
            con = connect(Path({str(path)!r}), read_only=True, wait_seconds=60,
                          on_wait=lambda why: print("waiting", flush=True))
            print("reading", flush=True)
            sys.stdin.readline()  # a notebook that keeps its connection
            con.close()
        """
    )
    try:
        assert reader.stdout is not None and reader.stdin is not None
        assert reader.stdout.readline().strip() == "waiting"
        held = rf"in use by another process \(PID {reader.pid}\)"
        with pytest.raises(StoreError, match=held), record_run(con, "analyze:frames", {}):
            let_readers_in(con)
        assert reader.stdout.readline().strip() == "reading"
        with pytest.raises(StoreError, match="could not be opened again after letting readers in"):
            con.execute("SELECT 1")
        con.close()  # nothing to close: no error
    finally:
        reader.communicate("\n")
    check = connect(path, read_only=True)
    assert check.execute("SELECT command, status FROM runs").fetchall() == [
        ("analyze:frames", "running")
    ], "the run stays `running`, as after a crash"
    check.close()
