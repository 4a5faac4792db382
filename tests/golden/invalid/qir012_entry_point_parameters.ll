; rule: QIR012 entry-point-parameters
; breaks: the entry point takes an argument (a rotation angle)
; expect: takes parameters (double %theta)
; at: function=main instruction=define i64 @main(double %theta)
; profile: base

define i64 @main(double %theta) #0 { ; <-- error
entry:
  call void @__quantum__qis__rx__body(double %theta, ptr null)
  ret i64 0
}

declare void @__quantum__qis__rx__body(double, ptr)

attributes #0 = { "entry_point" "qir_profiles"="base_profile" "required_num_qubits"="1" "required_num_results"="0" "output_labeling_schema"="labeled" }

!llvm.module.flags = !{!0, !1, !2, !3}

!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
