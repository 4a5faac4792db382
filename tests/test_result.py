"""`Result` and the count-key convention (needs nothing but Python)."""

from __future__ import annotations

import json

import pytest

from qirrt.result import Record, Result, format_key, format_output_schema


def R(v):
    return Record("RESULT", v)


@pytest.mark.parametrize("records, key", [
    ([], ""),
    ([R(0), R(1)], "01"),                                             # raw QIR: first recorded leftmost
    ([Record("ARRAY", 3), R(1), R(0), R(1)], "101"),                  # one Qiskit register
    ([Record("TUPLE", 2), Record("ARRAY", 2), R(1), R(0), Record("ARRAY", 1), R(1)], "10 1"),  # two
    ([Record("BOOL", 1), R(0)], "10"),
    ([Record("INT", 42)], "42"),
    ([Record("INT", 5), R(1)], "5 1"),                                # a top-level int is spaced
    ([R(1), Record("DOUBLE", 0.25), R(0)], "1 0.25 0"),
    ([Record("TUPLE", 3), R(1), Record("INT", -3), Record("DOUBLE", 1.5)], "1 -3 1.5"),
    ([Record("TUPLE", 2), R(1), R(0), R(1)], "1 0 1"),                # a top-level tuple is spaced
    ([Record("ARRAY", 2), Record("BOOL", 0), Record("BOOL", 1), Record("INT", 7)], "01 7"),
])
def test_count_key_convention(records, key):
    assert format_key(records) == key


def test_truncated_container_takes_what_is_there():
    assert format_key([Record("ARRAY", 4), R(1), R(1)]) == "11"


def test_output_schema_text():
    text = format_output_schema([[Record("TUPLE", 2, "t"), Record("RESULT", 1, "r0"), Record("BOOL", 0, "b")]],
                                entry_point="main")
    assert text.splitlines() == [
        "HEADER\tschema_id\tlabeled", "HEADER\tschema_version\t1.0", "START", "METADATA\tentry_point\tmain",
        "OUTPUT\tTUPLE\t2\tt", "OUTPUT\tRESULT\t1\tr0", "OUTPUT\tBOOL\tfalse\tb", "END\t0"]


def test_probabilities_marginal_and_most_frequent():
    result = Result(counts={"00": 30, "11": 70, "1 0": 0}, shots=100)
    assert result.probabilities() == {"00": 0.3, "11": 0.7, "1 0": 0.0}
    assert result.most_frequent() == "11"
    assert result.marginal([0]) == {"0": 30, "1": 70}
    assert Result(counts={}, shots=0).probabilities() == {}


def test_json_round_trip_keeps_every_field():
    import numpy as np

    result = Result(counts={"01": 3, "10": 1}, shots=4, memory=["01", "10", "01", "01"], output_schema="x",
                    metadata={"executor": "local", "seed": np.int64(7), "nested": {"a": (1, 2)}},
                    expectation=0.5, expectation_unmitigated=0.25)
    data = json.loads(result.to_json())
    assert data["metadata"]["seed"] == 7 and data["metadata"]["nested"] == {"a": [1, 2]}
    back = Result.from_json(result.to_json())
    assert back.counts == result.counts and back.shots == 4 and back.memory == result.memory
    assert back.output_schema == "x" and back.expectation == 0.5 and back.expectation_unmitigated == 0.25
    assert "memory" not in Result(counts={"": 1}, shots=1).to_dict()


def test_repr_shows_the_top_counts():
    assert repr(Result(counts={"0": 1, "1": 3}, shots=4)) == "Result(shots=4, counts={'1': 3, '0': 1})"
