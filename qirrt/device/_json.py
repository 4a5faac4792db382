"""JSON text of a device description (a calibration snapshot, a target), read with one error."""

from __future__ import annotations

import json
from typing import Any

from qirrt.errors import CalibrationError


def parse_json(text: str, what: str) -> Any:
    """`text` parsed as JSON, or `CalibrationError` naming `what` ("calibration", "target")."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CalibrationError(f"{what} JSON does not parse: {exc}") from None
