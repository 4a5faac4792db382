"""Raising: a `Program` (normalised QIR) → a Qiskit `QuantumCircuit`, adaptive control flow included.

The inverse of `qirrt.bindings.qiskit`, and what the Aer executor, the Qiskit backend adapter and the
Qiskit facade run. `to_qiskit` walks the entry point's control-flow graph and rebuilds structure:

* **if/else**: a conditional branch becomes ``if_test`` with the branch's immediate post-dominator
  as the join (diamonds and triangles alike; a branch whose arms only return ends the region);
* **while loops**: a natural loop (a back edge, QIR's ``backwards_branching``) with one exit edge
  from block X becomes ``H; while (stay) { B; H }`` where H runs from the header to X and B from
  X's in-loop successor back to the header — both the ``while`` form (X is the header) and the
  ``do … while`` form (X is the latch) come out of the same rule;
* **conditions** are Qiskit classical expressions (`qiskit.circuit.classical.expr`) over clbits:
  ``read_result`` of result r reads clbit r, and i1 ``and``/``or``/``xor``/``icmp eq|ne``/``select``
  and i1 ``phi`` (through scratch clbits written with ``store``) compose them;
* **parameters**: ``__qirrt__parameter(i)`` becomes the Qiskit `Parameter` named
  ``program.parameters[i]`` (float arithmetic and math intrinsics become parameter expressions), or
  its value when ``params`` is given.

The circuit has one quantum register ``q`` (qubit i is QIR qubit i) and one classical register
``c`` with one bit per QIR result (clbit r is result r); scratch bits, when needed, sit in a second
register ``qirrt_scratch``. A value read from a result that is measured again before the value is
used (or a result recorded and then measured again) is kept by copying it into a scratch bit: the
raiser first tries without copies and, on meeting such a hazard, raises again copying every read.

The output records become a template in ``circuit.metadata["qirrt_records"]``; `map_counts` turns
the raised (or transpiled) circuit's Qiskit counts into the program's own count keys, so Aer's
counts compare directly with qirrt's. Integer computations on measured values, records of computed
integers or floats, ``switch``, irreducible or multi-exit loops raise `ExecutionError` naming the
instruction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx
import pyqir

from qirrt.errors import ExecutionError, Location
from qirrt.qir.dialect import GATES, PARAMETER_FN, QIS_PREFIX, RT_PREFIX, qis_name
from qirrt.qir.values import MATH, OPCODES, evaluate, float_binary, fneg, signed
from qirrt.result import Record, format_key

if TYPE_CHECKING:
    from qiskit.circuit import QuantumCircuit

    from qirrt.qir.program import Program

__all__ = [
    "RECORDS_KEY",
    "RESULT_REGISTER",
    "SCRATCH_REGISTER",
    "format_records",
    "key_function",
    "map_counts",
    "records_of",
    "to_qiskit",
]

RECORDS_KEY = "qirrt_records"
"""`circuit.metadata` key of the output-record template."""
RESULT_REGISTER = "c"
SCRATCH_REGISTER = "qirrt_scratch"

_QISKIT_GATES = {
    "x": "XGate", "y": "YGate", "z": "ZGate", "h": "HGate", "s": "SGate", "s__adj": "SdgGate",
    "t": "TGate", "t__adj": "TdgGate", "sx": "SXGate", "rx": "RXGate", "ry": "RYGate", "rz": "RZGate",
    "cx": "CXGate", "cy": "CYGate", "cz": "CZGate", "swap": "SwapGate", "rxx": "RXXGate",
    "ryy": "RYYGate", "rzz": "RZZGate", "ccx": "CCXGate",
}
assert set(_QISKIT_GATES) == set(GATES), "every dialect gate needs a Qiskit gate"

_ROOT = -1  # virtual sink of the post-dominator graph

_MATH = {"sin": "sin", "cos": "cos", "tan": "tan", "exp": "exp", "log": "log", "asin": "arcsin",
         "acos": "arccos", "atan": "arctan", "fabs": "abs"}
_VECTOR_ELEMENT = re.compile(r"^(?P<name>.+)\[(?P<index>\d+)\]$")


# =============================================================================================
# Values
# =============================================================================================
@dataclass(frozen=True)
class _Bool:
    """An i1 value that depends on measurements: a Qiskit expression and the clbit versions it reads."""

    expr: Any
    refs: frozenset  # {(clbit, version)}


class _Hazard(Exception):
    """A value or record refers to result clbit `clbit`, overwritten since: raise again copying its reads."""

    def __init__(self, clbit: int):
        super().__init__(clbit)
        self.clbit = clbit


class _ScratchFull(Exception):
    """More scratch bits are needed than were allocated."""


def _is_bool_type(value) -> bool:
    kind = value.type
    return isinstance(kind, pyqir.IntType) and kind.width == 1


# =============================================================================================
# Control-flow analysis
# =============================================================================================
@dataclass
class _Loop:
    header: int
    body: frozenset[int]
    exiting: int  # X: the one block with an edge out of the loop
    exit: int  # E: where that edge goes
    inside: int  # X's successor in the loop


class _Cfg:
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

    def _find_loops(self) -> dict[int, _Loop]:
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
        loops: dict[int, _Loop] = {}
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
            loops[header] = _Loop(header, frozenset(body), x, e, inside)
        return loops

    def _post_dominators(self) -> dict[int, int]:
        """Immediate post-dominators where each back edge u→h is redirected to h's loop exit."""
        dag = nx.DiGraph()
        dag.add_nodes_from(self.forward.nodes)
        dag.add_node(_ROOT)
        dag.add_edges_from(self.forward.edges)
        for header, loop in self.loops.items():
            for u in self.graph.predecessors(header):
                if u in loop.body:
                    dag.add_edge(u, loop.exit)
        for r in self.returns:
            if r in self.idom:
                dag.add_edge(r, _ROOT)
        return dict(nx.immediate_dominators(dag.reverse(copy=False), _ROOT))


