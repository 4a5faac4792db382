"""The cluster's web dashboard and HTTP API (FastAPI; the `dashboard` extra): `create_app`, `serve`."""

from __future__ import annotations

from qirrt.api.http.app import DashboardSettings, create_app, default_tokens_path
from qirrt.api.http.broker_link import BrokerSettings

__all__ = ["BrokerSettings", "DashboardSettings", "create_app", "default_tokens_path"]
