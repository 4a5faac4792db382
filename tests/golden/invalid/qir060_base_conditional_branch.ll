; rule: QIR060 base-branching
; breaks: a base-profile entry point branches conditionally
; expect: `br` with more than one target in a base-profile program
; at: function=main block=entry instruction=br i1 true, label %then, label %done
; profile: base

define i64 @main() #0 {
entry:
  call void @__quantum__qis__h__body(ptr null)
  br i1 true, label %then, label %done ; <-- error

then:
  call void @__quantum__qis__x__body(ptr null)
  br label %done

done:
  ret i64 0
}

declare void @__quantum__qis__h__body(ptr)

declare void @__quantum__qis__x__body(ptr)

attributes #0 = { "entry_point" "qir_profiles"="base_profile" "required_num_qubits"="1" "required_num_results"="0" "output_labeling_schema"="labeled" }

!llvm.module.flags = !{!0, !1, !2, !3}

!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
