"""The `qirrt` command line: compile, inspect and run quantum programs."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from . import __version__
from .errors import QirrtError

INPUT_HELP = "INPUT is a QIR file (.ll text or .bc bitcode), OpenQASM 2/3 (.qasm) or Q# (.qs)."


def _user_errors(command):
    """Report qirrt errors as one line on stderr with exit code 2, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except QirrtError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except OSError as exc:
            click.echo(f"error: {exc.filename or ''}: {exc.strerror or exc}", err=True)
            sys.exit(2)

    return wrapper


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
@_user_errors
def compile(input_path: Path, output: Path | None, profile: str | None, pipeline: str | None,
            target: str | None) -> None:
    """Check INPUT and write it as normalised QIR.

    \b
    INPUT is a QIR file (.ll text or .bc bitcode), OpenQASM 2/3 (.qasm) or Q# (.qs).
    Exit code 0 on success, 2 on invalid input (the error goes to stderr).
    """
    program = _load(input_path, profile)
    if pipeline or target:
        from .compiler import compile_program

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
@click.option("--profile", type=click.Choice(["base", "adaptive"]), help="Profile for frontend inputs.")
@_user_errors
def inspect(input_path: Path, as_json: bool, profile: str | None) -> None:
    """Show INPUT's profile, resources, parameters and validation result.

    \b
    INPUT is a QIR file (.ll text or .bc bitcode), OpenQASM 2/3 (.qasm) or Q# (.qs).
    An invalid program exits with code 2 and, with --json, prints {"valid": false, "error": ...}.
    """
    from .errors import InvalidProgramError

    try:
        program = _load(input_path, profile)
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
    for note in description["normalisation"]:
        click.echo(f"  normalised    {note}")


def _load(path: Path, profile: str | None):
    from .loader import load_file
    from .program import Profile

    options = {}
    if profile and path.suffix.lower() in (".qasm", ".qs"):
        options["profile"] = profile
    program = load_file(path, **options)
    if profile and path.suffix.lower() in (".ll", ".bc") and program.profile is not Profile.parse(profile):
        from .errors import InvalidProgramError

        raise InvalidProgramError(
            f"{path} is a {program.profile.value} profile program, not {profile}", code="QIR100")
    return program


from .executors.distributed.cli import COMMANDS as _DISTRIBUTED_COMMANDS  # noqa: E402

for _command in _DISTRIBUTED_COMMANDS:  # broker, worker, submit, status, result, keys
    main.add_command(_command)


if __name__ == "__main__":
    main()
