"""Exact output distribution of a `Program`, by interpreting its QIR over every measurement branch.

This is qirrt's reference semantics, independent of the JIT executor: tests compare executors and
transformations against it. It keeps a dense statevector per branch, so it is meant for programs of
up to ~20 qubits with few mid-circuit measurements. Measurements are decided lazily: an outcome
splits the branch only when it is read or its qubit is used again; the rest are terminal and come
from the final state's joint distribution.

Classical instructions mean what `qirrt.qir.values` says, as in the raising to Qiskit and (tested op by op)
as LLVM's JIT computes them; a branch that reaches undefined arithmetic (a division by zero, a shift by
the width) raises `PoisonError` naming the instruction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pyqir

from qirrt.errors import ExecutionError
from qirrt.qir.dialect import GATES, PARAMETER_FN, qis_name
from qirrt.qir.gates import matrix
from qirrt.qir.params import bindings, is_binding_batch
from qirrt.qir.program import Program
from qirrt.qir.values import MATH, OPCODES, evaluate, intrinsic_name, signed, wrap
from qirrt.result import Record, format_key


@dataclass
class _Branch:
    """One world: a statevector, its probability, and the classical state of the program."""

    state: np.ndarray
    probability: float
    results: dict[int, int] = field(default_factory=dict)
    pending: dict[int, int] = field(default_factory=dict)  # qubit -> result of an undecided mz
    records: list = field(default_factory=list)
    forced: dict[int, int] = field(default_factory=dict)  # outcomes fixed when this branch forked

    def fork(self) -> _Branch:
        return _Branch(self.state.copy(), self.probability, dict(self.results), dict(self.pending),
                       list(self.records), dict(self.forced))


class _Pruned(Exception):
    """Every outcome of a decision is below the probability cutoff: drop the branch."""


class _Interpreter:
    def __init__(self, program, params, cutoff: float, max_steps: int):
        self.n = program.num_qubits
        self.params = [float(v) for v in params]
        self.cutoff = cutoff
        self.max_steps = max_steps
        self._module = program.module
        self.entry = next(f for f in self._module.functions if pyqir.is_entry_point(f))
        self.distribution: dict[str, float] = {}
        self._stack: list[tuple] = []

    def run(self) -> dict[str, float]:
        state = np.zeros(2 ** self.n, dtype=complex)
        state[0] = 1.0
        blocks = self.entry.basic_blocks
        self._stack.append((_Branch(state.reshape((2,) * self.n), 1.0), blocks[0], 0, None, {}, 0))
        while self._stack:
            branch, block, index, previous, env, steps = self._stack.pop()
            try:
                self._walk(branch, block, index, previous, env, steps)
            except _Pruned:
                continue
        return self.distribution

    # -- values --------------------------------------------------------------------------------
    def _value(self, value, env):
        if isinstance(value, (pyqir.IntConstant, pyqir.FloatConstant)):
            return value.value
        if value in env:
            return env[value]
        if isinstance(value, pyqir.Constant):
            return pyqir.ptr_id(value) or 0
        raise ExecutionError(f"cannot evaluate operand {value}")

    # -- the walk ------------------------------------------------------------------------------
    def _walk(self, branch: _Branch, block, index: int, previous, env, steps: int) -> None:
        while True:
            instructions = block.instructions
            for position in range(index, len(instructions)):
                instruction = instructions[position]
                steps += 1
                if steps > self.max_steps:
                    raise ExecutionError(f"exact interpretation exceeded {self.max_steps} steps "
                                         f"(unbounded loop?) in @{self.entry.name}")
                opcode = instruction.opcode
                if opcode == pyqir.Opcode.CALL:
                    self._here = (block, position, previous, env, steps)
                    self._call(branch, instruction, env)
                elif opcode == pyqir.Opcode.BR:
                    successors = instruction.successors
                    if len(successors) == 1:
                        target = successors[0]
                    else:  # pyqir lists a conditional branch's successors as [false, true]
                        target = successors[1] if self._value(instruction.operands[0], env) else successors[0]
                    previous, block, index = block, target, 0
                    break
                elif opcode == pyqir.Opcode.SWITCH:
                    previous, block, index = block, self._switch(instruction, env), 0
                    break
                elif opcode == pyqir.Opcode.RET:
                    self._finish(branch)
                    return
                else:
                    env[instruction] = self._compute(instruction, env, previous)
            else:
                raise ExecutionError(f"block %{block.name} has no terminator")

    def _switch(self, switch, env):
        width = switch.cond.type.width
        value = wrap(self._value(switch.cond, env), width)
        for case, target in switch.cases:
            if wrap(case.value, width) == value:
                return target
        return switch.default

    def _compute(self, instruction, env, previous):
        if instruction.opcode in OPCODES:
            return evaluate(instruction, [self._value(operand, env) for operand in instruction.operands])
        if instruction.opcode == pyqir.Opcode.PHI:
            for value, block in instruction.incoming:
                if block == previous:
                    return self._value(value, env)
            raise ExecutionError(f"phi `{str(instruction).strip()}` has no value for the previous block")
        raise ExecutionError(f"exact interpretation does not support `{str(instruction).strip()}`")

    def _call(self, branch: _Branch, call, env) -> None:
        callee = call.callee.name
        args = call.args
        name = qis_name(callee)
        if name is not None:
            spec = GATES.get(name)
            if spec is not None:
                angles = [float(self._value(a, env)) for a in args[: spec.num_params]]
                qubits = [self._value(a, env) for a in args[spec.num_params:]]
                for q in qubits:
                    self._touch(branch, q)
                self._apply(branch, matrix(name, angles), qubits)
            elif name in ("mz", "m"):
                q, r = self._value(args[0], env), self._value(args[1], env)
                self._touch(branch, q)
                branch.pending[q] = r
                branch.results.pop(r, None)
            elif name in ("mresetz", "reset"):
                q = self._value(args[0], env)
                self._touch(branch, q)
                outcome = self._decide(branch, q)
                if name == "mresetz":
                    branch.results[self._value(args[1], env)] = outcome
                if outcome:
                    self._apply(branch, matrix("x"), [q])
            elif name == "read_result":
                env[call] = self._read(branch, self._value(args[0], env))
            else:
                raise ExecutionError(f"exact interpretation does not know @{callee}")
        elif callee == PARAMETER_FN:
            env[call] = self.params[int(self._value(args[0], env))]
        elif intrinsic_name(callee) is not None:
            env[call] = MATH[intrinsic_name(callee)](*[float(self._value(a, env)) for a in args])
        elif callee.startswith("__quantum__rt__") and callee.endswith("_record_output"):
            kind = callee[len("__quantum__rt__"):-len("_record_output")]
            value = self._value(args[0], env)
            if kind == "int":
                value = signed(value, args[0].type.width)  # an i64 record prints as a signed number
            branch.records.append((kind, ("ref", value) if kind == "result" else value))
        elif not (callee == "__quantum__rt__initialize" or callee.startswith("__qirrt__")):
            raise ExecutionError(f"exact interpretation does not know @{callee}")

    # -- measurement -----------------------------------------------------------------------------
    def _touch(self, branch: _Branch, q: int) -> None:
        """A pending measurement of q must be decided before q is used again."""
        if q in branch.pending:
            outcome = self._decide(branch, q)
            branch.results[branch.pending.pop(q)] = outcome

    def _read(self, branch: _Branch, r: int) -> int:
        for q, pending_r in branch.pending.items():
            if pending_r == r:
                self._touch(branch, q)
                break
        return branch.results.get(r, 0)

    def _decide(self, branch: _Branch, q: int) -> int:
        """Measure q: continue with one outcome, schedule the other from the current call."""
        if q in branch.forced:
            return branch.forced.pop(q)
        self._check_qubit(q)
        axis = self.n - 1 - q
        slab = np.take(branch.state, 1, axis=axis)
        p1 = min(max(float(np.vdot(slab, slab).real), 0.0), 1.0)
        live = [(o, p) for o, p in ((0, 1.0 - p1), (1, p1)) if p * branch.probability > self.cutoff]
        if not live:
            raise _Pruned
        block, position, previous, env, steps = self._here
        for outcome, p in live[1:]:
            other = branch.fork()
            self._collapse(other, q, outcome, p)
            other.forced[q] = outcome
            self._stack.append((other, block, position, previous, dict(env), steps - 1))
        outcome, p = live[0]
        self._collapse(branch, q, outcome, p)
        return outcome

    def _collapse(self, branch: _Branch, q: int, outcome: int, p: float) -> None:
        index = [slice(None)] * self.n
        index[self.n - 1 - q] = 1 - outcome
        branch.state[tuple(index)] = 0.0
        branch.state /= math.sqrt(p)
        branch.probability *= p

    def _check_qubit(self, q: int) -> None:
        if not 0 <= q < self.n:
            raise ExecutionError(f"qubit {q} is out of range: the program declares {self.n}")

    def _apply(self, branch: _Branch, unitary: np.ndarray, qubits: list[int]) -> None:
        for q in qubits:
            self._check_qubit(q)
        k = len(qubits)
        axes = [self.n - 1 - q for q in reversed(qubits)]  # the matrix's most significant bit is its last qubit
        tensor = unitary.reshape((2,) * (2 * k))
        moved = np.tensordot(tensor, branch.state, axes=(list(range(k, 2 * k)), axes))
        branch.state = np.moveaxis(moved, list(range(k)), axes)

    def _finish(self, branch: _Branch) -> None:
        if not branch.pending:
            self._emit(branch, branch.results, branch.probability)
            return
        kept_axes = sorted(self.n - 1 - q for q in branch.pending)
        other_axes = tuple(a for a in range(self.n) if a not in kept_axes)
        probabilities = np.abs(branch.state) ** 2
        marginal = probabilities.sum(axis=other_axes) if other_axes else probabilities
        for index in np.argwhere(marginal > self.cutoff):
            results = dict(branch.results)
            for position, axis in enumerate(kept_axes):
                results[branch.pending[self.n - 1 - axis]] = int(index[position])
            self._emit(branch, results, branch.probability * float(marginal[tuple(index)]))

    def _emit(self, branch: _Branch, results: dict[int, int], probability: float) -> None:
        records = [Record(kind.upper(), results.get(value[1], 0) if kind == "result" else value)
                   for kind, value in branch.records]
        key = format_key(records)
        self.distribution[key] = self.distribution.get(key, 0.0) + probability


def exact_distribution(program: Program, params=None, *, cutoff: float = 1e-14,
                       max_steps: int = 1_000_000) -> dict[str, float] | list[dict[str, float]]:
    """Exact probabilities of a `Program`'s count keys (keys as `Result.counts` prints them).

    `params` takes the forms `qirrt.run` takes — a mapping name → value, a sequence in
    `program.parameters` order, or a list of those, which gives a list of distributions.
    `qirrt.exact.exact_distribution` takes anything `qirrt.load` accepts.
    """
    if not isinstance(program, Program):
        raise ExecutionError(f"qirrt.qir.exact.exact_distribution takes a qirrt Program, got "
                             f"{type(program).__name__}; use qirrt.exact.exact_distribution, which loads "
                             f"anything qirrt.load accepts")
    distributions = [_Interpreter(program, vector.tolist(), cutoff, max_steps).run()
                     for vector in bindings(program, params)]
    return distributions if is_binding_batch(params) else distributions[0]


__all__ = ["exact_distribution"]
