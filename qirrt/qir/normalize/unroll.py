"""Which loops `qirrt.qir.normalize.promote` asks LLVM to unroll fully: counted loops with a small, known trip count.

LLVM's default unroller stops at a few dozen iterations, and its `llvm.loop.unroll.full` pragma goes
up to a million, far past what a program should grow to. So after a first LLVM pass (memory promoted,
loops rotated) each loop latch `br i1 %c, label %header, ...` is examined here: when `%c` depends only
on one `i64` induction phi of the header with a constant start and constant arithmetic, its trip
count is found by running the latch's arithmetic (at most `MAX_TRIPS` steps). Loops that fit
`MAX_TRIPS` and the program's instruction budget `MAX_UNROLLED_INSTRUCTIONS` get the pragma; any
other loop stays a loop (its operands, if picked at run time, are dispatched by `qirrt.qir.normalize.dispatch`).
"""

from __future__ import annotations

import re

from qirrt.qir.text import Cfg, Function, Instr, parse_function

MAX_TRIPS = 4096
"""The most iterations of one loop that are unrolled."""

MAX_UNROLLED_INSTRUCTIONS = 200_000
"""The most instructions the entry point may grow to by unrolling."""

_INT = re.compile(r"-?\d+")


class _Unknown(Exception):
    """The value depends on something other than the induction variable and constants."""


def _wrap(value: int) -> int:
    """Two's-complement i64 (the loop's arithmetic as LLVM does it)."""
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >> 63 else value


def _evaluate(text: str, defs: dict[str, Instr], env: dict[str, int], depth: int = 0) -> int:
    text = text.strip()
    if text in env:
        return env[text]
    if _INT.fullmatch(text):
        return int(text)
    if text in ("true", "false"):
        return int(text == "true")
    instr = defs.get(text)
    if instr is None or depth > 32:
        raise _Unknown(text)
    body = instr.text.split(" = ", 1)[1]
    words = body.replace(",", " ").split()
    opcode = words[0]
    flags = {"nuw", "nsw", "exact", "disjoint", "samesign"}
    operands = [w for w in words[1:] if w not in flags]
    width = operands[1] if opcode == "icmp" and len(operands) > 1 else (operands[0] if operands else "")
    if width not in ("i64", "i1"):
        raise _Unknown(text)  # other widths wrap differently: not worth a hint
    if opcode in ("add", "sub", "mul", "and", "or", "xor", "shl") and len(operands) == 3:
        a, b = (_evaluate(x, defs, env, depth + 1) for x in operands[1:])
        if opcode == "shl" and not 0 <= b < 64:
            raise _Unknown(text)
        return _wrap({"add": a + b, "sub": a - b, "mul": a * b, "and": a & b, "or": a | b, "xor": a ^ b,
                      "shl": a << b}[opcode])
    if opcode == "icmp" and len(operands) == 4:
        predicate, _type, x, y = operands
        a, b = _evaluate(x, defs, env, depth + 1), _evaluate(y, defs, env, depth + 1)
        if predicate.startswith("u"):
            a, b = a & ((1 << 64) - 1), b & ((1 << 64) - 1)
        return int({"eq": a == b, "ne": a != b, "slt": a < b, "sle": a <= b, "sgt": a > b, "sge": a >= b,
                    "ult": a < b, "ule": a <= b, "ugt": a > b, "uge": a >= b}[predicate])
    if opcode == "select":
        match = re.match(r"^select i1 (\S+), i(?:64|1) (\S+), i(?:64|1) (\S+)$", body)
        if match:
            chosen = match.group(2) if _evaluate(match.group(1), defs, env, depth + 1) else match.group(3)
            return _evaluate(chosen, defs, env, depth + 1)
    if opcode == "zext" and len(operands) >= 2:
        return _evaluate(operands[1], defs, env, depth + 1)
    raise _Unknown(text)


def _trip_count(function: Function, latch: str, cond: str, continue_to: str, continue_when: bool,
                defs: dict[str, Instr]) -> int | None:
    header = function.block(continue_to)
    for phi in header.instrs:
        if phi.opcode != "phi":
            break
        match = re.match(r"^(%\S+) = phi i64 (.*)$", phi.text)
        if match is None:
            continue
        incoming = re.findall(r"\[\s*(\S+),\s*%(\S+?)\s*\]", match.group(2))
        starts = [v for v, label in incoming if label != latch]
        nexts = [v for v, label in incoming if label == latch]
        if len(incoming) != 2 or len(starts) != 1 or len(nexts) != 1 or not _INT.fullmatch(starts[0]):
            continue
        value, trips = int(starts[0]), 0
        try:
            while trips <= MAX_TRIPS:
                env = {match.group(1): value}
                trips += 1
                if bool(_evaluate(cond, defs, env)) != continue_when:
                    return trips
                value = _evaluate(nexts[0], defs, env)
        except _Unknown:
            continue
        return None
    return None


def _loop_size(function: Function, cfg: Cfg, header: str, latch: str) -> int:
    forward = cfg.reachable_from(header) | {header}
    backward, stack = {latch}, [latch]
    preds: dict[str, list[str]] = {}
    for label, successors in cfg.succ.items():
        for successor in successors:
            preds.setdefault(successor, []).append(label)
    while stack:
        for pred in preds.get(stack.pop(), []):
            if pred not in backward and pred in forward:
                backward.add(pred)
                stack.append(pred)
    return sum(len(function.block(label).instrs) for label in forward & backward)


def hint_counted_loops(function_text: str, first_node: int) -> tuple[str, list[str]]:
    """The entry point's text with a full-unroll `!llvm.loop` on the latches of counted loops that fit,
    and the metadata lines to add to the module (nodes numbered from `first_node`)."""
    function = parse_function(function_text)
    if len(function.blocks) < 2:
        return function_text, []
    cfg = Cfg(function)
    defs = {i.result: i for _, _, i in function.instructions() if i.result}
    size = sum(len(b.instrs) for b in function.blocks)
    nodes: list[str] = []
    for block in function.blocks:
        terminator = block.terminator
        if terminator is None or block.label not in cfg.cyclic or "!llvm.loop" in terminator.text:
            continue
        match = re.match(r"^br i1 (\S+), label %(\S+), label %(\S+)$", terminator.text)
        if match is None:
            continue
        cond, on_true, on_false = match.groups()
        for target, continue_when in ((on_true, True), (on_false, False)):
            if target not in cfg.cyclic or block.label not in cfg.reachable_from(target) | {target}:
                continue
            trips = _trip_count(function, block.label, cond, target, continue_when, defs)
            if trips is None:
                continue
            growth = (trips - 1) * _loop_size(function, cfg, target, block.label)
            if size + growth > MAX_UNROLLED_INSTRUCTIONS:
                continue
            size += growth
            node = first_node + 1 + len(nodes)
            nodes.append(f"!{node} = distinct !{{!{node}, !{first_node}}}")
            block.instrs[-1] = Instr.parse(f"{terminator.text}, !llvm.loop !{node}")
            break
    if not nodes:
        return function_text, []
    return function.print(), [f'!{first_node} = !{{!"llvm.loop.unroll.full"}}', *nodes]


__all__ = ["MAX_TRIPS", "MAX_UNROLLED_INSTRUCTIONS", "hint_counted_loops"]
