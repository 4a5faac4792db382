"""The runtime the JIT-compiled QIR calls (numba): gate tape, lazy measurement, branching, records.

Every callback receives the context pointer (an int64 header, see `abi`). Gates are appended to a
tape and simulated in fused batches only when something needs the state: a measurement outcome is
decided when a result is read or its qubit is touched again. At a decision the current shot count
is split binomially; the run continues with one outcome and pushes the other (with a saved copy of
the state while the pool has room) for a later replay of the native code with forced outcomes.
`execute` drives that loop — all paths of all shots — without returning to Python.
"""

from __future__ import annotations

import numpy as np
from numba import carray, cfunc, njit, types
from numba.np.ufunc.parallel import _launch_threads

from qirrt.executors.local import numba_cache  # noqa: F401  (cache keyed on all kernel sources; before any @njit)
from qirrt.executors.local.abi import (
    ERR_NONDETERMINISTIC,
    ERR_PARAM_RANGE,
    ERR_PUSH_CAPACITY,
    ERR_QUBIT_RANGE,
    ERR_RECORD_CAPACITY,
    ERR_RESULT_RANGE,
    ERR_SAME_QUBIT,
    ERR_STEP_LIMIT,
    ERR_TRACE_CAPACITY,
    H_ERROR,
    H_ERROR_ARG,
    H_FN_COLLAPSE,
    H_FN_COPY,
    H_FN_FLUSH,
    H_FN_PROB,
    H_FN_RESET,
    H_FN_SAMPLE,
    H_FORCED,
    H_LIVE,
    H_MAX_STEPS,
    H_NPARAMS,
    H_NQ,
    H_NRES,
    H_PARAMS,
    H_POOL_SLOTS,
    H_PUSH,
    H_PUSH_CAP,
    H_PUSH_LEN,
    H_QLAST,
    H_QPEND,
    H_REC,
    H_REC_CAP,
    H_REC_LEN,
    H_RES,
    H_RESTORE,
    H_SHOTS,
    H_SLOT_USED,
    H_STAT_DECISIONS,
    H_STEPS,
    H_TAPE_ANG,
    H_TAPE_CAP,
    H_TAPE_LEN,
    H_TAPE_OPS,
    H_TRACE,
    H_TRACE_CAP,
    H_TRACE_LEN,
    HEADER_SIZE,
    NUM_GATES,
    OP_MEASURE,
    OP_MRESETZ,
    OP_RESET,
    OPCODES,
    REC_PENDING,
    REC_RESULT,
)
from qirrt.executors.local.kernels.fusion import sort_small
from qirrt.executors.local.kernels.gate_table import gate_arity
from qirrt.executors.local.pointers import (
    address_of,
    as_f64,
    as_i8,
    as_i64,
    call_d_i,
    call_i_ii,
    call_v,
    call_v_ii,
    call_v_iid,
)

_OP_X = OPCODES["x"]

# Cached parallel kernels link against the threading layer's symbols; start it before any of them
# is loaded from the cache into code that is not itself parallel (the callbacks, the driver).
_launch_threads()


@njit(cache=True)
def header(ctx):
    return carray(ctx, HEADER_SIZE)


@njit(cache=True)
def _fail(hdr, code, arg):
    if hdr[H_ERROR] == 0:
        hdr[H_ERROR] = code
        hdr[H_ERROR_ARG] = arg


# -- the simulator, reached through the service pointers in the header --------------------------------
@njit(cache=True)
def flush(hdr):
    if hdr[H_TAPE_LEN] > 0:
        call_v(hdr[H_FN_FLUSH], address_of(hdr))


@njit(cache=True)
def _prob_one(hdr, q):
    return call_d_i(hdr[H_FN_PROB], address_of(hdr), q)


@njit(cache=True)
def _collapse(hdr, q, outcome, p1):
    p = p1 if outcome == 1 else 1.0 - p1
    call_v_iid(hdr[H_FN_COLLAPSE], address_of(hdr), q, outcome, p)


