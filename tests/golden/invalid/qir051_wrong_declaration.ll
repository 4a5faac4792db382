; rule: QIR051 call-signature
; breaks: the Hadamard is declared (and called) with two qubit operands
; expect: @__quantum__qis__h__body is declared as `void (ptr, ptr)` but QIR defines `void (ptr)`
; at: function=__quantum__qis__h__body instruction=declare void @__quantum__qis__h__body(ptr, ptr)
; profile: base

define i64 @main() #0 {
entry:
  call void @__quantum__qis__h__body(ptr null, ptr inttoptr (i64 1 to ptr))
  ret i64 0
}

declare void @__quantum__qis__h__body(ptr, ptr) ; <-- error

attributes #0 = { "entry_point" "qir_profiles"="base_profile" "required_num_qubits"="2" "required_num_results"="0" "output_labeling_schema"="labeled" }

!llvm.module.flags = !{!0, !1, !2, !3}

!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
