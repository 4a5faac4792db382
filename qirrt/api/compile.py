"""Parametric compilation: compile once for a target and calibration, bind new values in microseconds.

`compile_program` runs the pass pipeline (layout, routing, basis translation, optimisation) once on
the parametric module: parameters stay ``__qirrt__parameter`` calls and passes treat the angles
derived from them symbolically. The `CompiledProgram` it returns binds values by text substitution
into a template of the compiled module (no pass, no parse, no LLVM), and runs values — one vector or
a batch — through the local executor's parametric path.

Calibration-aware binding: where the calibration carries angle corrections for a gate on specific
physical qubits (``angle_scale``, ``angle_offset_rad``), compilation routes that gate's angle through
two hidden runtime parameters (``θ·(1/scale) − offset/scale``), and every bind fills them from the
*current* calibration, so the circuit that runs matches the hardware's state without recompiling.

Caching and drift: compiled artifacts are cached by program hash × target × calibration epoch ×
pipeline. Given a `CalibrationStore`, a `CompiledProgram` follows the store: a new epoch whose drift
on the physical qubits and pairs it uses exceeds the thresholds (or that adds angle corrections the
artifact has no slot for) marks it stale, evicts it from the cache, and the next bind or run
recompiles against the new epoch; a smaller drift only updates the values binding uses. Each Result
records the calibration epoch it ran under.
"""

from __future__ import annotations

import logging
import math
import operator
import re
import struct
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from qirrt.errors import CalibrationError, ExecutionError, PassError
from qirrt.qir.dialect import PARAMETER_ATTR, PARAMETER_FN

if TYPE_CHECKING:
    from qirrt.device.calibration import Calibration
    from qirrt.device.calibration_store import CalibrationStore, DriftEvent
    from qirrt.device.target import Target
    from qirrt.passes import PassManager
    from qirrt.qir.program import Program

log = logging.getLogger(__name__)

TARGET_PIPELINE = "remove-unused,elide-final-swaps,qiskit-transpile,estimate-resources"
"""What `compile_program` runs for a target when `passes` is None: Qiskit's O3 mapping, three seeds,
the one with the best estimated success probability under the current calibration kept
(`benchmarks/mapping.py`: the best ESP of the pipelines measured; qirrt's own clean-up passes after it
changed neither two-qubit gates nor ESP there, so they are left out)."""

NATIVE_PIPELINE = ("remove-unused,elide-final-swaps,layout,route,decompose,merge-rotations,cancel-inverses,"
                   "merge-rotations,resynthesize-2q,merge-rotations,estimate-resources")
"""qirrt's own mapping (no Qiskit transpiler): the default before `qiskit-transpile`. `resynthesize-2q`
comes after the local clean-up; the last `merge-rotations` fuses the rotations it leaves at run boundaries."""

PLAIN_PIPELINE = "merge-rotations,cancel-inverses,estimate-resources"
"""What it runs without a target."""

SCALE_PREFIX = "__qirrt_scale"
SHIFT_PREFIX = "__qirrt_shift"
_ROTATIONS = {"rx", "ry", "rz", "rxx", "ryy", "rzz"}


# -- resolution -------------------------------------------------------------------------------------
def _resolve(target, calibration, store):
    """(Target | None, Calibration | None) from the many things callers pass."""
    from qirrt.device.calibration import Calibration

    if target is None:
        if calibration is not None:
            raise PassError("a calibration was given without a target; pass target=... as well")
        return None, None
    from qirrt.adapters import resolve_calibration, resolve_target
    from qirrt.device.target import Target

    resolved = resolve_target(target)
    if isinstance(calibration, (str, bytes)):
        calibration = Calibration.from_json(calibration)
    if calibration is None and store is not None:
        calibration = store.latest(resolved.name)
    if calibration is None and not isinstance(target, Target):
        calibration = resolve_calibration(target)
    if calibration is not None and calibration.target_name != resolved.name:
        raise CalibrationError(f"calibration {calibration.epoch} is for target {calibration.target_name!r}, "
                               f"not {resolved.name!r}")
    if calibration is not None and store is not None:
        store.add(calibration)
    return resolved, calibration


