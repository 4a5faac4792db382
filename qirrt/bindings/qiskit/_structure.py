"""Structuring: the control-flow graph of an entry point → nested Qiskit ``if_test``/``while_loop`` regions.

A conditional branch becomes ``if_test`` with its immediate post-dominator as the join; a natural loop
with one exit edge from block X becomes ``H; while (stay) { B; H }`` (H: header … X, B: X's in-loop
successor … header). i1 phis are carried through scratch clbits written on each edge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyqir

from qirrt.bindings.qiskit._cfg import ROOT, Cfg, Loop
from qirrt.bindings.qiskit._clbits import Bool, Clbits
from qirrt.bindings.qiskit._expressions import is_bool_type, not_
from qirrt.errors import ExecutionError

__all__ = ["Structure"]


@dataclass(eq=False)
class Structure:
    """Walks `cfg` from the entry block, emitting each block's instructions through `instructions`."""

    cfg: Cfg
    qc: Any
    bits: Clbits
    instructions: Callable[[int], None]
    value: Callable[[Any, Any], Any]
    fail: Callable[..., ExecutionError]
    depth: int = 0
    """Nesting of the region being emitted inside if/while bodies."""
    active: list[Loop] = field(default_factory=list)

    def region(self, start: int, stop: int | None) -> bool:
        """Emit blocks from `start` until `stop` (True) or until every path returns/continues (False)."""
        cfg = self.cfg
        block = start
        first = True
        while True:
            if block == stop:
                return True
            if not first and self.active and block == self.active[-1].header:
                return False  # a back edge: the rest of this iteration is empty
            first = False
            loop = cfg.loops.get(block)
            if loop is not None and loop not in self.active:
                block = self._loop(loop)
                continue
            if block in cfg.exiting and cfg.exiting[block] in self.active:
                raise self.fail("the loop's exit branch sits inside a conditional; raising needs a "
                                "structured loop", block=cfg.blocks[block])
            self.instructions(block)
            successors = cfg.successors[block]
            if not successors:  # ret
                return False
            terminator = cfg.blocks[block].terminator
            if len(successors) == 1:
                target = successors[0]
            else:
                condition = self.value(terminator.operands[0], terminator)
                if isinstance(condition, bool):
                    target = successors[1] if condition else successors[0]
                else:
                    join = self._if(block, condition, terminator)
                    if join is None:
                        return False
                    block = join
                    continue
            self._edge(block, target)
            block = target

    def _if(self, block: int, condition: Bool, terminator) -> int | None:
        """Emit `if_test` for a conditional branch; the join block to continue at, or None."""
        cfg = self.cfg
        join = cfg.ipdom.get(block)
        if join is None:
            raise self.fail("a branch never reaches a return (an infinite loop?)", instruction=terminator)
        false_target, true_target = cfg.successors[block]
        stop = None if join == ROOT else join
        self.bits.fresh(condition.refs, terminator)
        true_empty = self._empty_arm(true_target, stop)
        false_empty = self._empty_arm(false_target, stop)
        if true_empty and not false_empty:
            from qiskit.circuit.classical import expr

            with self.qc.if_test(expr.logic_not(condition.expr)):
                self._arm(block, false_target, stop)
        else:
            with self.qc.if_test(condition.expr) as orelse:
                self._arm(block, true_target, stop)
            if not false_empty:
                with orelse:
                    self._arm(block, false_target, stop)
        if stop is None:
            return None
        if self.active and (join not in self.active[-1].body or join == self.active[-1].header):
            return None  # every path continues the enclosing loop
        return join

    def _empty_arm(self, target: int, stop: int | None) -> bool:
        return target == stop and not self._phis(target)

    def _arm(self, source: int, target: int, stop: int | None) -> None:
        self.depth += 1
        self._edge(source, target)
        if not (self.active and target == self.active[-1].header and target != stop):
            self.region(target, stop)
        self.depth -= 1

    def _loop(self, loop: Loop) -> int:
        """Emit `H; while (stay) { B; H }`; return the exit block (the exit edge already taken)."""
        cfg = self.cfg
        self.bits.overwrite(i for index in loop.body for i in cfg.blocks[index].instructions)
        self.active.append(loop)
        stay = self._loop_head(loop)
        if isinstance(stay, bool):
            if stay:
                raise self.fail("loop never exits (its condition is constant)", block=cfg.blocks[loop.header])
        else:
            self.bits.fresh(stay.refs, cfg.blocks[loop.exiting].terminator)
            with self.qc.while_loop(stay.expr):
                self.depth += 1
                self._edge(loop.exiting, loop.inside)
                if loop.inside != loop.header:
                    self.region(loop.inside, loop.header)
                again = self._loop_head(loop)
                if isinstance(again, bool) or again.expr != stay.expr:
                    raise self.fail("loop condition differs between iterations", block=cfg.blocks[loop.exiting])
                self.bits.fresh(again.refs, cfg.blocks[loop.exiting].terminator)
                self.depth -= 1
        self.active.pop()
        self._edge(loop.exiting, loop.exit)
        return loop.exit

    def _loop_head(self, loop: Loop):
        """Emit H (header … exiting block) and return the condition of staying in the loop."""
        cfg = self.cfg
        if loop.header != loop.exiting and not self.region(loop.header, loop.exiting):
            raise self.fail("the loop's exit is not on every path through its body; raising needs a "
                            "structured loop", block=cfg.blocks[loop.header])
        self.instructions(loop.exiting)
        terminator = cfg.blocks[loop.exiting].terminator
        condition = self.value(terminator.operands[0], terminator)
        _, true_target = cfg.successors[loop.exiting]
        return condition if true_target == loop.inside else not_(condition)

    def _phis(self, block: int) -> list:
        return [i for i in self.cfg.blocks[block].instructions if i.opcode == pyqir.Opcode.PHI]

    def _edge(self, source: int, target: int) -> None:
        """Take the edge source → target: copy the incoming values of target's phis."""
        phis = self._phis(target)
        if not phis:
            return
        source_block = self.cfg.blocks[source]
        values = []
        for phi in phis:
            if not is_bool_type(phi):
                raise self.fail("a phi of a non-i1 value (integer or float computation) cannot be raised",
                                instruction=phi)
            incoming = next((v for v, b in phi.incoming if b == source_block), None)
            if incoming is None:
                raise self.fail(f"phi has no value for block %{source_block.name}", instruction=phi)
            values.append(self.value(incoming, phi))
        targets = [self.bits.scratch_bit(phi) for phi in phis]
        for value, phi in zip(values, phis):
            if isinstance(value, Bool):
                self.bits.fresh(value.refs, phi)
                if any(clbit in targets for clbit, _ in value.refs) and len(phis) > 1:
                    raise self.fail("phis that read each other's values cannot be raised", instruction=phi)
        for value, clbit in zip(values, targets):
            self.bits.store(clbit, value)
