; rule: QIR055 runtime-parameter
; breaks: the program reads runtime parameter 1 but names only one parameter (theta)
; expect: runtime parameter index 1 is outside the 1 names in the entry point's `qirrt_parameters` attribute
; at: function=main block=entry instruction=%phi = call double @__qirrt__parameter(i64 1)
; profile: base

define i64 @main() #0 {
entry:
  %theta = call double @__qirrt__parameter(i64 0)
  %phi = call double @__qirrt__parameter(i64 1) ; <-- error
  %angle = fadd double %theta, %phi
  call void @__quantum__qis__rz__body(double %angle, ptr null)
  ret i64 0
}

declare double @__qirrt__parameter(i64)

declare void @__quantum__qis__rz__body(double, ptr)

attributes #0 = { "entry_point" "qir_profiles"="base_profile" "qirrt_parameters"="[\22theta\22]" "required_num_qubits"="1" "required_num_results"="0" "output_labeling_schema"="labeled" }

!llvm.module.flags = !{!0, !1, !2, !3}

!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