def _pass_manager(passes, has_target: bool) -> PassManager:
    from qirrt.passes import Pass, PassManager

    if passes is None:
        return PassManager.parse(TARGET_PIPELINE if has_target else PLAIN_PIPELINE)
    if isinstance(passes, PassManager):
        return passes
    if isinstance(passes, str):
        return PassManager.parse(passes)
    if isinstance(passes, Pass):
        return PassManager([passes])
    return PassManager(list(passes))


# -- angle-correction slots --------------------------------------------------------------------------
def _escape(text: str) -> str:
    out = []
    for byte in text.encode():
        out.append(chr(byte) if 32 <= byte < 127 and byte not in (34, 92) else f"\\{byte:02X}")
    return "".join(out)


def _set_parameter_names(ir: str, names: Sequence[str]) -> str:
    from qirrt.qir.program import encode_parameters

    value = f'"{PARAMETER_ATTR}"="{_escape(encode_parameters(list(names)))}"'
    if f'"{PARAMETER_ATTR}"=' in ir:
        return re.sub(rf'"{PARAMETER_ATTR}"="(?:[^"\\]|\\.)*"', lambda _: value, ir, count=1)
    return re.sub(r'("entry_point")', lambda m: f"{m.group(1)} {value}", ir, count=1)


def _slot_key_name(prefix: str, key) -> str:
    gate, qubits = key
    return f"{prefix}[{gate};{','.join(str(q) for q in qubits)}]"


def add_correction_slots(program: Program, calibration: Calibration | None):
    """(program with hidden correction parameters, [(gate, physical qubits)] per slot pair)."""
    from qirrt.passes.circuit import Circuit, Raw

    corrections = calibration.angle_corrections if calibration is not None else {}
    if not corrections:
        return program, []
    circuit = Circuit.from_program(program)
    physical = circuit.physical or list(range(circuit.num_qubits))
    names = list(program.parameters)
    slots: dict[tuple, tuple[str, str]] = {}
    reads: list[Raw] = []
    for block in circuit.blocks:
        items = []
        for item in block.items:
            key = _correction_key(item, physical, corrections)
            if key is not None:
                scale, shift = _correction_slot(key, slots, reads, names)
                raws, item = _corrected_gate(circuit, item, scale, shift)
                items.extend(raws)
            items.append(item)
        block.items = items
    circuit.blocks[0].items[0:0] = reads
    ir = circuit.to_ir()
    if not re.search(rf"^declare double @{PARAMETER_FN}\(", ir, re.MULTILINE):
        ir = ir.rstrip("\n") + f"\n\ndeclare double @{PARAMETER_FN}(i64)\n"
    ir = _set_parameter_names(ir, names)
    changes = {"metadata": {**program.metadata, "physical_qubits": circuit.physical}} if circuit.physical else {}
    out = program.replace_ir(ir, note="angle-correction slots", **changes)
    return out, list(slots)


def _correction_key(item, physical: list[int], corrections) -> tuple | None:
    """The calibration key correcting this gate (either qubit order for 2-qubit gates), or None."""
    from qirrt.passes.circuit import Gate

    if not isinstance(item, Gate) or item.name not in _ROTATIONS:
        return None
    phys = tuple(physical[q] for q in item.qubits)
    key = (item.name, phys)
    if key not in corrections and len(phys) == 2 and (item.name, phys[::-1]) in corrections:
        key = (item.name, phys[::-1])
    return key if key in corrections else None


def _correction_slot(key: tuple, slots: dict, reads: list, names: list[str]) -> tuple[str, str]:
    """The (scale, shift) SSA names for ``key``, adding their parameter reads the first time it is seen."""
    from qirrt.passes.circuit import Raw

    if key not in slots:
        scale, shift = f"%qirrt.cs{len(slots)}", f"%qirrt.co{len(slots)}"
        for value, prefix in ((scale, SCALE_PREFIX), (shift, SHIFT_PREFIX)):
            reads.append(Raw(f"  {value} = call double @{PARAMETER_FN}(i64 {len(names)})",
                             pure=True, defines=value))
            names.append(_slot_key_name(prefix, key))
        slots[key] = (scale, shift)
    return slots[key]


