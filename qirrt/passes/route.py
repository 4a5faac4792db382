"""`route`: make every two-qubit gate act on coupled physical qubits by inserting swaps (SABRE-like).

The program's qubits start where its layout put them (module qubit i on ``physical[i]``; with no
layout, on physical qubit i). Gates run in dependency order: whatever is executable now runs; when
only non-adjacent two-qubit gates remain in front, the router inserts the swap, among those touching
a front gate's qubits, that best reduces the distance of the front layer plus a discounted
look-ahead set, with a decay that spreads swaps over qubits (Li, Ding, Xie, ASPLOS 2019). Distances
are hops weighted by the couplers' −log fidelity, so routes prefer good couplers. After many swaps
without progress the oldest front gate is routed along its shortest path. `trials` runs the router
with that many look-ahead settings (set size and weight) and keeps the routing whose two-qubit gates
(swaps counted three times) have the best −log fidelity.

Measurements follow their qubit (``mz`` acts where the qubit is now), so results — and count keys —
never change; a qubit's last measurement in a segment is emitted at the segment's end, where the
qubit finally is, so no swap touches a measured qubit (the base profile forbids that). Three-qubit gates are decomposed first. Swaps are emitted as ``swap`` gates (run
`decompose` afterwards for a native basis). The output renumbers module qubits to the physical
qubits touched, in order of first use, and records them in the layout attribute.

Straight-line programs are routed as one block. In an adaptive program each block is routed on its
own from the initial layout, and swaps restore that layout before the block's terminator, so every
branch agrees on where the qubits are. Coupling directions are ignored: ``cx`` and its reverse cost
the same up to one-qubit gates, which a hardware adapter adds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

import networkx as nx

from qirrt.errors import PassError
from qirrt.passes.base import Pass, PassContext
from qirrt.passes.circuit import Circuit, Gate, Op, Raw, segments
from qirrt.passes.decompose import RULES
from qirrt.passes.noise_weights import NoiseModel, swap_distances

_EXTENDED_SIZE = 20
_EXTENDED_WEIGHT = 0.5
_DECAY_STEP = 0.001
_DECAY_RESET = 5
_MEASURE = {"mz", "m"}


class _Mapping:
    def __init__(self, initial: list[int]):
        self.l2p = dict(enumerate(initial))
        self.p2l = {p: l for l, p in self.l2p.items()}

    def swap(self, a: int, b: int) -> None:
        la, lb = self.p2l.get(a), self.p2l.get(b)
        if la is not None:
            self.l2p[la] = b
        if lb is not None:
            self.l2p[lb] = a
        self.p2l.pop(a, None)
        self.p2l.pop(b, None)
        if la is not None:
            self.p2l[b] = la
        if lb is not None:
            self.p2l[a] = lb


_SETTINGS = ((20, 0.5), (8, 0.5), (4, 0.8), (40, 0.3), (2, 1.0))
"""(extended-set size, its weight) tried by `route`'s trials, in order; the cheapest routing wins."""


def _dependencies(items: list) -> tuple[list[list[int]], list[int]]:
    """(successors of each item, count of its unmet predecessors): the per-qubit order of `items`."""
    successors: list[list[int]] = [[] for _ in items]
    pending = [0] * len(items)
    last: dict[int, int] = {}
    for i, item in enumerate(items):
        for q in _qubits(item):
            if q in last:
                successors[last[q]].append(i)
                pending[i] += 1
            last[q] = i
    return successors, pending


