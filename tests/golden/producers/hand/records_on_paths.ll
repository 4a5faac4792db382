; Records on only some paths: a shot's key lists what its path recorded (README "Count keys").
; r0 = 0: "0"; r0 = 1, r1 = 0: "1 0"; r0 = 1, r1 = 1: "1 1 7" (the int is computed in a branch).
define void @main() #0 {
entry:
  call void @__quantum__qis__h__body(ptr null)
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  call void @__quantum__rt__tuple_record_output(i64 3, ptr null)
  call void @__quantum__rt__result_record_output(ptr null, ptr null)
  %a = call i1 @__quantum__qis__read_result__body(ptr null)
  br i1 %a, label %one, label %done

one:
  call void @__quantum__qis__h__body(ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 1 to ptr), ptr null)
  %b = call i1 @__quantum__qis__read_result__body(ptr inttoptr (i64 1 to ptr))
  %v = select i1 %b, i64 7, i64 3
  br i1 %b, label %seven, label %done

seven:
  call void @__quantum__rt__int_record_output(i64 %v, ptr null)
  br label %done

done:
  ret void
}

declare void @__quantum__qis__h__body(ptr)
declare void @__quantum__qis__mz__body(ptr, ptr writeonly) #1
declare i1 @__quantum__qis__read_result__body(ptr)
declare void @__quantum__rt__tuple_record_output(i64, ptr)
declare void @__quantum__rt__result_record_output(ptr, ptr)
declare void @__quantum__rt__int_record_output(i64, ptr)

attributes #0 = { "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="2" "required_num_results"="2" "output_labeling_schema" }
attributes #1 = { "irreversible" }
