; rule: QIR050 unknown-qis-function
; breaks: u3 is not a QIS gate of the dialect (decompose it into rz/ry/rz)
; expect: @__quantum__qis__u3__body is not a quantum instruction qirrt knows
; at: function=main block=entry instruction=call void @__quantum__qis__u3__body(double 1.000000e+00, double 2.000000e+00, double 3.000000e+00, ptr null)
; profile: base

define i64 @main() #0 {
entry:
  call void @__quantum__qis__u3__body(double 1.000000e+00, double 2.000000e+00, double 3.000000e+00, ptr null) ; <-- error
  ret i64 0
}

declare void @__quantum__qis__u3__body(double, double, double, ptr)

attributes #0 = { "entry_point" "qir_profiles"="base_profile" "required_num_qubits"="1" "required_num_results"="0" "output_labeling_schema"="labeled" }

!llvm.module.flags = !{!0, !1, !2, !3}

!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