def _corrected_gate(circuit, item, scale: str, shift: str):
    """(raw lines computing angle * scale + shift, the gate using that corrected angle)."""
    from qirrt.passes.circuit import Angle, Gate, Raw

    lines: list[str] = []
    operand = circuit._materialise(item.angles[0], lines)
    product, total = circuit.fresh_name(), circuit.fresh_name()
    lines.append(f"  {product} = fmul double {operand}, {scale}")
    lines.append(f"  {total} = fadd double {product}, {shift}")
    return [Raw(line, pure=True) for line in lines], Gate(item.name, item.qubits, (Angle.symbol(total),))


def _rotation_keys(program: Program) -> set[tuple]:
    """(gate, physical qubits) of every rotation in `program`, both orders for pairs."""
    from qirrt.passes.circuit import Circuit

    circuit = Circuit.from_program(program)
    physical = circuit.physical or list(range(circuit.num_qubits))
    keys = set()
    for gate in circuit.gates():
        if gate.name in _ROTATIONS:
            phys = tuple(physical[q] for q in gate.qubits)
            keys.update({(gate.name, phys), (gate.name, phys[::-1])})
    return keys


def correction_values(slots: Sequence[tuple], calibration: Calibration | None) -> list[float]:
    """Hidden parameter values (1/scale, −offset/scale per slot) from `calibration`."""
    values: list[float] = []
    for key in slots:
        gate = calibration.gates.get(key) if calibration is not None else None
        scale = gate.angle_scale if gate is not None else 1.0
        offset = gate.angle_offset_rad if gate is not None else 0.0
        if scale == 0:
            raise CalibrationError(f"calibration {calibration.epoch}: angle_scale of {key} is 0")
        values.extend((1.0 / scale, -offset / scale))
    return values


# -- binding -----------------------------------------------------------------------------------------
_PARAM_LINE = re.compile(rf"^[ \t]*(%[-\w.$]+) = (?:(?:tail|notail) )?call double @{PARAMETER_FN}\(i64 (\d+)\)"
                         r"[^\n]*$")
_FLOAT_LINE = re.compile(r"^[ \t]*(%[-\w.$]+) = (fadd|fsub|fmul|fdiv|fneg)(?: [a-z ]+?)? double ([^,\n]+?)"
                         r"(?:, ([^,\n]+?))?(?:, !.*)?$")
_MATH_LINE = re.compile(r"^[ \t]*(%[-\w.$]+) = (?:(?:tail|notail) )?call (?:[a-z ]+ )?double "
                        r"@llvm\.(\w+)\.f64\(double ([^,\n]+?)(?:, double ([^,\n]+?))?\)[^\n]*$")
_BINARY = {"fadd": np.add, "fsub": np.subtract, "fmul": np.multiply, "fdiv": np.divide}
_MATH = {"sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log, "sqrt": np.sqrt,
         "fabs": np.abs, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "pow": np.power}


_PY_OPS = {"fadd": operator.add, "fsub": operator.sub, "fmul": operator.mul, "fdiv": operator.truediv,
           "sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp, "log": math.log, "sqrt": math.sqrt,
           "fabs": abs, "asin": math.asin, "acos": math.acos, "atan": math.atan, "pow": math.pow}
_PACK = struct.Struct("<d").pack