@njit(cache=True)
def _save(hdr, slot):
    call_v_ii(hdr[H_FN_COPY], address_of(hdr), slot, 0)


@njit(cache=True)
def _restore(hdr, slot):
    call_v_ii(hdr[H_FN_COPY], address_of(hdr), slot, 1)


@njit(cache=True)
def _append(hdr, op, q0, q1, q2, angle):
    if hdr[H_LIVE] == 0:
        return
    if hdr[H_TAPE_LEN] >= hdr[H_TAPE_CAP]:
        flush(hdr)
    ops = carray(as_i64(hdr[H_TAPE_OPS]), (hdr[H_TAPE_CAP], 4))
    ang = carray(as_f64(hdr[H_TAPE_ANG]), hdr[H_TAPE_CAP])
    n = hdr[H_TAPE_LEN]
    ops[n, 0] = op
    ops[n, 1] = q0
    ops[n, 2] = q1
    ops[n, 3] = q2
    ang[n] = angle
    hdr[H_TAPE_LEN] = n + 1


# -- measurement decisions --------------------------------------------------------------------------------
@njit(cache=True)
def _clip(p):
    if p < 1e-12:
        return 0.0
    if p > 1.0 - 1e-12:
        return 1.0
    return p


@njit(cache=True)
def decide(hdr, q):
    """Fix the outcome of measuring qubit q (pending or not); returns it."""
    trace = carray(as_i8(hdr[H_TRACE]), hdr[H_TRACE_CAP])
    d = hdr[H_TRACE_LEN]
    if d >= hdr[H_TRACE_CAP]:
        _fail(hdr, ERR_TRACE_CAPACITY, d)
        return 0
    if d < hdr[H_FORCED]:
        outcome = np.int64(trace[d])
        if hdr[H_LIVE] != 0:
            flush(hdr)
            _collapse(hdr, q, outcome, _prob_one(hdr, q))
        else:
            hdr[H_TAPE_LEN] = 0
            if d == hdr[H_FORCED] - 1:
                slot = hdr[H_RESTORE]
                _restore(hdr, slot)
                used = carray(as_i64(hdr[H_SLOT_USED]), hdr[H_POOL_SLOTS])
                used[slot] = 0
                hdr[H_LIVE] = 1
                _collapse(hdr, q, outcome, _prob_one(hdr, q))
    else:
        flush(hdr)
        p1 = _clip(_prob_one(hdr, q))
        n = hdr[H_SHOTS]
        if p1 == 0.0:
            n1 = 0
        elif p1 == 1.0:
            n1 = n
        else:
            n1 = np.random.binomial(n, p1)
        n0 = n - n1
        if n0 > 0 and n1 > 0:
            outcome = 1 if n1 > n0 else 0
            other = n0 if outcome == 1 else n1
            pushes = carray(as_i64(hdr[H_PUSH]), (hdr[H_PUSH_CAP], 4))
            k = hdr[H_PUSH_LEN]
            if k >= hdr[H_PUSH_CAP]:
                _fail(hdr, ERR_PUSH_CAPACITY, k)
                return 0
            slot = -1
            used = carray(as_i64(hdr[H_SLOT_USED]), hdr[H_POOL_SLOTS])
            for s in range(hdr[H_POOL_SLOTS]):
                if used[s] == 0:
                    slot = s
                    break
            if slot >= 0:
                used[slot] = 1
                _save(hdr, slot)
            pushes[k, 0] = d
            pushes[k, 1] = 1 - outcome
            pushes[k, 2] = other
            pushes[k, 3] = slot
            hdr[H_PUSH_LEN] = k + 1
            hdr[H_SHOTS] = n - other
        else:
            outcome = 1 if n1 > 0 else 0
        hdr[H_STAT_DECISIONS] += 1
        _collapse(hdr, q, outcome, p1)
        trace[d] = outcome
    hdr[H_TRACE_LEN] = d + 1
    # every result and record waiting on this qubit now has its value
    res = carray(as_i64(hdr[H_RES]), hdr[H_NRES])
    pending = -1 - q
    qpend = carray(as_i64(hdr[H_QPEND]), hdr[H_NQ])
    last = carray(as_i64(hdr[H_QLAST]), hdr[H_NQ])[q]
    if qpend[q] == 1 and 0 <= last < hdr[H_NRES] and res[last] == pending:
        res[last] = outcome  # the common case, found without a scan over every result
    elif qpend[q] > 0:
        for r in range(hdr[H_NRES]):
            if res[r] == pending:
                res[r] = outcome
    qpend[q] = 0
    recs = carray(as_i64(hdr[H_REC]), (hdr[H_REC_CAP], 3))
    for i in range(hdr[H_REC_LEN]):
        if recs[i, 0] == REC_PENDING and recs[i, 1] == q:
            recs[i, 0] = REC_RESULT
            recs[i, 1] = outcome
    return outcome


