; rule: QIR068 unreachable-block
; breaks: a block that no branch leads to
; expect: block %dead cannot be reached from the entry block
; at: function=main block=dead
; profile: adaptive

define i64 @main() #0 {
entry:
  call void @__quantum__qis__h__body(ptr null)
  br label %done

dead: ; <-- error
  call void @__quantum__qis__x__body(ptr null)
  br label %done

done:
  ret i64 0
}

declare void @__quantum__qis__h__body(ptr)

declare void @__quantum__qis__x__body(ptr)

attributes #0 = { "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="1" "required_num_results"="0" "output_labeling_schema"="labeled" }

!llvm.module.flags = !{!0, !1, !2, !3}

!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