class BindTemplate:
    """The compiled module's text with every parameter-derived value cut out.

    Building it finds the ``__qirrt__parameter`` reads and the float arithmetic that depends on them
    (``fadd``/``fsub``/``fmul``/``fdiv``/``fneg`` and ``llvm.*.f64`` math), removes those lines and cuts
    the text at each remaining use. Binding evaluates that arithmetic in numpy — for a whole batch
    at once — and joins the pieces with exact double literals: the bound module has constants only,
    as a base-profile program must, and no pass, parser or LLVM runs.
    """

    def __init__(self, program: Program):
        from qirrt.qir.text import parse_double

        self.program = program
        self.num_values = len(program.parameters)
        # plan: (name, op, operand refs) in definition order; a ref is ("v", name) or ("c", float)
        self.plan: list[tuple[str, str, tuple]] = []
        known: set[str] = set()
        kept: list[str] = []

        def ref(text: str):
            text = text.strip()
            if text in known:
                return ("v", text)
            value = parse_double(text) if not text.startswith("%") else None
            return ("c", value) if value is not None else None

        for line in program.ir.split("\n"):
            match = _PARAM_LINE.match(line)
            if match:
                self.plan.append((match.group(1), "param", (int(match.group(2)),)))
                known.add(match.group(1))
                continue
            match = _FLOAT_LINE.match(line) or _MATH_LINE.match(line)
            if match and known:
                name, op, a, b = match.groups()
                refs = tuple(ref(x) for x in (a, b) if x is not None)
                if all(r is not None for r in refs) and any(r[0] == "v" for r in refs) and \
                        (op in _BINARY or op == "fneg" or op in _MATH):
                    self.plan.append((name, op, refs))
                    known.add(name)
                    continue
            kept.append(line)
        ir = "\n".join(kept)
        ir = re.sub(rf"^declare double @{PARAMETER_FN}\(i64\)[^\n]*\n\n?", "", ir, flags=re.MULTILINE)
        ir = re.sub(rf'\s*"{PARAMETER_ATTR}"="(?:[^"\\]|\\.)*"', "", ir, count=1)
        self.pieces: list[str] = []
        self.uses: list[str] = []
        if known:
            pattern = re.compile("(" + "|".join(re.escape(n) for n in sorted(known, key=len, reverse=True))
                                 + r")(?![-\w.$])")
            position = 0
            for match in pattern.finditer(ir):
                self.pieces.append(ir[position:match.start()])
                self.uses.append(match.group(1))
                position = match.end()
            self.pieces.append(ir[position:])
        else:
            self.pieces.append(ir)
        used = set(self.uses)
        self._needed = [name for name, _, _ in self.plan if name in used]
        self._bind_row = None

    def evaluate(self, values: np.ndarray) -> dict[str, np.ndarray]:
        """Every parameter-derived value for a (B, P) array of runtime values: name → (B,) array."""
        env: dict[str, np.ndarray] = {}
        for name, op, refs in self.plan:
            if op == "param":
                env[name] = values[:, refs[0]]
                continue
            args = [env[r[1]] if r[0] == "v" else r[1] for r in refs]
            if op == "fneg":
                env[name] = -args[0]
            elif op in _BINARY:
                env[name] = _BINARY[op](args[0], args[1])
            else:
                env[name] = _MATH[op](*args)
        return env

    def _generate(self):
        """A Python function row → bound text, generated from the plan (no interpretation per bind)."""
        variables: dict[str, str] = {}
        constants: list[float] = []
        lines = ["def bind_row(r):"]

        def operand(r) -> str:
            if r[0] == "v":
                return variables[r[1]]
            constants.append(r[1])
            return f"C[{len(constants) - 1}]"

        symbols = {"fadd": "+", "fsub": "-", "fmul": "*", "fdiv": "/"}
        for i, (name, op, refs) in enumerate(self.plan):
            var = variables[name] = f"v{i}"
            if op == "param":
                lines.append(f"    {var} = r[{refs[0]}]")
            elif op == "fneg":
                lines.append(f"    {var} = -{operand(refs[0])}")
            elif op in symbols:
                lines.append(f"    {var} = {operand(refs[0])} {symbols[op]} {operand(refs[1])}")
            else:
                lines.append(f"    {var} = M[{op!r}]({', '.join(operand(r) for r in refs)})")
        literal = {}
        for j, name in enumerate(self._needed):
            literal[name] = f"s{j}"
            lines.append(f"    s{j} = '0x%016X' % from_bytes(pack({variables[name]}), 'little')")
        parts = ["P[0]"]
        for i, name in enumerate(self.uses):
            parts += [literal[name], f"P[{i + 1}]"]
        lines.append(f"    return ''.join(({', '.join(parts)},))")
        scope = {"C": tuple(constants), "M": _PY_OPS, "P": tuple(self.pieces), "pack": _PACK,
                 "from_bytes": int.from_bytes}
        exec("\n".join(lines), scope)  # noqa: S102 — code generated from the parsed plan above
        return scope["bind_row"]

    def text(self, values: Sequence[float]) -> str:
        """The bound module text for one vector (generated straight-line Python: a few µs)."""
        if self._bind_row is None:
            self._bind_row = self._generate()
        try:
            return self._bind_row([float(v) for v in values])
        except (ZeroDivisionError, ValueError, OverflowError):  # IEEE results LLVM would give: use numpy
            return self.texts(np.asarray(values, dtype=float)[None, :])[0]

    def texts(self, values: np.ndarray) -> list[str]:
        """The bound module text for each row of a (B, P) array."""
        with np.errstate(all="ignore"):
            env = self.evaluate(np.asarray(values, dtype=float))
        literal_rows = {name: [f"0x{bits:016X}" for bits in np.ascontiguousarray(env[name]).view(np.uint64).tolist()]
                        for name in self._needed}
        pieces, uses = self.pieces, self.uses
        out = []
        for row in range(len(values)):
            parts = [pieces[0]]
            for i, name in enumerate(uses):
                parts.append(literal_rows[name][row])
                parts.append(pieces[i + 1])
            out.append("".join(parts))
        return out

    def bind_many(self, values: np.ndarray, metadata: dict) -> list[Program]:
        from qirrt.qir.program import Program

        p = self.program
        texts = [self.text(values[0])] if len(values) == 1 else self.texts(values)
        return [Program(ir=text, entry_point=p.entry_point, profile=p.profile, num_qubits=p.num_qubits,
                        num_results=p.num_results, parameters=(), producer=p.producer,
                        normalisation=p.normalisation, source_file=p.source_file, repairs=p.repairs,
                        metadata=dict(metadata))
                for text in texts]


