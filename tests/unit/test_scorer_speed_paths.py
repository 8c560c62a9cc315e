"""The scorer's fast paths against the computations they replace: the same terms, counts and probabilities.

``triage.classifier`` counts a text's terms without np.unique and scores every block of a head with one look-up;
each piece is held here to the plain computation it stands for (numpy's own functions, or the n-grams as Python
strings looked up in a dict of the vocabulary), on the sample mails, awkward texts and generated ones.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage import classifier

_INT64 = np.iinfo(np.int64)


@pytest.mark.parametrize(
    "keys",
    [
        [],
        [7],
        [3, 3, 3],
        [_INT64.max, _INT64.min, 0, -1, _INT64.max, _INT64.min, -1],
        list(range(600, 0, -1)) * 2 + [5] * 40,  # beyond the few hundred where numpy sorts with a network
    ],
)
def test_distinct_counts_are_np_uniques(keys: list[int]) -> None:
    array = np.array(keys, dtype=np.int64)
    expected, counts = np.unique(array, return_counts=True)
    distinct, tf = classifier._distinct(array.copy())
    assert distinct.dtype == np.int64
    assert tf.dtype == np.float64
    assert distinct.tolist() == expected.tolist()
    assert tf.tolist() == counts.tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(_INT64.min, _INT64.max) | st.integers(-3, 3), max_size=1500))
def test_generated_keys_count_as_np_unique_counts_them(keys: list[int]) -> None:
    test_distinct_counts_are_np_uniques(keys)
