"""qirrt on Ray: the `ray` executor (`executor="ray"`, ``qirrt.connect("ray://head:10001")``) and Ray as a
workload engine (``RuntimeProvider(engine="ray")``).

One file per idea: `runtime.py` (importing Ray, checking addresses, starting or joining a cluster),
`tasks.py` (what a Ray worker runs: one program item, as plain data), `device.py` (one QPU adapter as one
actor), `lanes.py` (the cluster's lanes for the split planner), `executor.py` (`RayExecutor`, `RayJob`),
`workload.py` (workloads with their packages as a Ray runtime environment). Ray is optional: nothing here
imports it at module level, and using it without the ``ray`` extra names the pip command.
"""

from __future__ import annotations
