"""Lesson 8's plain functions, with no Dash app: the step reports its progress and is counted
(background processes as the lesson's and the visit's, never as web workers); a background job
answers from an earlier result of its generation without running again, and clearing starts a
new generation; the visit comes from the request's signed header; a crowd's round must be
signed by the server; the Diskcache manager uses one shared directory; the crowd's summary
judges each user's result and takes the p95 of the pings; the views render."""

import flask
import pytest

from components import background_views as views
from lab import background as lesson
from lab import sessions
from lab.cache import cache, cache_config
from lab.metrics import store_for
from lab.settings import get_settings


@pytest.fixture
def app_context(quick_steps):
    server = flask.Flask(__name__)
    cache.init_app(server, config=cache_config(get_settings()))
    with server.app_context():
        lesson.forget_results()
        yield


def executions(step):
    return store_for(get_settings()).summary()["patterns"].get(lesson.PATTERN, {}).get(
        "recomputes_by_step", {}).get(step, 0)


def test_the_step_reports_progress_and_is_counted(app_context):
    seen = []
    before = executions(lesson.PLAIN)
    result = lesson.run_step("B", lesson.PLAIN, set_progress=seen.append)
    assert seen[0] == (0, "0 %") and seen[-1] == (100, "100 %") and len(seen) == lesson.PROGRESS_TICKS + 1
    assert [value for value, _ in seen] == sorted(value for value, _ in seen)
    assert result["answer"] == lesson.answer_of("B") != lesson.answer_of("C")
    assert result["web_worker"] is True and executions(lesson.PLAIN) == before + 1


def test_a_background_process_counts_for_the_lesson_not_as_a_web_worker(app_context):
    store = store_for(get_settings())
    workers_before = store.summary()["workers"]
    lesson.run_step("C", lesson.DISKCACHE, web_worker=False)
    assert executions(lesson.DISKCACHE) >= 1
    assert store.summary()["workers"] == workers_before


def test_a_job_reuses_its_generations_result_and_clearing_starts_a_new_one(app_context):
    visit = sessions.mint(get_settings().secret_key)
    before = executions(lesson.DISKCACHE)
    first = lesson.background_job("D", lesson.DISKCACHE, None, {"X-Lab-Session": visit})
    again = lesson.background_job("D", lesson.DISKCACHE, None, {"x-lab-session": visit})
    assert again == first and executions(lesson.DISKCACHE) == before + 1
    lesson.forget_results()
    assert lesson.background_job("D", lesson.DISKCACHE, None, {})["started"] >= first["ended"]
    assert executions(lesson.DISKCACHE) == before + 2


def test_a_crowd_round_is_private_and_must_be_signed(app_context):
    secret = get_settings().secret_key
    token = sessions.mint(secret, purpose=lesson.ROUND_PURPOSE)
    assert lesson.round_of(token) and lesson.round_of(None) is None
    assert lesson.round_of(sessions.mint(secret)) is None, "a visit id is not a round"
    assert lesson.round_of(token[:-2] + "xx") is None
    before = executions(f"crowd-{lesson.CELERY}")
    lesson.background_job("E", lesson.CELERY, token, {})
    assert executions(f"crowd-{lesson.CELERY}") == before + 1, "a crowd's executions are counted apart"


def test_the_visit_comes_from_the_signed_header_only(quick_steps):
    visit = sessions.mint(get_settings().secret_key)
    expected = sessions.verify_or_none(get_settings().secret_key, visit)
    assert expected and lesson.visit_of({"X-Lab-Session": visit}) == expected
    assert lesson.visit_of({"X-Lab-Session": "forged.123.abc"}) is None
    assert lesson.visit_of({}) is None and lesson.visit_of(None) is None


def test_the_diskcache_manager_shares_one_directory(quick_steps):
    manager = lesson.diskcache_manager(get_settings())
    assert manager.handle.directory == str(lesson.jobs_dir(get_settings()))
    assert manager.cache_by == [lesson.generation] and manager.expire == get_settings().cache_timeout
    manager.terminate_job(None)  # nothing to do, and no error for an unknown or gone job
    manager.terminate_job(2**22 + 12345)


def test_the_summary_judges_every_user_and_takes_the_p95_of_the_pings():
    good = lesson.Outcome(1, "A", 200, 1.0, 3, {"value": "A", "answer": lesson.answer_of("A"), "pid": 7}, {1})
    wrong = lesson.Outcome(2, "B", 200, 1.0, 3, {"value": "A", "answer": lesson.answer_of("A"), "pid": 8}, {2})
    failed = lesson.Outcome(3, "C", 500, 0.1, 0, None, {2}, "boom")
    pings = [lesson.Outcome(i, "", 200, s) for i, s in enumerate([0.01] * 18 + [2.0, 3.0])]
    run = lesson.summarize(lesson.DISKCACHE, [good, wrong, failed], pings, 4.0)
    assert run["served"] == 1 and run["failed"] == 2 and run["step_pids"] == [7] and run["web_workers"] == [1, 2]
    assert run["ping_p95_ms"] == 2000.0 and run["ping_max_ms"] == 3000.0 and run["pings"] == 20
    assert lesson.percentile([], 95) is None and lesson.percentile([5.0], 95) == 5.0


def test_the_bodies_name_the_lessons_callbacks():
    body = lesson.run_body(lesson.DISKCACHE, "F", "round", clicks=3)
    assert body["output"] == "background-live-diskcache-result.data"
    assert body["inputs"] == [{"id": "background-live-diskcache-run", "property": "n_clicks", "value": 3}]
    assert {s["id"]: s["value"] for s in body["state"]} == {"background-value": "F", "background-round": "round"}
    assert lesson.ping_body()["output"] == "background-live-ping-note.children"


def test_the_views_render(quick_steps):
    result = {"value": "A", "mode": lesson.DISKCACHE, "answer": 12345, "pid": 9, "started": 1.0, "ended": 2.0,
              "web_worker": False}
    assert "background process 9" in str(views.result_view(result)) and views.result_view(None) == "—"
    run = lesson.summarize(lesson.PLAIN, [], [lesson.Outcome(1, "", 200, 3.0)], 3.0)
    run.update(step=3.0, live_workers=4, at=0.0)
    assert "✗ the web workers were busy" in str(views.crowd_card(lesson.PLAIN, run))
    assert "needs Redis" in str(views.mode_card(lesson.CELERY, redis=False))
    assert "Cancel" in str(views.mode_card(lesson.DISKCACHE, redis=False))
    assert len(views.self_check_questions()) == 3
