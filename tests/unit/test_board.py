"""The shared board, on a real Redis and on SQLite: documents with expiry, and claims that only
one process at a time can hold, renew or release."""

import multiprocessing
import time

import pytest

from lab.backend import RedisLink
from lab.board import RedisBoard, SqliteBoard


@pytest.fixture(params=["sqlite", "redis"])
def board(request, tmp_path):
    if request.param == "sqlite":
        return SqliteBoard(tmp_path / "board.sqlite3")
    return RedisBoard(RedisLink(request.getfixturevalue("redis_url")))


def test_documents_are_written_read_replaced_and_deleted(board):
    assert board.get("doc") is None
    assert board.put("doc", {"a": 1})
    board.put("doc", {"a": 2, "b": [1, 2]})
    assert board.get("doc") == {"a": 2, "b": [1, 2]}
    board.delete("doc")
    assert board.get("doc") is None


def test_a_document_with_a_ttl_expires(board):
    board.put("short", {"x": 1}, ttl=0.3)
    assert board.get("short") == {"x": 1}
    time.sleep(0.45)
    assert board.get("short") is None


def test_a_claim_is_held_by_one_owner_until_released_or_expired(board):
    assert board.claim("run", "first", ttl=5)
    assert not board.claim("run", "second", ttl=5)
    assert board.holder("run") == "first"
    assert not board.renew("run", "second", ttl=5)
    board.release("run", "second")  # not the owner: nothing happens
    assert board.holder("run") == "first"
    board.release("run", "first")
    assert board.holder("run") is None and board.claim("run", "second", ttl=0.3)
    assert board.renew("run", "second", ttl=0.3)
    time.sleep(0.45)
    assert board.holder("run") is None and board.claim("run", "third", ttl=5)


def _race(kind: str, where: str, owner: str, start, results) -> None:
    board = SqliteBoard(where) if kind == "sqlite" else RedisBoard(RedisLink(where))
    start.wait()
    results.put((owner, board.claim("race", owner, ttl=30)))


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_exactly_one_of_several_processes_gets_the_claim(kind, tmp_path, request):
    where = str(tmp_path / "board.sqlite3") if kind == "sqlite" else request.getfixturevalue("redis_url")
    if kind == "sqlite":
        SqliteBoard.create(tmp_path / "board.sqlite3")
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    processes = [context.Process(target=_race, args=(kind, where, f"p{i}", start, results)) for i in range(6)]
    for process in processes:
        process.start()
    start.set()
    won = [owner for owner, got in (results.get(timeout=30) for _ in processes) if got]
    for process in processes:
        process.join(10)
    assert len(won) == 1
