"""State-vector kernels (numba): fused operations, cache-blocked passes, measurement and sampling.

Amplitude index bit q is qubit q. Registers of up to `block_qubits` qubits are updated in place, one
operation after the other. Larger ones go through passes: a pass gathers, for every setting of the
qubits outside a set S (the low qubits plus the ones its operations touch), the 2**|S| amplitudes
into a cache-resident buffer, applies all of its operations there and scatters them back, so a
pass costs one sweep over memory however many operations it holds. Passes run their groups on all
threads. Every kernel is generic over complex128 and complex64 states.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from qirrt.executors.local import numba_cache  # noqa: F401  (cache keyed on all kernel sources; before any @njit)
from qirrt.executors.local.kernels.bits import offsets, spread
from qirrt.executors.local.kernels.fusion import KIND_DIAG, MAX_QUBITS_PER_OP

LOW_QUBITS = 4  # qubits always inside a pass, so gathers copy runs of 16 amplitudes


SIMD_POSITION = 5
"""From this bit position up, a kernel's inner loop runs over separate contiguous slices, which
LLVM vectorises (it cannot prove the strided accesses of one array independent)."""


@njit(cache=True, fastmath=True)
def _run1(x0, x1, m00, m01, m10, m11):
    for i in range(x0.size):
        a0 = x0[i]
        a1 = x1[i]
        x0[i] = m00 * a0 + m01 * a1
        x1[i] = m10 * a0 + m11 * a1


@njit(cache=True, fastmath=True)
def _apply1(v, p, m00, m01, m10, m11):
    n = v.size
    s = 1 << p
    if p >= SIMD_POSITION:
        for a in range(0, n, 2 * s):
            _run1(v[a:a + s], v[a + s:a + 2 * s], m00, m01, m10, m11)
        return
    for a in range(0, n, 2 * s):
        for i in range(a, a + s):
            x0 = v[i]
            x1 = v[i + s]
            v[i] = m00 * x0 + m01 * x1
            v[i + s] = m10 * x0 + m11 * x1


@njit(cache=True, fastmath=True)
def _run2(x0, x1, x2, x3, m00, m01, m02, m03, m10, m11, m12, m13, m20, m21, m22, m23, m30, m31, m32, m33):
    for i in range(x0.size):
        a0 = x0[i]
        a1 = x1[i]
        a2 = x2[i]
        a3 = x3[i]
        x0[i] = m00 * a0 + m01 * a1 + m02 * a2 + m03 * a3
        x1[i] = m10 * a0 + m11 * a1 + m12 * a2 + m13 * a3
        x2[i] = m20 * a0 + m21 * a1 + m22 * a2 + m23 * a3
        x3[i] = m30 * a0 + m31 * a1 + m32 * a2 + m33 * a3


@njit(cache=True, fastmath=True)
def _apply2(v, p0, p1, m, o):
    n = v.size
    s0 = 1 << p0
    s1 = 1 << p1
    m00, m01, m02, m03 = m[o], m[o + 1], m[o + 2], m[o + 3]
    m10, m11, m12, m13 = m[o + 4], m[o + 5], m[o + 6], m[o + 7]
    m20, m21, m22, m23 = m[o + 8], m[o + 9], m[o + 10], m[o + 11]
    m30, m31, m32, m33 = m[o + 12], m[o + 13], m[o + 14], m[o + 15]
    if p0 >= SIMD_POSITION:
        for a in range(0, n, 2 * s1):
            for b in range(a, a + s1, 2 * s0):
                _run2(v[b:b + s0], v[b + s0:b + 2 * s0], v[b + s1:b + s1 + s0], v[b + s1 + s0:b + s1 + 2 * s0],
                      m00, m01, m02, m03, m10, m11, m12, m13, m20, m21, m22, m23, m30, m31, m32, m33)
        return
    for a in range(0, n, 2 * s1):
        for b in range(a, a + s1, 2 * s0):
            for i in range(b, b + s0):
                x0 = v[i]
                x1 = v[i + s0]
                x2 = v[i + s1]
                x3 = v[i + s0 + s1]
                v[i] = m00 * x0 + m01 * x1 + m02 * x2 + m03 * x3
                v[i + s0] = m10 * x0 + m11 * x1 + m12 * x2 + m13 * x3
                v[i + s1] = m20 * x0 + m21 * x1 + m22 * x2 + m23 * x3
                v[i + s0 + s1] = m30 * x0 + m31 * x1 + m32 * x2 + m33 * x3


@njit(cache=True, fastmath=True)
def _apply_dense(v, pos, k, m, o):
    size = 1 << k
    offs = offsets(pos, k)
    tmp = np.empty(size, v.dtype)
    groups = v.size >> k
    for g in range(groups):
        base = g
        for b in range(k):
            q = pos[b]
            base = ((base >> q) << (q + 1)) | (base & ((1 << q) - 1))
        for j in range(size):
            tmp[j] = v[base + offs[j]]
        for i in range(size):
            row = o + i * size
            acc = m[row] * tmp[0]
            for j in range(1, size):
                acc += m[row + j] * tmp[j]
            v[base + offs[i]] = acc


@njit(cache=True, fastmath=True)
def _scale(x, factor):
    for i in range(x.size):
        x[i] *= factor


@njit(cache=True, fastmath=True)
def _mul(x, factors):
    for i in range(x.size):
        x[i] *= factors[i]


@njit(cache=True, fastmath=True)
def _apply_diag(v, pos, k, d, o):
    """Multiply by a diagonal over bits `pos` of the index; the entries start at d[o].

    A negative position stands for a bit that is constant over `v` and already folded into `o`
    (a diagonal that reaches outside a pass's buffer).
    """
    n = v.size
    if k == 1 and pos[0] >= SIMD_POSITION:
        s = 1 << pos[0]
        for a in range(0, n, 2 * s):
            _scale(v[a:a + s], d[o])
            _scale(v[a + s:a + 2 * s], d[o + 1])
        return
    if k == 1 and pos[0] >= 0:
        s = 1 << pos[0]
        d0 = d[o]
        d1 = d[o + 1]
        for a in range(0, n, 2 * s):
            for i in range(a, a + s):
                v[i] *= d0
                v[i + s] *= d1
        return
    # bits below position 6 index a 64-entry table; the others are read once per 64 amplitudes
    low_table = np.zeros(64, np.int64)
    for x in range(64):
        idx = 0
        for b in range(k):
            if 0 <= pos[b] < 6:
                idx |= ((x >> pos[b]) & 1) << b
        low_table[x] = idx
    if n < 64:
        for i in range(n):
            v[i] *= d[o + low_table[i]]
        return
    dv = np.empty(64, v.dtype)
    last = -1
    for hi in range(0, n, 64):
        hidx = 0
        for b in range(k):
            if pos[b] >= 6:
                hidx |= ((hi >> pos[b]) & 1) << b
        hidx += o  # the low table's bits never overlap the high ones
        if hidx != last:  # consecutive blocks often share their high bits
            for x in range(64):
                dv[x] = d[hidx + low_table[x]]
            last = hidx
        _mul(v[hi:hi + 64], dv)


@njit(cache=True, fastmath=True)
def apply_op(v, kind, k, pos, data, off):
    """One fused operation on `v` at local bit positions `pos` (ascending)."""
    if kind == KIND_DIAG:
        _apply_diag(v, pos, k, data, off)
    elif k == 1:
        _apply1(v, pos[0], data[off], data[off + 1], data[off + 2], data[off + 3])
    elif k == 2:
        _apply2(v, pos[0], pos[1], data, off)
    else:
        _apply_dense(v, pos, k, data, off)


@njit(cache=True)
def plan_passes(nq, kinds, ks, qs, block_qubits):
    """Group operations into passes; returns (pass_of_op order, pass starts, pass qubit masks).

    Greedy: a pass takes, in order, every operation that fits in its qubit budget and does not
    depend on an operation left for a later pass (one that touches a qubit already skipped).
    Diagonals fit every pass: bits outside the pass are constant within each group.
    """
    n = kinds.size
    low = min(LOW_QUBITS, nq)
    order = np.empty(n, np.int64)
    starts = np.zeros(n + 1, np.int64)
    masks = np.zeros(n + 1, np.int64)
    remaining = np.arange(n)
    n_remaining = n
    n_order = 0
    n_pass = 0
    base_mask = (1 << low) - 1
    while n_remaining > 0:
        mask = base_mask
        blocked = 0
        rest = np.empty(n_remaining, np.int64)
        n_rest = 0
        starts[n_pass] = n_order
        first = True
        for idx in range(n_remaining):
            i = remaining[idx]
            qm = 0
            for b in range(ks[i]):
                qm |= 1 << qs[i, b]
            if qm & blocked:
                rest[n_rest] = i
                n_rest += 1
                blocked |= qm
                continue
            if kinds[i] == KIND_DIAG:  # applied per group: its outside bits are constant there
                order[n_order] = i
                n_order += 1
                continue
            merged = mask | qm
            if first or _popcount(merged) <= block_qubits:
                mask = merged
                order[n_order] = i
                n_order += 1
                first = False
            else:
                rest[n_rest] = i
                n_rest += 1
                blocked |= qm
        masks[n_pass] = mask
        n_pass += 1
        remaining = rest[:n_rest]
        n_remaining = n_rest
    starts[n_pass] = n_order
    return order, starts[:n_pass + 1], masks[:n_pass]


@njit(cache=True)
def _popcount(x):
    c = 0
    while x:
        x &= x - 1
        c += 1
    return c


@njit(cache=True, inline="always")
def _pass_layout(nq, mask):
    """How a pass over the qubits in `mask` cuts the register: (run, hi_pos, comp).

    Blocks gather the mask's qubits: its lowest `low` bits stay contiguous runs of `run` = 2**low
    amplitudes, its higher qubits `hi_pos` select the runs, the qubits outside it (`comp`) name the block.
    """
    s = _popcount(mask)
    low = 0
    while low < nq and (mask >> low) & 1:
        low += 1
    hi_pos = np.empty(s - low, np.int64)
    comp = np.empty(nq - s, np.int64)
    h = 0
    for q in range(low, nq):
        if (mask >> q) & 1:
            hi_pos[h] = q
            h += 1
        else:
            comp[q - low - h] = q
    return 1 << low, hi_pos, comp


@njit(cache=True, inline="always")
def _local_positions(mask, ops, ks, qs):
    """Each op's qubit positions inside a block (-1: outside the mask), and whether it has any outside."""
    lpos = np.zeros((ops.size, MAX_QUBITS_PER_OP), np.int64)
    outside = np.zeros(ops.size, np.bool_)
    for j in range(ops.size):
        i = ops[j]
        for b in range(ks[i]):
            inside = (mask >> qs[i, b]) & 1
            lpos[j, b] = _popcount(mask & ((1 << qs[i, b]) - 1)) if inside else -1
            outside[j] = outside[j] or not inside
    return lpos, outside


@njit(cache=True, inline="always")
def _copy_runs(src, src_offs, dst, dst_offs, run):
    """dst[dst_offs[x] + r] = src[src_offs[x] + r] for every run x and r < run."""
    for x in range(src_offs.size):
        for r in range(run):
            dst[dst_offs[x] + r] = src[src_offs[x] + r]


@njit(cache=True, inline="always")
def _apply_block(buf, base, ops, kinds, ks, qs, offs, data, lpos, outside):
    """The pass's ops on one gathered block; an op's qubits outside the block select its data slice."""
    for j in range(ops.size):
        i = ops[j]
        off = offs[i]
        for b in range(ks[i] if outside[j] else 0):
            if lpos[j, b] < 0:
                off += ((base >> qs[i, b]) & 1) << b
        apply_op(buf, kinds[i], ks[i], lpos[j], data, off)


@njit(cache=True, fastmath=True, parallel=True)
def _run_pass(state, nq, mask, ops, kinds, ks, qs, offs, data):
    run, hi_pos, comp = _pass_layout(nq, mask)
    hoff = offsets(hi_pos, hi_pos.size)
    boff = np.arange(hoff.size) * run
    lpos, outside = _local_positions(mask, ops, ks, qs)
    groups = 1 << comp.size
    nchunks = min(groups, 256)
    for chunk in prange(nchunks):
        buf = np.empty(hoff.size * run, state.dtype)
        soff = np.empty(hoff.size, np.int64)
        for g in range(chunk * groups // nchunks, (chunk + 1) * groups // nchunks):
            base = spread(g, comp, comp.size)
            for x in range(hoff.size):
                soff[x] = base + hoff[x]
            _copy_runs(state, soff, buf, boff, run)
            _apply_block(buf, base, ops, kinds, ks, qs, offs, data, lpos, outside)
            _copy_runs(buf, boff, state, soff, run)


@njit(cache=True, fastmath=True)
def apply_ops(state, nq, kinds, ks, qs, offs, data128, block_qubits):
    """Apply fused operations in order; returns the number of passes over memory."""
    n = kinds.size
    if n == 0:
        return 0
    data = data128.astype(state.dtype)
    if nq <= block_qubits:
        pos = np.zeros(MAX_QUBITS_PER_OP, np.int64)
        for i in range(n):
            for b in range(ks[i]):
                pos[b] = qs[i, b]
            apply_op(state, kinds[i], ks[i], pos, data, offs[i])
        return 1
    order, starts, masks = plan_passes(nq, kinds, ks, qs, block_qubits)
    for p in range(masks.size):
        _run_pass(state, nq, masks[p], order[starts[p]:starts[p + 1]], kinds, ks, qs, offs, data)
    return masks.size


# -- measurement ---------------------------------------------------------------------------------------
@njit(cache=True, fastmath=True, parallel=True)
def _prob_one_parallel(state, q):
    half = state.size >> 1
    total = 0.0
    for j in prange(half):
        i = ((j >> q) << (q + 1)) | (j & ((1 << q) - 1)) | (1 << q)
        a = state[i]
        total += a.real * a.real + a.imag * a.imag
    return total


@njit(cache=True, fastmath=True)
def prob_one(state, q, par_qubits):
    """P(qubit q = 1), relative to the state's norm."""
    if state.size >= (1 << par_qubits):
        p1 = _prob_one_parallel(state, q)
        return p1 / _norm2_parallel(state)
    s = 1 << q
    p1 = 0.0
    total = 0.0
    for a in range(0, state.size, 2 * s):
        for i in range(a, a + s):
            x = state[i]
            y = state[i + s]
            total += x.real * x.real + x.imag * x.imag
            p1 += y.real * y.real + y.imag * y.imag
    total += p1
    return p1 / total if total > 0 else 0.0


@njit(cache=True, fastmath=True, parallel=True)
def _norm2_parallel(state):
    total = 0.0
    for i in prange(state.size):
        a = state[i]
        total += a.real * a.real + a.imag * a.imag
    return total


@njit(cache=True, fastmath=True, parallel=True)
def _collapse_parallel(state, q, outcome, scale):
    for i in prange(state.size):
        if ((i >> q) & 1) == outcome:
            state[i] *= scale
        else:
            state[i] = 0


@njit(cache=True, fastmath=True)
def collapse(state, q, outcome, probability, par_qubits):
    """Project qubit q onto `outcome` (whose probability is given) and renormalise."""
    scale = 1.0 / np.sqrt(probability) if probability > 0 else 0.0
    if state.size >= (1 << par_qubits):
        _collapse_parallel(state, q, outcome, scale)
        return
    s = 1 << q
    for a in range(0, state.size, 2 * s):
        for i in range(a, a + s):
            if outcome == 0:
                state[i] *= scale
                state[i + s] = 0
            else:
                state[i] = 0
                state[i + s] *= scale


@njit(cache=True, parallel=True)
def _zero_parallel(state):
    for i in prange(state.size):
        state[i] = 0


@njit(cache=True, parallel=True)
def _copy_parallel(dst, src):
    for i in prange(src.size):
        dst[i] = src[i]


@njit(cache=True)
def reset_state(state, par_qubits):
    """|0...0>."""
    if state.size >= (1 << par_qubits):
        _zero_parallel(state)
    else:
        for i in range(state.size):
            state[i] = 0
    state[0] = 1


@njit(cache=True)
def copy_state(dst, src, par_qubits):
    if src.size >= (1 << par_qubits):
        _copy_parallel(dst, src)
    else:
        for i in range(src.size):
            dst[i] = src[i]


# -- sampling ------------------------------------------------------------------------------------------
@njit(cache=True, fastmath=True, parallel=True)
def _chunk_sums(state, nchunks):
    sums = np.zeros(nchunks)
    n = state.size
    for c in prange(nchunks):
        lo = c * n // nchunks
        hi = (c + 1) * n // nchunks
        t = 0.0
        for i in range(lo, hi):
            a = state[i]
            t += a.real * a.real + a.imag * a.imag
        sums[c] = t
    return sums


@njit(cache=True, fastmath=True, parallel=True)
def _scan_chunks(state, nchunks, cum, u, out):
    """For sorted targets u (absolute cumulative weights), the basis index where each falls."""
    n = state.size
    m = u.size
    for c in prange(nchunks):
        lo = c * n // nchunks
        hi = (c + 1) * n // nchunks
        first = _upper_bound(u, cum[c]) if c > 0 else 0
        last = _upper_bound(u, cum[c + 1]) if c < nchunks - 1 else m
        if first >= last:
            continue
        t = cum[c]
        j = first
        for i in range(lo, hi):
            a = state[i]
            t += a.real * a.real + a.imag * a.imag
            while j < last and u[j] < t:
                out[j] = i
                j += 1
            if j >= last:
                break
        while j < last:  # rounding at the very end of the chunk
            out[j] = hi - 1
            j += 1


@njit(cache=True)
def _upper_bound(u, x):
    lo = 0
    hi = u.size
    while lo < hi:
        mid = (lo + hi) >> 1
        if u[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def sorted_uniforms(n, scale):
    """n sorted uniforms on [0, scale), from normalised exponential spacings (no sort)."""
    u = np.empty(n)
    t = 0.0
    for i in range(n):
        t += np.random.exponential()
        u[i] = t
    t += np.random.exponential()
    f = scale / t
    for i in range(n):
        u[i] *= f
    return u


@njit(cache=True)
def sample_indices(state, shots, par_qubits):
    """`shots` basis indices drawn from |amplitude|**2, in ascending order (numba's RNG)."""
    out = np.empty(shots, np.int64)
    if shots == 0:
        return out
    if state.size < (1 << par_qubits):
        total = 0.0
        for i in range(state.size):
            a = state[i]
            total += a.real * a.real + a.imag * a.imag
        u = sorted_uniforms(shots, total)
        t = 0.0
        j = 0
        for i in range(state.size):
            a = state[i]
            t += a.real * a.real + a.imag * a.imag
            while j < shots and u[j] < t:
                out[j] = i
                j += 1
        while j < shots:
            out[j] = state.size - 1
            j += 1
    else:
        nchunks = min(1024, state.size)
        sums = _chunk_sums(state, nchunks)
        cum = np.zeros(nchunks + 1)
        for c in range(nchunks):
            cum[c + 1] = cum[c] + sums[c]
        total = cum[nchunks]
        u = sorted_uniforms(shots, total)
        _scan_chunks(state, nchunks, cum, u, out)
    # never return an index of zero probability because of rounding at a chunk edge
    for j in range(shots):
        i = out[j]
        a = state[i]
        if a.real * a.real + a.imag * a.imag == 0.0:
            k = i
            while k > 0:
                k -= 1
                b = state[k]
                if b.real * b.real + b.imag * b.imag > 0.0:
                    break
            out[j] = k
    return out


@njit(cache=True)
def sample_counts(state, shots, par_qubits, out_index, out_count):
    """Draw `shots` outcomes; write distinct basis indices (ascending) and their counts, return how many.

    Small registers split the shots over the amplitudes with successive binomials (cost ~ 2**n);
    large ones sort uniforms into the cumulative distribution (cost ~ 2**n / threads + shots).
    """
    if shots == 0:
        return 0
    dim = state.size
    if dim <= shots or dim <= 64:
        total = 0.0
        last = 0
        for i in range(dim):
            a = state[i]
            p = a.real * a.real + a.imag * a.imag
            total += p
            if p > 0.0:
                last = i
        remaining = shots
        rest = total
        n = 0
        for i in range(dim):
            if remaining == 0:
                break
            a = state[i]
            p = a.real * a.real + a.imag * a.imag
            if p <= 0.0:
                continue
            if i >= last or p >= rest:
                c = remaining
            else:
                c = np.random.binomial(remaining, p / rest)
            rest -= p
            if c > 0:
                out_index[n] = i
                out_count[n] = c
                n += 1
                remaining -= c
        return n
    idx = sample_indices(state, shots, par_qubits)
    n = 0
    j = 0
    while j < shots:
        e = j
        while e < shots and idx[e] == idx[j]:
            e += 1
        out_index[n] = idx[j]
        out_count[n] = e - j
        n += 1
        j = e
    return n