# -- the compiled artifact -----------------------------------------------------------------------------
class CompiledProgram:
    """A program compiled once for a target and calibration; bind or run it with parameter values.

    `parameters` lists the user's parameter names in binding order. `program` is the compiled,
    still parametric Program (its own `parameters` end with the hidden correction slots, if any).
    `epoch` names the calibration binding uses now; `compiled_epoch` the one compilation used.
    """

    def __init__(self, source: Program, *, target: Target | None, calibration: Calibration | None,
                 manager: PassManager, store: CalibrationStore | None = None,
                 thresholds: Mapping[str, float] | None = None, cache: CompileCache | None = None,
                 debug: bool = False):
        self.source = source
        self.target = target
        self.manager = manager
        self.store = store
        self.thresholds = dict(thresholds) if thresholds is not None else None
        self.cache = cache
        self.debug = debug
        self.compilations = 0
        self._lock = threading.RLock()
        self._subscription = None
        self._stale: str | None = None
        self._build(calibration)

    # -- building ------------------------------------------------------------------------------------
    def _build(self, calibration: Calibration | None) -> None:
        from qirrt.passes import PassContext

        ctx = PassContext(target=self.target, calibration=calibration, debug=self.debug)
        program = self.manager.run(self.source, ctx)
        program, slots = add_correction_slots(program, calibration)
        self.program = program
        self.properties = ctx.properties
        self.slots = slots
        self.compiled_calibration = calibration
        self.calibration = calibration
        self._template = BindTemplate(program)
        self._hidden = correction_values(slots, calibration)
        self._rotation_keys = _rotation_keys(program)
        self.compilations += 1
        self._stale = None
        self._follow_store()
        log.info("compiled %r for %s (epoch %s): %s", self.source, self.target.name if self.target else "no target",
                 self.epoch, self.manager.pipeline)

    def _follow_store(self) -> None:
        if self.store is None or self.target is None:
            return
        if self._subscription is not None:
            self._subscription.cancel()
        self._subscription = self.store.subscribe(self._on_epoch, target=self.target.name, every_epoch=True,
                                                  thresholds=self.thresholds, qubits=self.physical_qubits,
                                                  pairs=self.physical_pairs)

    def _on_epoch(self, event: DriftEvent) -> None:
        with self._lock:
            current = self.calibration
            if current is not None and event.new.timestamp < current.timestamp:
                return  # a back-filled old snapshot
            new_keys = (set(event.new.angle_corrections) & self._rotation_keys) - set(self.slots)
            if event.exceeding:
                self._stale = "drift above threshold: " + ", ".join(
                    f"{e.metric} {e.key} {e.relative_change:.0%}" for e in event.exceeding[:3])
            elif new_keys:
                self._stale = f"new angle corrections on {sorted(new_keys)[:3]}"
            if self._stale:
                log.info("compiled %r is stale (%s); the next bind recompiles", self.source, self._stale)
                if self.cache is not None:
                    self.cache.evict(self)
            self.calibration = event.new
            self._hidden = correction_values(self.slots, event.new)

    def _fresh(self) -> None:
        if self._stale is not None:
            with self._lock:
                if self._stale is not None:
                    log.info("recompiling %r: %s", self.source, self._stale)
                    self._build(self.calibration)
                    if self.cache is not None:
                        self.cache.put(self)

    # -- views ---------------------------------------------------------------------------------------
    @property
    def parameters(self) -> tuple[str, ...]:
        return self.source.parameters

    @property
    def epoch(self) -> str | None:
        return self.calibration.epoch if self.calibration is not None else None

    @property
    def compiled_epoch(self) -> str | None:
        return self.compiled_calibration.epoch if self.compiled_calibration is not None else None

    @property
    def stale(self) -> bool:
        return self._stale is not None

    @property
    def physical_qubits(self) -> list[int] | None:
        return self.program.metadata.get("physical_qubits")

    @property
    def physical_pairs(self) -> list[tuple[int, int]] | None:
        physical = self.physical_qubits
        if physical is None:
            return None
        from qirrt.passes.circuit import Circuit

        pairs = {tuple(sorted(physical[q] for q in g.qubits))
                 for g in Circuit.from_program(self.program).gates() if len(g.qubits) == 2}
        return sorted(pairs)

    @property
    def resources(self):
        return self.properties.get("resources")

    @property
    def pipeline(self) -> str:
        return self.manager.pipeline

    def __repr__(self) -> str:
        target = self.target.name if self.target else None
        return (f"CompiledProgram({self.source.entry_point!r}, target={target!r}, epoch={self.epoch}, "
                f"parameters={len(self.parameters)})")

    # -- values --------------------------------------------------------------------------------------
    def values(self, values) -> np.ndarray:
        """User values as a float array: (P,) for one vector, (B, P) for a batch."""
        names = self.parameters
        if isinstance(values, Mapping):
            missing = [n for n in names if n not in values]
            unknown = [k for k in values if k not in names]
            if missing or unknown:
                raise ExecutionError(f"parameter values do not match the program's parameters {list(names)}: "
                                     f"missing {missing}, unknown {unknown}")
            return np.array([float(values[n]) for n in names], dtype=float)
        array = np.asarray(values if values is not None else [], dtype=float)
        if array.ndim == 0 or array.ndim > 2 or array.shape[-1] != len(names):
            raise ExecutionError(f"expected {len(names)} parameter values {list(names)} (or a 2-D batch of "
                                 f"them), got an array of shape {array.shape}")
        return array

    def runtime_values(self, values, *, corrections: bool = True) -> np.ndarray:
        """User values followed by the hidden correction values: what `program` takes at run time.

        `corrections=False` fills the slots with the identity (scale 1, offset 0): the ideal circuit."""
        array = self.values(values)
        self._fresh()
        hidden = np.asarray(self._hidden if corrections else correction_values(self.slots, None), dtype=float)
        if array.ndim == 1:
            return np.concatenate([array, hidden])
        return np.hstack([array, np.broadcast_to(hidden, (array.shape[0], hidden.size))])

    def _metadata(self) -> dict:
        metadata = dict(self.program.metadata)
        metadata["calibration_epoch"] = self.epoch
        metadata["compiled_epoch"] = self.compiled_epoch
        metadata["compiled_from"] = self.source.hash
        return metadata

    # -- bind and run ----------------------------------------------------------------------------------
    def bind(self, values, *, corrections: bool = True) -> Program | list[Program]:
        """A runnable Program per value vector (a list for a 2-D batch); no pass or parse runs.

        Angle corrections of the current calibration are folded in unless `corrections` is False."""
        full = self.runtime_values(values, corrections=corrections)
        metadata = self._metadata()
        if full.ndim == 1:
            return self._template.bind_many(full[None, :], metadata)[0]
        return self._template.bind_many(full, metadata)

    def run(self, values=None, *, shots: int = 1000, seed: int | None = None, executor: str = "local",
            corrections: bool = True):
        """Run with `values` (one vector, a name → value mapping, or a 2-D batch → list of Results).

        The compiled module is JIT-compiled once by the executor and fed each vector; what runs is
        what `bind` would produce (angle corrections included unless `corrections` is False)."""
        if values is None and not self.parameters:
            values = []
        full = self.runtime_values(values, corrections=corrections)
        batch = full.ndim == 2
        rows = full if batch else full[None, :]
        results = _execute(self.program, rows, shots=shots, seed=seed, executor=executor)
        for result in results:
            metadata = getattr(result, "metadata", None)
            if isinstance(metadata, dict):
                metadata["calibration_epoch"] = self.epoch
                metadata["compiled_epoch"] = self.compiled_epoch
        return results if batch else results[0]

    def close(self) -> None:
        """Stop following the calibration store."""
        if self._subscription is not None:
            self._subscription.cancel()
            self._subscription = None


