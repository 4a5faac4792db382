; rule: QIR032 non-constant-qubit-or-result
; breaks: a measurement writes into an undefined result pointer
; expect: the result operand of @__quantum__qis__mz__body is `undef`
; at: function=main block=entry instruction=call void @__quantum__qis__mz__body(ptr null, ptr undef)
; profile: adaptive

define i64 @main() #0 {
entry:
  call void @__quantum__qis__h__body(ptr null)
  call void @__quantum__qis__mz__body(ptr null, ptr undef) ; <-- error
  ret i64 0
}

declare void @__quantum__qis__h__body(ptr)

declare void @__quantum__qis__mz__body(ptr, ptr writeonly) #1

attributes #0 = { "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="1" "required_num_results"="1" "output_labeling_schema"="labeled" }
attributes #1 = { "irreversible" }

!llvm.module.flags = !{!0, !1, !2, !3}

!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
