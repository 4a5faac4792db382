"""`Program`: one checked, normalised QIR module with what every later stage needs to know."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pyqir

from qirrt.errors import InvalidProgramError, Location, ParseError, QirrtError
from qirrt.qir import conformance
from qirrt.qir.conformance import Repair
from qirrt.qir.dialect import PARAMETER_ATTR, PRODUCER_ATTR
from qirrt.qir.encoding import (
    check_escaped_strings,
    decode_text,
    pyqir_panics,
    read_text,
)
from qirrt.qir.module import (
    Profile,
    decode_parameters,
    encode_parameters,
    parse_module,
    read_entry_attributes,
)
from qirrt.qir.resources import Resources, summarize
from qirrt.qir.sniff import is_bitcode


def _normalize(module: pyqir.Module, producer: str | None, source_file: str | None):
    """`normalize`, where a failure that is not a qirrt error (a normaliser bug on unusual input) is still a
    one-line `InvalidProgramError` rather than a traceback."""
    from qirrt.qir.normalize.core import normalize

    try:
        with pyqir_panics(source_file):
            return normalize(module, producer=producer, source_file=source_file)
    except QirrtError:
        raise
    except Exception as exc:
        raise InvalidProgramError(f"qirrt could not normalise this module ({type(exc).__name__}: {exc}); this "
                                  f"is a qirrt bug on unusual input, please report it with the file",
                                  code="QIR000", location=Location(file=source_file)) from exc


@dataclass(eq=False)
class Program:
    """A verified QIR program in qirrt's normalised dialect (see `qirrt.qir.dialect`).

    Build one with `Program.from_ir`, `Program.from_bitcode`, `qirrt.load` or a frontend; the
    constructor itself trusts its arguments.
    """

    ir: str
    entry_point: str
    profile: Profile
    num_qubits: int
    num_results: int
    parameters: tuple[str, ...] = ()
    producer: str = "unknown"
    normalisation: tuple[str, ...] = ()
    source_file: str | None = None
    repairs: tuple[Repair, ...] = ()  # the spec violations normalisation repaired (`qirrt.qir.conformance`)
    metadata: dict = field(default_factory=dict)
    _bitcode: bytes | None = field(default=None, repr=False, compare=False)
    _resources: Resources | None = field(default=None, repr=False, compare=False)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_ir(cls, text: str, *, producer: str | None = None, source_file: str | None = None,
                validate: bool = True, strict: bool = False) -> Program:
        """Parse, normalise and validate LLVM text from any producer.

        Spec violations that normalisation repairs are warned about (`NonConformanceWarning`, one per
        repair) and listed in `repairs`; `strict=True` refuses them with `InvalidProgramError`.
        """
        check_escaped_strings(text, file=source_file)
        module = parse_module(text, file=source_file)
        normalised = _normalize(module, producer, source_file)
        return cls._from_normalised(normalised, source_file=source_file, validate=validate,
                                    source_text=text, strict=strict)

    @classmethod
    def from_bitcode(cls, data: bytes, *, producer: str | None = None, source_file: str | None = None,
                     validate: bool = True, strict: bool = False) -> Program:
        """Parse, normalise and validate LLVM bitcode; `strict` as for `from_ir`."""
        module = parse_module(data, file=source_file)
        normalised = _normalize(module, producer, source_file)
        return cls._from_normalised(normalised, source_file=source_file, validate=validate, strict=strict)

    @classmethod
    def from_trusted_ir(cls, text: str, *, producer: str, validate: bool = True) -> Program:
        """A Program from text already in the dialect (qirrt's own frontends): parsed, verified, no rewrites."""
        module = parse_module(text)
        error = None if validate else module.verify()  # validation runs LLVM's verifier itself (QIR002)
        if error:
            raise ParseError(f"{producer} frontend produced a module that does not verify: {error.strip()}",
                             code="QIR002")
        attrs = read_entry_attributes(module)
        program = cls(ir=text, entry_point=attrs.entry_point, profile=attrs.profile,
                      num_qubits=attrs.num_qubits, num_results=attrs.num_results,
                      parameters=attrs.parameters, producer=producer,
                      _bitcode=module.bitcode)  # 1 ms now instead of a re-parse in to_bitcode()
        if validate:
            program.validate(module=module)
        return program

    @classmethod
    def from_file(cls, path: str | Path, *, producer: str | None = None, validate: bool = True,
                  strict: bool = False) -> Program:
        path = Path(path)
        data = path.read_bytes()
        if is_bitcode(data):
            return cls.from_bitcode(data, producer=producer, source_file=str(path), validate=validate,
                                    strict=strict)
        return cls.from_ir(decode_text(data, file=str(path)), producer=producer, source_file=str(path),
                           validate=validate, strict=strict)

    @classmethod
    def _from_normalised(cls, normalised, *, source_file: str | None, validate: bool,
                         source_text: str | None = None, strict: bool = False) -> Program:
        if strict:
            conformance.refuse(normalised.repairs, source_file=source_file)
        program = cls(
            ir=normalised.ir,
            entry_point=normalised.entry_point,
            profile=normalised.profile,
            num_qubits=normalised.num_qubits,
            num_results=normalised.num_results,
            parameters=normalised.parameters,
            producer=normalised.producer,
            normalisation=tuple(normalised.changes),
            source_file=source_file,
            repairs=tuple(normalised.repairs),
        )
        if normalised.module is not None:  # `ir` is what pyqir's LLVM printed: already canonical
            program.__dict__["canonical_ir"] = normalised.ir
        if validate:
            program.validate(source_text=source_text, module=normalised.module,
                             verified=normalised.module is not None)
        conformance.warn(program.repairs)
        return program

    def replace_ir(self, ir: str, *, note: str | None = None, validate: bool = True, **changes) -> Program:
        """A new Program with transformed IR (used by passes); re-verified and re-validated."""
        module = parse_module(ir)
        error = module.verify()
        if error:
            raise ParseError(f"transformed module does not verify: {error.strip()}", code="QIR002")
        attrs = read_entry_attributes(module)
        fields = dict(
            ir=str(module), entry_point=attrs.entry_point, profile=attrs.profile,
            num_qubits=attrs.num_qubits, num_results=attrs.num_results, parameters=attrs.parameters,
            producer=self.producer, normalisation=self.normalisation, source_file=self.source_file,
            repairs=self.repairs, metadata=dict(self.metadata),
        )
        fields.update(changes)
        program = Program(**fields)
        if note:
            program.metadata.setdefault("passes", []).append(note)
        if validate:
            program.validate(module=module)
        return program

    # -- views --------------------------------------------------------------------------------
    @cached_property
    def hash(self) -> str:
        """SHA-256 of the module as LLVM prints it: identical programs share it, whatever wrote the text."""
        return hashlib.sha256(self.canonical_ir.encode()).hexdigest()

    @cached_property
    def canonical_ir(self) -> str:
        """The IR as pyqir's LLVM prints it (frontends keep their own, equivalent, text in `ir`)."""
        return str(self.module)

    @property
    def module(self) -> pyqir.Module:
        """A fresh pyqir module of this program (each call parses anew; modules are mutable)."""
        return parse_module(self.ir)

    @property
    def conformant(self) -> bool:
        """Whether the module as loaded kept every rule of its profile (nothing in `repairs`)."""
        return not self.repairs

    @property
    def is_parametric(self) -> bool:
        return bool(self.parameters)

    def to_ir(self) -> str:
        return self.ir

    def to_bitcode(self) -> bytes:
        """LLVM bitcode written by pyqir's LLVM (older readers load it); computed once."""
        if self._bitcode is None:
            self._bitcode = self.module.bitcode
        return self._bitcode

    def validate(self, *, source_text: str | None = None, module: pyqir.Module | None = None,
                 verified: bool = False) -> None:
        """Raise `InvalidProgramError` (with a rule code and location) if a profile rule is broken;
        `verified`: LLVM's verifier already accepted `module`."""
        from qirrt.qir.validate.core import check

        check(module if module is not None else self.module, profile=self.profile,
              source_file=self.source_file, source_text=source_text, ir=self.ir,
              verified=verified and module is not None)

    def resources(self) -> Resources:
        """The static resource summary (computed once per Program)."""
        if self._resources is None:
            self._resources = summarize(self)
        return self._resources

    def describe(self) -> dict:
        """A JSON-ready description, as `qirrt inspect --json` prints it."""
        return {
            "entry_point": self.entry_point,
            "profile": self.profile.value,
            "producer": self.producer,
            "num_qubits": self.num_qubits,
            "num_results": self.num_results,
            "parameters": list(self.parameters),
            "hash": self.hash,
            "normalisation": list(self.normalisation),
            "conformant": self.conformant,
            "repairs": [repair.to_dict() for repair in self.repairs],
            "resources": self.resources().to_dict(),
        }

    def __repr__(self) -> str:
        params = f", parameters={len(self.parameters)}" if self.parameters else ""
        return (f"Program({self.entry_point!r}, profile={self.profile.value}, qubits={self.num_qubits}, "
                f"results={self.num_results}{params}, producer={self.producer!r})")


__all__ = [
    "check_escaped_strings",
    "decode_text",
    "pyqir_panics",
    "read_text",
    "PARAMETER_ATTR",
    "PRODUCER_ATTR",
    "Profile",
    "Program",
    "Resources",
    "decode_parameters",
    "encode_parameters",
    "is_bitcode",
    "parse_module",
]
