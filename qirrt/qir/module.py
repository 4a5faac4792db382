"""A QIR module as pyqir reads it: parsing text and bitcode, the profile, and the entry point's attributes."""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass

import pyqir

from qirrt.errors import InvalidProgramError, Location, ParseError, ResourceLimitError
from qirrt.qir import memory
from qirrt.qir.bitcode_probe import probe_bitcode
from qirrt.qir.dialect import PARAMETER_ATTR, PRODUCER_ATTR


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


_DEBUG_VERSION_FLAG = '!"Debug Info Version"'
_DEBUG_VERSION_DROPPED = '!"qirrt_dropped_debug_info_version"'


def parse_module(source: str | bytes, *, name: str = "qirrt", file: str | None = None,
                 trusted: bool = False) -> pyqir.Module:
    """Parse LLVM text or bitcode into a pyqir module; a failure becomes a `ParseError` with its line.

    Text goes through llvmlite's parser and bitcode (ten times faster than pyqir's text parser).
    Bitcode from outside is read in a child process first (`qirrt.qir.bitcode_probe`); `trusted` bitcode,
    which qirrt itself just wrote from a verified module, is not.
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
    if not trusted:
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
    need = len(source) * _LOAD_BYTES_PER_TEXT_BYTE * (1 if isinstance(source, str) else 8)
    room = int(memory.available_bytes() * memory.HEADROOM)
    if need > room:
        where = f"{file}: " if file else ""
        raise ResourceLimitError(
            f"{where}loading this {len(source) / 2**20:.0f} MiB module needs about {need / 2**30:.1f} GiB "
            f"(about {_LOAD_BYTES_PER_TEXT_BYTE} bytes per byte of LLVM text), but only {room / 2**30:.1f} GiB "
            f"of memory is available; free memory, or split the program into smaller ones")


def _text_to_bitcode(text: str, file: str | None) -> bytes:
    from qirrt.qir.llvm import llvm  # llvmlite is loaded on first use

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


def encode_parameters(names: tuple[str, ...] | list[str]) -> str:
    """Parameter names as stored in the entry point's `qirrt_parameters` attribute."""
    return json.dumps(list(names), ensure_ascii=True)


def decode_parameters(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(json.loads(text))



@dataclass
class EntryAttributes:
    entry_point: str
    profile: Profile
    num_qubits: int
    num_results: int
    parameters: tuple[str, ...]
    producer: str | None



def _string_attr(function: pyqir.Function, key: str) -> str | None:
    attribute = function.attributes.func[key] if key in function.attributes.func else None
    return attribute.string_value if attribute is not None else None


def entry_points(module: pyqir.Module) -> list[pyqir.Function]:
    return [f for f in module.functions if pyqir.is_entry_point(f)]


def read_entry_attributes(module: pyqir.Module) -> EntryAttributes:
    """Read the entry point and its QIR attributes from a module already in the dialect."""
    entries = entry_points(module)
    if len(entries) != 1:
        raise InvalidProgramError(f"expected exactly one entry point, found {len(entries)}", code="QIR010")
    entry = entries[0]
    profile_text = _string_attr(entry, "qir_profiles") or "adaptive_profile"
    return EntryAttributes(
        entry_point=entry.name,
        profile=Profile.parse(profile_text),
        num_qubits=int(_string_attr(entry, "required_num_qubits") or 0),
        num_results=int(_string_attr(entry, "required_num_results") or 0),
        parameters=decode_parameters(_string_attr(entry, PARAMETER_ATTR)),
        producer=_string_attr(entry, PRODUCER_ATTR),
    )


__all__ = [
    "EntryAttributes",
    "Profile",
    "decode_parameters",
    "encode_parameters",
    "entry_points",
    "parse_module",
    "read_entry_attributes",
]
