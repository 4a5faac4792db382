; The qubit to flip is picked from a table by a measured bit: x(qs[r0]) with qs = [q1, q2].
; r0 = 0 flips q1 ("10"), r0 = 1 flips q2 ("01").
@qs = internal constant [2 x ptr] [ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 2 to ptr)]

define void @main() #0 {
entry:
  call void @__quantum__qis__h__body(ptr null)
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  %a = call i1 @__quantum__qis__read_result__body(ptr null)
  %k = zext i1 %a to i64
  %p = getelementptr [2 x ptr], ptr @qs, i64 0, i64 %k
  %q = load ptr, ptr %p
  call void @__quantum__qis__x__body(ptr %q)
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 2 to ptr), ptr inttoptr (i64 2 to ptr))
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 1 to ptr), ptr null)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 2 to ptr), ptr null)
  ret void
}

declare void @__quantum__qis__h__body(ptr)
declare void @__quantum__qis__x__body(ptr)
declare void @__quantum__qis__mz__body(ptr, ptr writeonly) #1
declare i1 @__quantum__qis__read_result__body(ptr)
declare void @__quantum__rt__result_record_output(ptr, ptr)

attributes #0 = { "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="3" "required_num_results"="3" "output_labeling_schema" }
attributes #1 = { "irreversible" }
