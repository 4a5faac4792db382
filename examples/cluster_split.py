"""A parameter sweep split between a simulator lane and an emulated-QPU lane (README, "The cluster as an executor").

    python examples/cluster_split.py tcp://127.0.0.1:5555
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter

import qirrt

url = sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:5555"
theta = Parameter("theta")
qc = QuantumCircuit(2, 2)
qc.ry(theta, 0)
qc.cx(0, 1)
qc.measure([0, 1], [0, 1])
program = qirrt.load(qc)

cluster = qirrt.connect(url, insecure_loopback=True)  # with keys: qirrt.connect(url, keys="keys/", key_name="alice")
deadline = time.monotonic() + 120  # the workers started beside this script may still be registering
while len({w["lane"] for w in cluster.workers()}) < 2 and time.monotonic() < deadline:
    time.sleep(0.5)
print("lanes:", sorted({w["lane"] for w in cluster.workers()}))
values = [[float(v)] for v in np.linspace(0, np.pi, 12)]
estimate = cluster.estimate(program, shots=500, params=values)
print("plan:", estimate["assignment"], "cost:", estimate["cost"], estimate["currency"])  # cost: broker --prices
session = cluster.session()  # its jobs' costs add up; lane-bound jobs stay on its co-located simulator/QPU pair
print("session:", session.id)
results = qirrt.run(program, executor=cluster, shots=500, seed=7, params=values, split="auto", session=session)
for value, result in zip(values, results):
    print(json.dumps({"theta": round(value[0], 3), "lane": result.metadata["lane"],
                      "worker": result.metadata["worker"], "cost": result.metadata.get("cost", {}).get("total"),
                      "counts": result.counts}))
mitigated = qirrt.run(qc.assign_parameters({theta: np.pi / 2}), executor=cluster, target="FakeKolkata",
                      mitigation="ddd,zne", observable="ZZ", shots=500, seed=7)
print(f"<ZZ> mitigated {mitigated.expectation:.3f}, raw {mitigated.expectation_unmitigated:.3f}")
cluster.close()