# =============================================================================================
# The raiser
# =============================================================================================
class _Raiser:
    """One raising of one program; reads and records of the results in `copies` go through scratch bits."""

    def __init__(self, program: Program, params, *, copies: frozenset[int], scratch_bits: int):
        from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
        from qiskit.circuit import library

        self.program = program
        self.copies = copies
        self.module = program.module
        self.function = next(f for f in self.module.functions if pyqir.is_entry_point(f))
        self.gate_classes = {name: getattr(library, cls) for name, cls in _QISKIT_GATES.items()}
        self.parameters = _parameter_objects(program.parameters, params)
        self.num_results = program.num_results
        registers = [QuantumRegister(program.num_qubits, "q"), ClassicalRegister(self.num_results,
                                                                                 RESULT_REGISTER)]
        if scratch_bits:
            registers.append(ClassicalRegister(scratch_bits, SCRATCH_REGISTER))
        self.qc = QuantumCircuit(*registers, name=program.entry_point)
        self.qubits = list(self.qc.qubits)
        self.clbits = list(self.qc.clbits)
        self.scratch_capacity = scratch_bits
        self.scratch: dict[Any, int] = {}  # instruction → clbit index
        self.version = [0] * len(self.clbits)
        self.env: dict[Any, Any] = {}
        self.records: list[tuple[str, str, Any]] = []  # (kind, "clbit"|"const", value)
        self.record_refs: list[tuple[frozenset, Any]] = []
        self.depth = 0
        self.block_name = ""
        self.cfg = _Cfg(self.function, self._error)
        self.active: list[_Loop] = []
        self.calls = {
            f"{QIS_PREFIX}mz__body": self._on_mz,
            f"{QIS_PREFIX}m__body": self._on_mz,
            f"{QIS_PREFIX}mresetz__body": self._on_mresetz,
            f"{QIS_PREFIX}reset__body": self._on_reset,
            f"{QIS_PREFIX}read_result__body": self._on_read_result,
            f"{RT_PREFIX}read_result": self._on_read_result,
            PARAMETER_FN: self._on_parameter,
            f"{RT_PREFIX}initialize": _ignore,
            f"{RT_PREFIX}result_record_output": self._on_record_result,
            f"{RT_PREFIX}bool_record_output": self._on_record_bool,
            f"{RT_PREFIX}int_record_output": self._on_record_number,
            f"{RT_PREFIX}double_record_output": self._on_record_number,
            f"{RT_PREFIX}array_record_output": self._on_record_group,
            f"{RT_PREFIX}tuple_record_output": self._on_record_group,
        }
        for name in GATES:
            self.calls[GATES[name].symbol] = self._on_gate

    # -- errors ----------------------------------------------------------------------------------
    def _error(self, message: str, *, block=None, instruction=None) -> ExecutionError:
        location = Location(file=self.program.source_file, function=self.function.name,
                            block=block.name if block is not None else (self.block_name or None),
                            instruction=str(instruction).strip() if instruction is not None else None)
        return ExecutionError(f"cannot raise the program to a Qiskit circuit: {message} (at {location})")

    def release(self) -> None:
        """Drop every pyqir object and break the reference cycles through bound methods."""
        self.calls = self.env = self.scratch = self.cfg = self.active = None
        self.record_refs = self.function = self.module = None

    # -- entry -----------------------------------------------------------------------------------
    def run(self) -> QuantumCircuit:
        self._region(0, None)
        for refs, instruction in self.record_refs:
            self._fresh(refs, instruction)
        self.qc.metadata = {
            RECORDS_KEY: [list(r) for r in self.records],
            "qirrt_entry_point": self.program.entry_point,
            "qirrt_program_hash": self.program.hash,
            "qirrt_parameters": list(self.program.parameters),
        }
        return self.qc

    # -- structure -------------------------------------------------------------------------------
    def _region(self, start: int, stop: int | None) -> bool:
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
                raise self._error("the loop's exit branch sits inside a conditional; raising needs a "
                                  "structured loop", block=cfg.blocks[block])
            self._instructions(block)
            successors = cfg.successors[block]
            if not successors:  # ret
                return False
            terminator = cfg.blocks[block].terminator
            if len(successors) == 1:
                target = successors[0]
            else:
                condition = self._value(terminator.operands[0], terminator)
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

    def _if(self, block: int, condition: _Bool, terminator) -> int | None:
        """Emit `if_test` for a conditional branch; the join block to continue at, or None."""
        cfg = self.cfg
        join = cfg.ipdom.get(block)
        if join is None:
            raise self._error("a branch never reaches a return (an infinite loop?)", instruction=terminator)
        false_target, true_target = cfg.successors[block]
        stop = None if join == _ROOT else join
        self._fresh(condition.refs, terminator)
        true_empty = self._empty_arm(block, true_target, stop)
        false_empty = self._empty_arm(block, false_target, stop)
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

    def _empty_arm(self, source: int, target: int, stop: int | None) -> bool:
        return target == stop and not self._phis(target)

    def _arm(self, source: int, target: int, stop: int | None) -> None:
        self.depth += 1
        self._edge(source, target)
        if not (self.active and target == self.active[-1].header and target != stop):
            self._region(target, stop)
        self.depth -= 1

    def _loop(self, loop: _Loop) -> int:
        """Emit `H; while (stay) { B; H }`; return the exit block (the exit edge already taken)."""

        cfg = self.cfg
        self._overwrite(loop)
        self.active.append(loop)
        stay = self._loop_head(loop)
        if isinstance(stay, bool):
            if stay:
                raise self._error("loop never exits (its condition is constant)",
                                  block=cfg.blocks[loop.header])
        else:
            self._fresh(stay.refs, cfg.blocks[loop.exiting].terminator)
            with self.qc.while_loop(stay.expr):
                self.depth += 1
                self._edge(loop.exiting, loop.inside)
                if loop.inside != loop.header:
                    self._region(loop.inside, loop.header)
                again = self._loop_head(loop)
                if isinstance(again, bool) or not _same_expr(again.expr, stay.expr):
                    raise self._error("loop condition differs between iterations",
                                      block=cfg.blocks[loop.exiting])
                self._fresh(again.refs, cfg.blocks[loop.exiting].terminator)
                self.depth -= 1
        self.active.pop()
        self._edge(loop.exiting, loop.exit)
        return loop.exit

    def _loop_head(self, loop: _Loop):
        """Emit H (header … exiting block) and return the condition of staying in the loop."""
        cfg = self.cfg
        if loop.header != loop.exiting and not self._region(loop.header, loop.exiting):
            raise self._error("the loop's exit is not on every path through its body; raising needs a "
                              "structured loop", block=cfg.blocks[loop.header])
        self._instructions(loop.exiting)
        terminator = cfg.blocks[loop.exiting].terminator
        condition = self._value(terminator.operands[0], terminator)
        _, true_target = cfg.successors[loop.exiting]
        return condition if true_target == loop.inside else _not(condition)

    def _overwrite(self, loop: _Loop) -> None:
        """Clbits a loop may write are overwritten before any value from outside the loop is used."""
        for index in loop.body:
            for instruction in self.cfg.blocks[index].instructions:
                if instruction.opcode != pyqir.Opcode.CALL:
                    if instruction in self.scratch:
                        self.version[self.scratch[instruction]] += 1
                    continue
                name = instruction.callee.name
                if name in (f"{QIS_PREFIX}mz__body", f"{QIS_PREFIX}m__body", f"{QIS_PREFIX}mresetz__body"):
                    r = _ptr(instruction.args[1])
                    if r is not None and 0 <= r < self.num_results:
                        self.version[r] += 1
                elif instruction in self.scratch:
                    self.version[self.scratch[instruction]] += 1

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
            if not _is_bool_type(phi):
                raise self._error("a phi of a non-i1 value (integer or float computation) cannot be raised",
                                  instruction=phi)
            incoming = next((v for v, b in phi.incoming if b == source_block), None)
            if incoming is None:
                raise self._error(f"phi has no value for block %{source_block.name}", instruction=phi)
            values.append(self._value(incoming, phi))
        targets = [self._scratch_bit(phi) for phi in phis]
        for value, phi in zip(values, phis):
            if isinstance(value, _Bool):
                self._fresh(value.refs, phi)
                if any(clbit in targets for clbit, _ in value.refs) and len(phis) > 1:
                    raise self._error("phis that read each other's values cannot be raised", instruction=phi)
        for value, clbit in zip(values, targets):
            self._store(clbit, value)

    # -- instructions ----------------------------------------------------------------------------
    def _instructions(self, index: int) -> None:
        block = self.cfg.blocks[index]
        self.block_name = block.name
        for instruction in block.instructions:
            opcode = instruction.opcode
            if opcode == pyqir.Opcode.CALL:
                self._call(instruction)
            elif opcode in (pyqir.Opcode.BR, pyqir.Opcode.RET):
                return
            elif opcode == pyqir.Opcode.PHI:
                clbit = self._scratch_bit(instruction)
                self.env[instruction] = self._read_clbit(clbit)
            else:
                self.env[instruction] = self._compute(instruction)

    def _call(self, call) -> None:
        callee = call.callee.name
        handler = self.calls.get(callee)
        if handler is not None:
            handler(call, callee)
            return
        if callee.startswith("llvm.") and callee.endswith(".f64"):
            self.env[call] = self._math(call, callee[len("llvm."):-len(".f64")])
            return
        if callee == "__qirrt__delay":
            self._on_delay(call)
            return
        if callee.startswith("__qirrt__"):
            return  # other qirrt annotations: no operation
        name = qis_name(callee)
        what = f"QIS instruction '{name}'" if name is not None else f"call to @{callee}"
        raise self._error(f"{what} has no Qiskit equivalent", instruction=call)

    def _on_gate(self, call, callee: str) -> None:
        name = callee[len(QIS_PREFIX):-len("__body")]
        spec = GATES[name]
        args = call.args
        angles = [self._angle(a, call) for a in args[: spec.num_params]]
        qubits = [self._qubit(a, call) for a in args[spec.num_params:]]
        self.qc.append(self.gate_classes[name](*angles), qubits, copy=False)

    def _on_delay(self, call) -> None:
        """`__qirrt__delay(qubit, duration, unit)`: unit 1 is the device's `dt`, 0 nanoseconds."""
        qubit = self._qubit(call.args[0], call)
        duration = self._value(call.args[1], call)
        unit = self._value(call.args[2], call)
        if not isinstance(duration, (int, float)) or isinstance(duration, bool):
            raise self._error("a delay of computed length cannot be raised", instruction=call)
        if unit == 1:
            self.qc.delay(round(duration), qubit, unit="dt")
        else:
            self.qc.delay(float(duration), qubit, unit="ns")

    def _on_mz(self, call, callee: str) -> None:
        qubit = self._qubit(call.args[0], call)
        clbit = self._result(call.args[1], call)
        self.qc.measure(qubit, self.clbits[clbit])
        self.version[clbit] += 1

    def _on_mresetz(self, call, callee: str) -> None:
        self._on_mz(call, callee)
        self.qc.reset(self._qubit(call.args[0], call))

    def _on_reset(self, call, callee: str) -> None:
        self.qc.reset(self._qubit(call.args[0], call))

    def _on_read_result(self, call, callee: str) -> None:
        clbit = self._result(call.args[0], call)
        value = self._read_clbit(clbit)
        if clbit in self.copies:
            copy = self._scratch_bit(call)
            self._store(copy, value)
            value = self._read_clbit(copy)
        self.env[call] = value

    def _on_parameter(self, call, callee: str) -> None:
        index = self._value(call.args[0], call)
        if not isinstance(index, int) or not 0 <= index < len(self.parameters):
            raise self._error(f"parameter index {index!r} is out of range: the program declares "
                              f"{len(self.parameters)} parameters", instruction=call)
        self.env[call] = self.parameters[index]

    def _on_record_result(self, call, callee: str) -> None:
        self._top_level_record(call)
        clbit = self._result(call.args[0], call)
        if clbit in self.copies:
            copy = self._scratch_bit(call)
            self._store(copy, self._read_clbit(clbit))
            clbit = copy
        self.records.append(("result", "clbit", clbit))
        self.record_refs.append((frozenset({(clbit, self.version[clbit])}), call))

    def _on_record_bool(self, call, callee: str) -> None:
        self._top_level_record(call)
        value = self._value(call.args[0], call)
        if isinstance(value, bool):
            self.records.append(("bool", "const", value))
            return
        self._fresh(value.refs, call)
        clbit = _single_clbit(value)
        if clbit is None:
            clbit = self._scratch_bit(call)
            self._store(clbit, value)
        self.records.append(("bool", "clbit", clbit))
        self.record_refs.append((frozenset({(clbit, self.version[clbit])}), call))

    def _on_record_number(self, call, callee: str) -> None:
        self._top_level_record(call)
        kind = callee[len(RT_PREFIX):-len("_record_output")]
        value = self._value(call.args[0], call)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._error(f"a {kind} record of a computed value cannot be raised (only constants)",
                              instruction=call)
        if kind == "int":
            value = signed(value, call.args[0].type.width)  # the bit pattern, printed as a signed number
        self.records.append((kind, "const", value))

    def _on_record_group(self, call, callee: str) -> None:
        self._top_level_record(call)
        kind = callee[len(RT_PREFIX):-len("_record_output")]
        length = self._value(call.args[0], call)
        if not isinstance(length, int):
            raise self._error(f"{kind} record length must be a constant", instruction=call)
        self.records.append((kind, "const", length))

    def _top_level_record(self, call) -> None:
        if self.depth:
            raise self._error("an output record inside a conditional or a loop cannot be raised (the "
                              "count key would change shape between shots)", instruction=call)

    # -- values ----------------------------------------------------------------------------------
    def _value(self, value, user):
        if isinstance(value, pyqir.IntConstant):
            return bool(value.value) if value.type.width == 1 else int(value.value)
        if isinstance(value, pyqir.FloatConstant):
            return float(value.value)
        found = self.env.get(value, _MISSING)
        if found is not _MISSING:
            return found
        if isinstance(value, pyqir.Constant):
            return pyqir.ptr_id(value) or 0
        raise self._error(f"operand `{str(value).strip()}` is not available here (defined in a block that "
                          f"does not dominate its use?)", instruction=user)

    def _qubit(self, value, call):
        index = _ptr(value)
        if index is None or not 0 <= index < len(self.qubits):
            raise self._error(f"qubit operand `{str(value).strip()}` is not a static qubit of the program "
                              f"(0..{len(self.qubits) - 1})", instruction=call)
        return self.qubits[index]

    def _result(self, value, call) -> int:
        index = _ptr(value)
        if index is None or not 0 <= index < self.num_results:
            raise self._error(f"result operand `{str(value).strip()}` is not a static result of the program "
                              f"(0..{self.num_results - 1})", instruction=call)
        return index

    def _angle(self, value, call):
        angle = self._value(value, call)
        if isinstance(angle, (bool, _Bool)):
            raise self._error("a gate angle depends on a measurement", instruction=call)
        return float(angle) if isinstance(angle, int) else angle

    def _read_clbit(self, clbit: int) -> _Bool:
        from qiskit.circuit.classical import expr

        return _Bool(expr.lift(self.clbits[clbit]), frozenset({(clbit, self.version[clbit])}))

    def _scratch_bit(self, key) -> int:
        clbit = self.scratch.get(key)
        if clbit is None:
            if len(self.scratch) >= self.scratch_capacity:
                raise _ScratchFull
            clbit = self.num_results + len(self.scratch)
            self.scratch[key] = clbit
        return clbit

    def _store(self, clbit: int, value) -> None:
        from qiskit.circuit.classical import expr

        rvalue = expr.lift(value) if isinstance(value, bool) else value.expr
        self.qc.store(self.clbits[clbit], rvalue)
        self.version[clbit] += 1

    def _fresh(self, refs: frozenset, instruction) -> None:
        for clbit, version in refs:
            if self.version[clbit] != version:
                if clbit >= self.num_results or clbit in self.copies:
                    raise self._error("a value is used after the clbit it was read from was overwritten",
                                      instruction=instruction)
                raise _Hazard(clbit)

    def _compute(self, instruction):
        """Fold an instruction on constants (`qirrt.qir.values`), or build the i1 logic / parameter
        expression it computes from measured bits and parameters."""
        opcode = instruction.opcode
        mnemonic = OPCODES.get(opcode)
        if mnemonic is None:
            raise self._error(f"instruction `{opcode.name.lower()}` cannot be raised to Qiskit",
                              instruction=instruction)
        values = [self._value(v, instruction) for v in instruction.operands]
        if all(isinstance(v, (int, float)) for v in values):
            return self._fold(instruction, values)
        if mnemonic in ("inttoptr", "freeze"):
            return values[0]
        if mnemonic in ("fadd", "fsub", "fmul", "fdiv", "frem", "fneg"):
            values = [self._float(v, instruction) for v in instruction.operands]
            try:
                return fneg(values[0]) if mnemonic == "fneg" else float_binary(mnemonic, *values)
            except ExecutionError as exc:
                raise self._error(str(exc), instruction=instruction) from None
        if mnemonic == "select" and isinstance(values[0], bool):
            return values[1] if values[0] else values[2]
        if any(not isinstance(v, (int, float, _Bool)) for v in values):
            raise self._error(f"`{mnemonic}` of a symbolic parameter cannot be raised; bind the parameters "
                              f"(params=...)", instruction=instruction)
        boolean = all(isinstance(v, (bool, _Bool)) for v in values)
        if mnemonic in ("and", "or", "xor") and boolean and _is_bool_type(instruction):
            return {"and": _and, "or": _or, "xor": _xor}[mnemonic](*values)
        if mnemonic == "icmp" and boolean:
            predicate = str(instruction.predicate).rsplit(".", 1)[-1].lower()
            if predicate == "eq":
                return _not(_xor(*values))
            if predicate == "ne":
                return _xor(*values)
            raise self._error("ordered comparison of measured i1 values cannot be raised", instruction=instruction)
        if mnemonic == "select":
            if _is_bool_type(instruction) and boolean:
                return _or(_and(values[0], values[1]), _and(_not(values[0]), values[2]))
            raise self._error("a select on a measured condition of a non-i1 value cannot be raised",
                              instruction=instruction)
        raise self._error("integer computation on measured values cannot be raised", instruction=instruction)

    def _fold(self, instruction, values):
        """The value of an instruction on constants: i1 results as bool, other integers as their bit pattern."""
        try:
            value = evaluate(instruction, values)
        except ExecutionError as exc:
            raise self._error(str(exc), instruction=instruction) from None
        return bool(value) if _is_bool_type(instruction) else value

    def _float(self, value, instruction):
        result = self._value(value, instruction)
        if isinstance(result, (bool, _Bool)):
            raise self._error("float computation on measured values cannot be raised", instruction=instruction)
        return result

    def _math(self, call, function: str):
        args = [self._float(a, call) for a in call.args]
        if all(isinstance(a, (int, float)) for a in args):
            if function not in MATH:
                raise self._error(f"math intrinsic llvm.{function}.f64 has no equivalent", instruction=call)
            return float(MATH[function](*args))
        if function in _MATH:
            return getattr(args[0], _MATH[function])()
        if function == "sqrt":
            return args[0] ** 0.5
        if function == "pow":
            return args[0] ** args[1]
        raise self._error(f"math intrinsic llvm.{function}.f64 on a parameter has no Qiskit equivalent",
                          instruction=call)


