; rule: QIR013 entry-point-return-type
; breaks: the entry point returns a double instead of the i64 exit code
; expect: returns `double`
; at: function=main instruction=define double @main()
; profile: base

define double @main() #0 { ; <-- error
entry:
  call void @__quantum__qis__h__body(ptr null)
  ret double 0.000000e+00
}

declare void @__quantum__qis__h__body(ptr)

attributes #0 = { "entry_point" "qir_profiles"="base_profile" "required_num_qubits"="1" "required_num_results"="0" "output_labeling_schema"="labeled" }

!llvm.module.flags = !{!0, !1, !2, !3}

!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
