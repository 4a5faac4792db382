"""Output records that run on only some paths (inside a branch): their meaning and their placement.

Semantics: **a shot's key lists what that shot recorded, on the path it took, in the order it
recorded it.** A record in a branch not taken contributes nothing; an array or tuple announced with
`n` elements counts only the elements recorded on the path (cudaq's `qir-adaptive` announces every
measurement of a kernel and records the conditional ones inside the branch).

The dialect keeps records at the end of the program (QIR070), so `place_records_on_paths` moves
them there without losing the condition: each block that records on only some paths gets an `i1`
flag (SSA phis through the control flow: "this shot passed through that block"), values recorded
from such a block are carried the same way, and the exit ends in a binary tree over the flags whose
leaves are returning blocks, each with the records of its paths (the `multiple_return_points`
capability). Records inside a loop that runs on only some paths, and more than `MAX_CONDITIONAL`
recording blocks, are refused (QIR105).
"""

from __future__ import annotations

import re

from qirrt.qir.dialect import RT_PREFIX
from qirrt.qir.normalize.state import State
from qirrt.qir.text import LOCAL_RE, Block, Cfg, Instr, static_id, substitute

MAX_CONDITIONAL = 8
"""The most blocks that may record on only some paths (the exit gets 2**n returning leaves)."""

_DEFAULTS = {"i1": "false", "i64": "0", "double": "0.0"}


def is_record(instr: Instr) -> bool:
    return (instr.callee or "").startswith(RT_PREFIX) and (instr.callee or "").endswith("_record_output")


def records_at_returns(function, cfg: Cfg) -> bool:
    """True when every record already sits in a returning block, after its quantum operations, outside
    loops (the shape this module produces): nothing to move."""
    returning = set(cfg.exits)
    recording = {b.label for b, _, i in function.instructions() if is_record(i)}
    if not recording or not recording <= returning or recording & cfg.cyclic:
        return False
    for label in recording:
        seen = False
        for instr in function.block(label).instrs:
            if is_record(instr):
                seen = True
            elif seen and instr.opcode == "call":
                return False
    return len(cfg.exits) > 1


class _Carrier:
    """Values available at the end of a block where they are defined, carried to every later block by
    phis (the default on paths that did not pass through the defining block)."""

    def __init__(self, state: State, cfg: Cfg):
        self.state, self.cfg = state, cfg
        self.order = [label for label in cfg._order]
        self.preds: dict[str, list[str]] = {label: [] for label in self.order}
        for label in self.order:
            for successor in cfg.succ.get(label, []):
                if successor in self.preds and label not in self.preds[successor]:
                    self.preds[successor].append(label)
        self.phis: list[tuple[str, Instr]] = []

    def carry(self, defined_in: str, value: str, type_: str) -> dict[str, str]:
        """The value's name at the end of every block (the default before `defined_in`)."""
        default = _DEFAULTS[type_]
        position = {label: i for i, label in enumerate(self.order)}
        at_in: dict[str, str] = {}
        pending: list[tuple[str, str]] = []
        for label in self.order:
            preds = self.preds[label]
            if label == self.cfg.entry or not preds:
                at_in[label] = default
            elif len(preds) == 1 and position[preds[0]] < position[label]:
                at_in[label] = value if preds[0] == defined_in else at_in[preds[0]]
            else:
                name = self.state.temp()
                at_in[label] = name
                pending.append((label, name))
        at_end = {label: value if label == defined_in else at_in[label] for label in self.order}
        for label, name in pending:
            incoming = ", ".join(f"[ {at_end[p]}, %{p} ]" for p in self.preds[label])
            self.phis.append((label, Instr.parse(f"{name} = phi {type_} {incoming}")))
        return at_end

    def insert_phis(self, function) -> None:
        for label, phi in self.phis:
            block = function.block(label)
            first = next((i for i, ins in enumerate(block.instrs) if ins.opcode != "phi"), len(block.instrs))
            block.instrs.insert(first, phi)