class _Router:
    def __init__(self, target, calibration, initial: list[int], *, extended_size: int = _EXTENDED_SIZE,
                 extended_weight: float = _EXTENDED_WEIGHT):
        self.graph: nx.Graph = target.undirected
        self.dist = swap_distances(NoiseModel(target, calibration))
        self.extended_size = extended_size
        self.extended_weight = extended_weight
        self.initial = initial
        self.physical_order: list[int] = list(initial)
        self.index: dict[int, int] = {p: i for i, p in enumerate(initial)}
        self.swaps = 0

    def module_index(self, p: int) -> int:
        index = self.index.get(p)
        if index is None:
            index = self.index[p] = len(self.physical_order)
            self.physical_order.append(p)
        return index

    def emit_swap(self, mapping: _Mapping, a: int, b: int, out: list) -> None:
        mapping.swap(a, b)
        out.append(Gate("swap", (self.module_index(a), self.module_index(b))))
        self.swaps += 1

    def emit(self, item, mapping: _Mapping, out: list) -> None:
        if isinstance(item, Gate):
            out.append(Gate(item.name, tuple(self.module_index(mapping.l2p[q]) for q in item.qubits), item.angles))
        else:
            out.append(Op(item.name, self.module_index(mapping.l2p[item.qubit]), item.result, item.suffix))

    def distance(self, a: int, b: int) -> float:
        return self.dist[a].get(b, math.inf)

    # -- SABRE on one segment ------------------------------------------------------------------------
    def route_segment(self, items: list, mapping: _Mapping) -> list:
        successors, pending = _dependencies(items)
        front = [i for i in range(len(items)) if pending[i] == 0]
        out: list = []
        deferred: list = []  # final measurements: emitted at the end, where their qubit ended up
        decay: dict[int, float] = {}
        since_progress = 0
        while front:
            executed = self._executable(front, items, mapping)
            if executed:
                front = self._execute(executed, front, items, successors, pending, mapping, out, deferred)
                decay.clear()
                since_progress = 0
                continue
            if since_progress > 10 * max(len(self.graph), 10):
                self._force(items[min(front)], mapping, out)
                since_progress = 0
                decay.clear()
                continue
            extended = self._extended(front, items, successors, pending)
            a, b = self._best_swap(front, extended, items, mapping, decay)
            self.emit_swap(mapping, a, b, out)
            since_progress += 1
            decay[a] = decay.get(a, 1.0) + _DECAY_STEP
            decay[b] = decay.get(b, 1.0) + _DECAY_STEP
            if self.swaps % _DECAY_RESET == 0:
                decay.clear()
        for item in deferred:
            self.emit(item, mapping, out)
        return out

    def _executable(self, front: list[int], items: list, mapping: _Mapping) -> list[int]:
        """The front items that can run now: all but two-qubit gates on non-adjacent physical qubits."""
        executed = []
        for i in front:
            qs = _qubits(items[i])
            if len(qs) == 2 and not self.graph.has_edge(mapping.l2p[qs[0]], mapping.l2p[qs[1]]):
                continue
            executed.append(i)
        return executed

    def _execute(self, executed: list[int], front: list[int], items: list, successors: list[list[int]],
                 pending: list[int], mapping: _Mapping, out: list, deferred: list) -> list[int]:
        """Emit `executed` (deferring final measurements); the new front."""
        for i in executed:
            item = items[i]
            if isinstance(item, Op) and item.name in _MEASURE and not successors[i]:
                deferred.append(item)
            else:
                self.emit(item, mapping, out)
        done = set(executed)
        front = [i for i in front if i not in done]
        for i in executed:
            for s in successors[i]:
                pending[s] -= 1
                if pending[s] == 0:
                    front.append(s)
        return front

    def _extended(self, front, items, successors, pending) -> list[int]:
        extended: list[int] = []
        remaining = {}
        queue = list(front)
        while queue and len(extended) < self.extended_size:
            i = queue.pop(0)
            for s in successors[i]:
                count = remaining.get(s, pending[s]) - 1
                remaining[s] = count
                if count == 0:
                    queue.append(s)
                    if len(_qubits(items[s])) == 2:
                        extended.append(s)
        return extended

    def _best_swap(self, front, extended, items, mapping: _Mapping, decay) -> tuple[int, int]:
        front_pairs = [_qubits(items[i]) for i in front if len(_qubits(items[i])) == 2]
        ext_pairs = [_qubits(items[i]) for i in extended]
        involved = {mapping.l2p[q] for pair in front_pairs for q in pair}
        candidates = sorted({tuple(sorted((p, n))) for p in involved for n in self.graph.neighbors(p)})
        best, best_score = None, math.inf
        for a, b in candidates:
            def where(q, a=a, b=b):
                p = mapping.l2p[q]
                return b if p == a else a if p == b else p
            front_cost = sum(self.distance(where(x), where(y)) for x, y in front_pairs) / len(front_pairs)
            ext_cost = (sum(self.distance(where(x), where(y)) for x, y in ext_pairs) / len(ext_pairs)
                        if ext_pairs else 0.0)
            score = max(decay.get(a, 1.0), decay.get(b, 1.0)) * (front_cost + self.extended_weight * ext_cost)
            if score < best_score - 1e-12:
                best, best_score = (a, b), score
        if best is None:
            raise PassError("route: no swap candidate (is the coupling graph connected?)")
        return best

    def _force(self, item, mapping: _Mapping, out: list) -> None:
        a, b = (mapping.l2p[q] for q in _qubits(item))
        path = nx.shortest_path(self.graph, a, b)
        for p, q in pairwise(path[:-1]):
            self.emit_swap(mapping, p, q, out)

    # -- restoring a layout at a block boundary ------------------------------------------------------
    def restore(self, mapping: _Mapping, out: list) -> None:
        """Swap qubits back to the initial layout (tree-based permutation routing)."""
        goal = {l: p for l, p in enumerate(self.initial)}
        if all(mapping.l2p[l] == p for l, p in goal.items()):
            return
        tree = nx.minimum_spanning_tree(self.graph)
        remaining = nx.Graph(tree)
        while remaining.number_of_nodes():
            leaves = [v for v in remaining.nodes if remaining.degree(v) <= 1]
            leaf = min(leaves)
            wanted = next((l for l, p in goal.items() if p == leaf), None)
            if wanted is not None and mapping.l2p[wanted] != leaf:
                path = nx.shortest_path(remaining, mapping.l2p[wanted], leaf)
                for p, q in pairwise(path):
                    self.emit_swap(mapping, p, q, out)
            remaining.remove_node(leaf)


