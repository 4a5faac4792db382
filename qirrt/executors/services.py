"""The simulator's entry points as cfuncs, called through function pointers in the context header.

The callbacks and the driver (`native`) reach the heavy kernels only through these pointers, so
numba compiles and links each kernel tree once instead of into every caller (that re-optimisation
dominated first-run compile time). Each service reads its buffers from the header and works for
both precisions.
"""

from __future__ import annotations

from . import numba_cache  # noqa: F401  (cache keyed on all kernel sources; before any @njit)

from numba import carray, cfunc, njit, types
from numba.np.ufunc.parallel import _launch_threads

from . import statevector as sv
from .abi import (
    H_BLOCK_QUBITS,
    H_DIAG_MAX,
    H_FUSE_MAX,
    H_FUSE_OVERHEAD,
    H_LIVE,
    H_NQ,
    H_PAR_QUBITS,
    H_POOL,
    H_PREC,
    H_STAT_GATES,
    H_STAT_OPS,
    H_STAT_PASSES,
    H_STATE,
    H_TAPE_ANG,
    H_TAPE_CAP,
    H_TAPE_LEN,
    H_TAPE_OPS,
    HEADER_SIZE,
)
from .fusion import fuse
from .pointers import as_c64, as_c128, as_f64, as_i64

_CTX = types.CPointer(types.int64)

# the cached cfuncs below call parallel kernels: the threading layer must be up before they load
_launch_threads()


@njit(cache=True)
def _state128(hdr):
    return carray(as_c128(hdr[H_STATE]), 1 << hdr[H_NQ])


@njit(cache=True)
def _state64(hdr):
    return carray(as_c64(hdr[H_STATE]), 1 << hdr[H_NQ])


@njit(cache=True)
def _slot128(hdr, slot):
    dim = 1 << hdr[H_NQ]
    return carray(as_c128(hdr[H_POOL] + slot * dim * 16), dim)


@njit(cache=True)
def _slot64(hdr, slot):
    dim = 1 << hdr[H_NQ]
    return carray(as_c64(hdr[H_POOL] + slot * dim * 8), dim)


@cfunc(types.void(_CTX), cache=True)
def flush(ctx):
    """Simulate the gates on the tape (when live) and empty it."""
    hdr = carray(ctx, HEADER_SIZE)
    n = hdr[H_TAPE_LEN]
    if n == 0:
        return
    hdr[H_TAPE_LEN] = 0
    if hdr[H_LIVE] == 0:
        return
    ops = carray(as_i64(hdr[H_TAPE_OPS]), (hdr[H_TAPE_CAP], 4))
    ang = carray(as_f64(hdr[H_TAPE_ANG]), hdr[H_TAPE_CAP])
    kinds, ks, qs, offs, data = fuse(ops, ang, 0, n, hdr[H_NQ], hdr[H_FUSE_MAX], hdr[H_DIAG_MAX],
                                     hdr[H_FUSE_OVERHEAD] / 100.0)
    if hdr[H_PREC] == 0:
        passes = sv.apply_ops(_state128(hdr), hdr[H_NQ], kinds, ks, qs, offs, data, hdr[H_BLOCK_QUBITS])
    else:
        passes = sv.apply_ops(_state64(hdr), hdr[H_NQ], kinds, ks, qs, offs, data, hdr[H_BLOCK_QUBITS])
    hdr[H_STAT_GATES] += n
    hdr[H_STAT_OPS] += kinds.size
    hdr[H_STAT_PASSES] += passes


@cfunc(types.float64(_CTX, types.int64), cache=True)
def prob_one(ctx, q):
    hdr = carray(ctx, HEADER_SIZE)
    if hdr[H_PREC] == 0:
        return sv.prob_one(_state128(hdr), q, hdr[H_PAR_QUBITS])
    return sv.prob_one(_state64(hdr), q, hdr[H_PAR_QUBITS])


@cfunc(types.void(_CTX, types.int64, types.int64, types.float64), cache=True)
def collapse(ctx, q, outcome, probability):
    hdr = carray(ctx, HEADER_SIZE)
    if hdr[H_PREC] == 0:
        sv.collapse(_state128(hdr), q, outcome, probability, hdr[H_PAR_QUBITS])
    else:
        sv.collapse(_state64(hdr), q, outcome, probability, hdr[H_PAR_QUBITS])


@cfunc(types.void(_CTX, types.int64, types.int64), cache=True)
def copy(ctx, slot, restore):
    """Save the state into pool `slot` (restore = 0) or load it back (restore = 1)."""
    hdr = carray(ctx, HEADER_SIZE)
    par = hdr[H_PAR_QUBITS]
    if hdr[H_PREC] == 0:
        if restore:
            sv.copy_state(_state128(hdr), _slot128(hdr, slot), par)
        else:
            sv.copy_state(_slot128(hdr, slot), _state128(hdr), par)
    else:
        if restore:
            sv.copy_state(_state64(hdr), _slot64(hdr, slot), par)
        else:
            sv.copy_state(_slot64(hdr, slot), _state64(hdr), par)


@cfunc(types.void(_CTX), cache=True)
def reset(ctx):
    """|0...0>."""
    hdr = carray(ctx, HEADER_SIZE)
    if hdr[H_PREC] == 0:
        sv.reset_state(_state128(hdr), hdr[H_PAR_QUBITS])
    else:
        sv.reset_state(_state64(hdr), hdr[H_PAR_QUBITS])


@cfunc(types.int64(_CTX, types.int64, types.int64), cache=True)
def sample(ctx, shots, out_address):
    """Sample `shots` outcomes into the int64 buffer at `out_address` (room for 2 x min(2**n, shots)):
    distinct basis indices first, then their counts; returns how many distinct indices."""
    hdr = carray(ctx, HEADER_SIZE)
    room = min(shots, 1 << hdr[H_NQ])
    index = carray(as_i64(out_address), room)
    count = carray(as_i64(out_address + 8 * room), room)
    if hdr[H_PREC] == 0:
        return sv.sample_counts(_state128(hdr), shots, hdr[H_PAR_QUBITS], index, count)
    return sv.sample_counts(_state64(hdr), shots, hdr[H_PAR_QUBITS], index, count)


SERVICES = {"flush": flush, "prob_one": prob_one, "collapse": collapse, "copy": copy, "reset": reset,
            "sample": sample}
