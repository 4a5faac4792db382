"""The load caches (`qirrt.qir.program_cache`, `qirrt.qir.disk_cache`): a second load of the same bytes
gives the same program without normalising again, in this process and in a new one; corrupt entries
are rebuilt; the caches can be turned off; caching changes no program's canonical IR or hash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qirrt
from qirrt.errors import InvalidProgramError
from qirrt.qir import disk_cache, program_cache
from qirrt.qir.conformance import NonConformanceWarning
from qirrt.qir.normalize import core as normalize_core

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = sorted((ROOT / "tests" / "golden" / "producers").rglob("*.ll"))
TELEPORT = ROOT / "tests" / "golden" / "producers" / "qdk" / "teleport_adaptive.ll"
UNREPAIRED = ROOT / "examples" / "ghz3.ll"
REPAIRED = ROOT / "tests" / "golden" / "producers" / "cudaq" / "bell_qir-adaptive.ll"  # no QIR module flags


def _forbid_normalising(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the module was normalised again")

    monkeypatch.setattr(normalize_core, "normalize", refuse)


def _entries(directory: Path, kind: str) -> list[Path]:
    return sorted(p for p in (directory / kind).rglob("*") if p.is_file()) if (directory / kind).exists() else []


def test_a_second_load_of_the_same_file_is_remembered(cache, monkeypatch):
    first = qirrt.load(TELEPORT)
    _forbid_normalising(monkeypatch)
    second = qirrt.load(TELEPORT)
    assert second is not first and second.metadata is not first.metadata
    assert (second.ir, second.hash, second.canonical_ir) == (first.ir, first.hash, first.canonical_ir)
    assert (second.entry_point, second.profile, second.num_qubits, second.num_results) == \
        (first.entry_point, first.profile, first.num_qubits, first.num_results)
    assert second.normalisation == first.normalisation and second.repairs == first.repairs
    with pytest.raises(InvalidProgramError, match="normalised again"):
        qirrt.load(TELEPORT, cache=False)


def test_a_remembered_program_warns_and_refuses_as_a_fresh_load_does(cache):
    with warnings.catch_warnings(record=True) as fresh:
        warnings.simplefilter("always")
        program = qirrt.load(REPAIRED)
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")
        qirrt.load(REPAIRED)
    assert program.repairs
    assert [str(w.message) for w in again if w.category is NonConformanceWarning] == \
        [str(w.message) for w in fresh if w.category is NonConformanceWarning]
    with pytest.raises(InvalidProgramError) as refused:
        qirrt.load(REPAIRED, strict=True)
    assert refused.value.code == program.repairs[0].code


def test_a_new_process_loads_from_the_disk_cache(cache, tmp_path):
    source = tmp_path / "teleport.ll"
    source.write_bytes(TELEPORT.read_bytes())
    script = (
        "import sys, warnings, json; warnings.simplefilter('ignore')\n"
        "import qirrt\n"
        "from qirrt.qir.normalize import core\n"
        "if sys.argv[2] == 'forbid':\n"
        "    core.normalize = lambda *a, **k: (_ for _ in ()).throw(SystemExit('normalised again'))\n"
        "p = qirrt.load(sys.argv[1])\n"
        "print(json.dumps([p.hash, p.canonical_ir == p.module.__str__()]))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), **{disk_cache.ENV_DIR: str(cache)})
    first = subprocess.run([sys.executable, "-c", script, str(source), "allow"], env=env, capture_output=True,
                           text=True, timeout=180)
    assert first.returncode == 0, first.stderr
    assert _entries(cache, "programs")
    second = subprocess.run([sys.executable, "-c", script, str(source), "forbid"], env=env, capture_output=True,
                            text=True, timeout=180)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout) == json.loads(first.stdout) == [qirrt.load(source, cache=False).hash, True]


def test_a_corrupt_entry_is_rebuilt(cache):
    program = qirrt.load(TELEPORT)
    (entry,) = _entries(cache, "programs")
    good = entry.read_bytes()
    for damage in (good[:-7], good[:20] + bytes([good[20] ^ 0xFF]) + good[21:], b"", b"not an entry at all"):
        entry.write_bytes(damage)
        program_cache.clear_memory()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            again = qirrt.load(TELEPORT)
        assert again.hash == program.hash and again.ir == program.ir
        assert entry.read_bytes() == good  # rebuilt and stored again


def test_an_edited_file_is_loaded_afresh(cache, tmp_path):
    path = tmp_path / "prog.ll"
    path.write_bytes(UNREPAIRED.read_bytes())
    before = qirrt.load(path)
    path.write_text(UNREPAIRED.read_text().replace("__quantum__qis__h__body(ptr null)",
                                                   "__quantum__qis__x__body(ptr null)", 1)
                    .replace("declare void @__quantum__qis__h__body(ptr)",
                             "declare void @__quantum__qis__h__body(ptr)\ndeclare void @__quantum__qis__x__body(ptr)"))
    after = qirrt.load(path)
    assert after.hash != before.hash and "x__body" in after.ir


def test_the_caches_can_be_turned_off(cache, monkeypatch):
    qirrt.load(UNREPAIRED, cache=False)
    assert not cache.exists()
    monkeypatch.setenv(disk_cache.ENV_DISABLE, "1")
    qirrt.load(UNREPAIRED)
    assert disk_cache.cache_dir() is None and not cache.exists()


def test_the_cache_directory_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv(disk_cache.ENV_DIR, raising=False)
    monkeypatch.delenv(disk_cache.ENV_DISABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert disk_cache.cache_dir() == tmp_path / "qirrt"
    monkeypatch.setenv(disk_cache.ENV_DISABLE, "0")
    assert disk_cache.cache_dir() == tmp_path / "qirrt"


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_caching_keeps_the_canonical_ir_and_hash_of_every_golden_program(cache, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fresh = qirrt.Program.from_file(path)
        except InvalidProgramError:
            pytest.skip("refused by the loader (not a cache question)")
        stored = program_cache.from_record(json.loads(json.dumps(program_cache.to_record(fresh))))
        first, second = qirrt.load(path), qirrt.load(path)
    assert fresh.canonical_ir == str(fresh.module)  # the canonical IR is what pyqir's LLVM prints
    for program in (stored, first, second):
        assert (program.canonical_ir, program.hash, program.ir) == (fresh.canonical_ir, fresh.hash, fresh.ir)
        assert program.repairs == fresh.repairs and program.normalisation == fresh.normalisation


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=200))
def test_reading_any_bytes_as_an_entry_never_raises(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("entry") / "x.bin"
    path.write_bytes(data)
    assert disk_cache.read(path) is None  # random bytes never carry a valid checksum
    assert disk_cache.write(path, data) and disk_cache.read(path) == data
