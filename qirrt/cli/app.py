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
              help="Draw a picture (needs the `plot` extra): the counts as a histogram; with --mitigate, the zne "
                   "extrapolation; with a batch of --params, <OBSERVABLE> (or each outcome's probability) per "
                   "parameter point.")
@click.option("-q", "--quiet", is_flag=True,
              help="No progress on stderr: no bar, no periodic line, no note about compiling the simulator kernels.")
@click.option("--progress-interval-s", type=click.FloatRange(min=0.01), default=5.0, hidden=True)
@click.option("--mitigate", "mitigation", metavar="PIPELINE",
              help='Error-mitigation pipeline, e.g. "ddd,zne{scale-factors=1,3,5}" (steps: zne, ddd, twirl, '
                   'readout, pec).')
@click.option("--observable", metavar="PAULI",
              help='Pauli observable whose expectation to print, e.g. "IIIZZ" or "0.5*XIZ + ZZI" '
                   '(rightmost letter = qubit 0).')
@click.option("--target", "mitigation_target", metavar="NAME",
              help="Device to run against, e.g. FakeKolkata (extra `fake-backends`): its calibrated noise on the "
                   "aer executor (extra `aer`), the device itself for adapters (emulated, qiskit-backend); also "
                   "what mitigation steps use. See `qirrt targets`.")
@click.option("--cut-max-qubits", type=int, metavar="K",
              help="Cut the program into pieces of at most K qubits (extra `cutting`), run the pieces as one batch "
                   "and print the reconstructed <OBSERVABLE> ± its standard error; --shots is per subexperiment.")
@click.option("--plan", "plan_only", is_flag=True,
              help="With --cut-max-qubits: print the cuts, subexperiments, sampling overhead and shots, and run "
                   "nothing.")
@click.option("--strict", is_flag=True, help=STRICT_HELP)
@click.option("--no-cache", is_flag=True,
              help="Load and JIT-compile afresh: neither read nor fill qirrt's disk cache of loaded programs and "
                   "compiled code ($QIRRT_CACHE_DIR, else $XDG_CACHE_HOME/qirrt or ~/.cache/qirrt; "
                   "QIRRT_NO_CACHE=1 does the same).")
@user_errors
def run(input_path: Path, shots: int, seed: int | None, executor: str, params_text: str | None,
        precision: str, max_jit_instructions: int | None, as_json: bool, output_schema: bool,
        plot: Path | None, quiet: bool, progress_interval_s: float = 5.0, mitigation: str | None = None,
        observable: str | None = None, mitigation_target: str | None = None, strict: bool = False,
        no_cache: bool = False, cut_max_qubits: int | None = None, plan_only: bool = False) -> None:
    """Run INPUT and print its counts.

    \b
    INPUT is QIR (.ll text, .bc bitcode), OpenQASM 2/3 (.qasm/.qasm2/.qasm3) or Q# (.qs); content decides.
    The default executor is qirrt's embedded JIT simulator; no server is needed.
    --params '[[0.1], [0.2]]' (a JSON list of parameter points) runs a batch, one line per point.
    Progress goes to stderr: a bar on a terminal, a line every few seconds otherwise (--quiet: none).
    """
    import functools
    import time

    from qirrt.api.run import run as run_program
    from qirrt.cli.progress import Progress, announce_cold_kernels

    started = time.perf_counter()
    program = _load(input_path, None, strict=strict, cache=not no_cache)
    load_s = time.perf_counter() - started
    params = _parse_params(params_text)
    if params is None and program.parameters:
        from qirrt.errors import ExecutionError

        raise ExecutionError(f"{input_path} has {len(program.parameters)} parameter(s) "
                             f"({', '.join(program.parameters)}); give their values with --params, e.g. "
                             f"--params {','.join(['0.5'] * len(program.parameters))}")
    progress = functools.partial(Progress, quiet=quiet, interval_s=progress_interval_s)
    announce_cold_kernels(executor, precision, quiet=quiet)
    batch = _is_batch(params)
    if cut_max_qubits is not None or plan_only:
        from qirrt.cli.cutting import run_cut

        run_cut(program, cut_max_qubits, observable, mitigation, mitigation_target, shots=shots, seed=seed,
                executor=executor, params=params, as_json=as_json, plan_only=plan_only, progress=progress)
        return
    if mitigation is not None or (observable is not None and not batch):
        if batch or params is not None:
            from qirrt.errors import PassError

            raise PassError("--mitigate runs one bound program: drop --params, or bind the parameters in INPUT")
        _run_mitigated(program, mitigation, observable, mitigation_target, shots=shots, seed=seed,
                       executor=executor, as_json=as_json, plot=plot, title=input_path.name, progress=progress)
        return
    options = _executor_options(executor, precision, max_jit_instructions, output_schema, no_cache)
    if batch:
        _run_batch(program, params, observable, lambda points: run_program(
            program, shots=shots, seed=seed, executor=executor, target=mitigation_target, params=points, **options),
            as_json=as_json, plot=plot, title=input_path.name, progress=progress)
        return
    with progress(f"running {input_path.name}"):
        result = run_program(program, shots=shots, seed=seed, executor=executor, target=mitigation_target,
                             params=params, **options)
    if plot is not None:
        from qirrt.cli import plots

        plots.save(plots.counts_figure(result.counts, title=str(input_path)), plot)
    _print_result(result, as_json=as_json, output_schema=output_schema)
    if not as_json and not (output_schema and result.output_schema):
        click.echo(_summary(result, executor, load_s), err=True)


