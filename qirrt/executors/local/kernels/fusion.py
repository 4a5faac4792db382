"""Gate fusion (numba): a tape of gates → fewer, larger operations, each a dense matrix or a diagonal.

Open blocks hold disjoint qubit sets, so they commute and a gate may join the blocks it touches
whenever the merged block is no more expensive than the parts (cost model: the measured time per
amplitude of each kernel, plus a fixed overhead per operation). Blocks that turn out diagonal become
diagonal operations, which a second sweep merges across commuting neighbours into diagonals of up
to `diag_max` qubits. A `cx · D · cx` sandwich (how controlled phases arrive) is recognised as the
diagonal it is before fusion sees it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from qirrt.executors.local import numba_cache  # noqa: F401  (cache keyed on all kernel sources; before any @njit)
from qirrt.executors.local.abi import OPCODES
from qirrt.executors.local.kernels.bits import gather, offsets
from qirrt.executors.local.kernels.buffers import grow
from qirrt.executors.local.kernels.gate_table import (
    ascending,
    gate_arity,
    gate_matrix,
    is_diagonal_gate,
    reindexed,
)

KIND_DENSE = 0
KIND_DIAG = 1
DENSE_COST = np.array([0.0, 0.6, 1.8, 13.0, 26.0, 52.0, 104.0])
"""Measured cost of the dense kernels by qubit count (vectorised for 1 and 2 qubits, generic above)."""
MAX_QUBITS_PER_OP = 16
_CX = OPCODES["cx"]


@njit(cache=True)
def _embed_apply(mat, size, positions, k, g):
    """Left-multiply the columns of `mat` (size x size) by gate `g` (2**k square) acting on `positions`."""
    kk = 1 << k
    offs = offsets(positions, k)
    mask = 0
    for b in range(k):
        mask |= 1 << positions[b]
    tmp = np.empty(kk, np.complex128)
    for col in range(size):
        for base in range(size):
            if base & mask:
                continue
            for j in range(kk):
                tmp[j] = mat[base | offs[j], col]
            for i in range(kk):
                acc = 0j
                for j in range(kk):
                    acc += g[i, j] * tmp[j]
                mat[base | offs[i], col] = acc


@njit(cache=True)
def _positions(qubits, k, union, u):
    pos = np.empty(k, np.int64)
    for b in range(k):
        for j in range(u):
            if union[j] == qubits[b]:
                pos[b] = j
    return pos


@njit(cache=True)
def _is_diag(mat, size):
    for i in range(size):
        for j in range(size):
            if i != j and mat[i, j] != 0:
                return False
    return True


@njit(cache=True)
def sort_small(a, n):
    """Insertion sort of a[:n] in place (tiny arrays)."""
    for i in range(1, n):
        x = a[i]
        j = i - 1
        while j >= 0 and a[j] > x:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = x


@njit(cache=True)
def _cost(kind, k, overhead):
    """Time per amplitude of one operation (ns on a 2024 x86 core, in cache), plus `overhead`."""
    if kind == KIND_DIAG:
        return 0.9 + 0.02 * k + overhead
    return DENSE_COST[min(k, 6)] + overhead


@njit(cache=True, inline="always")
def _data_size(kind, k):
    """Entries of an operation's data: 2**k for a diagonal, 4**k for a dense matrix."""
    return (1 << k) if kind == KIND_DIAG else (1 << (2 * k))


# -- the work arrays ------------------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _blocks(nq, maxdata):
    """The open blocks: (qubits, k, kind, data, creation stamp, free, block of each qubit)."""
    nslots = nq + 1
    return (np.zeros((nslots, MAX_QUBITS_PER_OP), np.int64), np.zeros(nslots, np.int64), np.zeros(nslots, np.int64),
            np.zeros((nslots, maxdata), np.complex128), np.zeros(nslots, np.int64), np.ones(nslots, np.bool_),
            -np.ones(nq, np.int64))


