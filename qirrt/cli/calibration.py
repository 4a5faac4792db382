"""`qirrt calibration record` and `qirrt calibration history`: the CalibrationStore from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from qirrt.cli.common import user_errors

STORE_HELP = "SQLite calibration history (default: the user cache, ~/.cache/qirrt/calibrations.sqlite3)."


def _store(path: Path | None):
    from qirrt.device.calibration_store import CalibrationStore

    return CalibrationStore(path)


@click.group()
def calibration():
    """Calibration snapshots of devices, kept as a history with drift events."""


@calibration.command("record")
@click.argument("target_name", metavar="TARGET")
@click.option("--store", "store_path", type=click.Path(dir_okay=False, path_type=Path), help=STORE_HELP)
@click.option("--from", "source", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="A calibration JSON file (qirrt.calibration/1) instead of the device's own snapshot.")
@click.option("--at", "timestamp", metavar="TIME",
              help="Record the snapshot as taken at TIME (ISO 8601, e.g. 2026-12-01T09:00:00Z).")
@click.option("--scale-errors", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Multiply gate and readout errors by this factor (what-if studies of drift).")
@user_errors
def record(target_name, store_path, source, timestamp, scale_errors):
    """Store TARGET's calibration (a fake backend such as FakeKolkata, or --from FILE) in the history."""
    from qirrt.device.calibration import Calibration

    if source is not None:
        snapshot = Calibration.from_json(source.read_text())
        if snapshot.target_name != target_name:
            from qirrt.errors import CalibrationError

            raise CalibrationError(f"{source} is a calibration of {snapshot.target_name}, not {target_name}; "
                                   f"record it as: qirrt calibration record {snapshot.target_name} --from {source}")
    else:
        from qirrt.device.from_backend import load_backend

        snapshot = load_backend(target_name)[1]
    if scale_errors != 1.0 or timestamp is not None:
        snapshot = snapshot.scaled(readout_error=scale_errors, gate_error=scale_errors,
                                   timestamp=timestamp or snapshot.timestamp)
    with _store(store_path) as store:
        epoch = store.add(snapshot)
        click.echo(f"{snapshot.target_name} {snapshot.timestamp.isoformat()} epoch {epoch} "
                   f"({len(store.epochs(snapshot.target_name))} in {store.path})")


def _stored_name(store, name: str) -> str:
    """The name `name`'s snapshots are stored under: itself, or the backend's own name (FakeKolkata →
    fake_kolkata) when only that one is in the store."""
    stored = store.targets()
    if name in stored:
        return name
    try:
        from qirrt.device.from_backend import resolve_backend

        own = resolve_backend(name).name
    except Exception:  # noqa: BLE001 - not a backend name: report the name as given
        return name
    return own if own in stored else name


@calibration.command("history")
@click.argument("target_name", metavar="TARGET")
@click.option("--store", "store_path", type=click.Path(dir_okay=False, path_type=Path), help=STORE_HELP)
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.png",
              help="Draw T1/T2, gate and readout errors over time with drift events marked (extra `plot`).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per snapshot.")
@user_errors
def history(target_name, store_path, plot, as_json):
    """List TARGET's calibration snapshots, oldest first, with device means and drift events.

    A snapshot is a drift event when it differs from the one before it by more than the default
    drift thresholds (qirrt.device.calibration.DEFAULT_THRESHOLDS).
    """
    from qirrt.cli.plots import calibration_series
    from qirrt.device.calibration import DEFAULT_THRESHOLDS
    from qirrt.errors import CalibrationError

    with _store(store_path) as store:
        target_name = _stored_name(store, target_name)
        snapshots = [store.get(target_name, epoch) for epoch in store.epochs(target_name)]
        where = store.path
    if not snapshots:
        raise CalibrationError(f"no calibrations of {target_name} in {where}; record one with: "
                               f"qirrt calibration record {target_name}"
                               + (f" --store {store_path}" if store_path else ""))
    drift = [None] + [old.drift(new).exceeding(DEFAULT_THRESHOLDS) for old, new in zip(snapshots, snapshots[1:])]
    for snapshot, exceeding in zip(snapshots, drift):
        means = calibration_series(snapshot)
        if as_json:
            click.echo(json.dumps({"timestamp": snapshot.timestamp.isoformat(), "epoch": snapshot.epoch, **means,
                                   "drift": [f"{e.metric}{e.key}" for e in exceeding or ()]}))
            continue
        mark = f"  drift: {len(exceeding)} metrics past thresholds" if exceeding else ""
        click.echo(f"{snapshot.timestamp.isoformat()}  {snapshot.epoch}  T1 {means['t1_us']:.1f} µs  "
                   f"T2 {means['t2_us']:.1f} µs  1q {means['gate_error_1q']:.2e}  2q {means['gate_error_2q']:.2e}  "
                   f"readout {means['readout_error']:.2e}{mark}")
    if plot is not None:
        from qirrt.cli import plots

        drift_at = [s.timestamp for s, exceeding in zip(snapshots, drift) if exceeding]
        plots.save(plots.drift_figure(snapshots, drift_at, title=target_name), plot)
