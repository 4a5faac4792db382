"""`qirrt dashboard`: the web dashboard and HTTP API of a cluster, and the options `qirrt broker --http` shares."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from qirrt.cli.common import user_errors
from qirrt.cli.http_options import listen_options, settings_for


@click.command()
@click.option("--store", "store_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The broker's SQLite store (read only).")
@click.option("--connect", "url", default="tcp://127.0.0.1:5555", show_default=True,
              help="The broker, for submitting and cancelling.")
@click.option("--bind", default="127.0.0.1:8080", show_default=True, help="HOST:PORT to serve on.")
@click.option("--keys", "keys_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Directory of CurveZMQ keys; the dashboard talks to the broker with one user key pair there.")
@click.option("--key-name", metavar="NAME", help="Which key pair in --keys (default: the only user key pair).")
@click.option("--insecure-loopback", is_flag=True, help="Talk to a loopback broker without keys.")
@click.option("--tokens", type=click.Path(dir_okay=False, path_type=Path),
              help="Tokens file (`qirrt keys generate --token`). Default: DIR/tokens.sqlite3 with --keys DIR, "
                   "else tokens.sqlite3 beside the store.")
@click.option("--calibrations", type=click.Path(dir_okay=False, path_type=Path),
              help="Calibration history (SQLite) for the calibration page. Default: qirrt's calibration store.")
@listen_options
@user_errors
def dashboard(store_path, url, bind, keys_dir, key_name, insecure_loopback, tokens, calibrations, tls_cert,
              tls_key, insecure_http):
    """Serve the web dashboard and the REST API (/api/v1, schema at /openapi.json) of the broker at --connect."""
    from qirrt.api.http.server import listening_socket, make_server, parse_listen
    from qirrt.api.http.tokens import TokenStore
    from qirrt.cli.cluster import _keys
    from qirrt.device.calibration_store import default_store_path
    from qirrt.executors.distributed.security import require_secure_or_loopback

    listen = parse_listen(bind, tls_cert=tls_cert, tls_key=tls_key, insecure=insecure_http)
    keys = _keys(keys_dir, key_name, "clients")
    require_secure_or_loopback(url, keys=keys, insecure_loopback=insecure_loopback, what="the dashboard")
    settings = settings_for(store_path, url, keys=keys, insecure_loopback=insecure_loopback, tokens=tokens,
                            keys_dir=keys_dir, calibrations=calibrations or default_store_path())
    TokenStore(settings.tokens, create=False).close()  # no tokens file: say how to make one, now
    sock, listen = listening_socket(listen)
    server = make_server(settings, listen)
    click.echo(f"qirrt dashboard on {listen.url} (store {store_path}, broker {url}, tokens {settings.tokens})")
    sys.stdout.flush()
    server.run(sockets=[sock])
