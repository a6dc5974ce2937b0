"""Short digests that tell two results apart: equal fingerprints, equal data. The lessons print them
beside what they show, so a learner can see that two workers, two readers or two modes got the same
numbers (lessons 4, 5 and 6)."""

from __future__ import annotations

import hashlib
import json

import pandas as pd


def of_frame(frame: pd.DataFrame) -> str:
    """8 hex digits of a DataFrame's values (its index left out)."""
    return hashlib.blake2b(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes(),
                           digest_size=4).hexdigest()


def of_json(value) -> str:
    """8 hex digits of a JSON-ready value, whatever the order of its keys."""
    return hashlib.blake2b(json.dumps(value, sort_keys=True).encode(), digest_size=4).hexdigest()