def place_records_on_paths(state: State, cfg: Cfg, exit_label: str,
                           records: list[tuple[Block, int, Instr]], writes: dict) -> None:
    """Move every record to returning leaves at the end, keeping which paths record what."""
    function = state.function
    dominators = cfg.dominators_of(exit_label)
    ordered = sorted(records, key=lambda item: (cfg.order(item[0].label), item[1]))
    conditional: list[str] = []
    for block, _, instr in ordered:
        if block.label in dominators:
            continue
        if block.label in cfg.cyclic:
            raise state.error("QIR105", "this output record is inside a loop that runs on only some paths; qirrt "
                              "cannot tell how often it records: record after the loop", block=block, instr=instr)
        if block.label not in conditional:
            conditional.append(block.label)
    if len(conditional) > MAX_CONDITIONAL:
        block, _, instr = next(r for r in ordered if r[0].label == conditional[MAX_CONDITIONAL])
        raise state.error("QIR105", f"output is recorded on only some paths in {len(conditional)} blocks, more than "
                          f"the {MAX_CONDITIONAL} qirrt places; record unconditionally", block=block, instr=instr)
    _check_not_measured_again(state, cfg, ordered, writes)
    defined = {i.result: b.label for b, _, i in function.instructions() if i.result}
    carrier = _Carrier(state, cfg)
    flags = [carrier.carry(label, "true", "i1")[exit_label] for label in conditional]
    entries: list[tuple[int | None, Instr]] = []  # (index of its flag or None, the record)
    seen: set[str] = set()
    for block, _, instr in ordered:
        flag = conditional.index(block.label) if block.label in conditional else None
        if block.label in cfg.cyclic:
            if instr.text in seen:
                continue
            seen.add(instr.text)
        value = instr.args[0].value.strip() if instr.args else ""
        if LOCAL_RE.fullmatch(value) and defined.get(value) not in (None, *dominators):
            carried = carrier.carry(defined[value], value, instr.args[0].type)[exit_label]
            instr = Instr.parse(substitute(instr.text, {value: carried}))
        entries.append((flag, instr))
    for block in function.blocks:
        block.instrs = [i for i in block.instrs if not is_record(i)]
    carrier.insert_phis(function)
    exit_block = function.block(exit_label)
    ret = exit_block.instrs.pop()
    leaves = _tree(exit_block, flags, entries, ret)
    position = function.blocks.index(exit_block)
    function.blocks[position + 1:position + 1] = leaves
    _remove_unused_phis(function)
    action = (f"{len(conditional)} block(s) record output on only some paths: records moved to the end under "
              f"{2 ** len(conditional)} returning leaves (a shot's key lists what its path recorded)")
    if state.declares_profile:  # the profiles record output in the final block only
        state.repair("QIR070", "output is recorded inside a branch, on only some paths", action,
                     block=function.block(conditional[0]))
    else:
        state.note(action)


def _check_not_measured_again(state: State, cfg: Cfg, ordered, writes: dict) -> None:
    for block, index, instr in ordered:
        if instr.callee != f"{RT_PREFIX}result_record_output" or block.label in cfg.cyclic:
            continue
        result = static_id(instr.args[0].value)
        later = cfg.reachable_from(block.label)
        for label, position in writes.get(result, []):
            if (label == block.label and position > index) or (label != block.label and label in later):
                raise state.error("QIR106", f"result {result} is recorded here and measured again later; the "
                                  f"record cannot move to the end of the program", block=block, instr=instr)


def _tree(exit_block: Block, flags: list[str], entries: list[tuple[int | None, Instr]], ret: Instr) -> list[Block]:
    blocks: list[Block] = []
    base = "qirrt.qir.normalize.records"

    def node(bits: str, into: Block) -> None:
        depth = len(bits)
        if depth == len(flags):
            present = [i for flag, i in entries if flag is None or bits[flag] == "1"]
            into.instrs.extend(_recount(entries, present))
            into.instrs.append(Instr.parse(ret.text))
            return
        children = []
        for bit in "10":
            child = Block(f"{base}.{bits}{bit}", True, [])
            blocks.append(child)
            children.append(child)
        into.instrs.append(Instr.parse(f"br i1 {flags[depth]}, label %{children[0].label}, "
                                       f"label %{children[1].label}"))
        for bit, child in zip("10", children, strict=True):
            node(bits + bit, child)

    node("", exit_block)
    return blocks


def _recount(entries: list[tuple[int | None, Instr]], present: list[Instr]) -> list[Instr]:
    """Array and tuple records announce as many elements as the leaf records after them."""
    everything = [i for _, i in entries]
    owners: dict[int, int] = {}  # id(record) → position of the array/tuple that announces it
    stack: list[list[int]] = []  # [position, remaining]
    for position, instr in enumerate(everything):
        if stack:
            owners[id(instr)] = stack[-1][0]
            stack[-1][1] -= 1
        kind = _kind(instr)
        count = _count(instr)
        if kind in ("array", "tuple") and count:
            stack.append([position, count])
        while stack and stack[-1][1] == 0:
            stack.pop()
    counts: dict[int, int] = {}
    kept = {id(i) for i in present}
    for instr in everything:
        if id(instr) in kept and id(instr) in owners:
            counts[owners[id(instr)]] = counts.get(owners[id(instr)], 0) + 1
    out = []
    for position, instr in enumerate(everything):
        if id(instr) not in kept:
            continue
        if _kind(instr) in ("array", "tuple") and _count(instr) is not None \
                and counts.get(position, 0) != _count(instr):
            instr = Instr.parse(re.sub(r"\(i64 \d+,", f"(i64 {counts.get(position, 0)},", instr.text, count=1))
        out.append(instr)
    return out


def _kind(instr: Instr) -> str:
    return (instr.callee or "")[len(RT_PREFIX):-len("_record_output")]


def _count(instr: Instr) -> int | None:
    if _kind(instr) not in ("array", "tuple"):
        return None
    value = instr.args[0].value.strip()
    return int(value) if value.isdigit() else None


def _remove_unused_phis(function) -> None:
    while True:
        text = "\n".join(i.text for _, _, i in function.instructions())
        uses: dict[str, int] = {}
        for name in LOCAL_RE.findall(text):
            uses[name] = uses.get(name, 0) + 1
        dead = {id(i) for _, _, i in function.instructions()
                if i.opcode == "phi" and i.result and i.result.startswith("%qirrt.")
                and uses.get(i.result, 0) <= 1 + i.text.split(" = ", 1)[1].count(i.result)}
        if not dead:
            return
        for block in function.blocks:
            block.instrs = [i for i in block.instrs if id(i) not in dead]


__all__ = ["MAX_CONDITIONAL", "is_record", "place_records_on_paths", "records_at_returns"]
