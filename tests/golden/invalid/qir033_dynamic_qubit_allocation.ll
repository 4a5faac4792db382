; rule: QIR033 dynamic-allocation
; breaks: the program allocates a qubit at run time (cudaq's full-QIR style) in an adaptive-profile module
; expect: @__quantum__rt__qubit_allocate manages qubits or results dynamically
; also: QIR032
; at: function=main block=entry instruction=%q = call ptr @__quantum__rt__qubit_allocate()
; profile: adaptive

define i64 @main() #0 {
entry:
  %q = call ptr @__quantum__rt__qubit_allocate() ; <-- error
  call void @__quantum__qis__h__body(ptr %q)
  ret i64 0
}

declare ptr @__quantum__rt__qubit_allocate()

declare void @__quantum__qis__h__body(ptr)

attributes #0 = { "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="1" "required_num_results"="0" "output_labeling_schema"="labeled" }

!llvm.module.flags = !{!0, !1, !2, !3}

!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
