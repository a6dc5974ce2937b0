"""Lesson 8's crowd in the comparison: its rows, its findings, its CSV lines, its config (the crowd itself
against real gunicorn is in tests/integration/test_compare.py)."""

import pytest

from lab.compare.findings import BAD, GOOD, NOTE, offload_findings
from lab.compare.offload import NO_CELERY, NO_KEY, Offload, crowd_users, offload_row
from lab.compare.report import COLUMNS, csv_text, table
from lab.compare.runner import Config
from lab.compare.runs import total_rounds


def crowd_run(mode: str, step_pids: list[int], p95: float | None, served: int = 8) -> dict:
    """What `lab.background.crowd` returns (the fields the comparison reads)."""
    return {"mode": mode, "users": 8, "wall": 2.5, "served": served, "failed": 8 - served, "ping_p95_ms": p95,
            "ping_max_ms": None if p95 is None else p95 * 1.5, "pings": 12, "pings_failed": 0,
            "web_workers": [11, 12], "step_pids": step_pids, "rows": []}


LIVE = [11, 12, 13, 14]


def test_a_plain_crowd_counts_the_web_workers_it_occupied():
    row = offload_row(crowd_run("plain", [11, 12, 13, 14], 2900.0), "plain", 4, LIVE, 1.0)
    assert row["web_workers_busy"] == 4 and row["live_workers"] == 4 and row["step_processes"] == 4
    assert row["cheap_p95_ms"] == 2900.0 and row["served"] == 8 and row["lesson"] == "/background"
    assert row["label"] == "Plain callback" and row["step_seconds"] == 1.0


def test_a_background_crowd_occupies_no_web_worker():
    """Job processes and Celery pool processes are not web workers, whatever their number."""
    row = offload_row(crowd_run("diskcache", [501, 502, 503, 504, 505, 506, 507, 508], 40.0), "diskcache", 4, LIVE, 1.0)
    assert row["web_workers_busy"] == 0 and row["step_processes"] == 8


def test_the_celery_way_only_when_a_worker_answers():
    assert Offload("k").modes() == ("plain", "diskcache")
    assert Offload("k", celery=True).modes() == ("plain", "diskcache", "celery")


def test_the_crowd_has_at_most_as_many_users_as_reports():
    assert [crowd_users(n) for n in (1, 2, 8, 16)] == [1, 2, 8, 8]


def result_with_offload(rows: list[dict], missing: str | None = None) -> dict:
    return {"finished_at": 1e9, "seconds": 60.0, "config": {"users": 8, "rows": 1000, "workers": [1, 4]},
            "lab": {"backend": "redis", "step_seconds": 1.0}, "rows": [],
            "offload": {"rows": rows, "missing": missing}}


def test_findings_compare_each_background_way_with_plain_at_the_largest_count():
    rows = [offload_row(crowd_run("plain", [11], 7800.0), "plain", 1, [11], 1.0),
            offload_row(crowd_run("diskcache", [501], 30.0), "diskcache", 1, [11], 1.0),
            offload_row(crowd_run("plain", LIVE, 1900.0), "plain", 4, LIVE, 1.0),
            offload_row(crowd_run("diskcache", [601, 602], 45.0), "diskcache", 4, LIVE, 1.0),
            offload_row(crowd_run("celery", [701], 2500.0), "celery", 4, LIVE, 1.0)]
    found = offload_findings(result_with_offload(rows))
    assert [f.tone for f in found] == [GOOD, NOTE], found  # Celery measured slower than plain: said, not hidden
    assert found[0].text == ("At 4 workers, while 8 users each waited for a different report, a cheap callback "
                             "waited 45 ms (p95) with the step on Background: Diskcache, and 1.90 s with it in plain "
                             "callbacks, which kept 4 of 4 web workers busy.")


def test_users_not_served_and_a_missing_part_are_said():
    rows = [offload_row(crowd_run("plain", LIVE, 1900.0, served=6), "plain", 4, LIVE, 1.0)]
    found = offload_findings(result_with_offload(rows, NO_CELERY))
    assert [f.tone for f in found] == [BAD, NOTE]
    assert "only 6 of 8 users got their report" in found[0].text and "no Celery worker answered" in found[1].text
    none = offload_findings(result_with_offload([], NO_KEY))
    assert len(none) == 1 and "SECRET_KEY" in none[0].text
    assert offload_findings({"rows": []}) == [], "a result from before the crowd joined says nothing"


def test_csv_and_table_carry_the_crowd():
    rows = [offload_row(crowd_run("plain", LIVE, 1900.0), "plain", 4, LIVE, 1.0),
            offload_row(crowd_run("diskcache", [601], 45.0), "diskcache", 4, LIVE, 1.0)]
    lines = csv_text(result_with_offload(rows)).strip().split("\n")
    assert lines[0].split(",") == list(COLUMNS) and len(lines) == 3
    plain = dict(zip(COLUMNS, lines[1].split(","), strict=True))
    assert plain["pattern"] == "offload-plain" and plain["web_workers_busy"] == "4" and plain["cheap_p95_ms"] == "1900.0"
    text = table(result_with_offload(rows, NO_CELERY))
    assert "4 of 4" in text and "0 of 4" in text and "no Celery worker answered" in text


@pytest.mark.parametrize("offload", ["yes", 1, None])
def test_offload_must_be_a_boolean(offload):
    with pytest.raises(ValueError, match="offload"):
        Config(offload=offload).checked(8)


def test_the_progress_total_counts_the_crowd():
    assert total_rounds(Config(workers=(1, 4)), redis=True) == 2 * (7 + 3)
    assert total_rounds(Config(workers=(1, 4)), redis=False) == 2 * (7 + 2)
    assert total_rounds(Config(workers=(2,), offload=False), redis=True) == 7
