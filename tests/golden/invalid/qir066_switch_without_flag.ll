; rule: QIR066 switch-not-allowed
; breaks: a `switch` on a measurement without the multiple_target_branching flag
; expect: `switch` needs the multiple_target_branching capability
; at: function=main block=entry instruction=switch i1 %r, label %zero [ i1 true, label %one ]
; profile: adaptive

define i64 @main() #0 {
entry:
  call void @__quantum__qis__h__body(ptr null)
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  %r = call i1 @__quantum__qis__read_result__body(ptr null)
  switch i1 %r, label %zero [ i1 true, label %one ] ; <-- error

one:
  call void @__quantum__qis__x__body(ptr inttoptr (i64 1 to ptr))
  br label %zero

zero:
  call void @__quantum__rt__result_record_output(ptr null, ptr null)
  ret i64 0
}

declare void @__quantum__qis__h__body(ptr)

declare void @__quantum__qis__x__body(ptr)

declare void @__quantum__qis__mz__body(ptr, ptr writeonly) #1

declare i1 @__quantum__qis__read_result__body(ptr)

declare void @__quantum__rt__result_record_output(ptr, ptr)

attributes #0 = { "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="2" "required_num_results"="1" "output_labeling_schema"="labeled" }
attributes #1 = { "irreversible" }

!llvm.module.flags = !{!0, !1, !2, !3}

!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
