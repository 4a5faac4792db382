"""What `qirrt dashboard` and `qirrt broker --http` share: the TLS/--insecure options and the app's settings."""

from __future__ import annotations

from pathlib import Path

import click

TLS_HELP = "PEM certificate (and --tls-key) to serve HTTPS; needed to listen on a non-loopback address."


def listen_options(command, prefix: str = ""):
    """--tls-cert, --tls-key and --insecure (named with `prefix` in `qirrt broker`)."""
    command = click.option(f"--{prefix}tls-cert", "tls_cert", type=click.Path(dir_okay=False, path_type=Path),
                           help=TLS_HELP)(command)
    command = click.option(f"--{prefix}tls-key", "tls_key", type=click.Path(dir_okay=False, path_type=Path),
                           help="PEM private key for --tls-cert.")(command)
    command = click.option(f"--{prefix}insecure", "insecure_http", is_flag=True,
                           help="Serve plain HTTP on a non-loopback address (tokens cross the network in clear "
                                "text).")(command)
    return command


def settings_for(store: Path, url: str, *, keys, insecure_loopback: bool, tokens: Path | None,
                 keys_dir: Path | None, calibrations: Path | None):
    from qirrt.api.http import BrokerSettings, DashboardSettings, default_tokens_path

    return DashboardSettings(store=store, tokens=tokens or default_tokens_path(store, keys_dir),
                             broker=BrokerSettings(url, keys=keys, insecure_loopback=insecure_loopback),
                             calibrations=calibrations)
