"""`Program`: one checked, normalised QIR module with what every later stage needs to know."""

from __future__ import annotations

import contextlib
import enum
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pyqir

from qirrt.errors import Location, ParseError
from qirrt.qir.conformance import Repair
from qirrt.qir.dialect import PARAMETER_ATTR, PRODUCER_ATTR
from qirrt.qir.sniff import is_bitcode


class Profile(str, enum.Enum):
    """QIR profile of a program: `full` is what cudaq's `qir` target emits before lowering."""

    BASE = "base"
    ADAPTIVE = "adaptive"
    FULL = "full"

    @property
    def attribute(self) -> str:
        return {"base": "base_profile", "adaptive": "adaptive_profile", "full": "full"}[self.value]

    @classmethod
    def parse(cls, text: str) -> Profile:
        key = text.strip().lower().removesuffix("_profile")
        try:
            return cls(key)
        except ValueError:
            raise ValueError(f"unknown QIR profile {text!r}; expected base, adaptive or full") from None


def decode_text(data: bytes, *, file: str | None = None) -> str:
    """The UTF-8 text of input that is not bitcode; binary data is a `ParseError` naming the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"the input is neither LLVM bitcode (it lacks the 'BC' magic) nor UTF-8 text (byte "
                         f"0x{data[exc.start]:02x} at offset {exc.start}); give QIR text (.ll), bitcode (.bc), "
                         f"OpenQASM (.qasm) or Q# (.qs)", code="QIR001", location=Location(file=file)) from None


def read_text(path: str | Path) -> str:
    """A source file's text, through `decode_text`."""
    return decode_text(Path(path).read_bytes(), file=str(path))


@contextlib.contextmanager
def pyqir_panics(file: str | None = None):
    """Turn pyqir's Rust panics (a `BaseException`, e.g. printing a module whose bitcode holds names or
    strings that are not UTF-8) into a `ParseError`."""
    try:
        yield
    except BaseException as exc:
        if type(exc).__name__ != "PanicException":
            raise
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else "a pyqir panic"
        hint = "; the module holds names or strings that are not UTF-8" if "Utf8Error" in detail else ""
        raise ParseError(f"cannot read the module: {detail}{hint}", code="QIR001",
                         location=Location(file=file)) from None


_ESCAPED_STRING = re.compile(r'"([^"\n]*\\[0-9A-Fa-f]{2}[^"\n]*)"')
_ESCAPE = re.compile(rb"\\([0-9A-Fa-f]{2})")


def check_escaped_strings(text: str, *, file: str | None = None) -> None:
    """LLVM text whose quoted names or strings spell bytes (``\\F7``) that are not UTF-8 is a `ParseError`:
    pyqir cannot read such names back (it panics)."""
    if "\\" not in text:
        return
    for match in _ESCAPED_STRING.finditer(text):
        raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1).encode("utf-8"))
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            line = text.count("\n", 0, match.start()) + 1
            raise ParseError(f"the string or name \"{match.group(1)[:40]}\" spells bytes that are not UTF-8; "
                             f"qirrt reads names and attributes as UTF-8", code="QIR001",
                             location=Location(file=file, line=line)) from None


_DEBUG_VERSION_FLAG = '!"Debug Info Version"'
_DEBUG_VERSION_DROPPED = '!"qirrt_dropped_debug_info_version"'


