"""The simulator's entry points as cfuncs, called through function pointers in the context header.

The callbacks and the driver (`native`) reach the heavy kernels only through these pointers, so
numba compiles and links each kernel tree once instead of into every caller (that re-optimisation
dominated first-run compile time). Each service reads its buffers from the header. The set for a
precision is built (and compiled, or loaded from numba's cache) the first time it is asked for, so a
process that only uses complex128 never compiles the complex64 kernels.
"""

from __future__ import annotations

import numpy as np
from numba import carray, cfunc, njit, types
from numba.np.ufunc.parallel import _launch_threads

from qirrt.executors.local import numba_cache  # noqa: F401  (cache keyed on all kernel sources; before any @njit)
from qirrt.executors.local.abi import (
    H_BLOCK_QUBITS,
    H_DIAG_MAX,
    H_FUSE_MAX,
    H_FUSE_OVERHEAD,
    H_LIVE,
    H_NQ,
    H_PAR_QUBITS,
    H_POOL,
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
from qirrt.executors.local.kernels import statevector as sv
from qirrt.executors.local.kernels.fusion import KIND_DENSE, KIND_DIAG, fuse
from qirrt.executors.local.kernels.gate_table import (
    ascending,
    gate_matrix,
    is_diagonal_gate,
    reindexed,
)
from qirrt.executors.local.pointers import as_c64, as_c128, as_f64, as_i64

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


SMALL_TAPE = 6


@njit(cache=True)
def _apply_direct(state, ops, ang, n):
    """Apply tape rows [0, n) one gate at a time (no fusion)."""
    g = np.zeros((8, 8), np.complex128)
    flat = np.empty(64, state.dtype)
    pos = np.zeros(16, np.int64)
    order = np.zeros(3, np.int64)
    for row in range(n):
        op = ops[row, 0]
        k = gate_matrix(op, ang[row], g)
        ascending(ops[row, 1:], k, order, pos)
        diagonal = is_diagonal_gate(op)
        reindexed(g, order, k, diagonal, flat)
        sv.apply_op(state, KIND_DIAG if diagonal else KIND_DENSE, k, pos, flat, 0)


@njit(cache=True)
def _flush_state(state, hdr, ops, ang, n):
    if n <= SMALL_TAPE or hdr[H_NQ] <= 3:
        # a few gates, or a tiny register: fusing costs more than it saves
        _apply_direct(state, ops, ang, n)
        hdr[H_STAT_OPS] += n
        hdr[H_STAT_PASSES] += n
        return
    kinds, ks, qs, offs, data = fuse(ops, ang, 0, n, hdr[H_NQ], hdr[H_FUSE_MAX], hdr[H_DIAG_MAX],
                                     hdr[H_FUSE_OVERHEAD] / 100.0)
    hdr[H_STAT_PASSES] += sv.apply_ops(state, hdr[H_NQ], kinds, ks, qs, offs, data, hdr[H_BLOCK_QUBITS])
    hdr[H_STAT_OPS] += kinds.size


def _build(precision: int) -> dict:
    """The services for complex128 (`precision` 0) or complex64 (1); `precision` is a compile-time
    constant, so numba prunes the other branch of every `if precision == 0`."""

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
        if precision == 0:
            _flush_state(_state128(hdr), hdr, ops, ang, n)
        else:
            _flush_state(_state64(hdr), hdr, ops, ang, n)
        hdr[H_STAT_GATES] += n

    @cfunc(types.float64(_CTX, types.int64), cache=True)
    def prob_one(ctx, q):
        hdr = carray(ctx, HEADER_SIZE)
        if precision == 0:
            return sv.prob_one(_state128(hdr), q, hdr[H_PAR_QUBITS])
        return sv.prob_one(_state64(hdr), q, hdr[H_PAR_QUBITS])

    @cfunc(types.void(_CTX, types.int64, types.int64, types.float64), cache=True)
    def collapse(ctx, q, outcome, probability):
        hdr = carray(ctx, HEADER_SIZE)
        if precision == 0:
            sv.collapse(_state128(hdr), q, outcome, probability, hdr[H_PAR_QUBITS])
        else:
            sv.collapse(_state64(hdr), q, outcome, probability, hdr[H_PAR_QUBITS])

    @cfunc(types.void(_CTX, types.int64, types.int64), cache=True)
    def copy(ctx, slot, restore):
        """Save the state into pool `slot` (restore = 0) or load it back (restore = 1)."""
        hdr = carray(ctx, HEADER_SIZE)
        par = hdr[H_PAR_QUBITS]
        if precision == 0:
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
        if precision == 0:
            sv.reset_state(_state128(hdr), hdr[H_PAR_QUBITS])
        else:
            sv.reset_state(_state64(hdr), hdr[H_PAR_QUBITS])

    @cfunc(types.int64(_CTX, types.int64, types.int64), cache=True)
    def sample(ctx, shots, out_address):
        """Sample `shots` outcomes into the int64 buffer at `out_address` (room for 2 x min(2**n,
        shots)): distinct basis indices first, then their counts; returns how many distinct indices."""
        hdr = carray(ctx, HEADER_SIZE)
        room = min(shots, 1 << hdr[H_NQ])
        index = carray(as_i64(out_address), room)
        count = carray(as_i64(out_address + 8 * room), room)
        if precision == 0:
            return sv.sample_counts(_state128(hdr), shots, hdr[H_PAR_QUBITS], index, count)
        return sv.sample_counts(_state64(hdr), shots, hdr[H_PAR_QUBITS], index, count)

    return {"flush": flush, "prob_one": prob_one, "collapse": collapse, "copy": copy, "reset": reset,
            "sample": sample}


_built: dict[str, dict] = {}


def services(precision: str = "complex128") -> dict:
    """Name → cfunc of the services for `precision` (compiled or loaded on first use)."""
    table = _built.get(precision)
    if table is None:
        table = _build({"complex128": 0, "complex64": 1}[precision])
        _built[precision] = table
        numba_cache.mark_cached(precision)
    return table
