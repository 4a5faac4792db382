"""The control-flow graph of an entry point, as the Qiskit raiser structures it.

Blocks are integers (their order in the function); `Cfg` finds the natural loops (each with exactly
one exit edge) and the immediate post-dominators of the graph with every back edge redirected to its
loop's exit, which are the joins of the if/else regions (`ROOT`: every path returns).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx
import pyqir

from qirrt.errors import ExecutionError

__all__ = ["ROOT", "Cfg", "Loop"]

ROOT = -1
"""The virtual sink of the post-dominator graph: a branch whose join is ROOT only returns."""


@dataclass
class Loop:
    header: int
    body: frozenset[int]
    exiting: int  # X: the one block with an edge out of the loop
    exit: int  # E: where that edge goes
    inside: int  # X's successor in the loop


class Cfg:
    """Blocks as integers, natural loops, and immediate post-dominators of the loop-collapsed DAG."""

    def __init__(self, function, fail: Callable[..., ExecutionError]):
        self.blocks = list(function.basic_blocks)
        self.index = {block: i for i, block in enumerate(self.blocks)}
        self.fail = fail
        graph = nx.DiGraph()
        graph.add_nodes_from(range(len(self.blocks)))
        self.returns: set[int] = set()
        self.successors: dict[int, list[int]] = {}
        for i, block in enumerate(self.blocks):
            terminator = block.terminator
            if terminator is None:
                raise fail(f"block %{block.name} has no terminator", block=block)
            opcode = terminator.opcode
            if opcode == pyqir.Opcode.RET:
                self.returns.add(i)
                self.successors[i] = []
            elif opcode == pyqir.Opcode.BR:
                self.successors[i] = [self.index[s] for s in terminator.successors]
            elif opcode == pyqir.Opcode.SWITCH:
                raise fail("`switch` (multiple-target branching) cannot be raised to Qiskit; lower it "
                           "to conditional branches", block=block, instruction=terminator)
            else:
                raise fail(f"terminator `{opcode.name.lower()}` cannot be raised to Qiskit", block=block,
                           instruction=terminator)
            for s in self.successors[i]:
                graph.add_edge(i, s)
        self.graph = graph
        self.idom = dict(nx.immediate_dominators(graph, 0))
        self.idom[0] = 0  # networkx ≥ 3.5 leaves the start node out
        self.loops = self._find_loops()
        self.exiting = {loop.exiting: loop for loop in self.loops.values()}
        self.ipdom = self._post_dominators()

    def dominates(self, a: int, b: int) -> bool:
        while True:
            if a == b:
                return True
            parent = self.idom.get(b)
            if parent is None or parent == b:
                return False
            b = parent

    def _find_loops(self) -> dict[int, Loop]:
        latches: dict[int, list[int]] = {}
        forward = nx.DiGraph()
        forward.add_nodes_from(n for n in self.graph if n in self.idom)
        for u, v in self.graph.edges:
            if u not in self.idom:
                continue
            if self.dominates(v, u):
                latches.setdefault(v, []).append(u)
            else:
                forward.add_edge(u, v)
        if not nx.is_directed_acyclic_graph(forward):
            cycle = nx.find_cycle(forward)
            raise self.fail("the control-flow graph is irreducible (a cycle enters at more than one block)",
                            block=self.blocks[cycle[0][0]])
        self.forward = forward
        loops: dict[int, Loop] = {}
        for header, sources in latches.items():
            body = {header}
            stack = [u for u in sources if u != header]
            body.update(stack)
            while stack:
                node = stack.pop()
                for p in self.graph.predecessors(node):
                    if p not in body and p in self.idom:
                        body.add(p)
                        stack.append(p)
            if body & self.returns:
                raise self.fail("a loop contains a return; raising needs loops with one exit",
                                block=self.blocks[header])
            exits = [(u, v) for u in sorted(body) for v in self.successors[u] if v not in body]
            if len(exits) != 1:
                raise self.fail(f"loop at block %{self.blocks[header].name} has {len(exits)} exit edges; "
                                f"raising supports loops with exactly one exit", block=self.blocks[header])
            (x, e), = exits
            inside = next(s for s in self.successors[x] if s in body)
            loops[header] = Loop(header, frozenset(body), x, e, inside)
        return loops

    def _post_dominators(self) -> dict[int, int]:
        """Immediate post-dominators where each back edge u→h is redirected to h's loop exit."""
        dag = nx.DiGraph()
        dag.add_nodes_from(self.forward.nodes)
        dag.add_node(ROOT)
        dag.add_edges_from(self.forward.edges)
        for header, loop in self.loops.items():
            for u in self.graph.predecessors(header):
                if u in loop.body:
                    dag.add_edge(u, loop.exit)
        for r in self.returns:
            if r in self.idom:
                dag.add_edge(r, ROOT)
        return dict(nx.immediate_dominators(dag.reverse(copy=False), ROOT))
