"""What a device is and how well it performs: `Target`, `Calibration` and their history, as plain data."""

from __future__ import annotations