def _execute(program: Program, rows: np.ndarray, *, shots: int, seed: int | None, executor) -> list:
    """Run the parametric `program` once per row of runtime values: one batch call, one JIT."""
    from qirrt.executors.base import check_shots
    from qirrt.executors.registry import get_executor

    check_shots(shots)
    runner = get_executor(executor) if isinstance(executor, str) else executor
    results = runner.run(program, shots=shots, seed=seed, params=[list(row) for row in rows])
    return results if isinstance(results, list) else [results]


# -- the cache --------------------------------------------------------------------------------------
class CompileCache:
    """Compiled programs by (program hash, target, calibration epoch, pipeline)."""

    def __init__(self, max_entries: int = 256):
        self.max_entries = max_entries
        self._entries: dict[tuple, CompiledProgram] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @staticmethod
    def key_of(program: Program, target, calibration, pipeline: str, store) -> tuple:
        return (program.hash, target.name if target is not None else None,
                calibration.epoch if calibration is not None else None, pipeline, id(store) if store else None)

    def get(self, key: tuple) -> CompiledProgram | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found.stale:
                del self._entries[key]
                found = None
            self.hits += found is not None
            self.misses += found is None
            return found

    def put(self, compiled: CompiledProgram) -> None:
        key = self.key_of(compiled.source, compiled.target, compiled.compiled_calibration, compiled.pipeline,
                          compiled.store)
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = compiled

    def evict(self, compiled: CompiledProgram) -> None:
        with self._lock:
            for key, value in list(self._entries.items()):
                if value is compiled:
                    del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


