"""The `qirrt` command line: compile, inspect and run quantum programs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from qirrt import __version__
from qirrt.cli.common import user_errors

INPUT_HELP = "INPUT is QIR (.ll text, .bc bitcode), OpenQASM 2/3 (.qasm/.qasm2/.qasm3) or Q# (.qs); content decides."
STRICT_HELP = ("Refuse QIR that breaks a rule of its profile (exit 2, naming the rule) instead of repairing it "
               "with a warning.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="qirrt")
def main() -> None:
    """qirrt: a QIR-centric compiler and execution runtime.

    Load programs from Qiskit, OpenQASM, Cirq, PennyLane, CUDA-Q, Q# or any QIR producer, check
    and transform them, and run them on the embedded JIT simulator or other executors.
    """


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here; `.bc` writes bitcode, anything else LLVM text. Default: text on stdout.")
@click.option("--profile", type=click.Choice(["base", "adaptive"]),
              help="QIR profile to emit (frontend inputs) or to require (QIR inputs).")
@click.option("--passes", "pipeline", metavar="PIPELINE",
              help='Pass pipeline, e.g. "decompose{basis=rz,sx,x,cz},merge-rotations".')
@click.option("--target", metavar="NAME", help="Compile for this target, e.g. FakeKolkata.")
@click.option("--strict", is_flag=True, help=STRICT_HELP)
@user_errors
def compile(input_path: Path, output: Path | None, profile: str | None, pipeline: str | None,
            target: str | None, strict: bool = False) -> None:
    """Check INPUT and write it as normalised QIR.

    \b
    INPUT is QIR (.ll text, .bc bitcode), OpenQASM 2/3 (.qasm/.qasm2/.qasm3) or Q# (.qs); content decides.
    Exit code 0 on success, 2 on invalid input (the error goes to stderr).
    Each spec violation repaired prints `warning: [QIRnnn] ...; repaired: ...` on stderr.
    """
    program = _load(input_path, profile, strict=strict)
    if pipeline or target:
        from qirrt.api.compile import compile_program

        program = compile_program(program, target=target, passes=pipeline).program
    if output is None:
        click.echo(program.to_ir(), nl=False)
    elif output.suffix == ".bc":
        output.write_bytes(program.to_bitcode())
    else:
        output.write_text(program.to_ir())


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--profile", type=click.Choice(["base", "adaptive"]),
              help="Profile for frontend inputs, or the one QIR inputs must declare.")
@click.option("--strict", is_flag=True, help=STRICT_HELP)
@user_errors
def inspect(input_path: Path, as_json: bool, profile: str | None, strict: bool = False) -> None:
    """Show INPUT's profile, resources, parameters, validation result and conformance.

    \b
    INPUT is QIR (.ll text, .bc bitcode), OpenQASM 2/3 (.qasm/.qasm2/.qasm3) or Q# (.qs); content decides.
    An invalid program exits with code 2 and, with --json, prints {"valid": false, "error": ...}.
    A valid program that qirrt had to repair has "conformant": false and its "repairs" listed.
    """
    from qirrt.errors import InvalidProgramError

    try:
        program = _load(input_path, profile, strict=strict)
    except InvalidProgramError as exc:
        if not as_json:
            raise
        payload = {"valid": False, "error": str(exc), "code": exc.code,
                   "diagnostics": [{"code": d.code, "message": d.message, "location": str(d.location)}
                                   for d in exc.diagnostics]}
        click.echo(json.dumps(payload, indent=2))
        sys.exit(2)
    description = {"valid": True, **program.describe()}
    if as_json:
        click.echo(json.dumps(description, indent=2))
        return
    resources = description["resources"]
    click.echo(f"{input_path}: valid {description['profile']} profile program from {description['producer']}")
    click.echo(f"  entry point   @{description['entry_point']}")
    click.echo(f"  qubits        {resources['num_qubits']}")
    click.echo(f"  results       {resources['num_results']}")
    click.echo(f"  gates         {resources['total_gates']} ({resources['two_qubit_gates']} two-qubit)")
    counts = ", ".join(f"{k}={v}" for k, v in resources["gate_counts"].items())
    click.echo(f"  by kind       {counts or '-'}")
    click.echo(f"  depth         {resources['depth']}")
    click.echo(f"  measurements  {resources['measurements']}")
    click.echo(f"  branches      {resources['branches']}")
    click.echo(f"  parameters    {', '.join(description['parameters']) or '-'}")
    repairs = description["repairs"]
    click.echo(f"  conformant    {'yes' if description['conformant'] else f'no, {len(repairs)} repair(s)'}")
    for repair in repairs:
        click.echo(f"  repaired      [{repair['code']}] {repair['repaired']}")
    for note in description["normalisation"]:
        click.echo(f"  normalised    {note}")


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--shots", type=int, default=1000, show_default=True, help="Number of shots (≥ 1).")
@click.option("--seed", type=int, help="Seed; the same seed gives the same counts.")
@click.option("--executor", default="local", show_default=True,
              help="Executor name: local, null, or any registered plugin (see `qirrt targets`).")
@click.option("--params", "params_text", metavar="VALUES",
              help='Parameter values: "0.1,0.2" in the program\'s parameter order, or JSON {"theta": 0.1}.')
@click.option("--precision", type=click.Choice(["complex128", "complex64"]), default="complex128",
              show_default=True, help="Statevector precision of the local executor.")
@click.option("--max-jit-instructions", type=click.IntRange(min=1), metavar="N",
              help="Local executor: JIT-compile programs of up to N instructions (default 1,000,000); programs "
                   "that branch only on measurement results run uncompiled at any length.")
@click.option("--json", "as_json", is_flag=True, help='Print one JSON object: {"counts": ..., "shots": N, ...}.')
@click.option("--output-schema", is_flag=True, help="Print the QIR output-schema text of every shot.")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.png",
              help="Write a histogram of the counts (needs the `plot` extra).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--mitigate", "mitigation", metavar="PIPELINE",
              help='Error-mitigation pipeline, e.g. "ddd,zne{scale-factors=1,3,5}" (steps: zne, ddd, twirl, '
                   'readout, pec).')
@click.option("--observable", metavar="PAULI",
              help='Pauli observable whose expectation to print, e.g. "ZZZZZ" or "0.5*XIZ + ZZI" '
                   '(rightmost letter = qubit 0).')
@click.option("--target", "mitigation_target", metavar="NAME",
              help="Device to run against, e.g. FakeKolkata: its calibrated noise on the aer executor, the "
                   "device itself for adapters (emulated, qiskit-backend); also what mitigation steps use. "
                   "See `qirrt targets`.")
@click.option("--strict", is_flag=True, help=STRICT_HELP)
@click.option("--no-cache", is_flag=True,
              help="Load and JIT-compile afresh: neither read nor fill qirrt's disk cache of loaded programs and "
                   "compiled code ($QIRRT_CACHE_DIR, else $XDG_CACHE_HOME/qirrt or ~/.cache/qirrt; "
                   "QIRRT_NO_CACHE=1 does the same).")
@user_errors
def run(input_path: Path, shots: int, seed: int | None, executor: str, params_text: str | None,
        precision: str, max_jit_instructions: int | None, as_json: bool, output_schema: bool,
        plot: Path | None, quiet: bool, mitigation: str | None = None, observable: str | None = None,
        mitigation_target: str | None = None, strict: bool = False, no_cache: bool = False) -> None:
    """Run INPUT and print its counts.

    \b
    INPUT is QIR (.ll text, .bc bitcode), OpenQASM 2/3 (.qasm/.qasm2/.qasm3) or Q# (.qs); content decides.
    The default executor is qirrt's embedded JIT simulator; no server is needed.
    """
    from qirrt.api.run import run as run_program

    program = _load(input_path, None, strict=strict, cache=not no_cache)
    params = _parse_params(params_text)
    if mitigation is not None or observable is not None:
        _run_mitigated(program, mitigation, observable, mitigation_target, shots=shots, seed=seed,
                       executor=executor, as_json=as_json, quiet=quiet)
        return
    options = {"memory": output_schema}
    if precision != "complex128":
        options["precision"] = precision
    if max_jit_instructions is not None:
        options["max_jit_instructions"] = max_jit_instructions
    if no_cache and executor == "local":
        options["jit_cache"] = False
    if output_schema:
        options["output_schema"] = True
    result = _with_progress(lambda: run_program(program, shots=shots, seed=seed, executor=executor,
                                                target=mitigation_target, params=params, **options), quiet=quiet)
    if plot is not None:
        _plot(result.counts, plot, title=str(input_path))
    if as_json:
        payload = result.to_dict()
        if not output_schema:
            payload.pop("output_schema", None)
            payload.pop("memory", None)
        click.echo(json.dumps(payload))
        return
    if output_schema and result.output_schema:
        click.echo(result.output_schema, nl=False)
        return
    width = max((len(k) for k in result.counts), default=0)
    for key, count in sorted(result.counts.items(), key=lambda kv: (-kv[1], kv[0])):
        click.echo(f"{key:<{width}}  {count:>8}  {count / result.shots:7.4f}")
    wall = result.metadata.get("wall_time_s")
    timing = f" in {wall * 1000:.1f} ms" if isinstance(wall, (int, float)) else ""
    click.echo(f"{result.shots} shots on {result.metadata.get('executor', executor)}{timing}", err=True)


def _run_mitigated(program, mitigation: str | None, observable: str | None, target_name: str | None, *,
                   shots: int, seed: int | None, executor: str, as_json: bool, quiet: bool) -> None:
    """`qirrt run --mitigate/--observable`: the mitigated and raw ⟨O⟩ (or quasi-probabilities) and the plan."""
    from qirrt.api.run import run as run_program

    result = _with_progress(lambda: run_program(program, shots=shots, seed=seed, executor=executor,
                                                target=target_name, mitigation=mitigation, observable=observable),
                            quiet=quiet)
    info = result.metadata.get("mitigation", {})
    plan = info.get("plan", {})
    if as_json:
        payload = result.to_dict()
        payload["plan"] = plan
        click.echo(json.dumps(payload))
        return
    if result.expectation is not None:
        error = info.get("std_error")
        spread = f" ± {error:.4f}" if isinstance(error, (int, float)) else ""
        click.echo(f"<{info.get('observable', observable)}> mitigated    {result.expectation:.6f}{spread}")
        click.echo(f"<{info.get('observable', observable)}> unmitigated  {result.expectation_unmitigated:.6f}")
    else:
        quasi = info.get("quasi_probabilities", {})
        width = max((len(k) for k in quasi), default=0)
        for key, p in sorted(quasi.items(), key=lambda kv: (-kv[1], kv[0])):
            click.echo(f"{key:<{width}}  {p:9.5f}")
    click.echo(f"pipeline {info.get('pipeline') or '(none)'}: {plan.get('circuits')} circuits, "
               f"{plan.get('batch_shots')} shots, ~{plan.get('estimated_time_s') or 0:.2f} s on a device", err=True)


def _parse_params(text: str | None):
    if text is None:
        return None
    text = text.strip()
    try:
        if text.startswith(("{", "[")):
            return json.loads(text)
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        from qirrt.errors import ExecutionError

        raise ExecutionError(f"--params {text!r} is neither comma-separated numbers nor JSON: {exc}") from None


def _with_progress(work, *, quiet: bool):
    """Run `work()` here; a spinner appears on stderr if it takes over a second and stderr is a terminal.

    The work stays on the calling thread (pyqir objects must not cross threads); only the spinner runs
    on a helper thread.
    """
    import threading

    if quiet or not sys.stderr.isatty():
        return work()
    done = threading.Event()

    def spin():
        if done.wait(1.0):
            return
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        columns = (SpinnerColumn(), TextColumn("running"), TimeElapsedColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            progress.add_task("run", total=None)
            done.wait()

    spinner = threading.Thread(target=spin, daemon=True)
    spinner.start()
    try:
        return work()
    finally:
        done.set()
        spinner.join()


def _plot(counts: dict[str, int], path: Path, *, title: str) -> None:
    from qirrt.errors import require

    require("matplotlib", extra="plot", feature="--plot")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    items = sorted(counts.items())
    figure, axes = plt.subplots(figsize=(max(4.0, 0.4 * len(items) + 2), 3.5))
    axes.bar([k or "(empty)" for k, _ in items], [v for _, v in items], color="#4063d8")
    axes.set_ylabel("counts")
    axes.set_title(title)
    axes.tick_params(axis="x", rotation=90 if len(items) > 8 else 0)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@user_errors
def targets(as_json: bool) -> None:
    """List the targets, executors and hardware adapters available offline.

    \b
    Targets are device snapshots usable as --target NAME (IBM fake backends, short names accepted:
    FakeKolkata for FakeKolkataV2) and generic:N (a generic N-qubit device).
    """
    from qirrt.executors.registry import executor_names
    from qirrt.plugins import load_group

    fake = _fake_backend_names()
    adapters = load_group("qirrt.adapters")
    payload = {
        "targets": fake + ["generic:N"],
        "executors": executor_names(),
        "adapters": {name: (getattr(cls, "__doc__", "") or "").strip().splitlines()[0] for name, cls in
                     adapters.items()},
    }
    if as_json:
        click.echo(json.dumps(payload))
        return
    click.echo("executors: " + ", ".join(payload["executors"]))
    click.echo("adapters:")
    for name, summary in payload["adapters"].items():
        click.echo(f"  {name:<16} {summary}")
    click.echo(f"targets ({len(payload['targets'])}, offline):")
    for index in range(0, len(payload["targets"]), 6):
        click.echo("  " + "  ".join(payload["targets"][index:index + 6]))


def _fake_backend_names() -> list[str]:
    """Short names of the fake backends installed (FakeKolkataV2 → FakeKolkata); empty without the extra."""
    try:
        from qiskit_ibm_runtime import fake_provider
    except ImportError:
        return []
    found = set()
    for attribute in dir(fake_provider):
        if attribute.startswith("Fake") and "Provider" not in attribute and isinstance(
                getattr(fake_provider, attribute), type):
            found.add(attribute.removesuffix("V2"))
    return sorted(found)


def _load(path: Path, profile: str | None, *, strict: bool = False, cache: bool = True):
    """Load INPUT; print each conformance repair as one `warning: [QIRnnn] ...; repaired: ...` line."""
    from qirrt.cli.common import load_input
    from qirrt.qir.program import Profile
    from qirrt.qir.sniff import file_kind

    kind = file_kind(path) if path.is_file() else None
    options = {}
    if profile and kind in ("qasm", "qsharp"):
        options["profile"] = profile
    program = load_input(path, strict=strict, cache=cache, **options)
    if profile and kind in ("ir", "bitcode") and program.profile is not Profile.parse(profile):
        from qirrt.errors import InvalidProgramError, Location

        raise InvalidProgramError(
            f"profile-attribute: {path} declares the {program.profile.value} profile, not {profile}; "
            f"make `qir_profiles` and --profile agree", code="QIR016",
            location=Location(file=str(path), function=program.entry_point))
    return program


from qirrt.cli.cluster import COMMANDS as _DISTRIBUTED_COMMANDS

for _command in _DISTRIBUTED_COMMANDS:  # broker, worker, submit, status, result, keys
    main.add_command(_command)


if __name__ == "__main__":
    main()
