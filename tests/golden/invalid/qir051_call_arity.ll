; rule: QIR051 call-signature
; breaks: a CNOT is called with one operand although its declaration takes two
; expect: @__quantum__qis__cx__body is called as `void (ptr)` but it takes `void (ptr, ptr)`
; at: function=main block=entry instruction=call void @__quantum__qis__cx__body(ptr null)
; profile: base

define i64 @main() #0 {
entry:
  call void @__quantum__qis__h__body(ptr null)
  call void @__quantum__qis__cx__body(ptr null) ; <-- error
  ret i64 0
}

declare void @__quantum__qis__h__body(ptr)

declare void @__quantum__qis__cx__body(ptr, ptr)

attributes #0 = { "entry_point" "qir_profiles"="base_profile" "required_num_qubits"="2" "required_num_results"="0" "output_labeling_schema"="labeled" }

!llvm.module.flags = !{!0, !1, !2, !3}

!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