_MISSING = object()


def _ignore(call, callee: str) -> None:
    return None


def _ptr(value) -> int | None:
    if isinstance(value, pyqir.Constant):
        if value.is_null:
            return 0
        index = pyqir.ptr_id(value)
        return None if index is None else int(index)
    return None


def _single_clbit(value: _Bool) -> int | None:
    from qiskit.circuit.classical import expr

    if isinstance(value.expr, expr.Var) and len(value.refs) == 1:
        return next(iter(value.refs))[0]
    return None


def _same_expr(a, b) -> bool:
    return a == b


def _not(a):
    from qiskit.circuit.classical import expr

    if isinstance(a, bool):
        return not a
    if isinstance(a.expr, expr.Unary) and a.expr.op is expr.Unary.Op.LOGIC_NOT:
        return _Bool(a.expr.operand, a.refs)
    return _Bool(expr.logic_not(a.expr), a.refs)


def _and(a, b):
    from qiskit.circuit.classical import expr

    if isinstance(a, bool):
        return b if a else False
    if isinstance(b, bool):
        return a if b else False
    return _Bool(expr.logic_and(a.expr, b.expr), a.refs | b.refs)


def _or(a, b):
    from qiskit.circuit.classical import expr

    if isinstance(a, bool):
        return True if a else b
    if isinstance(b, bool):
        return True if b else a
    return _Bool(expr.logic_or(a.expr, b.expr), a.refs | b.refs)