default_cache = CompileCache()


def compile_program(program: Program, *, target: Any = None, calibration: Any = None, passes: Any = None,
                    store: CalibrationStore | None = None, thresholds: Mapping[str, float] | None = None,
                    cache: CompileCache | None | bool = True, debug: bool = False) -> CompiledProgram:
    """Compile `program` once for `target` (a Target, a Qiskit BackendV2 or a name like "FakeKolkata").

    `calibration` defaults to the store's latest snapshot of the target, else the backend's own.
    `passes` is pipeline text, a list of passes or a PassManager (default `TARGET_PIPELINE`, or
    `PLAIN_PIPELINE` without a target). With a `store`, the result follows new calibration epochs
    (see the module docstring); `thresholds` are relative drift limits per metric.
    """
    resolved_target, resolved_calibration = _resolve(target, calibration, store)
    manager = _pass_manager(passes, resolved_target is not None)
    if debug:
        manager.debug = True
    chosen_cache = default_cache if cache is True else (cache if isinstance(cache, CompileCache) else None)
    key = None
    if chosen_cache is not None:
        key = CompileCache.key_of(program, resolved_target, resolved_calibration, manager.pipeline, store)
        found = chosen_cache.get(key)
        if found is not None:
            return found
    compiled = CompiledProgram(program, target=resolved_target, calibration=resolved_calibration, manager=manager,
                               store=store, thresholds=thresholds, cache=chosen_cache, debug=debug)
    if chosen_cache is not None:
        chosen_cache.put(compiled)
    return compiled


def compile(source: Any, *, target: Any = None, calibration: Any = None, passes: Any = None,
            store: CalibrationStore | None = None, thresholds: Mapping[str, float] | None = None,
            cache: CompileCache | None | bool = True) -> CompiledProgram:
    """`qirrt.compile`: load `source` (anything `qirrt.load` takes) and `compile_program` it."""
    from qirrt.api.load import load

    return compile_program(load(source), target=target, calibration=calibration, passes=passes, store=store,
                           thresholds=thresholds, cache=cache)


__all__ = [
    "NATIVE_PIPELINE",
    "PLAIN_PIPELINE",
    "TARGET_PIPELINE",
    "BindTemplate",
    "CompileCache",
    "CompiledProgram",
    "add_correction_slots",
    "compile",
    "compile_program",
    "correction_values",
    "default_cache",
]
