// Two 4-qubit blocks joined by one CX (qubits 3 and 4): `--cut-max-qubits 4` cuts that gate.
OPENQASM 2.0;
include "qelib1.inc";
qreg q[8];
creg c[8];
ry(0.3) q[0]; ry(0.5) q[1]; ry(0.7) q[2]; ry(0.9) q[3];
ry(1.1) q[4]; ry(0.4) q[5]; ry(0.6) q[6]; ry(0.8) q[7];
cx q[0], q[1]; cx q[1], q[2]; cx q[2], q[3];
cx q[4], q[5]; cx q[5], q[6]; cx q[6], q[7];
cx q[3], q[4];
ry(0.2) q[3]; ry(1.0) q[4];
measure q -> c;
