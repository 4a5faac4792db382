; rule: QIR043 float-computation
; breaks: a base-profile program computes an angle at run time from constants (not a qirrt runtime parameter)
; expect: `fmul` is floating-point computation, which the base profile does not allow
; at: function=main block=entry instruction=%angle = fmul double 2.000000e+00, 5.000000e-01
; profile: base

define i64 @main() #0 {
entry:
  %angle = fmul double 2.000000e+00, 5.000000e-01 ; <-- error
  call void @__quantum__qis__rz__body(double %angle, ptr null)
  ret i64 0
}

declare void @__quantum__qis__rz__body(double, ptr)

attributes #0 = { "entry_point" "qir_profiles"="base_profile" "required_num_qubits"="1" "required_num_results"="0" "output_labeling_schema"="labeled" }

!llvm.module.flags = !{!0, !1, !2, !3}

!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