# -- callbacks -------------------------------------------------------------------------------------------
@njit(cache=True)
def _measure(hdr, q, r):
    res = carray(as_i64(hdr[H_RES]), hdr[H_NRES])
    qpend = carray(as_i64(hdr[H_QPEND]), hdr[H_NQ])
    old = res[r]
    if old < 0:
        qpend[-1 - old] -= 1
    res[r] = -1 - q
    qpend[q] += 1
    carray(as_i64(hdr[H_QLAST]), hdr[H_NQ])[q] = r


@njit(cache=True)
def _reset(hdr, q):
    outcome = decide(hdr, q)
    if outcome == 1:
        _append(hdr, _OP_X, q, -1, -1, 0.0)


@njit(cache=True)
def _bad_qubit(hdr, q):
    if q < 0 or q >= hdr[H_NQ]:
        _fail(hdr, ERR_QUBIT_RANGE, q)
        return True
    return False


@njit(cache=True)
def _bad_result(hdr, r):
    if r < 0 or r >= hdr[H_NRES]:
        _fail(hdr, ERR_RESULT_RANGE, r)
        return True
    return False


@njit(cache=True)
def on_op(ctx, op, q0, q1, q2, angle):
    """A QIS call: a gate, mz/m/mresetz (q1 is the result) or reset."""
    hdr = header(ctx)
    if hdr[H_ERROR] != 0:
        return
    steps = hdr[H_STEPS] + 1
    hdr[H_STEPS] = steps
    if steps > hdr[H_MAX_STEPS]:
        _fail(hdr, ERR_STEP_LIMIT, steps)
        return
    if op == OP_MEASURE or op == OP_MRESETZ:
        if _bad_qubit(hdr, q0) or _bad_result(hdr, q1):
            return
        qpend = carray(as_i64(hdr[H_QPEND]), hdr[H_NQ])
        _measure(hdr, q0, q1)
        if op == OP_MRESETZ:
            _reset(hdr, q0)
        return
    if op == OP_RESET:
        if _bad_qubit(hdr, q0):
            return
        _reset(hdr, q0)
        return
    if op < 0 or op >= NUM_GATES:
        return
    k = gate_arity(op)
    if _bad_qubit(hdr, q0):
        return
    if k >= 2:
        if _bad_qubit(hdr, q1):
            return
        if q1 == q0:
            _fail(hdr, ERR_SAME_QUBIT, q0)
            return
    if k >= 3:
        if _bad_qubit(hdr, q2):
            return
        if q2 == q0 or q2 == q1:
            _fail(hdr, ERR_SAME_QUBIT, q2)
            return
    qpend = carray(as_i64(hdr[H_QPEND]), hdr[H_NQ])
    if qpend[q0] > 0:
        decide(hdr, q0)
    if k >= 2 and qpend[q1] > 0:
        decide(hdr, q1)
    if k >= 3 and qpend[q2] > 0:
        decide(hdr, q2)
    _append(hdr, op, q0, q1, q2, angle)


