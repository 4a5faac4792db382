; rule: QIR001 parse-error
; breaks: the text is not LLVM IR (a misspelt instruction), so nothing can be validated
; expect: cannot parse LLVM IR
; at: -
; profile: base

define i64 @main() #0 {
entry:
  cal void @__quantum__qis__h__body(ptr null) ; <-- error
  ret i64 0
}

declare void @__quantum__qis__h__body(ptr)

attributes #0 = { "entry_point" "qir_profiles"="base_profile" "required_num_qubits"="1" "required_num_results"="0" "output_labeling_schema"="labeled" }
