OPENQASM 3.0;
include "stdgates.inc";
// A parametric circuit: theta stays a runtime parameter, bound at run time with --params.
// P(c[0] = 1) = sin²(theta/2); c[1] always equals c[0]; <IZ> = cos(theta).
input float[64] theta;
qubit[2] q;
bit[2] c;
ry(theta) q[0];
cx q[0], q[1];
c = measure q;