@njit(cache=True, inline="always")
def _outputs(cap):
    """The emitted operations: (kind, k, qubits, offset, data)."""
    return (np.zeros(cap, np.int64), np.zeros(cap, np.int64), np.zeros((cap, MAX_QUBITS_PER_OP), np.int64),
            np.zeros(cap, np.int64), np.empty(max(16, 4 * cap), np.complex128))


@njit(cache=True, inline="always")
def _emit(kind, k, qubits, data, out, n_out, n_data):
    """Append one operation; returns the (possibly regrown) outputs, n_out and n_data."""
    out_kind, out_k, out_q, out_off, out_data = out
    size = _data_size(kind, k)
    out_data = grow(out_data, n_data + size)
    out_kind[n_out] = kind
    out_k[n_out] = k
    for b in range(k):
        out_q[n_out, b] = qubits[b]
    out_off[n_out] = n_data
    for i in range(size):
        out_data[n_data + i] = data[i]
    return (out_kind, out_k, out_q, out_off, out_data), n_out + 1, n_data + size


@njit(cache=True, inline="always")
def _close(slot, blocks, out, n_out, n_data):
    """Emit block `slot` and free it."""
    blk_q, blk_k, blk_kind, blk_data, _, free, qblock = blocks
    out, n_out, n_data = _emit(blk_kind[slot], blk_k[slot], blk_q[slot], blk_data[slot], out, n_out, n_data)
    free[slot] = True
    for b in range(blk_k[slot]):
        qblock[blk_q[slot, b]] = -1
    return out, n_out, n_data


@njit(cache=True, inline="always")
def _take_slot(blocks, qubits, k, kind, stamp):
    """Claim a free block for the sorted `qubits`; returns its slot."""
    blk_q, blk_k, blk_kind, _, blk_order, free, qblock = blocks
    slot = 0
    while not free[slot]:
        slot += 1
    free[slot] = False
    blk_k[slot] = k
    blk_kind[slot] = kind
    blk_order[slot] = stamp
    for b in range(k):
        blk_q[slot, b] = qubits[b]
        qblock[qubits[b]] = slot
    return slot


# -- one gate -----------------------------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _cx_diag_cx(tape_ops, tape_ang, row, start, stop, consumed, g):
    """Whether cx(a, t) at `row` opens cx(a, t) · D(t) · cx(a, t); if so `g` becomes that diagonal, both consumed."""
    a = tape_ops[row, 1]
    t = tape_ops[row, 2]
    first = -1
    for r2 in range(row + 1, stop):
        if consumed[r2 - start]:
            continue
        o2 = tape_ops[r2, 0]
        hits = False
        for b in range(gate_arity(o2)):
            hits = hits or tape_ops[r2, 1 + b] == a or tape_ops[r2, 1 + b] == t
        if not hits:
            continue
        if first < 0 and gate_arity(o2) == 1 and tape_ops[r2, 1] == t and is_diagonal_gate(o2):
            first = r2
            continue
        if first < 0 or o2 != _CX or tape_ops[r2, 1] != a or tape_ops[r2, 2] != t:
            return False
        d = np.zeros((2, 2), np.complex128)
        gate_matrix(tape_ops[first, 0], tape_ang[first], d)
        for i in range(4):
            for j in range(4):
                g[i, j] = 0.0
        g[0, 0] = d[0, 0]
        g[1, 1] = d[1, 1]  # a = 1, t = 0: X D X on t
        g[2, 2] = d[1, 1]
        g[3, 3] = d[0, 0]
        consumed[first - start] = True
        consumed[r2 - start] = True
        return True
    return False


@njit(cache=True, inline="always")
def _touching(qblock, gq, k, touching):
    """The distinct open blocks holding any of the gate's qubits, into `touching`; returns how many."""
    nt = 0
    for b in range(k):
        blk = qblock[gq[b]]
        seen = blk < 0
        for j in range(nt):
            seen = seen or touching[j] == blk
        if not seen:
            touching[nt] = blk
            nt += 1
    return nt


