; rule: QIR067 ir-defined-function
; breaks: with ir_functions declared, an IR-defined function calls itself (recursion is forbidden)
; expect: @spin is (directly or indirectly) recursive
; at: function=spin instruction=define void @spin(ptr %q)
; profile: adaptive

define i64 @main() #0 {
entry:
  call void @spin(ptr null)
  ret i64 0
}

define void @spin(ptr %q) { ; <-- error
entry:
  call void @__quantum__qis__x__body(ptr %q)
  call void @spin(ptr %q)
  ret void
}

declare void @__quantum__qis__x__body(ptr)

attributes #0 = { "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="1" "required_num_results"="0" "output_labeling_schema"="labeled" }

!llvm.module.flags = !{!0, !1, !2, !3, !4}

!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
!4 = !{i32 1, !"ir_functions", i1 true}
