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
from qirrt.executors.local.kernels.gate_table import gate_arity, gate_matrix, is_diagonal_gate

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
    offs = np.zeros(kk, np.int64)
    for j in range(kk):
        o = 0
        for b in range(k):
            if (j >> b) & 1:
                o |= 1 << positions[b]
        offs[j] = o
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


@njit(cache=True)
def _emit(kind, k, qubits, data, size, out_kind, out_k, out_q, out_off, out_data, n_out, n_data):
    """Append one operation; returns the grown (out_data, n_out, n_data)."""
    if n_data + size > out_data.size:
        bigger = np.empty(max(2 * out_data.size, n_data + size), np.complex128)
        for i in range(n_data):
            bigger[i] = out_data[i]
        out_data = bigger
    out_kind[n_out] = kind
    out_k[n_out] = k
    for b in range(k):
        out_q[n_out, b] = qubits[b]
    out_off[n_out] = n_data
    for i in range(size):
        out_data[n_data + i] = data[i]
    return out_data, n_out + 1, n_data + size


# Long and deep for now on purpose: a numba kernel, kept in one compiled frame. Splitting it
# waits for @njit(inline="always") helpers measured against benchmarks/local_vs_peers.py.
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
    maxdata = max(dense_size * dense_size, 1 << diag_max)
    nslots = nq + 1
    blk_q = np.zeros((nslots, MAX_QUBITS_PER_OP), np.int64)
    blk_k = np.zeros(nslots, np.int64)
    blk_kind = np.zeros(nslots, np.int64)
    blk_data = np.zeros((nslots, maxdata), np.complex128)
    blk_order = np.zeros(nslots, np.int64)  # creation stamp, so blocks close in a stable order
    free = np.ones(nslots, np.bool_)
    qblock = -np.ones(nq, np.int64)

    n_gates = stop - start
    cap = n_gates + 1
    out_kind = np.zeros(cap, np.int64)
    out_k = np.zeros(cap, np.int64)
    out_q = np.zeros((cap, MAX_QUBITS_PER_OP), np.int64)
    out_off = np.zeros(cap, np.int64)
    out_data = np.empty(max(16, 4 * cap), np.complex128)
    n_out = 0
    n_data = 0

    g = np.zeros((8, 8), np.complex128)
    gq = np.zeros(3, np.int64)
    mat = np.zeros((dense_size, dense_size), np.complex128)
    diag = np.zeros(1 << diag_max, np.complex128)
    union = np.zeros(MAX_QUBITS_PER_OP + 3, np.int64)
    touching = np.zeros(3, np.int64)
    consumed = np.zeros(n_gates, np.bool_)
    stamp = 0

    for row in range(start, stop):
        if consumed[row - start]:
            continue
        op = tape_ops[row, 0]
        k = gate_arity(op)
        for b in range(k):
            gq[b] = tape_ops[row, 1 + b]
        gate_matrix(op, tape_ang[row], g)
        gdiag = is_diagonal_gate(op)

        # cx(a, b) · D(b) · cx(a, b) is diagonal: recognise it before fusion splits it up.
        if op == _CX:
            a = gq[0]
            t = gq[1]
            first = -1
            for r2 in range(row + 1, stop):
                if consumed[r2 - start]:
                    continue
                o2 = tape_ops[r2, 0]
                k2 = gate_arity(o2)
                hits = False
                for b in range(k2):
                    if tape_ops[r2, 1 + b] == a or tape_ops[r2, 1 + b] == t:
                        hits = True
                if not hits:
                    continue
                if first < 0 and k2 == 1 and tape_ops[r2, 1] == t and is_diagonal_gate(o2):
                    first = r2
                    continue
                if first >= 0 and o2 == _CX and tape_ops[r2, 1] == a and tape_ops[r2, 2] == t:
                    d = np.zeros((2, 2), np.complex128)
                    gate_matrix(tape_ops[first, 0], tape_ang[first], d)
                    for i in range(4):
                        for j in range(4):
                            g[i, j] = 0.0
                    g[0, 0] = d[0, 0]
                    g[1, 1] = d[1, 1]  # a = 1, t = 0: X D X on t
                    g[2, 2] = d[1, 1]
                    g[3, 3] = d[0, 0]
                    gdiag = True
                    consumed[first - start] = True
                    consumed[r2 - start] = True
                break

        # blocks this gate touches
        nt = 0
        for b in range(k):
            blk = qblock[gq[b]]
            if blk >= 0:
                seen = False
                for j in range(nt):
                    if touching[j] == blk:
                        seen = True
                if not seen:
                    touching[nt] = blk
                    nt += 1
        # union of qubits, sorted
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
        all_diag = gdiag
        old_cost = _cost(KIND_DIAG if gdiag else KIND_DENSE, k, overhead)
        for j in range(nt):
            blk = touching[j]
            if blk_kind[blk] != KIND_DIAG:
                all_diag = False
            old_cost += _cost(blk_kind[blk], blk_k[blk], overhead)
        limit = diag_max if all_diag else fuse_max
        merged = False
        if u <= limit:
            if all_diag:
                size = 1 << u
                for i in range(size):
                    diag[i] = 1.0
                for j in range(nt):
                    blk = touching[j]
                    bk = blk_k[blk]
                    pos = _positions(blk_q[blk], bk, union, u)
                    for i in range(size):
                        idx = 0
                        for b in range(bk):
                            idx |= ((i >> pos[b]) & 1) << b
                        diag[i] *= blk_data[blk, idx]
                pos = _positions(gq, k, union, u)
                for i in range(size):
                    idx = 0
                    for b in range(k):
                        idx |= ((i >> pos[b]) & 1) << b
                    diag[i] *= g[idx, idx]
                new_kind = KIND_DIAG
                merged = True
            else:
                size = 1 << u
                for i in range(size):
                    for j in range(size):
                        mat[i, j] = 1.0 if i == j else 0.0
                for j in range(nt):
                    blk = touching[j]
                    bk = blk_k[blk]
                    pos = _positions(blk_q[blk], bk, union, u)
                    bsize = 1 << bk
                    if blk_kind[blk] == KIND_DIAG:
                        bm = np.zeros((bsize, bsize), np.complex128)
                        for i in range(bsize):
                            bm[i, i] = blk_data[blk, i]
                    else:
                        bm = np.empty((bsize, bsize), np.complex128)
                        for i in range(bsize):
                            for j2 in range(bsize):
                                bm[i, j2] = blk_data[blk, i * bsize + j2]
                    _embed_apply(mat, size, pos, bk, bm)
                pos = _positions(gq, k, union, u)
                _embed_apply(mat, size, pos, k, g)
                if _is_diag(mat, size):
                    new_kind = KIND_DIAG
                    for i in range(size):
                        diag[i] = mat[i, i]
                else:
                    new_kind = KIND_DENSE
                merged = nt == 0 or _cost(new_kind, u, overhead) <= old_cost + 1e-9
        if merged:
            for j in range(nt):
                blk = touching[j]
                free[blk] = True
                for b in range(blk_k[blk]):
                    qblock[blk_q[blk, b]] = -1
            slot = 0
            while not free[slot]:
                slot += 1
            free[slot] = False
            blk_k[slot] = u
            blk_kind[slot] = new_kind
            for b in range(u):
                blk_q[slot, b] = union[b]
                qblock[union[b]] = slot
            size = 1 << u
            if new_kind == KIND_DIAG:
                for i in range(size):
                    blk_data[slot, i] = diag[i]
            else:
                for i in range(size):
                    for j in range(size):
                        blk_data[slot, i * size + j] = mat[i, j]
            stamp += 1
            blk_order[slot] = stamp
            continue
        # close the touching blocks (disjoint, so in any order), then open one for the gate alone
        for j in range(nt):
            blk = touching[j]
            bk = blk_k[blk]
            size = (1 << bk) if blk_kind[blk] == KIND_DIAG else (1 << (2 * bk))
            out_data, n_out, n_data = _emit(blk_kind[blk], bk, blk_q[blk], blk_data[blk], size, out_kind,
                                            out_k, out_q, out_off, out_data, n_out, n_data)
            free[blk] = True
            for b in range(bk):
                qblock[blk_q[blk, b]] = -1
        order = np.empty(k, np.int64)
        for b in range(k):
            rank = 0
            for c in range(k):
                if gq[c] < gq[b]:
                    rank += 1
            order[rank] = b
        slot = 0
        while not free[slot]:
            slot += 1
        free[slot] = False
        blk_k[slot] = k
        for b in range(k):
            blk_q[slot, b] = gq[order[b]]
            qblock[gq[b]] = slot
        size = 1 << k
        # re-index the gate matrix to ascending qubit order
        perm_index = np.empty(size, np.int64)
        for i in range(size):
            idx = 0
            for b in range(k):
                idx |= ((i >> b) & 1) << order[b]
            perm_index[i] = idx  # sorted-order index i → gate-order index
        if gdiag:
            blk_kind[slot] = KIND_DIAG
            for i in range(size):
                blk_data[slot, i] = g[perm_index[i], perm_index[i]]
        else:
            blk_kind[slot] = KIND_DENSE
            for i in range(size):
                for j in range(size):
                    blk_data[slot, i * size + j] = g[perm_index[i], perm_index[j]]
        stamp += 1
        blk_order[slot] = stamp

    # close what is still open, oldest first
    while True:
        best = -1
        for s in range(nslots):
            if not free[s] and (best < 0 or blk_order[s] < blk_order[best]):
                best = s
        if best < 0:
            break
        bk = blk_k[best]
        size = (1 << bk) if blk_kind[best] == KIND_DIAG else (1 << (2 * bk))
        out_data, n_out, n_data = _emit(blk_kind[best], bk, blk_q[best], blk_data[best], size, out_kind,
                                        out_k, out_q, out_off, out_data, n_out, n_data)
        free[best] = True
    return _merge_diagonals(out_kind[:n_out], out_k[:n_out], out_q[:n_out], out_off[:n_out], out_data,
                            nq, diag_max)


