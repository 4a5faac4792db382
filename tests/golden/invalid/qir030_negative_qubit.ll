; rule: QIR030 qubit-out-of-range
; breaks: a gate acts on qubit -1 (qir-runner aborts the whole process on this)
; expect: qubit index -1 is outside [0, 1)
; at: function=main block=entry instruction=call void @__quantum__qis__x__body(ptr inttoptr (i64 -1 to ptr))
; profile: base

define i64 @main() #0 {
entry:
  call void @__quantum__qis__h__body(ptr null)
  call void @__quantum__qis__x__body(ptr inttoptr (i64 -1 to ptr)) ; <-- error
  ret i64 0
}

declare void @__quantum__qis__h__body(ptr)

declare void @__quantum__qis__x__body(ptr)

attributes #0 = { "entry_point" "qir_profiles"="base_profile" "required_num_qubits"="1" "required_num_results"="0" "output_labeling_schema"="labeled" }

!llvm.module.flags = !{!0, !1, !2, !3}

!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
