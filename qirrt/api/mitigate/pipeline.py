"""Composing, planning and running error mitigation: `Pipeline`, `plan`, `run`, `run_batch`.

**Composition.** A pipeline is a list of mitigation steps (`qirrt.passes.mitigation`) in the user's
order, written as pipeline text (``"ddd,zne{scale-factors=1,3,5}"``) or as a list of names or step
instances. ``["ddd", "zne"]`` is ZNE of DDD-padded circuits: each step expands every program the
step before it produced (DDD pads the program, ZNE folds the padded program at each scale), the
expanded programs run as one batch, and the outcomes are combined in reverse (ZNE extrapolates, then
DDD passes the value through). Readout calibration circuits are the one exception: steps after
`readout` pass them through unexpanded, so a readout step never calibrates folded or twirled copies.

**Observables.** With an observable (a Pauli string such as ``"ZZZZZ"``, a sum, or a
`SparsePauliOp`; see `qirrt.observables` for the qubit order) the program is first split into one
circuit per qubit-wise commuting group, with its basis change appended; the whole pipeline runs per
group and the groups' mitigated values add up to ⟨O⟩. Without one, outcomes are quasi-probability
distributions (ZNE then extrapolates each probability; exponential extrapolation needs an observable).

**Batches.** `run_batch([(program, steps), ...])` expands every program (each with its own pipeline,
possibly none) into one execution batch. Identical programs — ZNE's scale-1 copy and the
unmitigated reference, a readout calibration circuit shared by twenty folded copies, repeated PEC
samples — run once with their shots added up, and the counts are split back among the requests by
sampling without replacement, which is distributed exactly as separate runs would be.

**Cost up front.** `plan(program, steps, shots)` expands without running and reports the number of
circuits, the number actually executed, the total shots, PEC's sampling overhead and the estimated
device time (the `estimate-resources` schedule on the target plus a repetition delay per shot). The
numbers are those `run` then spends: the same expansion, seeded identically.

**Decorators.** `ExecutionBackend`, `EnrichedExecutionBackend` and `ErrorMitigatedExecutionBackend`
express the same composition as the Decorator pattern of the paper qirrt's model comes from:
``ErrorMitigatedExecutionBackend(ErrorMitigatedExecutionBackend(ExecutionBackend(ex), zne), ddd)``
equals the pipeline ``["ddd", "zne"]`` (the outermost decorator expands first).

**Executors.** The expanded programs must run as written: a transpiler that optimises (Aer given a
target at ``optimization_level`` ≥ 1) cancels folded gate pairs, DD pulses and twirling Paulis. Compile
for the device first (`qirrt.compile` / ``qirrt compile --target``) and run on an executor that does
not re-optimise, e.g. ``AerExecutor(calibration=...)`` (noise on the program's qubits as they are).
Give the same target and calibration to the mitigation context: DDD reads durations, PEC gate errors
and readout the measurement errors of the physical qubits in the program's layout.

**mitiq.** `mitiq_executor` wraps a qirrt executor as a function mitiq accepts, so mitiq's own
techniques (CDR, classical shadows, its ZNE/PEC/DDD) run on qirrt's executors.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qirrt.errors import ExecutionError, PassError
from qirrt.executors.base import derive_seed, expect_runs
from qirrt.observables import BoundObservable, PauliObservable
from qirrt.passes.base import PassContext
from qirrt.passes.basis_change import measurement_circuits
from qirrt.passes.mitigation.base import (
    Estimate,
    MitigationStep,
    Outcome,
    QuasiDistribution,
    value_of,
)
from qirrt.passes.mitigation.readout import FIXED
from qirrt.qir.program import Program
from qirrt.result import Result

log = logging.getLogger(__name__)

DEFAULT_REPETITION_DELAY_S = 250e-6
"""Time between shots on a superconducting device (reset and re-arm), added per shot to estimates."""


# -- pipelines ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pipeline:
    """Mitigation steps in the user's order: the first expands the program, the last combines first."""

    steps: tuple[MitigationStep, ...] = ()

    def __post_init__(self) -> None:
        # a readout step corrects measurement error itself: ZNE and PEC must not also remove it
        object.__setattr__(self, "steps", _without_double_readout(tuple(self.steps)))

    @classmethod
    def parse(cls, spec: Pipeline | str | Sequence[str | MitigationStep] | None) -> Pipeline:
        """From pipeline text, a list of names / texts / step instances, a Pipeline, or None (no steps)."""
        from qirrt.passes.pipeline import parse_pass, parse_pipeline

        if spec is None:
            return cls(())
        if isinstance(spec, Pipeline):
            return spec
        if isinstance(spec, MitigationStep):
            return cls((spec,))
        if isinstance(spec, str):
            passes = parse_pipeline(spec)
        else:
            passes = [s if not isinstance(s, str) else parse_pass(s) for s in spec]
        for p in passes:
            if not isinstance(p, MitigationStep):
                raise PassError(f"'{p}' is not a mitigation step: mitigation pipelines take "
                                "zne, ddd, twirl, readout, readout-model and pec (run other passes before mitigating)")
        return cls(tuple(passes))

    def __str__(self) -> str:
        from qirrt.passes.pipeline import format_pipeline

        return format_pipeline(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    # -- expansion tree ---------------------------------------------------------------------------
    def expand(self, program: Program, ctx: PassContext | None = None) -> Node:
        """The expansion tree of `program`: its leaves are the programs to run."""
        return self._expand(program, ctx, 0)

    def _expand(self, program: Program, ctx, depth: int) -> Node:
        if depth == len(self.steps):
            return Node(program, depth)
        if program.metadata.get(FIXED):
            return Node(program, depth, [self._expand(program, ctx, depth + 1)], passthrough=True)
        step = self.steps[depth]
        expanded = step.expand(program, ctx)
        if not expanded:
            raise PassError(f"mitigation step '{step}' expanded {program!r} into no programs")
        return Node(program, depth, [self._expand(p, ctx, depth + 1) for p in expanded])

    def leaf_weights(self, node: Node, weight: float = 1.0) -> list[tuple[Node, float]]:
        """(leaf, relative share of a shot budget) for the tree's leaves; every share is 1 unless a step
        weights its programs (`MitigationStep.shot_weights`, scaled to mean 1)."""
        if node.children is None:
            return [(node, weight)]
        if node.passthrough:
            return self.leaf_weights(node.children[0], weight)
        shares = self.steps[node.depth].shot_weights([child.program for child in node.children])
        if shares is None or len(shares) != len(node.children) or sum(shares) <= 0:
            shares = [1.0] * len(node.children)
        scale = len(shares) / sum(shares)
        return [pair for child, share in zip(node.children, shares)
                for pair in self.leaf_weights(child, weight * share * scale)]

    def combine(self, node: Node, outcomes: Mapping[int, Outcome], observable: BoundObservable | None = None,
                ctx: PassContext | None = None) -> Outcome:
        """Combine leaf outcomes (keyed by `id(leaf)`) up the tree, innermost step first."""
        if node.children is None:
            return outcomes[id(node)]
        if node.passthrough:
            return self.combine(node.children[0], outcomes, observable, ctx)
        step = self.steps[node.depth]
        results = [self.combine(child, outcomes, observable, ctx) for child in node.children]
        return step.combine(results, programs=[child.program for child in node.children], observable=observable,
                            ctx=ctx)


def with_postprocess(mitigation, postprocess):
    """`mitigation` with a post-processor appended as its last step (`readout-model`), or `mitigation` as it
    is when `postprocess` is None. `postprocess` is a post-processor name (``"mlp"``), step text
    (``"readout-model{name=mlp,source=circuits}"``), a `PostProcessor` (fitted or not) or a fitted
    ``{"name": ..., "state": ...}`` spec."""
    from qirrt.passes.mitigation.readout_model import ReadoutModel

    if postprocess is None:
        return mitigation
    if isinstance(postprocess, str) and postprocess.strip().startswith(ReadoutModel.name):
        from qirrt.passes.pipeline import parse_pass

        step = parse_pass(postprocess)
    else:
        step = ReadoutModel.of(postprocess)
    return Pipeline((*Pipeline.parse(mitigation).steps, step))


def _without_double_readout(steps: tuple[MitigationStep, ...]) -> tuple[MitigationStep, ...]:
    """`steps` handling measurement error once: a readout step switches ZNE's readout scaling and PEC's
    readout inversion off; PEC's inversion switches ZNE's scaling off."""
    from dataclasses import fields, replace

    has_readout = any(s.name in ("readout", "readout-model") for s in steps)
    pec_inverts = any(s.name == "pec" and getattr(s, "readout", None) == "auto" for s in steps)
    if not has_readout and not pec_inverts:
        return steps
    out = []
    for s in steps:
        names = {f.name for f in fields(s)}
        if "readout_scaling" in names and s.readout_scaling == "auto":  # ZNE: readout or PEC corrects it
            s = replace(s, readout_scaling="off")
        elif has_readout and "readout" in names and getattr(s, "readout", None) == "auto":
            s = replace(s, readout="off")
        out.append(s)
    return tuple(out)


@dataclass(eq=False)
class Node:
    """One program in an expansion tree; `children` is None for a leaf (a program that runs)."""

    program: Program
    depth: int
    children: list[Node] | None = None
    passthrough: bool = False

    def leaves(self) -> list[Node]:
        if self.children is None:
            return [self]
        return [leaf for child in self.children for leaf in child.leaves()]


# -- batches ----------------------------------------------------------------------------------------
@dataclass(eq=False)
class _Group:
    """One measured circuit of one item: its expansion tree, diagonal observable and reference."""

    tree: Node
    observable: BoundObservable | None
    reference: Node | None
    label: str = ""


@dataclass(eq=False)
class _Item:
    program: Program
    pipeline: Pipeline
    observable: PauliObservable | None
    groups: list[_Group]


@dataclass(eq=False)
class _Request:
    """A leaf to run with its shots."""

    node: Node
    shots: int


@dataclass(frozen=True)
class Plan:
    """What a mitigated run costs, before it runs.

    `circuits` counts every program the expansion asks for (the unmitigated reference included),
    `executions` the distinct programs actually executed (identical ones run once, shots added up);
    `shots` is the total over all of them. `estimated_time_s` is None when no duration is known.
    """

    pipeline: str
    observable: str | None
    groups: int
    circuits: int
    executions: int
    shots_per_circuit: int
    reference_shots: int
    shots: int
    sampling_overhead: float
    estimated_time_s: float | None
    items: tuple[dict, ...] = ()
    cost: float | None = None  # by a cluster's price table (`plan(..., executor=cluster)`); None: not priced
    currency: str | None = None

    def to_dict(self) -> dict:
        return {"pipeline": self.pipeline, "observable": self.observable, "groups": self.groups,
                "circuits": self.circuits, "executions": self.executions,
                "shots_per_circuit": self.shots_per_circuit, "reference_shots": self.reference_shots,
                "shots": self.shots, "sampling_overhead": self.sampling_overhead,
                "estimated_time_s": self.estimated_time_s, "items": [dict(i) for i in self.items],
                "cost": self.cost, "currency": self.currency}


class _Batch:
    """Items expanded into requests, with the bookkeeping to execute and combine them."""

    def __init__(self, items, *, observable, shots: int, shot_budget: int | None, ctx: PassContext,
                 reference: bool):
        if shots is not None:
            from qirrt.executors.base import check_shots

            check_shots(shots)
        self.ctx = ctx
        self.items: list[_Item] = []
        self.requests: list[_Request] = []
        self.reference_shots: list[int] = []
        self.shots_per_circuit: list[int] = []
        for entry in items:
            program, steps, item_observable = _unpack(entry, observable)
            pipeline = Pipeline.parse(steps)
            parsed = PauliObservable.parse(item_observable) if item_observable is not None else None
            groups = []
            if parsed is None:
                measured = [(program, None, "")]
            else:
                measured = [(p, bound, ",".join(f"{b}{q}" for q, b in sorted(g.basis.items())))
                            for p, bound, g in measurement_circuits(program, parsed)]
            for p, bound, label in measured:
                tree = pipeline.expand(p, ctx)
                groups.append(_Group(tree, bound, Node(p, -1) if reference else None, label))
            leaves = sum(len(g.tree.leaves()) for g in groups)
            if shot_budget is not None:
                per_leaf = max(shot_budget // max(leaves, 1), 1)
                reference_shots = shot_budget
                # steps may weight their programs (ZNE: by |extrapolation weight|); equal weights give per_leaf
                weighted = [(leaf, w) for g in groups for leaf, w in pipeline.leaf_weights(g.tree)]
                total = sum(w for _, w in weighted)
                leaf_shots = {id(leaf): max(int(shot_budget * w / total + 1e-9), 1) for leaf, w in weighted}
            else:
                per_leaf = shots
                reference_shots = shots
                leaf_shots = {}
            for g in groups:
                for leaf in g.tree.leaves():
                    self.requests.append(_Request(leaf, leaf_shots.get(id(leaf), per_leaf)))
                if g.reference is not None:
                    self.requests.append(_Request(g.reference, reference_shots))
            self.items.append(_Item(program, pipeline, parsed, groups))
            self.reference_shots.append(reference_shots if reference else 0)
            self.shots_per_circuit.append(per_leaf)

    def unique(self) -> dict[str, list[_Request]]:
        """Requests grouped by program hash, in first-seen order."""
        out: dict[str, list[_Request]] = {}
        for request in self.requests:
            out.setdefault(request.node.program.hash, []).append(request)
        return out

    def plan(self, repetition_delay_s: float) -> Plan:
        unique = self.unique()
        time_s: float | None = 0.0
        for requests in unique.values():
            duration_ns = _duration_ns(requests[0].node.program, self.ctx)
            shots = sum(r.shots for r in requests)
            time_s += shots * (duration_ns * 1e-9 + repetition_delay_s)
        overhead = 1.0
        items = []
        shots_of: dict[int, int] = {}  # id(leaf) -> its requests' shots (one pass: batches of thousands of items)
        for r in self.requests:
            shots_of[id(r.node)] = shots_of.get(id(r.node), 0) + r.shots
        for item, per_leaf, reference_shots in zip(self.items, self.shots_per_circuit, self.reference_shots):
            leaves = [leaf for g in item.groups for leaf in g.tree.leaves()]
            item_overhead = _sampling_overhead(item)
            overhead = max(overhead, item_overhead)
            items.append({"pipeline": str(item.pipeline), "observable": str(item.observable) if item.observable
                          else None, "groups": len(item.groups),
                          "circuits": len(leaves) + (len(item.groups) if reference_shots else 0),
                          "shots_per_circuit": per_leaf, "reference_shots": reference_shots,
                          "shots": sum(shots_of.get(id(leaf), 0) for leaf in {id(x): x for x in leaves}.values())
                          + reference_shots * len(item.groups),
                          "sampling_overhead": item_overhead})
        first = self.items[0] if self.items else None
        return Plan(
            pipeline=str(first.pipeline) if first and len(self.items) == 1 else
            ";".join(str(i.pipeline) for i in self.items),
            observable=str(first.observable) if first and first.observable and len(self.items) == 1 else None,
            groups=sum(len(i.groups) for i in self.items),
            circuits=len(self.requests), executions=len(unique),
            shots_per_circuit=self.shots_per_circuit[0] if len(self.items) == 1 else 0,
            reference_shots=self.reference_shots[0] if len(self.items) == 1 else 0,
            shots=sum(r.shots for r in self.requests), sampling_overhead=overhead,
            estimated_time_s=time_s, items=tuple(items))

    def execute(self, executor, *, seed: int | None) -> dict[int, QuasiDistribution]:
        """Run every distinct program once and split its counts among its requests."""
        unique = self.unique()
        programs = [requests[0].node.program for requests in unique.values()]
        totals = [sum(r.shots for r in requests) for requests in unique.values()]
        counts = _run(executor, programs, totals, seed)
        rng = np.random.default_rng(seed)
        outcomes: dict[int, QuasiDistribution] = {}
        for requests, program_counts in zip(unique.values(), counts):
            for request, part in zip(requests, _split(program_counts, [r.shots for r in requests], rng)):
                outcomes[id(request.node)] = QuasiDistribution.from_counts(part, request.shots)
        self.counts = dict(zip(unique, counts))
        return outcomes

    def combine(self, outcomes: Mapping[int, QuasiDistribution]) -> list[Result]:
        results = []
        for item, reference_shots in zip(self.items, self.reference_shots):
            results.append(self._combine_item(item, outcomes, reference_shots))
        return results

    def _combine_item(self, item: _Item, outcomes, reference_shots: int) -> Result:
        mitigated: list[Outcome] = []
        details = []
        for g in item.groups:
            outcome = item.pipeline.combine(g.tree, outcomes, g.observable, self.ctx)
            mitigated.append(outcome)
            if isinstance(outcome, Estimate):
                details.append({"group": g.label, **outcome.to_dict()})
        metadata: dict[str, Any] = {"mitigation": {"pipeline": str(item.pipeline), "groups": details}}
        reference = [outcomes[id(g.reference)] for g in item.groups if g.reference is not None]
        counts: dict[str, int] = {}
        if reference and len(item.groups) == 1:
            counts = {k: round(v) for k, v in reference[0].to_counts().items()}
        if item.observable is None:
            (outcome,) = mitigated
            if isinstance(outcome, Estimate):
                raise PassError("the pipeline produced an expectation value but no observable was given")
            metadata["mitigation"]["quasi_probabilities"] = dict(outcome.probabilities)
            metadata["mitigation"]["effective_shots"] = outcome.shots
            return Result(counts=counts, shots=reference_shots, metadata=metadata)
        value, variance = 0.0, 0.0
        for outcome, g in zip(mitigated, item.groups):
            v, se = value_of(outcome, g.observable)
            value += v
            variance += (se or 0.0) ** 2 if se is not None and math.isfinite(se) else 0.0
        unmitigated = None
        if reference:
            unmitigated = sum(r.expectation(g.observable) for r, g in zip(reference, item.groups))
        metadata["mitigation"]["std_error"] = math.sqrt(variance)
        metadata["mitigation"]["observable"] = str(item.observable)
        return Result(counts=counts, shots=reference_shots, metadata=metadata, expectation=value,
                      expectation_unmitigated=unmitigated)


def _unpack(entry, observable):
    if isinstance(entry, Program) or not isinstance(entry, (tuple, list)):
        return _load(entry), None, observable
    if len(entry) == 2:
        return _load(entry[0]), entry[1], observable
    if len(entry) == 3:
        return _load(entry[0]), entry[1], entry[2]
    raise PassError("run_batch items are (program, steps) or (program, steps, observable)")


def _load(source) -> Program:
    from qirrt.api.load import load

    return load(source)


def _sampling_overhead(item: _Item) -> float:
    overhead = 1.0
    for g in item.groups:
        for leaf in g.tree.leaves():
            for tag in leaf.program.metadata.get("mitigation", ()):
                if tag.get("step") == "pec":
                    overhead = max(overhead, tag["gamma"] ** 2)
    return overhead


def _duration_ns(program: Program, ctx: PassContext) -> float:
    """One shot's schedule length: `estimate-resources` on the target, nominal durations without one."""
    if ctx.target is not None or ctx.calibration is not None:
        from qirrt.passes.estimate_resources import estimate

        found = estimate(program, ctx).duration_ns
        if found is not None:
            return found
    from qirrt.passes.circuit import Circuit, Gate, Op
    from qirrt.passes.mitigation.schedule import Durations

    circuit = Circuit.from_program(program)
    durations = Durations(circuit.physical, ctx)
    clock: dict[int, float] = {}
    for item in circuit.items():
        if isinstance(item, Gate):
            qubits, length = item.qubits, durations.gate(item.name, item.qubits)
        elif isinstance(item, Op):
            qubits, length = (item.qubit,), durations.op(item)
        else:
            continue
        start = max((clock.get(q, 0.0) for q in qubits), default=0.0)
        for q in qubits:
            clock[q] = start + length
    return max(clock.values(), default=0.0)


def _split(counts: Mapping[str, int], sizes: Sequence[int], rng: np.random.Generator) -> list[dict[str, int]]:
    """Split counts into parts of the given sizes, uniformly at random without replacement."""
    if len(sizes) == 1:
        return [dict(counts)]
    keys = list(counts)
    remaining = np.array([int(counts[k]) for k in keys], dtype=np.int64)
    if remaining.sum() < sum(sizes):
        raise ExecutionError(f"the executor returned {int(remaining.sum())} shots where {sum(sizes)} were asked")
    parts = []
    for size in sizes:
        drawn = rng.multivariate_hypergeometric(remaining, size) if size else np.zeros_like(remaining)
        remaining = remaining - drawn
        parts.append({k: int(n) for k, n in zip(keys, drawn) if n})
    return parts


def _run(executor, programs: list[Program], shots: list[int], seed: int | None) -> list[dict[str, int]]:
    """Counts of each program with its shots: qirrt executors (grouped by shot count) or a callable."""
    if executor is None or isinstance(executor, str):
        from qirrt.executors.registry import get_executor

        executor = get_executor(executor or "local")
    expect_runs(len(programs))
    out: list[dict[str, int] | None] = [None] * len(programs)
    by_shots: dict[int, list[int]] = {}
    for index, s in enumerate(shots):
        by_shots.setdefault(s, []).append(index)
    jobs = {}
    if hasattr(executor, "submit"):  # every group submitted before any is waited on: one batch on a cluster
        for s, indices in by_shots.items():
            # each group its own seed: groups that started from one seed would replay one shot-noise stream
            group_seed = None if seed is None else derive_seed(seed, indices[0])[1]
            jobs[s] = executor.submit([programs[i] for i in indices], shots=s, seed=group_seed)
    for s, indices in by_shots.items():
        batch = [programs[i] for i in indices]
        if s in jobs:
            results = jobs[s].result()
        elif callable(executor):
            results = executor(batch, s)
        else:
            raise ExecutionError(f"{executor!r} is neither a qirrt executor nor a callable (programs, shots) -> counts")
        if isinstance(results, (Result, Mapping)):
            results = [results]
        results = list(results)
        if len(results) != len(batch):
            raise ExecutionError(f"the executor returned {len(results)} results for {len(batch)} programs")
        for i, r in zip(indices, results):
            counts = r.counts if isinstance(r, Result) or hasattr(r, "counts") else r
            out[i] = {str(k): int(v) for k, v in counts.items()}
    return out  # type: ignore[return-value]


def _context(ctx: PassContext | None, target, calibration) -> PassContext:
    if ctx is not None:
        return ctx
    if isinstance(target, str):
        from qirrt.adapters import resolve_target

        target = resolve_target(target)
    return PassContext(target=target, calibration=calibration)


# -- public API -------------------------------------------------------------------------------------
def plan(program, steps=None, shots: int = 1000, *, observable=None, shot_budget: int | None = None,
         target=None, calibration=None, ctx: PassContext | None = None, reference: bool = True,
         repetition_delay_s: float = DEFAULT_REPETITION_DELAY_S, executor=None) -> Plan:
    """What mitigating `program` with `steps` costs: circuits, executions, shots and estimated time.

    `shots` is per executed circuit; with `shot_budget` the budget is split over the mitigation
    circuits instead — evenly, except where a step weights its programs (ZNE: by |extrapolation
    weight|) — and the unmitigated reference gets the whole budget. With `executor` a cluster
    (`qirrt.connect`), the plan also has the ``cost`` of its executions by the broker's price table.
    """
    batch = _Batch([(program, steps)], observable=observable, shots=shots, shot_budget=shot_budget,
                   ctx=_context(ctx, target, calibration), reference=reference)
    return _priced(batch, batch.plan(repetition_delay_s), executor, target)


def _priced(batch: _Batch, the_plan: Plan, executor, target) -> Plan:
    """`the_plan` with what its executions cost on `executor`, when it is a cluster with a price table."""
    if not callable(getattr(executor, "cost_of", None)):  # only a cluster has a price table
        return the_plan
    estimate = executor.estimate
    unique = batch.unique()
    programs = [requests[0].node.program for requests in unique.values()]
    totals = [sum(r.shots for r in requests) for requests in unique.values()]
    target_name = None if target is None else (target if isinstance(target, str) else getattr(target, "name", None))
    priced = estimate(programs, shots=totals, requires=None if target_name is None else {"target": target_name})
    return dataclasses.replace(the_plan, cost=priced["cost"], currency=priced["currency"])


def plan_batch(items, *, shots: int = 1000, observable=None, shot_budget: int | None = None, target=None,
               calibration=None, ctx: PassContext | None = None, reference: bool = True,
               repetition_delay_s: float = DEFAULT_REPETITION_DELAY_S, executor=None) -> Plan:
    """`plan` for the items of a `run_batch` call."""
    batch = _Batch(items, observable=observable, shots=shots, shot_budget=shot_budget,
                   ctx=_context(ctx, target, calibration), reference=reference)
    return _priced(batch, batch.plan(repetition_delay_s), executor, target)


def run_batch(items, *, executor=None, shots: int = 1000, shot_budget: int | None = None, observable=None,
              seed: int | None = None, target=None, calibration=None, ctx: PassContext | None = None,
              reference: bool = True, repetition_delay_s: float = DEFAULT_REPETITION_DELAY_S) -> list[Result]:
    """Run several programs, each with its own mitigation pipeline, as one execution batch.

    `items` are ``(program, steps)`` or ``(program, steps, observable)`` pairs (steps: pipeline text,
    a list, a `Pipeline` or None for none). Every program is expanded; identical programs run once;
    the outcomes are combined per item. Each returned `Result` has ``expectation`` (mitigated) and
    ``expectation_unmitigated`` (the program as given, with the reference shots) when an observable
    applies, the unmitigated counts, and ``metadata["mitigation"]`` with the plan, per-group details
    and, without an observable, the mitigated quasi-probabilities.
    """
    context = _context(ctx, target, calibration)
    batch = _Batch(items, observable=observable, shots=shots, shot_budget=shot_budget, ctx=context,
                   reference=reference)
    the_plan = batch.plan(repetition_delay_s)
    outcomes = batch.execute(executor, seed=seed)
    results = batch.combine(outcomes)
    for result, item_plan in zip(results, the_plan.items):
        result.metadata["mitigation"]["plan"] = {**item_plan, "executions_in_batch": the_plan.executions,
                                                 "batch_shots": the_plan.shots,
                                                 "estimated_time_s": the_plan.estimated_time_s}
    return results


def run(program, mitigation=None, observable=None, *, executor=None, shots: int = 1000,
        shot_budget: int | None = None, seed: int | None = None, target=None, calibration=None,
        ctx: PassContext | None = None, reference: bool = True) -> Result:
    """Run one program with a mitigation pipeline; see `run_batch`."""
    return run_batch([(program, mitigation, observable)], executor=executor, shots=shots, shot_budget=shot_budget,
                     seed=seed, target=target, calibration=calibration, ctx=ctx, reference=reference)[0]


# -- the Decorator API ------------------------------------------------------------------------------
class ExecutionBackend:
    """The undecorated component: runs programs on a qirrt executor (or a callable) with fixed shots."""

    def __init__(self, executor=None, *, shots: int = 1000, seed: int | None = None, target=None,
                 calibration=None):
        self.executor = executor
        self.shots = shots
        self.seed = seed
        self.ctx = _context(None, target, calibration)

    def run(self, programs: Sequence[Program], observable: BoundObservable | None = None) -> list[Outcome]:
        """One outcome (a distribution) per program."""
        programs = list(programs)
        counts = _run(self.executor, programs, [self.shots] * len(programs), self.seed)
        return [QuasiDistribution.from_counts(c, self.shots) for c in counts]

    def expectation(self, program, observable) -> Estimate:
        """⟨O⟩ of `program` through this backend (and whatever decorates it)."""
        program = _load(program)
        value, variance, shots, circuits = 0.0, 0.0, 0, 0
        for measured, bound, _ in measurement_circuits(program, observable):
            (outcome,) = self.run([measured], bound)
            v, se = value_of(outcome, bound)
            value += v
            variance += (se or 0.0) ** 2
            shots += getattr(outcome, "shots", 0)
            circuits += getattr(outcome, "circuits", 1)
        return Estimate(value, math.sqrt(variance), shots, circuits)


class EnrichedExecutionBackend(ExecutionBackend):
    """A decorator adding pre-processing: each program is transformed before the wrapped backend runs it.

    `transform` is a mitigation step with a one-program expansion (``ddd``) or any callable
    Program → Program (an ordinary pass applied with a context); outcomes pass through unchanged.
    """

    def __init__(self, backend: ExecutionBackend, transform):
        self.backend = backend
        self.transform = _step(transform)
        self.ctx = backend.ctx

    def run(self, programs: Sequence[Program], observable: BoundObservable | None = None) -> list[Outcome]:
        transformed = []
        for program in programs:
            if isinstance(self.transform, MitigationStep):
                expanded = self.transform.expand(program, self.ctx)
                if len(expanded) != 1:
                    raise PassError(f"'{self.transform}' expands a program into {len(expanded)}: decorate with "
                                    "ErrorMitigatedExecutionBackend, which combines the outcomes")
                transformed.append(expanded[0])
            else:
                transformed.append(self.transform(program))
        return self.backend.run(transformed, observable)


class ErrorMitigatedExecutionBackend(EnrichedExecutionBackend):
    """A decorator adding a full mitigation step: expand, run on the wrapped backend, combine."""

    def __init__(self, backend: ExecutionBackend, step):
        super().__init__(backend, step)
        if not isinstance(self.transform, MitigationStep):
            raise PassError(f"{step!r} is not a mitigation step")
        chain, inner = [self], self.backend
        while isinstance(inner, ErrorMitigatedExecutionBackend):
            chain.append(inner)
            inner = inner.backend
        steps = _without_double_readout(tuple(link.transform for link in chain))
        for link, fixed in zip(chain, steps):  # as in a Pipeline: one readout correction, not two
            link.transform = fixed

    def run(self, programs: Sequence[Program], observable: BoundObservable | None = None) -> list[Outcome]:
        step = self.transform
        expansions = [step.expand(program, self.ctx) for program in programs]
        flat = [p for expanded in expansions for p in expanded]
        outcomes = self.backend.run(flat, observable)
        out, position = [], 0
        for expanded in expansions:
            part = outcomes[position:position + len(expanded)]
            position += len(expanded)
            out.append(step.combine(part, programs=expanded, observable=observable, ctx=self.ctx))
        return out


def _step(spec):
    if isinstance(spec, str):
        from qirrt.passes.pipeline import parse_pass

        return parse_pass(spec)
    return spec


# -- mitiq ------------------------------------------------------------------------------------------
def mitiq_executor(executor=None, *, observable=None, shots: int = 1000, seed: int | None = None,
                   mitigation=None, target=None, calibration=None, batched: bool = False,
                   measure_all: bool = False) -> Callable:
    """A function mitiq can call as its executor, running circuits on a qirrt executor.

    Circuits (Qiskit or Cirq, or anything `qirrt.load` accepts) without measurements get every qubit
    measured. With an `observable` the function returns ⟨O⟩ as a float (mitiq's expectation-value
    executors); without one it returns a `mitiq.MeasurementResult` of per-shot bitstrings (for
    mitiq's `Observable` and classical shadows). `mitigation` applies a qirrt pipeline inside
    each call. ``batched=True`` gives a function of a list of circuits, which mitiq then calls once
    per batch. ``measure_all=True`` also measures the qubits a circuit leaves unmeasured (mitiq measures
    only an observable's support, while its readout mitigation wants every qubit's bit).
    """
    from qirrt.errors import require

    mitiq = require("mitiq", extra="mitiq", feature="the mitiq bridge")
    calls = itertools.count()

    def one(circuits):
        programs = [_load(_measured(c, measure_all)) for c in circuits]
        # mitiq calls once per circuit or batch: a seed per call, so calls do not replay one noise stream
        call_seed = None if seed is None else derive_seed(seed, next(calls))[1]
        if observable is not None:
            results = run_batch([(p, mitigation, observable) for p in programs], executor=executor, shots=shots,
                                seed=call_seed, target=target, calibration=calibration,
                                reference=mitigation is None)
            return [float(r.expectation) for r in results]
        counts = _run(executor, programs, [shots] * len(programs), call_seed)
        out = []
        for program, c in zip(programs, counts):
            out.append(_measurement_result(mitiq, program, c))
        return out

    # mitiq reads the return annotation to tell batched from single and values from bitstrings: set
    # real types (this module's `from __future__ import annotations` would leave strings)
    value_type = float if observable is not None else mitiq.MeasurementResult
    if batched:
        def run_circuits(circuits):
            return one(list(circuits))

        run_circuits.__annotations__["return"] = list[value_type]
        return run_circuits

    def run_circuit(circuit):
        return one([circuit])[0]

    run_circuit.__annotations__["return"] = value_type
    return run_circuit


def _measured(circuit, measure_all: bool = False):
    """A copy of `circuit` with every qubit measured if it measures nothing (or, with `measure_all`,
    with the qubits it does not measure measured at the end)."""
    from qiskit import ClassicalRegister, QuantumCircuit

    if isinstance(circuit, QuantumCircuit):
        measured = {circuit.find_bit(q).index for instruction in circuit.data
                    if instruction.operation.name == "measure" for q in instruction.qubits}
        if not measured:
            circuit = circuit.copy()
            circuit.measure_all()
        elif measure_all and len(measured) < circuit.num_qubits:
            rest = [q for q in range(circuit.num_qubits) if q not in measured]
            circuit = circuit.copy()
            register = ClassicalRegister(len(rest), "qirrt_rest")
            circuit.add_register(register)
            for bit, q in zip(register, rest):
                circuit.measure(q, bit)
        return circuit
    if type(circuit).__module__.startswith("cirq"):
        import cirq

        measured = {q for op in circuit.all_operations() if cirq.is_measurement(op) for q in op.qubits}
        rest = sorted(set(circuit.all_qubits()) - measured)
        if not measured or (measure_all and rest):
            circuit = circuit + cirq.Circuit(cirq.measure(*rest, key="qirrt_rest"))
        return circuit
    return circuit


def _measurement_result(mitiq, program: Program, counts: Mapping[str, int]):
    from qirrt.observables import MeasurementLayout, strip_key

    layout = MeasurementLayout.of(program)
    qubits = sorted(layout.positions)
    bitstrings = []
    for key, n in counts.items():
        bits = strip_key(key)
        row = [int(bits[layout.positions[q]]) for q in qubits]
        bitstrings.extend([row] * n)
    return mitiq.MeasurementResult(bitstrings, qubit_indices=tuple(qubits))


__all__ = ["DEFAULT_REPETITION_DELAY_S", "EnrichedExecutionBackend", "ErrorMitigatedExecutionBackend",
           "ExecutionBackend", "Node", "Pipeline", "Plan", "mitiq_executor", "plan", "plan_batch", "run", "run_batch",
           "with_postprocess"]