def _executor_options(executor: str, precision: str, max_jit_instructions: int | None, output_schema: bool,
                      no_cache: bool) -> dict:
    """The local executor's options `qirrt run` was given (others ignore what they do not know)."""
    options: dict = {"memory": output_schema}
    if precision != "complex128":
        options["precision"] = precision
    if max_jit_instructions is not None:
        options["max_jit_instructions"] = max_jit_instructions
    if no_cache and executor == "local":
        options["jit_cache"] = False
    if output_schema:
        options["output_schema"] = True
    return options


def _print_result(result, *, as_json: bool, output_schema: bool) -> None:
    """One run's result on stdout: JSON, the output-schema text, or a counts table."""
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


def _summary(result, executor: str, load_s: float) -> str:
    """`N shots on EXECUTOR: load X ms, compile Y ms, run Z ms` (compile: the JIT of this program)."""
    metadata = result.metadata
    wall = metadata.get("wall_time_s")
    jit = metadata.get("jit_time_s")
    parts = [f"load {load_s * 1000:.1f} ms"]
    if isinstance(wall, (int, float)):
        if isinstance(jit, (int, float)):
            parts += [f"compile {jit * 1000:.1f} ms", f"run {max(wall - jit, 0.0) * 1000:.1f} ms"]
        else:
            parts.append(f"run {wall * 1000:.1f} ms")
    return f"{result.shots} shots on {metadata.get('executor', executor)}: " + ", ".join(parts)


def _is_batch(params) -> bool:
    from qirrt.qir.params import is_binding_batch

    return params is not None and is_binding_batch(params)