@njit(cache=True, inline="always")
def _union(blocks, touching, nt, gq, k, union):
    """The sorted qubits of the touching blocks and the gate, into `union`; returns how many."""
    blk_q, blk_k, _, _, _, _, qblock = blocks
    u = 0
    for j in range(nt):
        blk = touching[j]
        for b in range(blk_k[blk]):
            union[u] = blk_q[blk, b]
            u += 1
    for b in range(k):
        if qblock[gq[b]] < 0:
            union[u] = gq[b]
            u += 1
    sort_small(union, u)
    return u


@njit(cache=True, inline="always")
def _diag_product(blocks, touching, nt, union, u, gq, k, g, diag):
    """diag[:2**u] = the product of the touching diagonal blocks and the diagonal gate."""
    blk_q, blk_k, _, blk_data, _, _, _ = blocks
    size = 1 << u
    for i in range(size):
        diag[i] = 1.0
    for j in range(nt):
        blk = touching[j]
        pos = _positions(blk_q[blk], blk_k[blk], union, u)
        for i in range(size):
            diag[i] *= blk_data[blk, gather(i, pos, blk_k[blk])]
    pos = _positions(gq, k, union, u)
    for i in range(size):
        idx = gather(i, pos, k)
        diag[i] *= g[idx, idx]


@njit(cache=True, inline="always")
def _block_matrix(blocks, blk):
    """Block `blk` as a dense 2**k square."""
    _, blk_k, blk_kind, blk_data, _, _, _ = blocks
    bsize = 1 << blk_k[blk]
    bm = np.zeros((bsize, bsize), np.complex128)
    for i in range(bsize):
        if blk_kind[blk] == KIND_DIAG:
            bm[i, i] = blk_data[blk, i]
            continue
        for j in range(bsize):
            bm[i, j] = blk_data[blk, i * bsize + j]
    return bm


@njit(cache=True, inline="always")
def _dense_product(blocks, touching, nt, union, u, gq, k, g, mat, diag):
    """mat[:2**u, :2**u] = the gate after the touching blocks; returns its kind (diagonal: also into `diag`)."""
    blk_q, blk_k, _, _, _, _, _ = blocks
    size = 1 << u
    for i in range(size):
        for j in range(size):
            mat[i, j] = 1.0 if i == j else 0.0
    for j in range(nt):
        blk = touching[j]
        _embed_apply(mat, size, _positions(blk_q[blk], blk_k[blk], union, u), blk_k[blk], _block_matrix(blocks, blk))
    _embed_apply(mat, size, _positions(gq, k, union, u), k, g)
    if not _is_diag(mat, size):
        return KIND_DENSE
    for i in range(size):
        diag[i] = mat[i, i]
    return KIND_DIAG


@njit(cache=True, inline="always")
def _try_merge(blocks, touching, nt, union, u, gq, k, g, gdiag, mat, diag, fuse_max, diag_max, overhead):
    """Whether the gate and its touching blocks merge at no extra cost, and the merged kind (in `mat`/`diag`)."""
    blk_k, blk_kind = blocks[1], blocks[2]
    all_diag = gdiag
    old_cost = _cost(KIND_DIAG if gdiag else KIND_DENSE, k, overhead)
    for j in range(nt):
        all_diag = all_diag and blk_kind[touching[j]] == KIND_DIAG
        old_cost += _cost(blk_kind[touching[j]], blk_k[touching[j]], overhead)
    if u > (diag_max if all_diag else fuse_max):
        return False, KIND_DENSE
    if all_diag:
        _diag_product(blocks, touching, nt, union, u, gq, k, g, diag)
        return True, KIND_DIAG
    kind = _dense_product(blocks, touching, nt, union, u, gq, k, g, mat, diag)
    return nt == 0 or _cost(kind, u, overhead) <= old_cost + 1e-9, kind


@njit(cache=True, inline="always")
def _store(blocks, slot, kind, u, mat, diag):
    """Write the merged `diag` or `mat` into block `slot`."""
    blk_data = blocks[3]
    size = 1 << u
    for i in range(size):
        if kind == KIND_DIAG:
            blk_data[slot, i] = diag[i]
            continue
        for j in range(size):
            blk_data[slot, i * size + j] = mat[i, j]


