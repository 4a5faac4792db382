; rule: QIR021 module-flag-invalid
; breaks: qir_major_version is 3; only QIR 1 and 2 exist
; expect: module flag `qir_major_version` is `i32 3`
; at: instruction=!{i32 1, !"qir_major_version", i32 3}
; profile: base

define i64 @main() #0 {
entry:
  call void @__quantum__qis__h__body(ptr null)
  ret i64 0
}

declare void @__quantum__qis__h__body(ptr)

attributes #0 = { "entry_point" "qir_profiles"="base_profile" "required_num_qubits"="1" "required_num_results"="0" "output_labeling_schema"="labeled" }

!llvm.module.flags = !{!0, !1, !2, !3}

!0 = !{i32 1, !"qir_major_version", i32 3} ; <-- error
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
