"""Fuzzing the CLI: random bytes, truncated bitcode and mutated valid modules through `qirrt run/compile/inspect`.

Whatever the input, the command exits 0 (the input is still a valid program) or 2 with one ``error:`` line
on stderr — never a traceback, never a crash. The hypothesis loops use click's CliRunner (in-process, so a
crash of LLVM's reader would take the test run down with it: that is the point); a few real processes
check what a user sees on the terminal, including the Rust panic text that CliRunner cannot capture.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qirrt
from qirrt.cli.app import main

ROOT = Path(__file__).resolve().parent.parent.parent
GOLDEN = Path(__file__).resolve().parent.parent / "golden"
TEXT_SEEDS = [ROOT / "examples" / "ghz3.ll", GOLDEN / "producers" / "pyqir" / "if_result.ll",
              GOLDEN / "producers" / "pyqir" / "gates.ll", GOLDEN / "producers" / "qdk" / "int_output.ll",
              GOLDEN / "producers" / "cudaq" / "feed_qir-adaptive.ll",
              GOLDEN / "producers" / "pytket" / "adaptive_feed.ll"]
QASM_SEEDS = [ROOT / "examples" / "bell.qasm"]
COMMANDS = {"run": ["--shots", "2", "-q"], "compile": [], "inspect": []}
FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _seeds() -> dict[str, bytes]:
    seeds = {path.name: path.read_bytes() for path in TEXT_SEEDS + QASM_SEEDS}
    for path in TEXT_SEEDS:
        seeds[path.stem + ".bc"] = qirrt.load(path).to_bitcode()
    return seeds


SEEDS = _seeds()
_FOLDER = Path(tempfile.mkdtemp(prefix="qirrt-fuzz-"))


def invoke(data: bytes, suffix: str, command: str):
    path = _FOLDER / f"input{suffix}"
    path.write_bytes(data)
    result = CliRunner().invoke(main, [command, str(path), *COMMANDS[command]])
    check(result.exit_code, result.stderr, f"{command} {suffix} {data[:60]!r}", result.exception)
    return result


def check(code: int, stderr: str, what: str, exception=None) -> None:
    assert code in (0, 2), f"{what}: exit {code} ({exception!r})\n{stderr}"
    assert "Traceback" not in stderr and "panicked" not in stderr, f"{what}:\n{stderr}"
    lines = [line for line in stderr.strip().splitlines() if not line.startswith("warning: ")]
    if code == 2:
        assert len(lines) == 1 and lines[0].startswith("error: "), f"{what}: stderr is not one error line:\n{stderr}"


@st.composite
def mutation(draw):
    """A seed with 1–6 edits: byte flips, deletions, insertions, duplicated or dropped lines, a truncation."""
    name = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[name])
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "delete", "insert", "line", "drop-line", "truncate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 16))]
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from([b"%", b"@", b";", b"\n", b"i64 ", b"ptr null", b"}", b"\x00",
                                                b"\xff", b"br label %x\n", b"0x7FF"]))
        elif kind in ("line", "drop-line"):
            lines = bytes(data).split(b"\n")
            index = draw(st.integers(0, len(lines) - 1))
            if kind == "line":
                lines.insert(index, lines[index])
            else:
                del lines[index]
            data = bytearray(b"\n".join(lines))
        elif kind == "truncate":
            data = data[:at]
    return bytes(data), Path(name).suffix


@FUZZ
@given(st.binary(min_size=0, max_size=600), st.sampled_from([".ll", ".bc", ".qasm", ".qs"]),
       st.sampled_from(sorted(COMMANDS)))
def test_random_bytes_are_refused_with_one_line(data, suffix, command):
    assert invoke(data, suffix, command).exit_code == 2


@FUZZ
@given(st.sampled_from([n for n in SEEDS if n.endswith(".bc")]), st.data(), st.sampled_from(sorted(COMMANDS)))
def test_truncated_bitcode_is_refused_with_one_line(name, data, command):
    bitcode = SEEDS[name]
    cut = data.draw(st.integers(0, len(bitcode) - 1))
    assert invoke(bitcode[:cut], ".bc", command).exit_code == 2


@settings(FUZZ, max_examples=80)
@given(mutation(), st.sampled_from(sorted(COMMANDS)))
def test_mutated_modules_run_or_are_refused_with_one_line(case, command):
    data, suffix = case
    invoke(data, suffix, command)


@pytest.mark.parametrize("name", ["reader_segfaults.bc", "reader_runs_out_of_memory.bc"])
def test_bitcode_that_crashes_llvms_reader_is_refused(name):
    # each of these crashed the reading process before (SIGSEGV; "LLVM ERROR: out of memory" and abort)
    result = invoke((GOLDEN / "corrupt" / name).read_bytes(), ".bc", "inspect")
    assert result.exit_code == 2
    assert "cannot parse bitcode" in result.stderr


# -- real processes -----------------------------------------------------------------------------------
def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "qirrt.cli", *args], capture_output=True, text=True, timeout=300,
                          env=env, check=False)


@pytest.mark.parametrize("suffix", [".ll", ".bc"])
def test_binary_garbage_on_the_terminal_is_one_line_and_exit_2(tmp_path, suffix):
    path = tmp_path / f"garbage{suffix}"
    path.write_bytes(bytes((i * 131 + 7) % 256 for i in range(300)))
    for command in COMMANDS:
        done = _cli(command, str(path))
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip().splitlines() == [done.stderr.strip()], done.stderr
        assert done.stderr.startswith("error: [QIR001]"), done.stderr


def test_bitcode_whose_names_are_not_utf8_gives_no_rust_panic(tmp_path):
    from qirrt.qir.llvm import llvm

    text = (ROOT / "examples" / "ghz3.ll").read_text().replace('"qirrt_producer"="qiskit"', '"qirrt_producer"="\\F7"')
    assert '"\\F7"' in text
    path = tmp_path / "names.bc"
    path.write_bytes(llvm.parse_assembly(text).as_bitcode())
    done = _cli("run", str(path), "--shots", "2")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()], done.stderr
    assert "not UTF-8" in done.stderr


def test_corrupt_bitcode_on_the_terminal_is_one_line(tmp_path):
    done = _cli("run", str(GOLDEN / "corrupt" / "reader_segfaults.bc"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()], done.stderr
    assert "LLVM's reader crashed on it (SIGSEGV)" in done.stderr


def test_a_broken_cudaq_module_does_not_abort_the_process(tmp_path):
    # cudaq declares "Debug Info Version": LLVM's parser then verifies while parsing and aborted the process
    # (report_fatal_error) on a broken module — here duplicated module flags, found by the fuzzer
    text = (GOLDEN / "producers" / "cudaq" / "bell_qir-adaptive.ll").read_text()
    flags = next(line for line in text.splitlines() if line.startswith("!llvm.module.flags"))
    path = tmp_path / "broken.ll"
    path.write_text(text.replace(flags, flags + "\n" + flags))
    done = _cli("inspect", str(path))
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()], done.stderr
    assert "[QIR002] module does not verify: module flag identifiers must be unique" in done.stderr
