"""A short version of `make bench`'s load (bench/load.py): 10 learners for 8 s on 4 workers and a
real Redis, each doing what a browser on /cache-signal does (page loads, the page's callbacks,
the shell's poll once a second). No 5xx and no failed request, the workers' memory at the end
within 1.5× of what it was after warm-up, and Redis's keys within the bound the settings give."""

import pytest

from bench.load import RSS_TARGET, report, run_load

pytestmark = [pytest.mark.gunicorn, pytest.mark.redis]
MAX_VISITS = 10  # the smallest allowed: 10 learners reloading go past it within the run


def test_ten_learners_for_eight_seconds(lab_server, redis_url):
    server = lab_server(workers=4, redis_url=redis_url,
                        env={"STEP_SECONDS": "0.5", "MAX_VISITS": str(MAX_VISITS), "CACHE_TIMEOUT": "20"})
    result = run_load(server, redis_url, users=10, seconds=8, warmup=4, max_visits=MAX_VISITS)
    report(result, workers=4)
    assert result["requests"] > 50, "the learners were served"
    assert result["server_errors"] == 0 and result["failed"] == 0, result["first_failures"]
    assert result["workers_same"], "no worker died or was replaced under load"
    assert result["rss_ratio"] <= RSS_TARGET, (result["rss_warm"], result["rss_end"])
    assert result["redis_keys_end"]["visits"] <= 2 * MAX_VISITS
    assert result["redis_keys_end"]["total"] <= result["redis_key_bound"], result["redis_keys_end"]
