; rule: QIR067 ir-defined-function
; breaks: a Bell-pair subroutine is defined in the IR without the ir_functions flag
; expect: @bell is an IR-defined function besides the entry point
; at: function=bell instruction=define void @bell(ptr %a, ptr %b)
; profile: adaptive

define i64 @main() #0 {
entry:
  call void @bell(ptr null, ptr inttoptr (i64 1 to ptr))
  ret i64 0
}

define void @bell(ptr %a, ptr %b) { ; <-- error
entry:
  call void @__quantum__qis__h__body(ptr %a)
  call void @__quantum__qis__cx__body(ptr %a, ptr %b)
  ret void
}

declare void @__quantum__qis__h__body(ptr)

declare void @__quantum__qis__cx__body(ptr, ptr)

attributes #0 = { "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="2" "required_num_results"="0" "output_labeling_schema"="labeled" }

!llvm.module.flags = !{!0, !1, !2, !3}

!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
