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
from qirrt.executors.local.kernels.buffers import grow, grow_rows
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


@njit(cache=True, inline="always")
def _out_of_range(hdr, index, count_field, code):
    """Whether `index` falls outside [0, hdr[count_field]); if so the run fails with `code`."""
    if index < 0 or index >= hdr[count_field]:
        _fail(hdr, code, index)
        return True
    return False


@njit(cache=True)
def _bad_qubit(hdr, q):
    return _out_of_range(hdr, q, H_NQ, ERR_QUBIT_RANGE)


@njit(cache=True)
def _bad_result(hdr, r):
    return _out_of_range(hdr, r, H_NRES, ERR_RESULT_RANGE)


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


@njit(cache=True, inline="always")
def _new_stacks(shots):
    """The paths still to run: (arena of forced outcomes, offset, length, shots, pool slot), one root path."""
    stacks = (np.empty(256, np.int8), np.zeros(16, np.int64), np.zeros(16, np.int64), np.zeros(16, np.int64),
              np.zeros(16, np.int64))
    stacks[3][0] = shots
    stacks[4][0] = -1
    return stacks


@njit(cache=True, inline="always")
def _push_branch(stacks, depth, arena_top, trace, d, outcome, shots, slot):
    """Push the path `trace[:d]` then `outcome`, for `shots` shots from pool `slot`; returns the grown stacks."""
    arena = grow(stacks[0], arena_top + d + 1)
    st_off, st_len = grow(stacks[1], depth + 1), grow(stacks[2], depth + 1)
    st_shots, st_slot = grow(stacks[3], depth + 1), grow(stacks[4], depth + 1)
    for i in range(d):
        arena[arena_top + i] = trace[i]
    arena[arena_top + d] = outcome
    st_off[depth] = arena_top
    st_len[depth] = d + 1
    st_shots[depth] = shots
    st_slot[depth] = slot
    return arena, st_off, st_len, st_shots, st_slot


@njit(cache=True, inline="always")
def _push_branches(hdr, stacks, depth, arena_top, trace):
    """The branches this run pushed, deepest last so they are replayed first; returns (stacks, depth, top)."""
    pushes = carray(as_i64(hdr[H_PUSH]), (hdr[H_PUSH_CAP], 4))
    for k in range(hdr[H_PUSH_LEN]):
        d = pushes[k, 0]
        stacks = _push_branch(stacks, depth, arena_top, trace, d, pushes[k, 1], pushes[k, 2], pushes[k, 3])
        arena_top += d + 1
        depth += 1
    return stacks, depth, arena_top


@njit(cache=True, inline="always")
def _run_path(hdr, ctx, run_address, stacks, depth, trace, res, qpend):
    """Replay path `depth` of the stacks (its forced outcomes, from its pool slot) through the JIT'd entry."""
    arena, st_off, st_len, st_shots, st_slot = stacks
    length = st_len[depth]
    for i in range(length):
        trace[i] = arena[st_off[depth] + i]
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
    res[:] = 0
    qpend[:] = 0
    if slot < 0:
        call_v(hdr[H_FN_RESET], ctx)
    call_v(run_address, ctx)
    if hdr[H_ERROR] == 0 and (hdr[H_TRACE_LEN] < length or hdr[H_LIVE] == 0):
        _fail(hdr, ERR_NONDETERMINISTIC, hdr[H_TRACE_LEN])


@njit(cache=True, inline="always")
def _pending_qubits(recs, nrec):
    """The distinct qubits whose pending outcomes the records show, ascending."""
    qs = np.empty(nrec, np.int64)
    nqs = 0
    for i in range(nrec):
        if recs[i, 0] != REC_PENDING:
            continue
        found = False
        for j in range(nqs):
            found = found or qs[j] == recs[i, 1]
        if not found:
            qs[nqs] = recs[i, 1]
            nqs += 1
    sort_small(qs, nqs)
    return qs[:nqs]


@njit(cache=True, inline="always")
def _add_pattern(pats, n_pat, path, code, count, memory, n_memory, keep_memory):
    """Append pattern (path, code, count), its shots to `memory` when kept; returns (pats, n_memory)."""
    pat_path, pat_code, pat_count = grow(pats[0], n_pat + 1), grow(pats[1], n_pat + 1), grow(pats[2], n_pat + 1)
    pat_path[n_pat] = path
    pat_code[n_pat] = code
    pat_count[n_pat] = count
    if keep_memory:
        memory[n_memory:n_memory + count] = n_pat
        n_memory += count
    return (pat_path, pat_code, pat_count), n_memory


