"""Turn the driver's raw output (records per path, sampled outcome patterns) into counts and memory.

Each path is one distinct run of the program (one branch of the measurement tree). Its records are
fixed except for results still pending at the end, whose bits come from the pattern codes sampled
at the leaf. A key is rendered once per (path, pattern), never once per shot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qirrt.executors.local import abi
from qirrt.result import KIND_NAMES, Record, format_key, format_output_schema

_SLOT_BASE = 0xE000  # private-use characters stand for pending bits while a template renders


class _Slot(int):
    """A pending result bit in a template: the index of its qubit in the path's sampled list."""


@dataclass
class RawOutput:
    records: np.ndarray
    path_record_start: np.ndarray
    path_qubits: np.ndarray
    path_qubit_start: np.ndarray
    pattern_path: np.ndarray
    pattern_code: np.ndarray
    pattern_count: np.ndarray
    memory: np.ndarray

    @property
    def num_paths(self) -> int:
        return len(self.path_record_start) - 1


def _path_records(raw: RawOutput, path: int, label_of) -> list[Record]:
    rows = raw.records[raw.path_record_start[path]:raw.path_record_start[path + 1]]
    qubits = raw.path_qubits[raw.path_qubit_start[path]:raw.path_qubit_start[path + 1]].tolist()
    out = []
    for kind, value, label in rows.tolist():
        name = label_of(label)
        if kind == abi.REC_PENDING:
            out.append(Record("RESULT", _Slot(qubits.index(value)), name))
        elif kind == abi.REC_DOUBLE:
            out.append(Record("DOUBLE", float(np.int64(value).view(np.float64)), name))
        elif kind == abi.REC_INT:
            out.append(Record("INT", int(value), name))
        else:
            out.append(Record(KIND_NAMES[kind], int(value), name))
    return out


def _render_keys(template: str, codes: np.ndarray) -> list[str]:
    """Fill a template's slots with the bits of each code, vectorised over codes."""
    slots = [(pos, ord(ch) - _SLOT_BASE) for pos, ch in enumerate(template) if ord(ch) >= _SLOT_BASE]
    if not slots:
        return [template] * len(codes)
    literal = "".join("0" if ord(ch) >= _SLOT_BASE else ch for ch in template)
    try:
        base = np.frombuffer(literal.encode("ascii"), np.uint8)
    except UnicodeEncodeError:
        out = []
        for code in codes.tolist():
            chars = list(literal)
            for pos, j in slots:
                chars[pos] = "1" if (code >> j) & 1 else "0"
            out.append("".join(chars))
        return out
    table = np.repeat(base[None, :], len(codes), axis=0)
    positions = np.array([p for p, _ in slots], np.int64)
    bits = np.array([j for _, j in slots], np.int64)
    table[:, positions] = (((codes[:, None] >> bits[None, :]) & 1) + ord("0")).astype(np.uint8)
    width = len(literal)
    return [b.decode("ascii") for b in table.view(f"S{width}").ravel()] if width else [""] * len(codes)


def build_counts(raw: RawOutput, label_of, templates: dict | None = None) -> tuple[dict[str, int], list[str]]:
    """(counts, key of each pattern); `templates` caches rendered keys by a path's raw records."""
    if templates is None:
        templates = {}
    paths = raw.pattern_path.tolist()
    codes = raw.pattern_code.tolist()
    record_bounds = raw.path_record_start.tolist()
    qubit_bounds = raw.path_qubit_start.tolist()
    record_bytes = raw.records.tobytes()
    qubit_bytes = raw.path_qubits.tobytes()
    row = 8 * raw.records.shape[1] if raw.records.ndim == 2 else 24
    pattern_keys: list[str] = []
    counts: dict[str, int] = {}
    seen: dict[int, tuple] = {}
    many = len(codes) >= 64
    for index, path in enumerate(paths):
        entry = seen.get(path)
        if entry is None:
            cache_key = (record_bytes[record_bounds[path] * row:record_bounds[path + 1] * row],
                         qubit_bytes[qubit_bounds[path] * 8:qubit_bounds[path + 1] * 8])
            entry = templates.get(cache_key)
            if entry is None:
                template = _render_template(_path_records(raw, path, label_of))
                slots = [(pos, ord(ch) - _SLOT_BASE) for pos, ch in enumerate(template) if ord(ch) >= _SLOT_BASE]
                entry = (template, slots)
                if len(templates) < 4096:
                    templates[cache_key] = entry
            seen[path] = entry
        template, slots = entry
        if many:
            pattern_keys.append(None)
            continue
        if slots:
            chars = list(template)
            code = codes[index]
            for pos, j in slots:
                chars[pos] = "1" if (code >> j) & 1 else "0"
            key = "".join(chars)
        else:
            key = template
        pattern_keys.append(key)
    if many:  # vectorised rendering, one path at a time
        groups: dict[int, list[int]] = {}
        for index, path in enumerate(paths):
            groups.setdefault(path, []).append(index)
        for path, members in groups.items():
            keys = _render_keys(seen[path][0], raw.pattern_code[np.array(members, np.int64)])
            for index, key in zip(members, keys):
                pattern_keys[index] = key
    for key, count in zip(pattern_keys, raw.pattern_count.tolist()):
        if count:
            counts[key] = counts.get(key, 0) + count
    return counts, pattern_keys


def _render_template(records: list[Record]) -> str:
    """The key with each pending bit rendered as a private-use character naming its slot."""

    def leaf(kind, value):
        if isinstance(value, _Slot):
            return chr(_SLOT_BASE + int(value))
        return None

    return format_key(records, leaf=leaf)


def shot_order(raw: RawOutput, rng: np.random.Generator) -> np.ndarray:
    """Each shot's pattern index, in a random (seeded) order."""
    return raw.memory[rng.permutation(len(raw.memory))]


def build_memory(pattern_keys: list[str], order: np.ndarray) -> list[str]:
    keys = np.array(pattern_keys, dtype=object)
    return keys[order].tolist()


def build_output_schema(raw: RawOutput, order: np.ndarray, label_of, *, entry_point: str,
                        labeled: bool) -> str:
    """The output-schema text of every shot, in memory order."""
    per_pattern: list[list[Record]] = []
    cache: dict[int, list[Record]] = {}
    for index in range(len(raw.pattern_code)):
        path = int(raw.pattern_path[index])
        if path not in cache:
            cache[path] = _path_records(raw, path, label_of)
        code = int(raw.pattern_code[index])
        per_pattern.append([Record(r.kind, (code >> int(r.value)) & 1, r.label) if isinstance(r.value, _Slot)
                            else r for r in cache[path]])
    return format_output_schema((per_pattern[i] for i in order.tolist()), entry_point=entry_point,
                                labeled=labeled)