@njit(cache=True, inline="always")
def _open(blocks, gq, k, g, gdiag, stamp):
    """Start a block for the gate alone, its matrix re-indexed to ascending qubit order."""
    order = np.empty(k, np.int64)
    sorted_q = np.empty(k, np.int64)
    ascending(gq, k, order, sorted_q)
    slot = _take_slot(blocks, sorted_q, k, KIND_DIAG if gdiag else KIND_DENSE, stamp)
    reindexed(g, order, k, gdiag, blocks[3][slot])


@njit(cache=True, inline="always")
def _close_all(blocks, out, n_out, n_data):
    """Emit every open block, oldest first."""
    blk_order, free = blocks[4], blocks[5]
    while True:
        best = -1
        for s in range(free.size):
            if not free[s] and (best < 0 or blk_order[s] < blk_order[best]):
                best = s
        if best < 0:
            return out, n_out, n_data
        out, n_out, n_data = _close(best, blocks, out, n_out, n_data)


@njit(cache=True)
def fuse(tape_ops, tape_ang, start, stop, nq, fuse_max, diag_max, overhead):
    """Fuse tape rows [start, stop) into operations.

    Returns (kind[n], k[n], qubits[n, MAX_QUBITS_PER_OP] sorted ascending, offset[n], data); a dense
    operation's data is its 2**k x 2**k matrix (row-major, bit b of an index = its b-th qubit), a
    diagonal's data its 2**k diagonal.
    """
    fuse_max = max(1, min(fuse_max, 6, nq))
    diag_max = max(1, min(max(diag_max, fuse_max, 2), 12, nq))
    dense_size = 1 << max(fuse_max, min(3, nq))  # a lone gate may be larger than fuse_max
    blocks = _blocks(nq, max(dense_size * dense_size, 1 << diag_max))
    out = _outputs(stop - start + 1)
    n_out = 0
    n_data = 0
    g = np.zeros((8, 8), np.complex128)
    gq = np.zeros(3, np.int64)
    mat = np.zeros((dense_size, dense_size), np.complex128)
    diag = np.zeros(1 << diag_max, np.complex128)
    union = np.zeros(MAX_QUBITS_PER_OP + 3, np.int64)
    touching = np.zeros(3, np.int64)
    consumed = np.zeros(stop - start, np.bool_)
    stamp = 0
    for row in range(start, stop):
        if consumed[row - start]:
            continue
        op = tape_ops[row, 0]
        k = gate_arity(op)
        for b in range(k):
            gq[b] = tape_ops[row, 1 + b]
        gate_matrix(op, tape_ang[row], g)
        # cx(a, b) · D(b) · cx(a, b) is diagonal: recognise it before fusion splits it up.
        gdiag = is_diagonal_gate(op) or (op == _CX and _cx_diag_cx(tape_ops, tape_ang, row, start, stop, consumed, g))
        nt = _touching(blocks[6], gq, k, touching)
        u = _union(blocks, touching, nt, gq, k, union)
        merged, kind = _try_merge(blocks, touching, nt, union, u, gq, k, g, gdiag, mat, diag, fuse_max, diag_max,
                                  overhead)
        stamp += 1
        if merged:
            for j in range(nt):
                blocks[5][touching[j]] = True
                for b in range(blocks[1][touching[j]]):
                    blocks[6][blocks[0][touching[j], b]] = -1
            _store(blocks, _take_slot(blocks, union, u, kind, stamp), kind, u, mat, diag)
            continue
        for j in range(nt):  # close the touching blocks (disjoint, so in any order), then open one for the gate
            out, n_out, n_data = _close(touching[j], blocks, out, n_out, n_data)
        _open(blocks, gq, k, g, gdiag, stamp)
    out, n_out, n_data = _close_all(blocks, out, n_out, n_data)
    out_kind, out_k, out_q, out_off, out_data = out
    return _merge_diagonals(out_kind[:n_out], out_k[:n_out], out_q[:n_out], out_off[:n_out], out_data, nq, diag_max)


