"""What every `qirrt` subcommand shares: bad input reported as one line on stderr, exit code 2."""

from __future__ import annotations

import functools
import sys

import click

from qirrt.errors import QirrtError


def user_errors(command):
    """Report qirrt errors and OS errors as one line on stderr with exit code 2, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except QirrtError as exc:
            click.echo(f"error: {one_line(str(exc))}", err=True)
            sys.exit(2)
        except OSError as exc:
            click.echo(f"error: {exc.filename or ''}: {exc.strerror or exc}", err=True)
            sys.exit(2)

    return wrapper


def load_input(path, *, strict: bool = False, **options):
    """`qirrt.api.load.load_file`, printing each conformance repair as one line on stderr:
    `warning: [QIRnnn] <rule>: <what is wrong> (at <where>); repaired: <what qirrt did>`."""
    import warnings

    from qirrt.api.load import load_file
    from qirrt.qir.conformance import NonConformanceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NonConformanceWarning)
        program = load_file(path, strict=strict, **options)
    for warning in caught:
        if issubclass(warning.category, NonConformanceWarning):
            click.echo(f"warning: {warning.message}", err=True)
        else:  # not ours: let Python's own filters decide
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return program


def one_line(text: str) -> str:
    """A message as one line: multi-line details (LLVM's verifier lists one problem per line) joined by ' | '."""
    return " | ".join(line.strip() for line in text.strip().splitlines() if line.strip())
