; rule: QIR021 module-flag-invalid
; breaks: dynamic_qubit_management is true in an adaptive-profile module
; expect: module flag `dynamic_qubit_management` is `i1 true`
; at: instruction=!{i32 1, !"dynamic_qubit_management", i1 true}
; profile: adaptive

define i64 @main() #0 {
entry:
  call void @__quantum__qis__h__body(ptr null)
  ret i64 0
}

declare void @__quantum__qis__h__body(ptr)

attributes #0 = { "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="1" "required_num_results"="0" "output_labeling_schema"="labeled" }

!llvm.module.flags = !{!0, !1, !2, !3}

!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 true} ; <-- error
!3 = !{i32 1, !"dynamic_result_management", i1 false}
