"""DataFrame codecs: Arrow IPC round-trips exactly (datetime resolution and categories included);
JSON comes back changed, and `round_trip` says how; both report their size in bytes."""

import datetime as dt

import pandas as pd
import pytest

from lab.datasets import session_frame
from lab.serialization import ARROW, CODECS, JSON, codec_named, differences, round_trip

CREATED = dt.datetime(2026, 6, 1, 12, 0, 0, 123456)


@pytest.fixture(scope="module")
def frame():
    return session_frame(20_000, 7, CREATED)


def test_arrow_round_trip_is_exact(frame):
    measured, restored = round_trip(frame, ARROW)
    pd.testing.assert_frame_equal(frame, restored, check_exact=True)
    assert measured.exact and measured.differences == ()
    assert dict(restored.dtypes.astype(str)) == {"time": str(frame["time"].dtype), "value": "float64",
                                                 "ratio": "float64", "kind": "category"}
    assert restored["time"].iloc[0] == pd.Timestamp(CREATED), "microseconds survive"
    assert list(restored["kind"].cat.categories) == list(frame["kind"].cat.categories)
    assert measured.nbytes == len(ARROW.encode(frame)) and measured.rows == len(frame)
    assert measured.encode_ms > 0 and measured.decode_ms > 0 and measured.total_ms > measured.encode_ms


def test_json_is_lossy_and_says_how(frame):
    measured, _ = round_trip(frame, JSON)
    assert not measured.exact
    text = "\n".join(measured.differences)
    assert "time: datetime64" in text and "kind: category came back as" in text
    assert "value:" in text and "values changed" in text, "10 significant digits lose float precision"
    assert measured.nbytes > round_trip(frame, ARROW)[0].nbytes, "text is larger than Arrow's columns"


def test_differences_of_identical_frames_is_empty(frame):
    assert differences(frame, frame.copy()) == []
    fewer = frame.iloc[:10]
    assert differences(frame, fewer) == [f"{len(frame):,} rows came back as 10"]


def test_codec_lookup():
    assert set(CODECS) == {"json", "arrow"} and codec_named("arrow") is ARROW
    with pytest.raises(ValueError, match="unknown serializer"):
        codec_named("plasma")