@njit(cache=True)
def on_read(ctx, r):
    hdr = header(ctx)
    if hdr[H_ERROR] != 0 or _bad_result(hdr, r):
        return np.uint8(0)
    res = carray(as_i64(hdr[H_RES]), hdr[H_NRES])
    value = res[r]
    if value < 0:
        value = decide(hdr, -1 - value)
    return np.uint8(value)


@njit(cache=True)
def on_record(ctx, kind, value, label):
    hdr = header(ctx)
    if hdr[H_ERROR] != 0:
        return
    n = hdr[H_REC_LEN]
    if n >= hdr[H_REC_CAP]:
        _fail(hdr, ERR_RECORD_CAPACITY, n)
        return
    if kind == REC_RESULT:
        if _bad_result(hdr, value):
            return
        res = carray(as_i64(hdr[H_RES]), hdr[H_NRES])
        v = res[value]
        if v < 0:
            kind = REC_PENDING
            value = -1 - v
        else:
            value = v
    recs = carray(as_i64(hdr[H_REC]), (hdr[H_REC_CAP], 3))
    recs[n, 0] = kind
    recs[n, 1] = value
    recs[n, 2] = label
    hdr[H_REC_LEN] = n + 1


@njit(cache=True)
def on_parameter(ctx, index):
    hdr = header(ctx)
    if index < 0 or index >= hdr[H_NPARAMS]:
        _fail(hdr, ERR_PARAM_RANGE, index)
        return 0.0
    return carray(as_f64(hdr[H_PARAMS]), hdr[H_NPARAMS])[index]


# -- the driver ------------------------------------------------------------------------------------------
@njit(cache=True)
def _grow(a, need):
    """`a` (1-D) with room for `need` items."""
    if need <= a.size:
        return a
    b = np.empty(max(2 * a.size, need), a.dtype)
    for i in range(a.size):
        b[i] = a[i]
    return b


@njit(cache=True)
def _grow2(a, need):
    """`a` (n x 3) with room for `need` rows."""
    if need <= a.shape[0]:
        return a
    b = np.empty((max(2 * a.shape[0], need), 3), a.dtype)
    for i in range(a.shape[0]):
        for c in range(3):
            b[i, c] = a[i, c]
    return b


@njit(cache=True)
def _sample(hdr, shots):
    """(distinct basis indices, their counts) of `shots` outcomes of the current state."""
    room = min(shots, 1 << hdr[H_NQ])
    buf = np.empty(2 * room, np.int64)
    n = call_i_ii(hdr[H_FN_SAMPLE], address_of(hdr), shots, address_of(buf))
    return buf[:n], buf[room:room + n]


@njit(cache=True)
def _sort_by_code(codes, counts, bits):
    """Sort (code, count) pairs by code (LSD radix, 8 bits a pass)."""
    n = codes.size
    src_c = codes
    src_n = counts
    dst_c = np.empty(n, np.int64)
    dst_n = np.empty(n, np.int64)
    shift = 0
    while shift < bits:
        count = np.zeros(257, np.int64)
        for i in range(n):
            count[((src_c[i] >> shift) & 255) + 1] += 1
        for d in range(256):
            count[d + 1] += count[d]
        for i in range(n):
            d = (src_c[i] >> shift) & 255
            dst_c[count[d]] = src_c[i]
            dst_n[count[d]] = src_n[i]
            count[d] += 1
        src_c, dst_c = dst_c, src_c
        src_n, dst_n = dst_n, src_n
        shift += 8
    return src_c, src_n


