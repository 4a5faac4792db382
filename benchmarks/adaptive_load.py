"""From a file to counts for small adaptive programs: load time, JIT vs disk cache vs interpreter.

Programs (QIR text files, 20-120 instructions): qdk's teleport and repeat-until-success
(`tests/golden/producers/qdk`), cudaq's repeat-until-success with a counter (integer arithmetic and
phi nodes: the JIT's, the operation list declines it), and a generated 12-qubit program with five
mid-circuit measurements that each steer a gate.

* load         `qirrt.load(path, cache=False)` in a warm process (parse, normalise, validate, hash),
               the same file loaded again (remembered by its bytes in this process), and its first load
               in a new process whose disk cache holds it (`qirrt.qir.program_cache`).
* JIT          `jit_time_s` of the first run in a new process with an empty cache, and in the next new
               process, which loads the object code from the disk cache (`qirrt.executors.local.jit`).
* run          10,000 shots, warm (code compiled, kernels loaded): from the operation list
               (`interpret=True`, the default wherever it applies) and from JIT-compiled code.
* file→counts  load + first run at 10,000 shots in a warm process with empty caches (JIT or
               interpretation counted), and again with the caches filled by an earlier process.

Goal (issue 18, G-ADAPT): a ≤100-instruction module loads in ≤1 ms. Prints a table, then one JSON line.

    python benchmarks/adaptive_load.py           # 20 repeats
    python benchmarks/adaptive_load.py --quick   # 5 repeats
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "producers"
SHOTS = 10_000
GOAL_LOAD_MS = 1.0


def mid_circuit_ll(n: int = 12, layers: int = 10) -> str:
    """n qubits, `layers` layers of ry + a cx ladder; after every second layer qubit k is measured into
    result k and, on 1, qubit n-1-k is flipped; all qubits measured at the end."""
    lines, label = [], 0
    q = lambda i: f"ptr inttoptr (i64 {i} to ptr)" if i else "ptr null"  # noqa: E731
    for layer in range(layers):
        for i in range(n):
            lines.append(f"  call void @__quantum__qis__ry__body(double {0.1 + 0.37 * i + 0.05 * layer:.6f}, {q(i)})")
        for i in range(n - 1):
            lines.append(f"  call void @__quantum__qis__cx__body({q(i)}, {q(i + 1)})")
        if layer % 2 == 1:
            k = layer // 2
            lines.append(f"  call void @__quantum__qis__mz__body({q(k)}, {q(k)})")
            lines.append(f"  %m{k} = call i1 @__quantum__qis__read_result__body({q(k)})")
            lines.append(f"  br i1 %m{k}, label %then{label}, label %next{label}")
            lines.append(f"then{label}:")
            lines.append(f"  call void @__quantum__qis__x__body({q(n - 1 - k)})")
            lines.append(f"  br label %next{label}")
            lines.append(f"next{label}:")
            label += 1
    mids = layers // 2
    for i in range(n):
        lines.append(f"  call void @__quantum__qis__mz__body({q(i)}, {q(mids + i)})")
    for r in range(mids + n):
        lines.append(f"  call void @__quantum__rt__result_record_output({q(r)}, ptr null)")
    lines.append("  ret void")
    return (
        "define void @main() #0 {\nentry:\n" + "\n".join(lines) + "\n}\n\n"
        "declare void @__quantum__qis__ry__body(double, ptr)\n"
        "declare void @__quantum__qis__cx__body(ptr, ptr)\n"
        "declare void @__quantum__qis__x__body(ptr)\n"
        "declare void @__quantum__qis__mz__body(ptr, ptr) #1\n"
        "declare i1 @__quantum__qis__read_result__body(ptr)\n"
        "declare void @__quantum__rt__result_record_output(ptr, ptr)\n\n"
        f'attributes #0 = {{ "entry_point" "output_labeling_schema" "qir_profiles"="adaptive_profile" '
        f'"required_num_qubits"="{n}" "required_num_results"="{mids + n}" }}\n'
        'attributes #1 = { "irreversible" }\n\n'
        "!llvm.module.flags = !{!0, !1, !2, !3}\n"
        '!0 = !{i32 1, !"qir_major_version", i32 1}\n'
        '!1 = !{i32 7, !"qir_minor_version", i32 0}\n'
        '!2 = !{i32 1, !"dynamic_qubit_management", i1 false}\n'
        '!3 = !{i32 1, !"dynamic_result_management", i1 false}\n'
    )


def programs(workdir: Path) -> dict[str, Path]:
    mid = workdir / "mid_circuit_12q.ll"
    mid.write_text(mid_circuit_ll())
    return {
        "teleport (qdk)": GOLDEN / "qdk" / "teleport_adaptive.ll",
        "repeat-until-success (qdk)": GOLDEN / "qdk" / "rus_adaptive.ll",
        "RUS with counter (cudaq)": GOLDEN / "cudaq" / "rus_counter_qir-adaptive.ll",
        "12 qubits, 5 mid-circuit": mid,
    }


# -- measurements made inside a worker process --------------------------------------------------------
def _warm_up():
    """Import qirrt, load and run one other program: the process is warm (kernels loaded, LLVM started)."""
    import warnings

    warnings.simplefilter("ignore")
    import qirrt

    qirrt.run(qirrt.load(str(ROOT / "examples" / "ghz3.ll"), cache=False), shots=10, seed=1)
    return qirrt


def worker_load(path: str, repeats: int) -> dict:
    qirrt = _warm_up()
    start = time.perf_counter()
    program = qirrt.load(path)  # the first load in this process: a disk-cache hit when an earlier process filled it
    first_ms = (time.perf_counter() - start) * 1e3
    fresh, again = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        qirrt.load(path, cache=False).hash
        fresh.append((time.perf_counter() - start) * 1e3)
        start = time.perf_counter()
        qirrt.load(path).hash
        again.append((time.perf_counter() - start) * 1e3)
    return {"instructions": program.ir.count("\n  "), "first_load_ms": first_ms,
            "fresh_ms": statistics.median(fresh), "fresh_min_ms": min(fresh),
            "remembered_ms": statistics.median(again), "hash": program.hash}


def worker_run(path: str, interpret: bool, repeats: int) -> dict:
    qirrt = _warm_up()
    from qirrt.executors.local.executor import LocalExecutor

    executor = LocalExecutor(interpret=interpret)
    start = time.perf_counter()
    program = qirrt.load(path)
    result = executor.run(program, shots=SHOTS, seed=7)
    first_s = time.perf_counter() - start
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        executor.run(program, shots=SHOTS, seed=7)
        runs.append(time.perf_counter() - start)
    return {"file_to_counts_ms": first_s * 1e3, "jit_ms": result.metadata["jit_time_s"] * 1e3,
            "interpreted": result.metadata["interpreted"],
            "jit_from_disk": result.metadata.get("jit_from_disk_cache", False),
            "run_ms": statistics.median(runs) * 1e3, "paths": result.metadata["paths"],
            "counts": result.counts}


def _in_process(kind: str, args: list, cache_dir: str) -> dict:
    env = dict(os.environ, QIRRT_CACHE_DIR=cache_dir, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, __file__, "--worker", kind, json.dumps(args)], env=env,
                         capture_output=True, text=True, timeout=600, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"worker {kind} {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _tvd(a: dict, b: dict) -> float:
    na, nb = sum(a.values()), sum(b.values())
    return 0.5 * sum(abs(a.get(k, 0) / na - b.get(k, 0) / nb) for k in set(a) | set(b))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, payload = args.worker[0], json.loads(args.worker[1])
        print(json.dumps(worker_load(*payload) if kind == "load" else worker_run(*payload)))
        return
    repeats = 5 if args.quick else 20
    rows = []
    with tempfile.TemporaryDirectory(prefix="qirrt-adaptive-load-") as tmp:
        for name, path in programs(Path(tmp)).items():
            cache = tempfile.mkdtemp(dir=tmp)
            load_cold = _in_process("load", [str(path), repeats], cache)   # fills the disk cache
            load_warm = _in_process("load", [str(path), repeats], cache)   # first load is a disk hit
            jit_cache = tempfile.mkdtemp(dir=tmp)
            jit_first = _in_process("run", [str(path), False, repeats], jit_cache)
            jit_again = _in_process("run", [str(path), False, repeats], jit_cache)
            interp = _in_process("run", [str(path), True, repeats], tempfile.mkdtemp(dir=tmp))
            interp_cached = _in_process("run", [str(path), True, repeats], jit_cache)
            rows.append({
                "program": name, "instructions": load_cold["instructions"],
                "load_fresh_ms": load_cold["fresh_ms"], "load_fresh_min_ms": load_cold["fresh_min_ms"],
                "load_remembered_ms": load_cold["remembered_ms"], "load_disk_hit_ms": load_warm["first_load_ms"],
                "jit_first_ms": jit_first["jit_ms"], "jit_disk_hit_ms": jit_again["jit_ms"],
                "jit_disk_hit": jit_again["jit_from_disk"],
                "run_jit_ms": jit_first["run_ms"], "run_interpreter_ms": interp["run_ms"] if interp["interpreted"] else None,
                "default_path": "interpreter" if interp["interpreted"] else "JIT",
                "file_to_counts_cold_ms": interp["file_to_counts_ms"],
                "file_to_counts_cached_ms": interp_cached["file_to_counts_ms"],
                "paths": interp["paths"], "tvd_jit_vs_default": _tvd(jit_first["counts"], interp["counts"]),
                "hash_stable": load_cold["hash"] == load_warm["hash"],
            })
    print(f"qirrt adaptive load benchmark: {SHOTS} shots, {repeats} repeats, medians; Python "
          f"{platform.python_version()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    head = (f"{'program':<28}{'instr':>6}{'load':>8}{'again':>8}{'disk':>8}{'JIT 1st':>9}{'JIT disk':>9}"
            f"{'run JIT':>9}{'run int':>9}{'default':>12}{'file→cnt':>10}{'cached':>9}{'paths':>6}")
    print(head)
    print("-" * len(head))
    for r in rows:
        interp_ms = f"{r['run_interpreter_ms']:.2f}" if r["run_interpreter_ms"] is not None else "-"
        print(f"{r['program']:<28}{r['instructions']:>6}{r['load_fresh_ms']:>8.2f}{r['load_remembered_ms']:>8.3f}"
              f"{r['load_disk_hit_ms']:>8.2f}{r['jit_first_ms']:>9.2f}{r['jit_disk_hit_ms']:>9.2f}"
              f"{r['run_jit_ms']:>9.2f}{interp_ms:>9}{r['default_path']:>12}{r['file_to_counts_cold_ms']:>10.2f}"
              f"{r['file_to_counts_cached_ms']:>9.2f}{r['paths']:>6}")
    print("(ms; load: parse+normalise+validate+hash of a module not seen before; again: the same bytes in "
          "the same process; disk: first load in a new process with a filled disk cache)")
    small = [r for r in rows if r["instructions"] <= 100]
    summary = {
        "benchmark": "adaptive_load", "shots": SHOTS, "repeats": repeats,
        "goal_load_ms": GOAL_LOAD_MS,
        "load_fresh_ms_max": max(r["load_fresh_ms"] for r in small),
        "load_cached_ms_max": max(max(r["load_remembered_ms"], r["load_disk_hit_ms"]) for r in small),
        "goal_load_met_fresh": all(r["load_fresh_ms"] <= GOAL_LOAD_MS for r in small),
        "goal_load_met_cached": all(max(r["load_remembered_ms"], r["load_disk_hit_ms"]) <= GOAL_LOAD_MS
                                    for r in small),
        "rows": rows,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
