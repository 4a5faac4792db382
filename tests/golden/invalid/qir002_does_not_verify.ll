; rule: QIR002 module-verifies
; breaks: %b is used before the instruction that defines it (LLVM's verifier rejects the module)
; expect: does not verify; Instruction does not dominate all uses
; at: instruction=%b = add i64 1, 1
; profile: adaptive

define i64 @main() #0 {
entry:
  %a = add i64 %b, 1
  %b = add i64 1, 1 ; <-- error
  ret i64 0
}

attributes #0 = { "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="0" "required_num_results"="0" "output_labeling_schema"="labeled" }

!llvm.module.flags = !{!0, !1, !2, !3, !4}

!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
!4 = !{i32 5, !"int_computations", !{!"i64"}}
