"""The pipeline grammar alone (`qirrt.passes.spec`): no pass classes, round trips, clear errors."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qirrt.errors import PassError
from qirrt.passes.spec import format_spec, parse_spec, render_value, split_pipeline

_names = st.from_regex(r"[a-z][a-z0-9]{0,5}(-[a-z0-9]{1,4}){0,2}", fullmatch=True)
_values = st.lists(st.from_regex(r"[a-z0-9.]{1,5}", fullmatch=True), min_size=1, max_size=3).map(",".join)


@given(_names, st.dictionaries(_names, _values, max_size=4))
def test_format_then_parse_gives_back_the_spec(name, options):
    text = format_spec(name, options.items())
    assert parse_spec(text) == (name, list(options.items()))


@given(st.lists(st.tuples(_names, st.dictionaries(_names, _values, max_size=3)), min_size=1, max_size=4))
def test_a_pipeline_splits_into_its_specs(specs):
    texts = [format_spec(name, options.items()) for name, options in specs]
    assert split_pipeline(",".join(texts)) == texts


def test_unknown_names_are_grammar_not_lookup():
    # the grammar knows no passes: any kebab-case name parses
    assert parse_spec("no-such-pass{a=1,2,b=x}") == ("no-such-pass", [("a", "1,2"), ("b", "x")])


@pytest.mark.parametrize("text, message", [
    ("a{b=1", "pipeline 'a{b=1': unbalanced '{'"),
    ("a}b", "pipeline 'a}b': unbalanced '}'"),
])
def test_unbalanced_braces(text, message):
    with pytest.raises(PassError, match=re.escape(message)):
        split_pipeline(text)


@pytest.mark.parametrize("text, message", [
    ("Bad_Name", "bad pass name 'Bad_Name': pass names are kebab-case"),
    ("a{x}", "options {x}: expected name=value"),
    ("a b", "cannot read pass 'a b'"),
])
def test_bad_specs(text, message):
    with pytest.raises(PassError, match=re.escape(message)):
        parse_spec(text)


def test_values_render_as_the_grammar_reads_them():
    assert [render_value(v) for v in (True, False, None, ("rz", "sx"), 0.5, 3)] == \
        ["true", "false", "none", "rz,sx", "0.5", "3"]
