"""The native runner of interpreted programs: their operation list fed to the runtime callbacks.

`run_operations` has the signature of a JIT-compiled program's `__qirrt_run` (`void (ptr ctx)`), so
the driver (`native.execute`) runs, replays and branches it exactly as it does compiled code. It
reads the operations that `operations` extracted (header slots `H_OPS*`), calls the same `on_op` /
`on_read` / `on_record` callbacks, and stops as soon as one of them flags an error. Every jump counts
as a step (as every block does in compiled code), so a loop that never ends stops at `max_steps`.
"""

from __future__ import annotations

import numpy as np
from numba import carray, cfunc, types

from qirrt.executors.local import numba_cache  # noqa: F401  (cache keyed on all kernel sources; before any @njit)
from qirrt.executors.local.abi import (
    ERR_STEP_LIMIT,
    H_ERROR,
    H_MAX_STEPS,
    H_OPS,
    H_OPS_ANG,
    H_OPS_FLAGS,
    H_OPS_LEN,
    H_STEPS,
    OP_BRANCH,
    OP_JUMP,
    OP_READ,
    OP_RECORD,
    OP_RECORD_FLAG,
    REC_BOOL,
)
from qirrt.executors.local.driver import _fail, header, on_op, on_read, on_record
from qirrt.executors.local.pointers import as_f64, as_i64

_CTX = types.CPointer(types.int64)


@cfunc(types.void(_CTX), cache=True)
def run_operations(ctx):
    hdr = header(ctx)
    n = hdr[H_OPS_LEN]
    if n <= 0:
        return
    ops = carray(as_i64(hdr[H_OPS]), (n, 5))
    angles = carray(as_f64(hdr[H_OPS_ANG]), n)
    flags = np.zeros(max(hdr[H_OPS_FLAGS], 1), np.uint8)
    i = 0
    while i < n:
        if hdr[H_ERROR] != 0:
            return
        code = ops[i, 0]
        if code < OP_RECORD:
            on_op(ctx, code, ops[i, 1], ops[i, 2], ops[i, 3], angles[i])
            i += 1
        elif code < OP_READ:
            on_record(ctx, code - OP_RECORD, ops[i, 1], ops[i, 4])
            i += 1
        elif code == OP_READ:
            flags[ops[i, 2]] = on_read(ctx, ops[i, 1])
            i += 1
        elif code == OP_RECORD_FLAG:
            on_record(ctx, REC_BOOL, np.int64(flags[ops[i, 1]]), ops[i, 4])
            i += 1
        elif code == OP_JUMP or code == OP_BRANCH:
            steps = hdr[H_STEPS] + 1
            hdr[H_STEPS] = steps
            if steps > hdr[H_MAX_STEPS]:
                _fail(hdr, ERR_STEP_LIMIT, steps)
                return
            if code == OP_JUMP:
                i = ops[i, 1]
            elif flags[ops[i, 1]] != 0:
                i = ops[i, 2]
            else:
                i = ops[i, 3]
        else:  # OP_END
            return