def _xor(a, b):
    from qiskit.circuit.classical import expr

    if isinstance(a, bool) and isinstance(b, bool):
        return a != b
    if isinstance(a, bool):
        return _not(b) if a else b
    if isinstance(b, bool):
        return _not(a) if b else a
    return _Bool(expr.bit_xor(a.expr, b.expr), a.refs | b.refs)


def _parameter_objects(names: tuple[str, ...], params) -> list:
    """Bound values, or Qiskit `Parameter`s named as the program's (vectors rebuilt as vectors)."""
    if params is not None:
        if isinstance(params, Mapping):
            missing = [n for n in names if n not in params]
            if missing:
                raise ExecutionError(f"no value for parameter(s) {missing}; the program's parameters are "
                                     f"{list(names)}")
            return [float(params[n]) for n in names]
        values = [float(v) for v in params]
        if len(values) != len(names):
            raise ExecutionError(f"program has {len(names)} parameters {list(names)}, got {len(values)} values")
        return values
    from qiskit.circuit import Parameter, ParameterVector

    vectors: dict[str, int] = {}
    for name in names:
        match = _VECTOR_ELEMENT.match(name)
        if match:
            base, index = match.group("name"), int(match.group("index"))
            vectors[base] = max(vectors.get(base, 0), index + 1)
    built = {base: ParameterVector(base, size) for base, size in vectors.items()}
    out = []
    for name in names:
        match = _VECTOR_ELEMENT.match(name)
        if match and match.group("name") in built:
            out.append(built[match.group("name")][int(match.group("index"))])
        else:
            out.append(Parameter(name))
    return out


