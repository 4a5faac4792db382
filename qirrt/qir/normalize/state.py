"""`State`: what the normalisation steps share (the module text, the entry function, notes, repairs)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyqir

from qirrt.errors import InvalidProgramError, Location
from qirrt.qir.conformance import Repair
from qirrt.qir.module import Profile
from qirrt.qir.text import Block, Function, Instr, ModuleText, entry_string_attrs


@dataclass
class State:
    """What the steps share: the module text, the entry function, the notes and a name supply."""

    ir: str
    producer: str
    source_file: str | None
    changes: list[str] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)
    module: ModuleText | None = None
    entry: str = ""
    add_entry_attribute: bool = False
    parameters: tuple[str, ...] = ()
    features: set[str] = field(default_factory=set)
    dynamic_lowered: bool = False
    profile: Profile | None = None
    source_module: pyqir.Module | None = None
    _temp: int = 0
    _declares_profile: bool | None = None

    @property
    def function(self) -> Function:
        assert self.module is not None
        return self.module.function

    def note(self, text: str) -> None:
        """Record a rewrite that keeps the program's meaning and conformance (dialect normalisation)."""
        self.changes.append(text)

    def repair(self, code: str, violation: str, action: str, *, block: Block | None = None,
               instr: Instr | str | None = None, note: bool = True, in_entry: bool = True) -> None:
        """Record a rewrite that repaired a violation of rule `code` (also listed among the changes unless
        `note` is false, for a repair whose steps were noted one by one).

        Full QIR without an entry point attribute claims no profile: its one repair is QIR010 (taking an
        entry point), and what follows from lowering it is dialect."""
        if note:
            self.changes.append(action)
        if self.add_entry_attribute and code != "QIR010":
            return
        text = instr.text if isinstance(instr, Instr) else instr
        self.repairs.append(Repair(code, violation, action, Location(
            file=self.source_file, function=(self.entry or None) if in_entry else None,
            block=block.label if block else None,
            instruction=text)))

    @property
    def qir2_adaptive(self) -> bool:
        """QIR 2.x's Adaptive profile (qdk's Adaptive targets) has local memory and arrays of qubits indexed
        at run time; QIR 1.x and the Base profile do not."""
        major = re.search(r'!"qir_major_version", i32 (\d+)', self.ir)
        claimed = entry_string_attrs(self.ir, self.entry).get("qir_profiles") if self.entry else None
        return major is not None and int(major.group(1)) >= 2 and (claimed or "").lower().startswith("adaptive")

    @property
    def declares_profile(self) -> bool:
        """Whether the entry point claims the base or adaptive profile (whose rules repairs are judged by)."""
        if self._declares_profile is None:
            claimed = entry_string_attrs(self.ir, self.entry).get("qir_profiles") if self.entry else None
            self._declares_profile = claimed is not None and \
                claimed.lower().removesuffix("_profile") in ("base", "adaptive")
        return self._declares_profile

    def temp(self) -> str:
        self._temp += 1
        return f"%qirrt.{self._temp}"

    def error(self, code: str, message: str, *, block: Block | None = None,
              instr: Instr | str | None = None) -> InvalidProgramError:
        text = instr.text if isinstance(instr, Instr) else instr
        return InvalidProgramError(message, code=code, location=Location(
            file=self.source_file, function=self.entry or None, block=block.label if block else None,
            instruction=text))


__all__ = ["State"]
