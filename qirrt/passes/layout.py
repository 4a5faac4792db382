"""`layout`: choose physical qubits for the program's qubits, noise-aware.

The cost of a placement is the −log fidelity it is expected to lose: each qubit's measurements and
one-qubit gates weighted by that physical qubit's readout and ``sx`` error, each interacting pair by
the error of the coupler between them, or — when they are not adjacent — by the swaps a router will
need (3 two-qubit gates per extra hop along the cheapest path) plus the gates themselves on the
cheapest path. Candidates come from exact embeddings of the interaction graph (networkx VF2, a
bounded number) and from a greedy placement grown from every physical qubit; the best are then
improved by local search (moving a qubit to a free neighbour or exchanging two). For straight-line
programs the best `trials` placements, and the SABRE forward–backward refinement of each (route the
program, then route it reversed from where the qubits ended), are routed for real, and the one
whose routed two-qubit gates and readout cost least wins.

The pass rewrites no gate: it records module qubit i → physical qubit in the entry point's
``qirrt_physical_qubits`` attribute and `Program.metadata["physical_qubits"]`, and in
``ctx.properties["layout"]``. Results — and so count keys — are untouched. Any program works
(adaptive included): a layout is a relabelling.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from dataclasses import dataclass

import networkx as nx
from networkx.algorithms import isomorphism

from qirrt.errors import PassError
from qirrt.passes.base import Pass, PassContext
from qirrt.passes.circuit import Circuit, Gate, Op
from qirrt.passes.noise_weights import NoiseModel

log = logging.getLogger(__name__)

_MEASURE = {"mz", "m", "mresetz"}


class _Problem:
    def __init__(self, circuit: Circuit, model: NoiseModel):
        self.n = circuit.num_qubits
        self.model = model
        self.graph = model.target.undirected
        self.interactions: Counter[tuple[int, int]] = Counter()
        self.singles: Counter[int] = Counter()
        self.measures: Counter[int] = Counter()
        for item in circuit.items():
            if isinstance(item, Gate):
                qs = item.qubits
                if len(qs) == 1:
                    self.singles[qs[0]] += 1
                for i in range(len(qs)):
                    for j in range(i + 1, len(qs)):
                        a, b = sorted((qs[i], qs[j]))
                        self.interactions[(a, b)] += 1
            elif isinstance(item, Op) and item.name in _MEASURE:
                self.measures[item.qubit] += 1
        self.neighbours: dict[int, dict[int, int]] = {q: {} for q in range(self.n)}
        for (a, b), count in self.interactions.items():
            self.neighbours[a][b] = count
            self.neighbours[b][a] = count
        weighted = model.weighted_graph()
        self.path_cost = dict(nx.all_pairs_dijkstra_path_length(weighted))
        self.hops = model.target.distances

    def node_cost(self, v: int, p: int) -> float:
        return self.measures[v] * self.model.readout_cost[p] + self.singles[v] * self.model.single_cost[p]

    def pair_cost(self, count: int, a: int, b: int) -> float:
        hops = self.hops.get(a, {}).get(b)
        if hops is None:
            return math.inf
        if hops == 1:
            return count * self.model.edge_cost[(a, b)]
        path = self.path_cost[a][b]
        return count * path / hops + 3 * path * (hops - 1) / hops

    def cost(self, place: list[int]) -> float:
        total = sum(self.node_cost(v, place[v]) for v in range(self.n))
        for (a, b), count in self.interactions.items():
            total += self.pair_cost(count, place[a], place[b])
        return total

    def local_cost(self, v: int, p: int, place: list[int], skip: int | None = None) -> float:
        total = self.node_cost(v, p)
        for u, count in self.neighbours[v].items():
            if u != skip:
                total += self.pair_cost(count, p, place[u])
        return total

    # -- candidates ----------------------------------------------------------------------------------
    def greedy(self, start: int) -> list[int] | None:
        order = self._order()
        place: dict[int, int] = {}
        free = set(self.graph.nodes)
        for v in order:
            placed_neighbours = [u for u in self.neighbours[v] if u in place]
            if not place:
                choice = start
            elif placed_neighbours:
                near: set[int] = set()
                for u in placed_neighbours:
                    near.update(n for n, d in self.hops[place[u]].items() if d <= 2)
                near &= free
                pool = near or free
                choice = min(pool, key=lambda p: (self.node_cost(v, p) + sum(
                    self.pair_cost(self.neighbours[v][u], p, place[u]) for u in placed_neighbours), p))
            else:
                frontier = {n for u in place.values() for n in self.graph.neighbors(u)} & free
                pool = frontier or free
                choice = min(pool, key=lambda p: (self.node_cost(v, p), p))
            if choice not in free:
                return None
            place[v] = choice
            free.discard(choice)
        return [place[v] for v in range(self.n)]

    def _order(self) -> list[int]:
        """Qubits in BFS order over the interaction graph, busiest first."""
        weight = {v: sum(self.neighbours[v].values()) for v in range(self.n)}
        order: list[int] = []
        seen: set[int] = set()
        for root in sorted(range(self.n), key=lambda v: (-weight[v], v)):
            if root in seen:
                continue
            queue = [root]
            seen.add(root)
            while queue:
                v = queue.pop(0)
                order.append(v)
                for u in sorted(self.neighbours[v], key=lambda u: (-self.neighbours[v][u], u)):
                    if u not in seen:
                        seen.add(u)
                        queue.append(u)
        return order

    def embeddings(self, limit: int, deadline: float) -> list[list[int]]:
        pattern = nx.Graph()
        pattern.add_nodes_from(v for v in range(self.n) if self.neighbours[v])
        pattern.add_edges_from(self.interactions)
        if pattern.number_of_edges() == 0:
            return []
        matcher = isomorphism.GraphMatcher(self.graph, pattern)
        found: list[list[int]] = []
        for mapping in matcher.subgraph_monomorphisms_iter():
            inverse = {v: p for p, v in mapping.items()}
            found.append(self._complete(inverse))
            if len(found) >= limit or time.perf_counter() > deadline:
                break
        return found

    def _complete(self, partial: dict[int, int]) -> list[int]:
        """Place the qubits without interactions on the cheapest free physical qubits."""
        place = dict(partial)
        free = set(self.graph.nodes) - set(place.values())
        for v in range(self.n):
            if v not in place:
                near = {n for p in place.values() for n in self.graph.neighbors(p)} & free
                pool = near or free
                place[v] = min(pool, key=lambda p: (self.node_cost(v, p), p))
                free.discard(place[v])
        return [place[v] for v in range(self.n)]

    def improve(self, place: list[int], deadline: float) -> list[int]:
        place = list(place)
        where = {p: v for v, p in enumerate(place)}
        improved = True
        while improved and time.perf_counter() < deadline:
            improved = False
            for v in range(self.n):
                best_p = self._best_move(v, place, where)
                if best_p is not None:
                    self._move(v, best_p, place, where)
                    improved = True
        return place

    def _best_move(self, v: int, place: list[int], where: dict[int, int]) -> int | None:
        """The physical qubit near `v` whose move (or swap) lowers the cost most, or None."""
        current = place[v]
        base = self.local_cost(v, current, place)
        candidates = set(self.graph.neighbors(current))
        for u in self.neighbours[v]:
            candidates.update(self.graph.neighbors(place[u]))
        candidates.discard(current)
        best_delta, best_p = -1e-12, None
        for p in candidates:
            other = where.get(p)
            if other is None:
                delta = self.local_cost(v, p, place) - base
            else:
                delta = self._swap_delta(v, other, base, place)
            if delta < best_delta:
                best_delta, best_p = delta, p
        return best_p

    def _swap_delta(self, v: int, other: int, base: float, place: list[int]) -> float:
        """Cost change of swapping the places of `v` and `other` (`base`: v's local cost where it is)."""
        current, p = place[v], place[other]
        before = base + self.local_cost(other, p, place, skip=v)
        place[v], place[other] = p, current
        after = self.local_cost(v, p, place, skip=other) + self.local_cost(other, current, place)
        if other in self.neighbours[v]:
            after += self.pair_cost(self.neighbours[v][other], p, current)
            before += self.pair_cost(self.neighbours[v][other], current, p)
        place[v], place[other] = current, p
        return after - before

    @staticmethod
    def _move(v: int, p: int, place: list[int], where: dict[int, int]) -> None:
        """Put `v` on `p`, swapping with whatever was there."""
        current, other = place[v], where.get(p)
        place[v] = p
        where[p] = v
        if other is None:
            del where[current]
        else:
            place[other] = current
            where[current] = other


def choose_layout(circuit: Circuit, target, calibration, *, embeddings: int = 200,
                  time_limit_s: float = 2.0, trials: int = 4) -> tuple[list[int], float]:
    """(physical qubit of each module qubit, cost) for `circuit` on `target`."""
    if circuit.num_qubits > target.num_qubits:
        raise PassError(f"the program needs {circuit.num_qubits} qubits but target {target.name!r} has "
                        f"{target.num_qubits}")
    problem = _Problem(circuit, NoiseModel(target, calibration))
    if problem.n == 0:
        return [], 0.0
    deadline = time.perf_counter() + time_limit_s
    candidates = problem.embeddings(embeddings, time.perf_counter() + time_limit_s / 4)
    components = nx.number_connected_components(target.undirected)
    for start in sorted(target.undirected.nodes):
        placed = problem.greedy(start)
        if placed is not None:
            candidates.append(placed)
        if time.perf_counter() > deadline:
            break
    if not candidates:
        raise PassError(f"no layout of {problem.n} qubits fits target {target.name!r} "
                        f"({components} connected components)")
    scored = sorted(candidates, key=problem.cost)
    improved: list[list[int]] = []
    for candidate in scored[:8]:
        placed = problem.improve(candidate, deadline)
        if placed not in improved:
            improved.append(placed)
    improved.sort(key=problem.cost)
    if trials <= 0 or not circuit.is_straight_line:
        return improved[0], problem.cost(improved[0])
    return _best_routed(circuit, target, calibration, problem, improved[:trials], deadline)


def _best_routed(circuit: Circuit, target, calibration, problem: _Problem, candidates: list[list[int]],
                 deadline: float) -> tuple[list[int], float]:
    """Route each candidate (and its SABRE forward–backward refinement); keep the cheapest."""
    from qirrt.passes.route import trial_cost

    items = circuit.blocks[0].items
    model = problem.model
    def total(placement: list[int]) -> float:
        routed, _ = trial_cost(items, target, calibration, placement, model)
        return routed + sum(problem.node_cost(v, p) for v, p in enumerate(placement))

    best, best_cost = None, math.inf
    for candidate in candidates:
        tries = [candidate]
        if time.perf_counter() < deadline:
            _, final = trial_cost(items, target, calibration, candidate, model)
            _, refined = trial_cost(items, target, calibration, final, model, reverse=True)
            tries.append(refined)
        for placement in tries:
            cost = total(placement)
            if cost < best_cost:
                best, best_cost = placement, cost
        if time.perf_counter() > deadline:
            break
    return best, best_cost


@dataclass(frozen=True)
class Layout(Pass):
    """Place module qubits on the target's physical qubits (see the module docstring)."""

    name = "layout"
    embeddings: int = 200
    time_limit_s: float = 2.0
    trials: int = 4

    def apply(self, program, ctx: PassContext):
        if ctx.target is None:
            raise PassError("pass 'layout' needs a target (compile with target=... or give one to the PassContext)")
        circuit = Circuit.from_program(program)
        if circuit.physical is not None:
            log.info("layout: %r is already placed on %s; keeping it", program, circuit.physical)
            ctx.properties["layout"] = dict(enumerate(circuit.physical))
            return program
        circuit.require_static(self.name)
        placement, cost = choose_layout(circuit, ctx.target, ctx.calibration, embeddings=self.embeddings,
                                        time_limit_s=self.time_limit_s, trials=self.trials)
        circuit.physical = placement
        ctx.properties["layout"] = dict(enumerate(placement))
        ctx.properties["layout_cost"] = cost
        return circuit.to_program(program, note=f"{self} → {placement}")


__all__ = ["Layout", "choose_layout"]