@njit(cache=True, inline="always")
def _sample_patterns(hdr, qs, path, path_shots, pats, n_pat, memory, n_memory, keep_memory):
    """Sample the path's shots over `qs` (bit j: qs[j]) and append one pattern per distinct code."""
    if qs.size == 0:
        pats, n_memory = _add_pattern(pats, n_pat, path, 0, path_shots, memory, n_memory, keep_memory)
        return pats, n_pat + 1, n_memory
    idx, cnt = _sample(hdr, path_shots)
    m = idx.size
    codes = np.zeros(m, np.int64)
    for j in range(qs.size):
        for s in range(m):
            codes[s] |= ((idx[s] >> qs[j]) & 1) << j
    codes, cnt = _sort_by_code(codes, cnt, qs.size)
    s = 0
    while s < m:
        e = s
        total = 0
        while e < m and codes[e] == codes[s]:
            total += cnt[e]
            e += 1
        pats, n_memory = _add_pattern(pats, n_pat, path, codes[s], total, memory, n_memory, keep_memory)
        n_pat += 1
        s = e
    return pats, n_pat, n_memory


@njit(cache=True, inline="always")
def _append_records(hdr, records, n_records):
    """This path's records after the earlier paths'; returns (records, n_records, its records, how many)."""
    recs = carray(as_i64(hdr[H_REC]), (hdr[H_REC_CAP], 3))
    nrec = hdr[H_REC_LEN]
    records = grow_rows(records, n_records + nrec)
    records[n_records:n_records + nrec] = recs[:nrec]
    return records, n_records + nrec, recs, nrec


@njit(cache=True, inline="always")
def _append_index(a, n, value):
    """a[n] = value, `a` grown as needed; returns `a`."""
    a = grow(a, n + 1)
    a[n] = value
    return a


# One numba function on purpose: the loop over paths calls the JIT'd entry, whose cfunc callbacks reach
# this run's state through the context pointer; the steps of one path are the inline helpers above.
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
    used[:] = 0
    stacks = _new_stacks(shots)
    depth = 1
    records = np.empty((64, 3), np.int64)
    path_rec = np.zeros(16, np.int64)
    path_q = np.empty(64, np.int64)
    path_q_start = np.zeros(16, np.int64)
    pats = (np.empty(16, np.int64), np.empty(16, np.int64), np.empty(16, np.int64))
    memory = np.empty(shots if keep_memory else 0, np.int64)
    n_records = n_path_q = n_pat = n_memory = n_paths = error = error_arg = 0
    while depth > 0:
        depth -= 1
        _run_path(hdr, ctx, run_address, stacks, depth, trace, res, qpend)
        if hdr[H_ERROR] != 0:
            error = hdr[H_ERROR]
            error_arg = hdr[H_ERROR_ARG]
            break
        flush(hdr)
        stacks, depth, _ = _push_branches(hdr, stacks, depth, stacks[1][depth], trace)
        records, n_records, recs, nrec = _append_records(hdr, records, n_records)
        path_rec = _append_index(path_rec, n_paths + 1, n_records)
        qs = _pending_qubits(recs, nrec)  # sampled jointly from the final state
        path_q = grow(path_q, n_path_q + qs.size)
        path_q[n_path_q:n_path_q + qs.size] = qs
        n_path_q += qs.size
        path_q_start = _append_index(path_q_start, n_paths + 1, n_path_q)
        pats, n_pat, n_memory = _sample_patterns(hdr, qs, n_paths, hdr[H_SHOTS], pats, n_pat, memory, n_memory,
                                                 keep_memory)
        n_paths += 1
    used[:] = 0
    return (error, error_arg, records[:n_records].copy(), path_rec[:n_paths + 1].copy(),
            path_q[:n_path_q].copy(), path_q_start[:n_paths + 1].copy(), pats[0][:n_pat].copy(),
            pats[1][:n_pat].copy(), pats[2][:n_pat].copy(), memory[:n_memory].copy())


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
