"""DataFrames to bytes and back, two ways, measured: JSON (what the Dash docs' example uses) and
Apache Arrow IPC (what they recommend for DataFrames).

Arrow IPC writes the columns' memory as it is, with the schema: a round trip gives back exactly
the same frame, dtypes included (datetime resolution, categories). JSON goes through text: it
is larger and slower, floats keep 10 significant digits (pandas' `double_precision` default),
datetimes become ISO strings cut to milliseconds, and categories come back as plain strings.

`round_trip` measures both directions and says what, if anything, changed on the way.
(Plasma, the reference's other suggestion, was removed from pyarrow in version 12.)
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from typing import Callable

import pandas as pd
import pyarrow as pa

from lab.i18n import _, decimal


def _arrow_encode(frame: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _arrow_decode(payload: bytes) -> pd.DataFrame:
    return pa.ipc.open_stream(payload).read_all().to_pandas()


def _json_encode(frame: pd.DataFrame) -> bytes:
    return frame.to_json(orient="split", date_format="iso", index=False).encode()


def _json_decode(payload: bytes) -> pd.DataFrame:
    # pandas 3 reads a bare string as a path: hand it a buffer.
    return pd.read_json(io.StringIO(payload.decode()), orient="split")


@dataclass(frozen=True)
class Codec:
    name: str
    label: str
    encode: Callable[[pd.DataFrame], bytes]
    decode: Callable[[bytes], pd.DataFrame]


ARROW = Codec("arrow", "Apache Arrow IPC", _arrow_encode, _arrow_decode)
JSON = Codec("json", "JSON", _json_encode, _json_decode)
CODECS = {codec.name: codec for codec in (JSON, ARROW)}


def codec_named(name: str) -> Codec:
    try:
        return CODECS[name]
    except KeyError:
        raise ValueError(f"unknown serializer {name!r}: use one of {', '.join(CODECS)}") from None


@dataclass(frozen=True)
class RoundTrip:
    """One DataFrame encoded and decoded with one codec, as measured."""

    codec: str
    rows: int
    nbytes: int
    encode_ms: float
    decode_ms: float
    differences: tuple[str, ...]

    @property
    def exact(self) -> bool:
        return not self.differences

    @property
    def total_ms(self) -> float:
        return self.encode_ms + self.decode_ms


def timed_call(fn, *args):
    """`fn(*args)` and the milliseconds it took."""
    t0 = time.perf_counter()
    result = fn(*args)
    return result, (time.perf_counter() - t0) * 1000.0


def round_trip(frame: pd.DataFrame, codec: Codec) -> tuple[RoundTrip, pd.DataFrame]:
    """Encode then decode `frame`; the measurement, and the frame that came back."""
    payload, encode_ms = timed_call(codec.encode, frame)
    restored, decode_ms = timed_call(codec.decode, payload)
    return RoundTrip(codec.name, len(frame), len(payload), encode_ms, decode_ms,
                     tuple(differences(frame, restored))), restored


def differences(original: pd.DataFrame, restored: pd.DataFrame) -> list[str]:
    """What a round trip changed, one line per column (empty when the frames are identical)."""
    found = []
    if list(original.columns) != list(restored.columns):
        found.append(_("columns %(before)s came back as %(after)s", before=list(original.columns),
                       after=list(restored.columns)))
    if len(original) != len(restored):
        found.append(_("%(before)s rows came back as %(after)s", before=decimal(len(original)),
                       after=decimal(len(restored))))
    if found:
        return found
    for column in original.columns:
        before, after = original[column], restored[column]
        if before.dtype != after.dtype:
            found.append(_("%(column)s: %(before)s came back as %(after)s", column=column, before=before.dtype,
                           after=after.dtype))
            continue
        same = (before.to_numpy() == after.to_numpy()) | (before.isna().to_numpy() & after.isna().to_numpy())
        changed = int((~same).sum())
        if changed:
            found.append(_("%(column)s: %(changed)s of %(total)s values changed", column=column,
                           changed=decimal(changed), total=decimal(len(before))))
    return found