# Long and deep for now on purpose: a numba kernel, kept in one compiled frame. Splitting it
# waits for @njit(inline="always") helpers measured against benchmarks/local_vs_peers.py.
@njit(cache=True)
def _merge_diagonals(kind, ks, qs, off, data, nq, diag_max):
    """Merge each diagonal into the latest earlier diagonal it commutes back to (≤ diag_max qubits)."""
    n = kind.size
    keep = np.ones(n, np.bool_)
    group = -1
    group_q = np.zeros(nq, np.bool_)
    group_n = 0
    blocked = np.zeros(nq, np.bool_)
    new_off = off.copy()
    new_k = ks.copy()
    new_q = qs.copy()
    pool = np.empty(16 + 4 * (1 << diag_max), np.complex128)
    used = 0
    for i in range(n):
        k = ks[i]
        if kind[i] == KIND_DIAG and group >= 0:
            ok = True
            add = 0
            for b in range(k):
                q = qs[i, b]
                if blocked[q]:
                    ok = False
                if not group_q[q]:
                    add += 1
            if ok and group_n + add <= diag_max:
                # union of qubits, sorted
                gk = new_k[group]
                union = np.empty(gk + add, np.int64)
                u = 0
                for b in range(gk):
                    union[u] = new_q[group, b]
                    u += 1
                for b in range(k):
                    if not group_q[qs[i, b]]:
                        union[u] = qs[i, b]
                        u += 1
                sort_small(union, u)
                size = 1 << u
                if used + size > pool.size:
                    bigger = np.empty(2 * pool.size + size, np.complex128)
                    for x in range(used):
                        bigger[x] = pool[x]
                    pool = bigger
                gpos = np.empty(gk, np.int64)
                for b in range(gk):
                    for j in range(u):
                        if union[j] == new_q[group, b]:
                            gpos[b] = j
                ipos = np.empty(k, np.int64)
                for b in range(k):
                    for j in range(u):
                        if union[j] == qs[i, b]:
                            ipos[b] = j
                gsrc = data if new_off[group] >= 0 else pool
                goff = new_off[group] if new_off[group] >= 0 else -new_off[group] - 1
                for x in range(size):
                    a = 0
                    for b in range(gk):
                        a |= ((x >> gpos[b]) & 1) << b
                    c = 0
                    for b in range(k):
                        c |= ((x >> ipos[b]) & 1) << b
                    pool[used + x] = gsrc[goff + a] * data[off[i] + c]
                new_off[group] = -(used + 1)
                used += size
                new_k[group] = u
                for b in range(u):
                    new_q[group, b] = union[b]
                    group_q[union[b]] = True
                group_n = u
                keep[i] = False
                continue
        if kind[i] == KIND_DIAG:
            group = i
            for q in range(nq):
                group_q[q] = False
                blocked[q] = False
            for b in range(k):
                group_q[qs[i, b]] = True
            group_n = k
        elif group >= 0:
            for b in range(k):
                blocked[qs[i, b]] = True
    # compact into one data array
    m = 0
    total = 0
    for i in range(n):
        if keep[i]:
            m += 1
            total += (1 << new_k[i]) if kind[i] == KIND_DIAG else (1 << (2 * new_k[i]))
    o_kind = np.empty(m, np.int64)
    o_k = np.empty(m, np.int64)
    o_q = np.zeros((m, MAX_QUBITS_PER_OP), np.int64)
    o_off = np.empty(m, np.int64)
    o_data = np.empty(max(total, 1), np.complex128)
    j = 0
    pos = 0
    for i in range(n):
        if not keep[i]:
            continue
        size = (1 << new_k[i]) if kind[i] == KIND_DIAG else (1 << (2 * new_k[i]))
        if new_off[i] >= 0:
            for x in range(size):
                o_data[pos + x] = data[new_off[i] + x]
        else:
            src = -new_off[i] - 1
            for x in range(size):
                o_data[pos + x] = pool[src + x]
        o_kind[j] = kind[i]
        o_k[j] = new_k[i]
        for b in range(MAX_QUBITS_PER_OP):
            o_q[j, b] = new_q[i, b]
        o_off[j] = pos
        pos += size
        j += 1
    return o_kind, o_k, o_q, o_off, o_data
