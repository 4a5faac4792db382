"""The API never answers 5xx to bad input: random and malformed bodies, queries, ids and tokens (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("fastapi", reason="needs the dashboard extra: pip install 'qirrt[dashboard]'")

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=50))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10),
                                                                                           inner, max_size=4),
                      max_leaves=12)
keys = st.sampled_from(["qir", "qasm", "bitcode_base64", "shots", "seed", "priority", "target", "lane", "executor",
                        "mitigation", "max_attempts", "time_limit_s", "other"])
bodies = st.dictionaries(keys, values, max_size=6)
programs = st.sampled_from(["OPENQASM 2.0;\nqreg q[1];\n", "OPENQASM 3;\nqubit q;\nh q;\n", "define void @main() {}",
                            "define void @main() { ret void }", "OPENQASM 2.0;\n" + "x q[0];\n" * 3, "\x00\xff"])


def _check(reply) -> None:
    assert reply.status_code < 500, reply.text
    if reply.status_code >= 400:
        assert isinstance(reply.json()["error"], str)


@FUZZ
@given(body=bodies)
def test_random_json_bodies(dash, bearer, body):
    _check(dash.post("/api/v1/jobs", json=body, headers=bearer(dash.tokens["alice"])))


@FUZZ
@given(program=programs, key=st.sampled_from(["qir", "qasm"]), shots=st.integers(-5, 20))
def test_malformed_programs(dash, bearer, program, key, shots):
    reply = dash.post("/api/v1/jobs", json={key: program, "shots": shots, "executor": "nowhere"},
                      headers=bearer(dash.tokens["alice"]))
    _check(reply)


@FUZZ
@given(raw=st.binary(max_size=300))
def test_raw_bytes_as_body(dash, bearer, raw):
    _check(dash.post("/api/v1/jobs", content=raw,
                     headers={**bearer(dash.tokens["alice"]), "content-type": "application/json"}))


@FUZZ
@given(token=st.binary(max_size=300).filter(lambda b: not set(b) & {0, 10, 13}), path=st.sampled_from(["/api/v1/jobs", "/api/v1/workers", "/api/v1/queue",
                                                          "/api/v1/sessions", "/api/v1/targets"]))
def test_bad_tokens(dash, token, path):
    reply = dash.get(path, headers={"Authorization": b"Bearer " + token.strip()})
    assert reply.status_code == 401 and "token" in reply.json()["error"]


@FUZZ
@given(state=st.text(max_size=20), user=st.text(max_size=300), limit=st.text(max_size=12),
       offset=st.text(max_size=12), job=st.text(min_size=1, max_size=100))
def test_random_queries_and_ids(dash, bearer, state, user, limit, offset, job):
    from urllib.parse import quote

    alice = bearer(dash.tokens["alice"])
    job = quote(job, safe="")  # any text as one path segment
    _check(dash.get("/api/v1/jobs", params={"state": state, "user": user, "limit": limit, "offset": offset},
                    headers=alice))
    for path in (f"/api/v1/jobs/{job}", f"/api/v1/jobs/{job}/result", f"/api/v1/sessions/{job}",
                 f"/api/v1/targets/{job}/calibrations"):
        _check(dash.get(path, headers=alice))
    _check(dash.post(f"/api/v1/jobs/{job}/cancel", headers=alice))


def test_a_huge_declared_length_is_refused_before_reading(dash, bearer):
    reply = dash.post("/api/v1/jobs", content=b"{}", headers={**bearer(dash.tokens["alice"]),
                                                              "content-type": "application/json",
                                                              "content-length": str(1 << 40)})
    assert reply.status_code in (400, 413)
