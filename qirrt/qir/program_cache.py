"""Loaded programs remembered by their source: a second load of the same bytes skips parsing,
normalising and validating.

`load_cached(source, options, build)` returns the `Program` that `build()` makes from `source`,
remembered in this process (`_MEMORY`, least recently used first out) and on disk
(`qirrt.qir.disk_cache`, kind ``programs``) under a key of the source bytes, the options, the
source file's name and qirrt's code stamp. A hit is a new `Program` (its own `metadata`) with the
same fields and hash; its repairs are warned about again and refused under `strict`, exactly as a
fresh load would. Only programs whose fields are plain JSON are stored; failed loads are not.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict

from qirrt.errors import Location
from qirrt.qir import conformance, disk_cache
from qirrt.qir.conformance import Repair
from qirrt.qir.module import Profile
from qirrt.qir.program import Program

_MEMORY: OrderedDict[str, dict] = OrderedDict()
_LOCK = threading.Lock()
_MEMORY_ENTRIES = 256
_MAX_SOURCE_BYTES = 1 << 22
"""Sources above 4 MiB are not remembered (their load time is dominated by the work itself)."""


def load_cached(source: bytes, options: dict, build: Callable[[], Program], *, strict: bool = False,
                source_file: str | None = None, disk: bool = True) -> Program:
    """The Program `build()` makes from `source` (with `options`), from the caches when it was made before."""
    if len(source) > _MAX_SOURCE_BYTES:
        return build()
    name = disk_cache.key("program", source, sorted(options.items()), source_file)
    with _LOCK:
        record = _MEMORY.get(name)
        if record is not None:
            _MEMORY.move_to_end(name)
    if record is None and disk:
        payload = disk_cache.read(disk_cache.entry_path("programs", name, ".json"))
        if payload is not None:
            try:
                record = json.loads(payload)
                _remember(name, record)
            except ValueError:
                record = None
    if record is not None:
        try:
            program = from_record(record)
        except (KeyError, TypeError, ValueError):
            with _LOCK:
                _MEMORY.pop(name, None)
        else:
            if strict:
                conformance.refuse(program.repairs, source_file=program.source_file)
            conformance.warn(program.repairs)
            return program
    program = build()
    record = to_record(program)
    if record is not None:
        _remember(name, record)
        if disk:
            disk_cache.write(disk_cache.entry_path("programs", name, ".json"), json.dumps(record).encode())
    return program


def _remember(name: str, record: dict) -> None:
    with _LOCK:
        _MEMORY[name] = record
        while len(_MEMORY) > _MEMORY_ENTRIES:
            _MEMORY.popitem(last=False)


def to_record(program: Program) -> dict | None:
    """The program's fields as JSON-ready data, or None when its metadata is not plain JSON."""
    try:
        metadata = json.loads(json.dumps(program.metadata))
    except (TypeError, ValueError):
        return None
    return {
        "ir": program.ir, "canonical_ir": program.canonical_ir, "entry_point": program.entry_point,
        "profile": program.profile.value, "num_qubits": program.num_qubits, "num_results": program.num_results,
        "parameters": list(program.parameters), "producer": program.producer,
        "normalisation": list(program.normalisation), "source_file": program.source_file,
        "repairs": [{"code": r.code, "violation": r.violation, "action": r.action, "location": asdict(r.location)}
                    for r in program.repairs],
        "metadata": metadata,
    }


def from_record(record: dict) -> Program:
    program = Program(
        ir=record["ir"], entry_point=record["entry_point"], profile=Profile(record["profile"]),
        num_qubits=int(record["num_qubits"]), num_results=int(record["num_results"]),
        parameters=tuple(record["parameters"]), producer=record["producer"],
        normalisation=tuple(record["normalisation"]), source_file=record["source_file"],
        repairs=tuple(Repair(r["code"], r["violation"], r["action"], Location(**r["location"]))
                      for r in record["repairs"]),
        metadata=json.loads(json.dumps(record["metadata"])),
    )
    program.__dict__["canonical_ir"] = record["canonical_ir"]
    return program


def clear_memory() -> None:
    """Forget the programs remembered in this process (the disk cache stays)."""
    with _LOCK:
        _MEMORY.clear()


__all__ = ["clear_memory", "from_record", "load_cached", "to_record"]