def parse_module(source: str | bytes, *, name: str = "qirrt", file: str | None = None) -> pyqir.Module:
    """Parse LLVM text or bitcode into a pyqir module; a failure becomes a `ParseError` with its line.

    Text goes through llvmlite's parser and bitcode (ten times faster than pyqir's text parser).
    Bitcode from outside is read in a child process first (`qirrt.qir.bitcode_probe`).
    """
    _check_load_memory(source, file)
    context = pyqir.Context()
    if isinstance(source, str):
        # LLVM's parser verifies a module that declares the current "Debug Info Version" and aborts the whole
        # process (report_fatal_error) when it is broken; without the flag it drops the debug info instead,
        # which qirrt never reads. cudaq declares it.
        text = source.replace(_DEBUG_VERSION_FLAG, _DEBUG_VERSION_DROPPED)
        source = _text_to_bitcode(text, file)
        try:
            return pyqir.Module.from_bitcode(context, source, name)
        except (ValueError, RuntimeError):  # bitcode of a newer LLVM (e.g. intrinsic attributes)
            return pyqir.Module.from_ir(context, text, name)
    from qirrt.qir.bitcode_probe import probe_bitcode

    probe_bitcode(source, file=file)
    try:
        return pyqir.Module.from_bitcode(context, source, name)
    except (ValueError, RuntimeError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
        raise ParseError(f"cannot parse bitcode: {message}", code="QIR001",
                         location=Location(file=file)) from None


_LOAD_BYTES_PER_TEXT_BYTE = 20
"""Peak memory of loading a module (parse, normalise, validate, run from its operation list) per byte of
its LLVM text, measured at 14-17 for 10⁵-10⁶ gate calls; bitcode is about eight times denser."""
_LOAD_CHECK_BYTES = 1 << 23


def _check_load_memory(source: str | bytes, file: str | None) -> None:
    """`ResourceLimitError` before a module too large for the memory left is parsed (large inputs only)."""
    if len(source) < _LOAD_CHECK_BYTES:
        return
    from qirrt.errors import ResourceLimitError
    from qirrt.executors.local.memory import HEADROOM, available_bytes

    need = len(source) * _LOAD_BYTES_PER_TEXT_BYTE * (1 if isinstance(source, str) else 8)
    room = int(available_bytes() * HEADROOM)
    if need > room:
        where = f"{file}: " if file else ""
        raise ResourceLimitError(
            f"{where}loading this {len(source) / 2**20:.0f} MiB module needs about {need / 2**30:.1f} GiB "
            f"(about {_LOAD_BYTES_PER_TEXT_BYTE} bytes per byte of LLVM text), but only {room / 2**30:.1f} GiB "
            f"of memory is available; free memory, or split the program into smaller ones")


def _text_to_bitcode(text: str, file: str | None) -> bytes:
    from qirrt.qir.llvm import llvm

    try:
        module = llvm.parse_assembly(text)
    except UnicodeDecodeError:  # llvmlite decodes LLVM's message, which may cut a character in two
        raise ParseError("cannot parse LLVM IR (LLVM's message is not readable text)", code="QIR001",
                         location=Location(file=file)) from None
    except RuntimeError as exc:
        message = str(exc).strip()
        match = re.search(r":(\d+):(\d+): (?:error: )?(.*)", message)
        line = int(match.group(1)) if match else None
        detail = match.group(3).strip() if match else (message.splitlines() or ["unreadable"])[0]
        detail = detail.removeprefix("LLVM IR parsing error").strip(" :") or detail
        raise ParseError(f"cannot parse LLVM IR: {detail}", code="QIR001",
                         location=Location(file=file, line=line)) from None
    return module.as_bitcode()


def _normalize(module: pyqir.Module, producer: str | None, source_file: str | None):
    """`normalize`, where a failure that is not a qirrt error (a normaliser bug on unusual input) is still a
    one-line `InvalidProgramError` rather than a traceback."""
    from qirrt.errors import InvalidProgramError, QirrtError
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


@dataclass(frozen=True)
class Resources:
    """Static resource summary of a program."""

    num_qubits: int
    num_results: int
    gate_counts: dict[str, int]
    two_qubit_gates: int
    multi_qubit_gates: int
    depth: int
    measurements: int
    branches: int
    parameters: int

    @property
    def total_gates(self) -> int:
        return sum(self.gate_counts.values())

    def to_dict(self) -> dict:
        return {
            "num_qubits": self.num_qubits,
            "num_results": self.num_results,
            "gate_counts": dict(sorted(self.gate_counts.items())),
            "total_gates": self.total_gates,
            "two_qubit_gates": self.two_qubit_gates,
            "multi_qubit_gates": self.multi_qubit_gates,
            "depth": self.depth,
            "measurements": self.measurements,
            "branches": self.branches,
            "parameters": self.parameters,
        }


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
        from qirrt.qir.normalize.core import read_entry_attributes

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
        from qirrt.qir import conformance

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
            program.validate(source_text=source_text, module=normalised.module)
        conformance.warn(program.repairs)
        return program

    def replace_ir(self, ir: str, *, note: str | None = None, validate: bool = True, **changes) -> Program:
        """A new Program with transformed IR (used by passes); re-verified and re-validated."""
        from qirrt.qir.normalize.core import read_entry_attributes

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

    def validate(self, *, source_text: str | None = None, module: pyqir.Module | None = None) -> None:
        """Raise `InvalidProgramError` (with a rule code and location) if a profile rule is broken."""
        from qirrt.qir.validate.core import check

        check(module if module is not None else self.module, profile=self.profile,
              source_file=self.source_file, source_text=source_text, ir=self.ir)

    def resources(self) -> Resources:
        """The static resource summary (computed once per Program)."""
        if self._resources is None:
            from qirrt.qir.resources import summarize

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


def encode_parameters(names: tuple[str, ...] | list[str]) -> str:
    """Parameter names as stored in the entry point's `qirrt_parameters` attribute."""
    return json.dumps(list(names), ensure_ascii=True)


def decode_parameters(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(json.loads(text))


__all__ = [
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