# -- diagonals across commuting neighbours ---------------------------------------------------------------
@njit(cache=True, inline="always")
def _diag_union(group_qubits, gk, qs_i, k, group_q, add):
    """The sorted union of the group's qubits and operation i's (`add` of them new)."""
    union = np.empty(gk + add, np.int64)
    for b in range(gk):
        union[b] = group_qubits[b]
    u = gk
    for b in range(k):
        if not group_q[qs_i[b]]:
            union[u] = qs_i[b]
            u += 1
    sort_small(union, u)
    return union


@njit(cache=True, inline="always")
def _accumulate_diag(pool, used, union, gsrc, goff, gq, gk, data, off_i, qs_i, k):
    """pool[used:used + 2**u] = the group's diagonal times operation i's, over the union's qubits."""
    u = union.size
    gpos = _positions(gq, gk, union, u)
    ipos = _positions(qs_i, k, union, u)
    for x in range(1 << u):
        pool[used + x] = gsrc[goff + gather(x, gpos, gk)] * data[off_i + gather(x, ipos, k)]


@njit(cache=True, inline="always")
def _joinable(qs_i, k, blocked, group_q):
    """How many new qubits operation i adds to the group, or -1 if a blocked qubit keeps it out."""
    add = 0
    for b in range(k):
        if blocked[qs_i[b]]:
            return -1
        add += 0 if group_q[qs_i[b]] else 1
    return add


@njit(cache=True, inline="always")
def _compact(kind, new_k, new_q, new_off, keep, data, pool):
    """The kept operations, their data packed into one array (pool data where the offset is negative)."""
    n = kind.size
    m = 0
    total = 0
    for i in range(n):
        if keep[i]:
            m += 1
            total += _data_size(kind[i], new_k[i])
    o_kind, o_k, o_q, o_off, o_data = _outputs(m)
    o_data = np.empty(max(total, 1), np.complex128)
    j = 0
    pos = 0
    for i in range(n):
        if not keep[i]:
            continue
        size = _data_size(kind[i], new_k[i])
        src = data if new_off[i] >= 0 else pool
        start = new_off[i] if new_off[i] >= 0 else -new_off[i] - 1
        for x in range(size):
            o_data[pos + x] = src[start + x]
        o_kind[j] = kind[i]
        o_k[j] = new_k[i]
        o_q[j] = new_q[i]
        o_off[j] = pos
        pos += size
        j += 1
    return o_kind, o_k, o_q, o_off, o_data


@njit(cache=True)
def _merge_diagonals(kind, ks, qs, off, data, nq, diag_max):
    """Merge each diagonal into the latest earlier diagonal it commutes back to (≤ diag_max qubits)."""
    keep = np.ones(kind.size, np.bool_)
    group = -1
    group_q = np.zeros(nq, np.bool_)
    blocked = np.zeros(nq, np.bool_)
    new_off = off.copy()  # negative: -(offset in pool) - 1
    new_k = ks.copy()
    new_q = qs.copy()
    pool = np.empty(16 + 4 * (1 << diag_max), np.complex128)
    used = 0
    for i in range(kind.size):
        k = ks[i]
        add = _joinable(qs[i], k, blocked, group_q) if kind[i] == KIND_DIAG and group >= 0 else -1
        if add >= 0 and new_k[group] + add <= diag_max:
            union = _diag_union(new_q[group], new_k[group], qs[i], k, group_q, add)
            pool = grow(pool, used + (1 << union.size))
            gsrc = data if new_off[group] >= 0 else pool
            goff = new_off[group] if new_off[group] >= 0 else -new_off[group] - 1
            _accumulate_diag(pool, used, union, gsrc, goff, new_q[group], new_k[group], data, off[i], qs[i], k)
            new_off[group] = -(used + 1)
            used += 1 << union.size
            new_k[group] = union.size
            for b in range(union.size):
                new_q[group, b] = union[b]
                group_q[union[b]] = True
            keep[i] = False
        elif kind[i] == KIND_DIAG:
            group = i
            group_q[:] = False
            blocked[:] = False
            for b in range(k):
                group_q[qs[i, b]] = True
        elif group >= 0:
            for b in range(k):
                blocked[qs[i, b]] = True
    return _compact(kind, new_k, new_q, new_off, keep, data, pool)