def _run_batch(program, points, observable: str | None, execute, *, as_json: bool, plot: Path | None, title: str,
               progress) -> None:
    """A batch of parameter points: one line (or JSON object) per point, with ⟨OBSERVABLE⟩ when given."""
    from qirrt.executors.base import reporting_runs
    from qirrt.observables import expectation

    points = list(points)
    with progress(f"running {title}", total=len(points)) as bar:
        with reporting_runs(lambda index: bar.advance(f"point {index + 1} done")):
            results = execute(points)
    named = [dict(r.metadata.get("parameters") or zip(program.parameters, p if isinstance(p, (list, tuple))
                                                          else [p[n] for n in program.parameters]))
             for r, p in zip(results, points)]
    values = [expectation(r.counts, observable, program) for r in results] if observable else None
    if as_json:
        for index, result in enumerate(results):
            payload = {"parameters": named[index], **result.to_dict()}
            payload.pop("memory", None)
            payload.pop("output_schema", None)
            if values is not None:
                payload["expectation"] = values[index]
            click.echo(json.dumps(payload))
    else:
        for index, result in enumerate(results):
            head = ", ".join(f"{k}={v:g}" for k, v in named[index].items())
            if values is not None:
                click.echo(f"{head}  <{observable}> {values[index]:.6f}")
            else:
                top = sorted(result.counts.items(), key=lambda kv: (-kv[1], kv[0]))[:4]
                click.echo(f"{head}  " + "  ".join(f"{k}: {n / result.shots:.4f}" for k, n in top))
    if plot is not None:
        from qirrt.cli import plots

        if values is not None:
            import math

            errors = [math.sqrt(max(0.0, 1.0 - v * v) / r.shots) for v, r in zip(values, results)]
            figure = plots.sweep_figure(named, {f"<{observable}>": values}, errors={f"<{observable}>": errors},
                                        ylabel=f"<{observable}>", title=title)
        else:
            keys = sorted({k for r in results for k in r.counts})[:8]
            series = {k: [r.counts.get(k, 0) / r.shots for r in results] for k in keys}
            figure = plots.sweep_figure(named, series, ylabel="probability", title=title)
        plots.save(figure, plot)
    click.echo(f"{len(results)} parameter points × {results[0].shots if results else 0} shots on "
               f"{results[0].metadata.get('executor', '?') if results else '?'}", err=True)


IDEAL_SIMULATORS = ("local", "null", "aer", "cudaq")
ZNE_PLOT_NEEDS = ("--plot with --mitigate draws a zne extrapolation: give --observable with one Pauli term (or "
                  "commuting terms) and a pipeline with a zne step, e.g. \"zne{scale-factors=1,3,5}\"")


def _run_mitigated(program, mitigation: str | None, observable: str | None, target_name: str | None, *,
                   shots: int, seed: int | None, executor: str, as_json: bool, plot: Path | None, title: str,
                   progress) -> None:
    """`qirrt run --mitigate/--observable`: the mitigated and raw ⟨O⟩ (or quasi-probabilities) and the plan."""
    import re

    from qirrt.api.run import run as run_program
    from qirrt.errors import PassError
    from qirrt.executors.base import reporting_runs

    if plot is not None and (observable is None or not re.search(r"(^|,)\s*zne\b", mitigation or "")):
        raise PassError(ZNE_PLOT_NEEDS)
    if mitigation and target_name is None and executor in IDEAL_SIMULATORS:
        click.echo(f"warning: the {executor} executor simulates ideal qubits, so there is no noise to mitigate; "
                   f"add --executor aer --target NAME (e.g. FakeKolkata) for a device's noise", err=True)
    with progress("running mitigated circuits") as bar:
        with reporting_runs(lambda index: bar.advance(f"circuit {index + 1} done"), expect=bar.expect):
            result = run_program(program, shots=shots, seed=seed, executor=executor, target=target_name,
                                 mitigation=mitigation, observable=observable)
    info = result.metadata.get("mitigation", {})
    plan = info.get("plan", {})
    if plot is not None:
        _plot_zne(result, info, observable, plot, title)
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


def _plot_zne(result, info: dict, observable: str | None, path: Path, title: str) -> None:
    from qirrt.cli import plots
    from qirrt.errors import PassError

    groups = [g for g in info.get("groups", []) if "scale_factors" in g.get("details", {})]
    if result.expectation is None or len(groups) != 1:
        raise PassError(ZNE_PLOT_NEEDS)
    figure = plots.zne_figure(groups[0]["details"], mitigated=result.expectation,
                              unmitigated=result.expectation_unmitigated, mitigated_error=info.get("std_error"),
                              observable=info.get("observable", observable) or "O", title=title)
    plots.save(figure, path)


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
        **({} if fake else {"hint": "pip install 'qirrt[fake-backends]' for the IBM fake backends (FakeKolkata, ...)"}),
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
    if not fake:
        click.echo("  (the IBM fake backends, FakeKolkata and others, need the extra: "
                   "pip install 'qirrt[fake-backends]')")


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

from qirrt.cli.calibration import calibration as _calibration  # noqa: E402

main.add_command(_calibration)

from qirrt.cli.dashboard import dashboard as _dashboard  # noqa: E402

main.add_command(_dashboard)


if __name__ == "__main__":
    main()
