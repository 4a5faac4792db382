"""The profile rules: every validation code with its short name and summary (data only)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One profile rule: a stable code, a short kebab-case name and a one-line summary."""

    code: str
    name: str
    summary: str


_RULE_LIST = [
    Rule("QIR001", "parse-error", "the input is not LLVM IR or bitcode that LLVM can read"),
    Rule("QIR002", "module-verifies", "the module passes LLVM's verifier"),
    Rule("QIR010", "entry-point-missing", "one function carries the `entry_point` attribute"),
    Rule("QIR011", "entry-point-duplicate", "no more than one function carries `entry_point`"),
    Rule("QIR012", "entry-point-parameters", "the entry point takes no parameters"),
    Rule("QIR013", "entry-point-return-type", "the entry point returns i64 (or void)"),
    Rule("QIR014", "entry-attribute-missing",
         "the entry point has qir_profiles, required_num_qubits, required_num_results, output_labeling_schema"),
    Rule("QIR015", "entry-attribute-invalid", "required_num_qubits/results are non-negative integers"),
    Rule("QIR016", "profile-attribute", "qir_profiles names the profile the module is validated against"),
    Rule("QIR020", "module-flag-missing",
         "qir_major_version, qir_minor_version, dynamic_qubit_management, dynamic_result_management are set"),
    Rule("QIR021", "module-flag-invalid",
         "QIR version flags are integers (major 1 or 2), dynamic management flags are false"),
    Rule("QIR030", "qubit-out-of-range", "every static qubit index is in [0, required_num_qubits)"),
    Rule("QIR031", "result-out-of-range", "every static result index is in [0, required_num_results)"),
    Rule("QIR032", "non-constant-qubit-or-result",
         "qubits and results are `null` or `inttoptr (i64 N to ptr)` constants"),
    Rule("QIR033", "dynamic-allocation", "no __quantum__rt__qubit_allocate and kin in base/adaptive"),
    Rule("QIR040", "instruction-not-allowed", "only instructions the profile lists appear"),
    Rule("QIR041", "memory-instruction", "no alloca, load, store or getelementptr instructions"),
    Rule("QIR042", "integer-computation",
         "integer computation only in adaptive with the int_computations flag (i1 logic is always allowed in adaptive)"),
    Rule("QIR043", "float-computation",
         "float computation only in adaptive with float_computations, or on qirrt runtime parameters"),
    Rule("QIR050", "unknown-qis-function", "every __quantum__qis__ callee is a gate, measurement, reset or read_result"),
    Rule("QIR051", "call-signature", "QIS/runtime declarations and calls match their signatures"),
    Rule("QIR052", "unknown-runtime-function", "every __quantum__rt__ callee is one the profile defines"),
    Rule("QIR053", "unknown-external-function", "no calls to undeclared-by-QIR external functions or through pointers"),
    Rule("QIR054", "runtime-function-not-in-profile", "base records only results, arrays and tuples"),
    Rule("QIR055", "runtime-parameter", "__qirrt__parameter takes a constant index into qirrt_parameters"),
    Rule("QIR056", "measurement-irreversible", "measurement functions are declared with the `irreversible` attribute"),
    Rule("QIR060", "base-branching", "base entry points are a chain of blocks joined by unconditional br"),
    Rule("QIR061", "base-read-result", "base programs do not read results"),
    Rule("QIR062", "base-use-after-measurement", "base programs apply nothing to a qubit after measuring it"),
    Rule("QIR063", "base-result-reuse", "base programs measure into each result at most once"),
    Rule("QIR064", "backwards-branch", "no control-flow cycles without the backwards_branching flag"),
    Rule("QIR065", "multiple-return-points", "one `ret` per function without multiple_return_points"),
    Rule("QIR066", "switch-not-allowed", "`switch` only with the multiple_target_branching flag"),
    Rule("QIR067", "ir-defined-function", "functions besides the entry point only with the ir_functions flag, never recursive"),
    Rule("QIR068", "unreachable-block", "every block is reachable from the entry block"),
    Rule("QIR069", "initialize-out-of-place", "__quantum__rt__initialize only at the start of the entry block"),
    Rule("QIR070", "record-out-of-place",
         "output records sit in the returning block after every quantum instruction, followed only by records"),
    Rule("QIR071", "record-operand",
         "record calls take a constant count or a value of their kind, and a label that is null or a global string"),
    Rule("QIR072", "record-length", "array/tuple records are followed by as many records as they announce"),
]

RULES: dict[str, Rule] = {rule.code: rule for rule in _RULE_LIST}
"""Every validation rule by code; the codes are stable and documented to users."""


__all__ = ["RULES", "Rule"]
