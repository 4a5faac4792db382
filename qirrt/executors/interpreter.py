"""The native runner of straight-line programs: their operation list fed to the runtime callbacks.

`run_operations` has the signature of a JIT-compiled program's `__qirrt_run` (`void (ptr ctx)`), so
the driver (`native.execute`) runs, replays and branches it exactly as it does compiled code. It
reads the operations that `straightline` extracted (header slots `H_OPS*`) and calls the same
`on_op` / `on_record` callbacks, stopping as soon as one of them flags an error.
"""

from __future__ import annotations

from numba import carray, cfunc, types

from . import numba_cache  # noqa: F401  (cache keyed on all kernel sources; before any @njit)
from .abi import H_ERROR, H_OPS, H_OPS_ANG, H_OPS_LEN, OP_RECORD
from .native import header, on_op, on_record
from .pointers import as_f64, as_i64

_CTX = types.CPointer(types.int64)


@cfunc(types.void(_CTX), cache=True)
def run_operations(ctx):
    hdr = header(ctx)
    n = hdr[H_OPS_LEN]
    if n <= 0:
        return
    ops = carray(as_i64(hdr[H_OPS]), (n, 5))
    angles = carray(as_f64(hdr[H_OPS_ANG]), n)
    for i in range(n):
        if hdr[H_ERROR] != 0:
            return
        code = ops[i, 0]
        if code >= OP_RECORD:
            on_record(ctx, code - OP_RECORD, ops[i, 1], ops[i, 4])
        else:
            on_op(ctx, code, ops[i, 1], ops[i, 2], ops[i, 3], angles[i])