def _qubits(item) -> tuple[int, ...]:
    return item.qubits if isinstance(item, Gate) else (item.qubit,)


def _split_three_qubit(items: list) -> list:
    out = []
    for item in items:
        if isinstance(item, Gate) and len(item.qubits) > 2:
            out.extend(RULES[item.name][0](item.angles, item.qubits))
        else:
            out.append(item)
    return out


def _route_blocks(circuit: Circuit, router: _Router) -> list[list]:
    """Every block routed from the router's initial layout (the circuit itself is not changed)."""
    many_blocks = len(circuit.blocks) > 1
    out = []
    for block in circuit.blocks:
        mapping = _Mapping(router.initial)
        items: list = []
        for pure, body, barrier in segments(block.items):
            routed = router.route_segment(_split_three_qubit(body), mapping)
            if barrier is not None and many_blocks and _is_terminator(barrier):
                router.restore(mapping, routed)
            items.extend(pure)
            items.extend(routed)
            if barrier is not None:
                items.append(barrier)
        out.append(items)
    return out


def _cost(blocks: list[list], physical: list[int], model: NoiseModel) -> float:
    cost = 0.0
    for items in blocks:
        for gate in items:
            if isinstance(gate, Gate) and len(gate.qubits) == 2:
                a, b = (physical[q] for q in gate.qubits)
                cost += model.edge_cost.get((a, b), 10.0) * (3 if gate.name == "swap" else 1)
    return cost


@dataclass(frozen=True)
class Route(Pass):
    """Insert swaps so that two-qubit gates act on coupled qubits (see the module docstring)."""

    name = "route"
    trials: int = 5

    def apply(self, program, ctx: PassContext):
        target = ctx.target
        if target is None:
            raise PassError("pass 'route' needs a target (compile with target=... or give one to the PassContext)")
        circuit = Circuit.from_program(program)
        circuit.require_static(self.name)
        initial = circuit.physical if circuit.physical is not None else list(range(circuit.num_qubits))
        if len(initial) < circuit.num_qubits:
            raise PassError(f"route: the layout places {len(initial)} of {circuit.num_qubits} qubits")
        if circuit.num_qubits > target.num_qubits:
            raise PassError(f"the program needs {circuit.num_qubits} qubits but target {target.name!r} has "
                            f"{target.num_qubits}; run 'layout' or pick a larger target")
        for p in initial:
            if p not in target.undirected:
                raise PassError(f"route: layout names physical qubit {p}, which target {target.name!r} lacks")
        model = NoiseModel(target, ctx.calibration)
        best = None
        for size, weight in _SETTINGS[: max(1, self.trials)]:
            router = _Router(target, ctx.calibration, list(initial[: circuit.num_qubits]), extended_size=size,
                             extended_weight=weight)
            blocks = _route_blocks(circuit, router)
            cost = _cost(blocks, router.physical_order, model)
            if best is None or cost < best[0] - 1e-12:
                best = (cost, blocks, router)
        _, blocks, router = best
        for block, items in zip(circuit.blocks, blocks):
            block.items = items
        circuit.physical = router.physical_order
        circuit.num_qubits = len(router.physical_order)
        ctx.properties["route_swaps"] = ctx.properties.get("route_swaps", 0) + router.swaps
        return circuit.to_program(program, note=f"{self} (+{router.swaps} swaps)")


def trial_cost(items: list, target, calibration, initial: list[int], model: NoiseModel,
               *, reverse: bool = False, trials: int = 2) -> tuple[float, list[int]]:
    """Route one straight-line block's quantum items from `initial`: (−log fidelity of the two-qubit
    gates and swaps it would run, final position of each module qubit). With `reverse` the gates run
    backwards (SABRE's layout refinement); measurements are left out."""
    body = _split_three_qubit([x for x in items if isinstance(x, Gate)])
    if reverse:
        body.reverse()
    best = None
    for size, weight in _SETTINGS[:trials]:
        router = _Router(target, calibration, list(initial), extended_size=size, extended_weight=weight)
        mapping = _Mapping(router.initial)
        routed = router.route_segment(body, mapping)
        cost = _cost([routed], router.physical_order, model)
        if best is None or cost < best[0]:
            best = (cost, [mapping.l2p[q] for q in range(len(initial))])
    return best


def _is_terminator(raw: Raw) -> bool:
    """A branch out of the block (a `ret` needs no restoring: nothing runs after it)."""
    return raw.text.strip().startswith(("br ", "switch ", "indirectbr "))


__all__ = ["Route", "trial_cost"]