# =============================================================================================
# Public API
# =============================================================================================
def to_qiskit(program: Program, params: Sequence[float] | Mapping[str, float] | None = None) -> QuantumCircuit:
    """Raise `program` to a Qiskit circuit; see the module docstring for the shape of the result.

    `params` binds the program's parameters (a sequence in `program.parameters` order, or a mapping
    by name); without it the circuit keeps Qiskit `Parameter`s of the same names.
    """
    bound = _count_scratch_candidates(program)
    copies: frozenset[int] = frozenset()
    while True:
        capacity = bound[bool(copies)]
        try:
            circuit, used = _raise_once(program, params, copies, capacity)
        except _Hazard as hazard:
            copies = copies | {hazard.clbit}
            continue
        except _ScratchFull:  # pragma: no cover - the bound counts every candidate instruction
            raise ExecutionError("internal error: scratch clbit bound too small while raising") from None
        if used < capacity:
            circuit, _ = _raise_once(program, params, copies, used)
        return circuit


def _raise_once(program: Program, params, copies: frozenset[int], capacity: int) -> tuple[QuantumCircuit, int]:
    """One raising; every pyqir object is dropped before returning (pyqir values must die on the thread
    that made them, and the raiser's bound-method tables would otherwise leave that to the GC)."""
    raiser = None
    failure = None
    try:
        raiser = _Raiser(program, params, copies=copies, scratch_bits=capacity)
        return raiser.run(), len(raiser.scratch)
    except ExecutionError as exc:  # re-raised below without the frames that hold pyqir values
        failure = str(exc)
    finally:
        if raiser is not None:
            raiser.release()
    raise ExecutionError(failure)


