"""lab.disk: a data directory that refuses writes gives the caller a fallback value and a degraded
flag, never an exception; any other error still raises."""

import errno
import sqlite3

import pytest

from lab.disk import DiskLink, disk_failure


def full_database(tmp_path):
    """A real SQLITE_FULL: a database capped at its current size, then written to."""
    conn = sqlite3.connect(tmp_path / "full.sqlite3", isolation_level=None)
    conn.execute("CREATE TABLE t (x BLOB)")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count={pages}")
    return conn


def test_a_full_database_is_a_disk_failure(tmp_path):
    conn = full_database(tmp_path)
    with pytest.raises(sqlite3.OperationalError) as caught:
        conn.execute("INSERT INTO t VALUES (zeroblob(100000))")
    assert disk_failure(caught.value)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_refused_writes_are_disk_failures(code):
    assert disk_failure(OSError(code, "refused"))


def test_other_errors_are_not():
    assert not disk_failure(OSError(errno.ENOENT, "missing"))
    assert not disk_failure(sqlite3.OperationalError("no such table: t"))
    assert not disk_failure(ValueError("bug"))


def test_call_answers_the_default_and_remembers(tmp_path):
    link = DiskLink(tmp_path)
    conn = full_database(tmp_path)
    assert link.call(lambda: conn.execute("INSERT INTO t VALUES (zeroblob(100000))"), default="fallback") == "fallback"
    assert link.last_error and "full" in link.last_error
    assert link.writable() is False, "remembered for a second"
    assert link.writable(fresh=True) is True, "a fresh probe finds the directory writable again"
    assert link.last_error is None


def test_a_bug_still_raises(tmp_path):
    link = DiskLink(tmp_path)
    with pytest.raises(sqlite3.OperationalError):
        link.call(lambda: sqlite3.connect(":memory:").execute("SELECT * FROM missing"))
    assert link.last_error is None


def test_a_directory_that_cannot_be_written_is_not_writable(tmp_path):
    link = DiskLink(tmp_path / "not-a-directory")
    (tmp_path / "not-a-directory").write_text("a file")
    assert link.writable(fresh=True) is False and link.last_error