# Long and deep for now on purpose: a numba kernel, kept in one compiled frame. Splitting it
# waits for @njit(inline="always") helpers measured against benchmarks/local_vs_peers.py.
@njit(cache=True)
def execute(hdr, run_address, seed, shots, keep_memory):
    """Run every path of `shots` shots.

    Returns (error, error_arg, records[n, 3], path_record_start[p + 1], path_qubits,
    path_qubit_start[p + 1], pattern_path[m], pattern_code[m], pattern_count[m], memory[shots]);
    pattern code bit j is the outcome of the path's j-th listed qubit, `memory` holds each shot's
    pattern index (grouped by path, unshuffled) when `keep_memory`.
    """
    np.random.seed(seed)
    ctx = address_of(hdr)
    trace = carray(as_i8(hdr[H_TRACE]), hdr[H_TRACE_CAP])
    res = carray(as_i64(hdr[H_RES]), hdr[H_NRES])
    qpend = carray(as_i64(hdr[H_QPEND]), hdr[H_NQ])
    used = carray(as_i64(hdr[H_SLOT_USED]), hdr[H_POOL_SLOTS])
    nq = hdr[H_NQ]
    for s in range(hdr[H_POOL_SLOTS]):
        used[s] = 0

    arena = np.empty(256, np.int8)
    arena_top = 0
    st_off = np.empty(16, np.int64)
    st_len = np.empty(16, np.int64)
    st_shots = np.empty(16, np.int64)
    st_slot = np.empty(16, np.int64)
    depth = 1
    st_off[0] = 0
    st_len[0] = 0
    st_shots[0] = shots
    st_slot[0] = -1

    records = np.empty((64, 3), np.int64)
    n_records = 0
    path_rec = np.zeros(16, np.int64)
    path_q = np.empty(64, np.int64)
    n_path_q = 0
    path_q_start = np.zeros(16, np.int64)
    pat_path = np.empty(16, np.int64)
    pat_code = np.empty(16, np.int64)
    pat_count = np.empty(16, np.int64)
    n_pat = 0
    memory = np.empty(shots if keep_memory else 0, np.int64)
    n_memory = 0
    n_paths = 0
    error = 0
    error_arg = 0
    while depth > 0:
        depth -= 1
        off = st_off[depth]
        length = st_len[depth]
        for i in range(length):
            trace[i] = arena[off + i]
        arena_top = off
        slot = st_slot[depth]
        hdr[H_FORCED] = length
        hdr[H_RESTORE] = slot
        hdr[H_LIVE] = 1 if slot < 0 else 0
        hdr[H_SHOTS] = st_shots[depth]
        hdr[H_TRACE_LEN] = 0
        hdr[H_TAPE_LEN] = 0
        hdr[H_REC_LEN] = 0
        hdr[H_PUSH_LEN] = 0
        hdr[H_STEPS] = 0
        for r in range(hdr[H_NRES]):
            res[r] = 0
        for q in range(nq):
            qpend[q] = 0
        if slot < 0:
            call_v(hdr[H_FN_RESET], ctx)
        call_v(run_address, ctx)
        if hdr[H_ERROR] == 0 and (hdr[H_TRACE_LEN] < length or hdr[H_LIVE] == 0):
            _fail(hdr, ERR_NONDETERMINISTIC, hdr[H_TRACE_LEN])
        if hdr[H_ERROR] != 0:
            error = hdr[H_ERROR]
            error_arg = hdr[H_ERROR_ARG]
            break
        flush(hdr)
        path_shots = hdr[H_SHOTS]
        # branches pushed by this run, deepest last so they are replayed first
        pushes = carray(as_i64(hdr[H_PUSH]), (hdr[H_PUSH_CAP], 4))
        for k in range(hdr[H_PUSH_LEN]):
            d = pushes[k, 0]
            arena = _grow(arena, arena_top + d + 1)
            for i in range(d):
                arena[arena_top + i] = trace[i]
            arena[arena_top + d] = pushes[k, 1]
            st_off = _grow(st_off, depth + 1)
            st_len = _grow(st_len, depth + 1)
            st_shots = _grow(st_shots, depth + 1)
            st_slot = _grow(st_slot, depth + 1)
            st_off[depth] = arena_top
            st_len[depth] = d + 1
            st_shots[depth] = pushes[k, 2]
            st_slot[depth] = pushes[k, 3]
            arena_top += d + 1
            depth += 1
        # this path's records
        recs = carray(as_i64(hdr[H_REC]), (hdr[H_REC_CAP], 3))
        nrec = hdr[H_REC_LEN]
        records = _grow2(records, n_records + nrec)
        for i in range(nrec):
            for c in range(3):
                records[n_records + i, c] = recs[i, c]
        n_records += nrec
        path_rec = _grow(path_rec, n_paths + 2)
        path_rec[n_paths + 1] = n_records
        # qubits whose pending outcomes the records show, sampled jointly from the final state
        qs = np.empty(nrec, np.int64)
        nqs = 0
        for i in range(nrec):
            if recs[i, 0] == REC_PENDING:
                q = recs[i, 1]
                found = False
                for j in range(nqs):
                    if qs[j] == q:
                        found = True
                if not found:
                    qs[nqs] = q
                    nqs += 1
        qs = qs[:nqs]
        sort_small(qs, qs.size)
        path_q = _grow(path_q, n_path_q + qs.size)
        for j in range(qs.size):
            path_q[n_path_q + j] = qs[j]
        n_path_q += qs.size
        path_q_start = _grow(path_q_start, n_paths + 2)
        path_q_start[n_paths + 1] = n_path_q
        if qs.size == 0:
            pat_path = _grow(pat_path, n_pat + 1)
            pat_code = _grow(pat_code, n_pat + 1)
            pat_count = _grow(pat_count, n_pat + 1)
            pat_path[n_pat] = n_paths
            pat_code[n_pat] = 0
            pat_count[n_pat] = path_shots
            if keep_memory:
                for j in range(path_shots):
                    memory[n_memory + j] = n_pat
                n_memory += path_shots
            n_pat += 1
        else:
            idx, cnt = _sample(hdr, path_shots)
            m = idx.size
            codes = np.zeros(m, np.int64)
            for j in range(qs.size):
                q = qs[j]
                for s in range(m):
                    codes[s] |= ((idx[s] >> q) & 1) << j
            codes, cnt = _sort_by_code(codes, cnt, qs.size)
            s = 0
            while s < m:
                e = s
                total = 0
                while e < m and codes[e] == codes[s]:
                    total += cnt[e]
                    e += 1
                pat_path = _grow(pat_path, n_pat + 1)
                pat_code = _grow(pat_code, n_pat + 1)
                pat_count = _grow(pat_count, n_pat + 1)
                pat_path[n_pat] = n_paths
                pat_code[n_pat] = codes[s]
                pat_count[n_pat] = total
                if keep_memory:
                    for j in range(total):
                        memory[n_memory + j] = n_pat
                    n_memory += total
                n_pat += 1
                s = e
        n_paths += 1
    for s in range(hdr[H_POOL_SLOTS]):
        used[s] = 0
    return (error, error_arg, records[:n_records].copy(), path_rec[:n_paths + 1].copy(),
            path_q[:n_path_q].copy(), path_q_start[:n_paths + 1].copy(), pat_path[:n_pat].copy(),
            pat_code[:n_pat].copy(), pat_count[:n_pat].copy(), memory[:n_memory].copy())


# -- the symbols the JIT-compiled program calls ---------------------------------------------------------
_CTX = types.CPointer(types.int64)


@cfunc(types.void(_CTX, types.int64, types.int64, types.int64, types.int64, types.float64), cache=True)
def cb_op(ctx, op, q0, q1, q2, angle):
    on_op(ctx, op, q0, q1, q2, angle)


@cfunc(types.uint8(_CTX, types.int64), cache=True)
def cb_read(ctx, r):
    return on_read(ctx, r)


@cfunc(types.void(_CTX, types.int64, types.int64, types.int64), cache=True)
def cb_record(ctx, kind, value, label):
    on_record(ctx, kind, value, label)


@cfunc(types.float64(_CTX, types.int64), cache=True)
def cb_param(ctx, index):
    return on_parameter(ctx, index)


CALLBACKS = {"__qirrt_cb_op": cb_op, "__qirrt_cb_read": cb_read, "__qirrt_cb_record": cb_record,
             "__qirrt_cb_param": cb_param}
"""Symbol name → cfunc, bound into LLVM's symbol table before a program is compiled."""