def _count_scratch_candidates(program: Program) -> dict[bool, int]:
    """Upper bounds of scratch bits: without and with copies of reads and result records."""
    text = program.ir
    phis = len(re.findall(r"= phi i1 ", text))
    bools = text.count(f"call void @{RT_PREFIX}bool_record_output(")
    reads = len(re.findall(r"call i1 @__quantum__(?:qis__read_result__body|rt__read_result)\(", text))
    results = text.count(f"call void @{RT_PREFIX}result_record_output(")
    return {False: phis + bools, True: phis + bools + reads + results}


def records_of(circuit: QuantumCircuit) -> list[tuple[str, str, Any]]:
    """The output-record template of a raised (or transpiled) circuit."""
    metadata = circuit.metadata or {}
    if RECORDS_KEY not in metadata:
        raise ExecutionError(f"circuit '{circuit.name}' carries no qirrt output records; raise it with "
                             f"qirrt.bindings.qiskit.to_circuit.to_qiskit")
    return [tuple(r) for r in metadata[RECORDS_KEY]]


def key_function(circuit: QuantumCircuit) -> Callable[[str], str]:
    """A function from one of the circuit's Qiskit count keys to the program's count key."""
    records = records_of(circuit)
    width = circuit.num_clbits

    def convert(key: str) -> str:
        if key.startswith("0x"):
            bits = format(int(key, 16), f"0{width}b")
        else:
            bits = key.replace(" ", "")
        size = len(bits)
        values = []
        for kind, source, value in records:
            if source == "clbit":
                values.append((kind, int(bits[size - 1 - value]) if value < size else 0))
            else:
                values.append((kind, value))
        return format_records(values)

    return convert


def format_records(values: Sequence[tuple[str, Any]]) -> str:
    """One shot's count key from (kind, value) pairs in record order (kinds as in `RECORDS_KEY`)."""
    return format_key([Record(kind.upper(), value) for kind, value in values])


def map_counts(counts: Mapping[str, Any], circuit: QuantumCircuit) -> dict[str, Any]:
    """Qiskit counts (or probabilities) of a raised circuit → the same keyed as the program's counts."""
    convert = key_function(circuit)
    out: dict[str, Any] = {}
    for key, value in counts.items():
        mapped = convert(key)
        out[mapped] = out.get(mapped, 0) + value
    return out
