"""Noise weights shared by `layout` and `route`: −log fidelity per physical qubit and coupled pair."""

from __future__ import annotations

import math
from functools import lru_cache

import networkx as nx

_FLOOR = 1e-6


def _nll(error: float | None) -> float:
    if error is None:
        return 0.0
    return -math.log1p(-min(max(error, 0.0), 1 - 1e-9))


class NoiseModel:
    """Costs from a calibration (uniform when there is none)."""

    def __init__(self, target, calibration=None):
        self.target = target
        self.calibration = calibration
        graph = target.undirected
        self.edge_cost: dict[tuple[int, int], float] = {}
        for a, b in graph.edges:
            if calibration is not None:
                errors = [e for e in (calibration.gate("cx", (a, b)), calibration.gate("cx", (b, a)))
                          if e is not None and e.error is not None]
                error = min((e.error for e in errors), default=None)
            else:
                error = None
            cost = _nll(error) if error is not None else 0.01
            if error is not None and error >= 1.0 - 1e-9:
                cost = 50.0  # a broken coupler: usable only if nothing else is
            self.edge_cost[(a, b)] = self.edge_cost[(b, a)] = max(cost, _FLOOR)
        self.readout_cost = {q: _nll(calibration.readout_error(q)) if calibration else 0.01
                             for q in graph.nodes}
        self.single_cost = {q: _nll(calibration.gate_error("sx", (q,))) if calibration else 0.001
                            for q in graph.nodes}
        self.mean_edge_cost = (sum(self.edge_cost.values()) / len(self.edge_cost)) if self.edge_cost else 0.01

    def weighted_graph(self) -> nx.Graph:
        graph = nx.Graph()
        graph.add_nodes_from(self.target.undirected.nodes)
        for (a, b), cost in self.edge_cost.items():
            if a < b:
                graph.add_edge(a, b, weight=cost)
        return graph


@lru_cache(maxsize=16)
def _all_pairs(key, graph_edges: tuple, nodes: tuple) -> dict:
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    for a, b, w in graph_edges:
        graph.add_edge(a, b, weight=w)
    return dict(nx.all_pairs_dijkstra_path_length(graph))


def swap_distances(model: NoiseModel) -> dict[int, dict[int, float]]:
    """Routing distance: hops plus the path's noise relative to the mean edge (≈ 1 per average hop)."""
    edges = tuple(sorted((a, b, 1.0 + 0.5 * c / model.mean_edge_cost)
                         for (a, b), c in model.edge_cost.items() if a < b))
    key = (model.target.name, model.calibration.epoch if model.calibration else None)
    return _all_pairs(key, edges, tuple(sorted(model.target.undirected.nodes)))


__all__ = ["NoiseModel", "swap_distances"]
