"""Text columns of the report tables built from codes equal the plain way: strings, then ``astype("category")``."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.reports.tables import Labels

NAMES = st.lists(st.text(alphabet="abcAB-_ é1", min_size=0, max_size=4), min_size=1, max_size=6)


@st.composite
def pieces(draw):
    out = []
    for _ in range(draw(st.integers(0, 4))):
        names = draw(NAMES)
        codes = draw(st.lists(st.integers(0, len(names) - 1), max_size=12))
        out.append((names, np.array(codes, dtype=np.int64)))
    return out


@settings(max_examples=300, deadline=None)
@given(pieces())
def test_labels_equal_strings_made_categorical(parts):
    labels = Labels()
    for names, codes in parts:
        labels.add(names, codes)
    got = pd.Series(labels.categorical())
    strings = [names[c] for names, codes in parts for c in codes]
    want = pd.Series(pd.array(strings, dtype="str")).astype("category")
    pd.testing.assert_series_equal(got, want, check_exact=True, check_categorical=True)
    assert got.cat.categories.dtype == want.cat.categories.dtype
    assert got.cat.codes.dtype == want.cat.codes.dtype


def test_repeat_is_n_rows_of_one_name():
    labels = Labels()
    labels.repeat("scenario", 3)
    labels.add(["baseline", "scenario"], np.array([1, 0]))
    got = pd.Series(labels.categorical())
    assert got.tolist() == ["scenario", "scenario", "scenario", "scenario", "baseline"]
    assert got.cat.categories.tolist() == ["baseline", "scenario"]
