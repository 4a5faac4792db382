"""The process a workload runs in: ``python -I -m qirrt.executors.distributed.sandbox DIR MODULE CLASS``.

Started by `workload.run_sandboxed` with limits already applied; imports the shipped module from DIR,
instantiates CLASS with the shipped inputs, calls `run()` and writes the result as msgpack.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import msgpack


def main(argv: list[str]) -> int:
    folder, entry, class_name = argv
    sys.path.insert(0, folder)
    inputs = msgpack.unpackb(Path(folder, "_inputs.msgpack").read_bytes(), raw=False, strict_map_key=True)
    module = importlib.import_module(entry)
    workload = getattr(module, class_name)(inputs)
    result = workload.run()
    Path(folder, "_result.msgpack").write_bytes(msgpack.packb(result, use_bin_type=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
