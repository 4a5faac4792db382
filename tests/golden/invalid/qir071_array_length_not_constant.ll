; rule: QIR071 record-operand
; breaks: an array record's length is undefined instead of a constant
; expect: @__quantum__rt__array_record_output takes a constant non-negative length, not `undef`
; at: function=main block=entry instruction=call void @__quantum__rt__array_record_output(i64 undef, ptr @reg)
; profile: base

@reg = internal constant [2 x i8] c"c\00"

define i64 @main() #0 {
entry:
  call void @__quantum__qis__h__body(ptr null)
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  call void @__quantum__rt__array_record_output(i64 undef, ptr @reg) ; <-- error
  call void @__quantum__rt__result_record_output(ptr null, ptr null)
  ret i64 0
}

declare void @__quantum__qis__h__body(ptr)

declare void @__quantum__qis__mz__body(ptr, ptr writeonly) #1

declare void @__quantum__rt__array_record_output(i64, ptr)

declare void @__quantum__rt__result_record_output(ptr, ptr)

attributes #0 = { "entry_point" "qir_profiles"="base_profile" "required_num_qubits"="1" "required_num_results"="1" "output_labeling_schema"="labeled" }
attributes #1 = { "irreversible" }

!llvm.module.flags = !{!0, !1, !2, !3}

!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
