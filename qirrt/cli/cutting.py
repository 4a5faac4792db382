"""`qirrt run --cut-max-qubits K --observable O [--plan]`: a cut run's ⟨O⟩ ± SE, or its plan."""

from __future__ import annotations

import json

import click


def run_cut(program, max_qubits: int | None, observable: str | None, mitigation: str | None, target: str | None, *,
            shots: int, seed: int | None, executor: str, params, as_json: bool, plan_only: bool, progress) -> None:
    from qirrt.api.cutting import CuttingError, cut
    from qirrt.api.run import run as run_program

    if max_qubits is None:
        raise CuttingError("--plan shows a cut plan: give --cut-max-qubits K too")
    if observable is None:
        raise CuttingError("--cut-max-qubits reconstructs an expectation value: give --observable, e.g. "
                           "--observable ZZ (rightmost letter = qubit 0)")
    if params is not None:
        raise CuttingError("--cut-max-qubits runs one bound program: drop --params, or bind the parameters in INPUT")
    if plan_only:
        plan = cut(program, max_qubits, observable=observable, shots=shots, mitigation=mitigation, target=target)
        click.echo(json.dumps(plan.to_dict()) if as_json else str(plan))
        return
    with progress("running cut subexperiments"):
        result = run_program(program, shots=shots, seed=seed, executor=executor, target=target,
                             mitigation=mitigation, observable=observable, cutting={"max_qubits": max_qubits})
    info = result.metadata["cutting"]
    plan = info["plan"]
    if as_json:
        click.echo(json.dumps({"expectation": result.expectation, "std_error": info["std_error"],
                               "observable": info["observable"], "lanes": info["lanes"], "plan": plan}))
        return
    click.echo(f"<{info['observable']}> cut  {result.expectation:.6f} ± {info['std_error']:.6f}")
    click.echo(f"{len(plan['cuts'])} cut(s), {plan['subexperiments']} subexperiments, {plan['shots']} shots, "
               f"sampling overhead {plan['sampling_overhead']:g}", err=True)


__all__ = ["run_cut"]
