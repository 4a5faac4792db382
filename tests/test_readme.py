"""The README works as written: every command block and Python snippet in it runs.

A block is the indented shell block or ```python fence after a `<!-- readme-test: ... -->` comment,
whose words say how to run it: `fast` (the default run), `slow`, `extras=a,b` (skipped with the pip
hint when an extra is missing), `cluster` (starts a broker and workers in the background: run on a
free loopback port, as is a dashboard's 127.0.0.1:8080, every process stopped at the end), `install` (a `pip install ... &&` prefix is
not re-run; a block that would run the whole suite is skipped). Blocks run with bash `-e` in a
temporary copy of `examples/`, so files they write land there. Every indented block of the README
must carry a marker, so no command escapes the test.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MARKER = re.compile(r"<!-- readme-test: (?P<words>[^>]*?) -->")
EXTRA_MODULES = {"plot": "matplotlib", "fake-backends": "qiskit_ibm_runtime", "cirq": "cirq",
                 "pennylane": "pennylane", "qdk": "qdk", "pytket": "pytket.qir", "mitiq": "mitiq",
                 "cudaq": "cudaq", "ray": "ray", "cutting": "qiskit_addon_cutting", "learned": "sklearn",
                 "dashboard": "fastapi"}


@dataclass(frozen=True)
class Block:
    line: int
    kind: str  # "shell" or "python"
    text: str
    words: tuple[str, ...]

    @property
    def extras(self) -> tuple[str, ...]:
        for word in self.words:
            if word.startswith("extras="):
                return tuple(word.removeprefix("extras=").split(","))
        return ()

    @property
    def id(self) -> str:
        return f"README.md:{self.line}-{self.kind}"


def _indented_blocks(lines: list[str]) -> list[tuple[int, str]]:
    """(first line number, dedented text) of every 4-space indented block outside ``` fences."""
    blocks, current, start, fenced, previous_blank = [], [], 0, False, True
    for number, line in enumerate(lines, 1):
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("    ") and (current or previous_blank):
            if not current:
                start = number
            current.append(line)
        elif current and line.strip() == "":
            current.append(line)
        elif current:
            blocks.append((start, textwrap.dedent("\n".join(current)).strip() + "\n"))
            current = []
        previous_blank = line.strip() == ""
    if current:
        blocks.append((start, textwrap.dedent("\n".join(current)).strip() + "\n"))
    return blocks


def readme_blocks(text: str) -> tuple[list[Block], list[int]]:
    """The marked blocks, and the line numbers of indented command blocks that carry no marker."""
    lines = text.splitlines()
    markers = {}
    for number, line in enumerate(lines, 1):
        match = MARKER.fullmatch(line.strip())
        if match:
            markers[number] = tuple(match.group("words").split())

    def marker_before(number: int):
        probe = number - 1
        while probe > 0 and lines[probe - 1].strip() == "":
            probe -= 1
        return markers.get(probe)

    blocks, unmarked = [], []
    for start, body in _indented_blocks(lines):
        words = marker_before(start)
        if words is None:
            if re.match(r"(qirrt|python|pip)\b", body):
                unmarked.append(start)
            continue
        blocks.append(Block(start, "shell", body, words))
    for number, line in enumerate(lines, 1):
        if line.strip() == "```python":
            end = lines.index("```", number)
            words = marker_before(number)
            if words is None:
                unmarked.append(number)
                continue
            blocks.append(Block(number, "python", "\n".join(lines[number:end]) + "\n", words))
    return blocks, unmarked


BLOCKS, UNMARKED = readme_blocks(README.read_text())


def test_every_command_block_is_marked():
    assert BLOCKS, "no marked blocks found in README.md"
    assert not UNMARKED, f"README.md blocks at lines {UNMARKED} have no <!-- readme-test: ... --> marker"


def test_every_file_the_readme_names_in_examples_exists():
    names = set(re.findall(r"examples/[\w.\-/]+\.\w+", README.read_text()))
    assert names, "the README names no example files"
    missing = sorted(n for n in names if not (ROOT / n).is_file())
    assert not missing, f"README.md names files that examples/ lacks: {missing}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _script(block: Block) -> str | None:
    body = block.text
    if "install" in block.words:
        commands = []
        for line in body.splitlines():
            command = line.split("#", 1)[0].strip()
            if not command:
                continue
            _, _, rest = command.partition("&&")
            if "pytest" in rest:
                return None  # the whole suite: .ci/run runs it
            commands.append(rest.strip())
        body = "\n".join(commands) + "\n"
    if "cluster" in block.words:
        body = body.replace("tcp://127.0.0.1:5555", f"tcp://127.0.0.1:{_free_port()}")
        body = body.replace("127.0.0.1:8080", f"127.0.0.1:{_free_port()}")  # the dashboard's HTTP port
    return body


def _params(blocks):
    for block in blocks:
        marks = [pytest.mark.slow] if "slow" in block.words else []
        yield pytest.param(block, id=block.id, marks=marks)


@pytest.mark.parametrize("block", list(_params(BLOCKS)))
def test_readme_block_runs(block: Block, tmp_path):
    for extra in block.extras:
        module = EXTRA_MODULES.get(extra)
        if module is not None:
            pytest.importorskip(module, reason=f"needs the {extra} extra: pip install 'qirrt[{extra}]'")
    script = _script(block)
    if script is None:
        pytest.skip("runs the whole test suite; .ci/run runs this line verbatim")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    bin_dir = str(Path(sys.executable).parent)  # the `qirrt` console script of this interpreter
    env = {**os.environ, "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")]), "MPLBACKEND": "Agg",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    if block.kind == "python":
        (tmp_path / "snippet.py").write_text(script)
        command = [sys.executable, "snippet.py"]
    else:
        (tmp_path / "block.sh").write_text("set -e\n" + script)
        command = ["bash", "block.sh"]
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with out.open("w") as stdout_file, err.open("w") as stderr_file:  # files, not pipes: background
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=stdout_file,  # processes keep those
                                   stderr=stderr_file, start_new_session=True)
        try:
            process.wait(timeout=900 if "slow" in block.words else 600)
        except subprocess.TimeoutExpired:
            pass
        finally:
            try:  # whatever the block left running (broker, workers) shares its session
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
    stdout, stderr = out.read_text(), err.read_text()
    assert process.returncode == 0, (f"{block.id} exited {process.returncode}\n{script}\n--- stdout\n"
                                     f"{stdout[-3000:]}\n--- stderr\n{stderr[-3000:]}")
    assert "Traceback" not in stderr, stderr[-3000:]
    if "cluster" in block.words:  # the job went through broker and worker and came back with counts
        assert '"counts"' in stdout and '"00"' in stdout, stdout[-3000:]
    for line in script.splitlines():  # what the commands say they write exists and is a real picture
        for written in re.findall(r"--plot (\S+)|-o (\S+)", line):
            path = tmp_path / (written[0] or written[1])
            assert path.is_file() and path.stat().st_size > 0, f"{block.id}: {path.name} was not written"
            if path.suffix == ".png":
                assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
