"""The broker's price table (seed AD-18/AD-22): what a job costs on each lane, per shot, per task and per
GPU-second, read from a TOML file (`qirrt broker --prices prices.toml`).

    currency = "USD"

    [lanes."qpu:FakeKolkata"]      # one lane by name ...
    per_task = 0.30
    per_shot = 0.00035

    [lanes.simulator]              # ... or every lane of a kind ("simulator", "qpu"), a target's name,
    per_gpu_second = 0.0008        # or "default"

A job's price is looked up by its lane's name, then its target (device names compared as matching
compares them: ``FakeKolkata`` is ``fake_kolkata``), then its lane kind, then ``default``
(none of them: it costs nothing). Its cost is ``per_task + per_shot × shots + per_gpu_second ×
GPU-seconds`` (GPU-seconds: the job's run time on a worker that has a GPU, else 0). The broker records
it in each result's ``metadata["cost"]`` and sends the table to clients with the WORKERS reply, so
`Cluster.estimate` and mitigation plans price a batch before it runs.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qirrt.errors import QirrtError
from qirrt.executors.distributed.jobqueue import target_key

FIELDS = ("per_task", "per_shot", "per_gpu_second")
MAX_PRICE = 1e12


class PriceError(QirrtError, ValueError):
    """A price table that cannot be read: the message names the file, the key and the fix."""


@dataclass(frozen=True)
class Price:
    """One lane's prices."""

    per_task: float = 0.0
    per_shot: float = 0.0
    per_gpu_second: float = 0.0

    def cost(self, *, shots: int, tasks: int = 1, gpu_s: float = 0.0) -> float:
        return self.per_task * tasks + self.per_shot * shots + self.per_gpu_second * gpu_s


@dataclass(frozen=True)
class PriceTable:
    """Prices by lane name, target, lane kind or ``default``; `currency` is only a label."""

    currency: str = "USD"
    lanes: tuple[tuple[str, Price], ...] = ()

    def price_for(self, capabilities: dict) -> tuple[str | None, Price]:
        """The entry for a worker's lane (by its capability descriptor): its key and its prices."""
        table = {_key(name): (name, price) for name, price in self.lanes}
        for key in (capabilities.get("lane"), capabilities.get("target"), capabilities.get("lane_kind") or "simulator",
                    "default"):
            if key is not None and _key(key) in table:
                return table[_key(key)]
        return None, Price()

    def cost(self, capabilities: dict, *, shots: int, tasks: int = 1, elapsed_s: float = 0.0) -> dict:
        """What one job costs on the worker with `capabilities`, as recorded in a result's metadata."""
        key, price = self.price_for(capabilities)
        gpu_s = float(elapsed_s) if capabilities.get("gpu") else 0.0
        total = price.cost(shots=shots, tasks=tasks, gpu_s=gpu_s)
        return {"total": round(total, 12), "currency": self.currency, "price": key, "shots": int(shots),
                "tasks": int(tasks), "gpu_s": round(gpu_s, 6)}

    def to_dict(self) -> dict:
        return {"currency": self.currency,
                "lanes": {key: {f: getattr(p, f) for f in FIELDS} for key, p in self.lanes}}

    @classmethod
    def from_dict(cls, data: Any, where: str = "price table") -> PriceTable:
        """A table from its plain form (a parsed TOML file, or the WORKERS reply); `PriceError` naming the key."""
        if not isinstance(data, dict):
            raise PriceError(f"{where}: expected a table with `currency` and [lanes.NAME] sections")
        unknown = sorted(set(data) - {"currency", "lanes"})
        if unknown:
            raise PriceError(f"{where}: unknown key {unknown[0]!r}; allowed: currency, [lanes.NAME]")
        currency = data.get("currency", "USD")
        if not isinstance(currency, str) or not 0 < len(currency) <= 16:
            raise PriceError(f"{where}: currency must be a short string such as \"USD\", got {currency!r}")
        lanes = data.get("lanes", {})
        if not isinstance(lanes, dict):
            raise PriceError(f"{where}: lanes must be sections [lanes.NAME], got {type(lanes).__name__}")
        entries = []
        for name, fields in lanes.items():
            at = f"{where}: [lanes.{name!r}]" if isinstance(name, str) else f"{where}: lanes"
            if not isinstance(name, str) or not 0 < len(name) <= 200:
                raise PriceError(f"{at}: a lane key must be a lane name, a target, a lane kind or 'default'")
            if not isinstance(fields, dict):
                raise PriceError(f"{at}: expected a section with {', '.join(FIELDS)}, got {fields!r}")
            bad = sorted(set(fields) - set(FIELDS))
            if bad:
                raise PriceError(f"{at}: unknown key {bad[0]!r}; allowed: {', '.join(FIELDS)}")
            values = {}
            for field_name in FIELDS:
                value = fields.get(field_name, 0.0)
                if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
                        or not 0 <= value <= MAX_PRICE):
                    raise PriceError(f"{at}: {field_name} must be a number from 0 to {MAX_PRICE:g}, got {value!r}")
                values[field_name] = float(value)
            same = [other for other, _ in entries if _key(other) == _key(name)]
            if same:
                raise PriceError(f"{at}: names the same lane as [lanes.{same[0]!r}] (device names are compared "
                                 f"ignoring case, '_' and a 'Fake' prefix); keep one")
            entries.append((name, Price(**values)))
        return cls(currency, tuple(entries))


def _key(name: str) -> str:
    """A table key as lookup compares it: device names as matching does (``qpu:FakeKolkata`` is
    ``qpu:fake_kolkata``), lane kinds and ``default`` as written."""
    if name in ("qpu", "simulator", "default"):
        return name
    kind, sep, device = name.partition(":")
    if sep:
        return f"qpu:{target_key(device)}" if kind == "qpu" else name.lower()
    return target_key(name)


def load_prices(path: str | Path) -> PriceTable:
    """The price table in the TOML file `path`; `PriceError` (file, line or key, fix) when it is not one."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise PriceError(f"price table {path}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise PriceError(f"price table {path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PriceError(f"price table {path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise PriceError(f"price table {path}: nested too deeply") from None
    return PriceTable.from_dict(data, f"price table {path}")


__all__ = ["FIELDS", "Price", "PriceError", "PriceTable", "load_prices"]
