; A GHZ chain written as a loop over a qubit table with its counter in memory (as qdk's Adaptive
; target writes Q# locals): promoted to SSA and unrolled into static CNOTs.
@qs = internal constant [4 x ptr] [ptr null, ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 2 to ptr), ptr inttoptr (i64 3 to ptr)]

define void @main() #0 {
entry:
  %i = alloca i64
  store i64 0, ptr %i
  call void @__quantum__qis__h__body(ptr null)
  br label %head

head:
  %n = load i64, ptr %i
  %c = icmp slt i64 %n, 3
  br i1 %c, label %body, label %exit

body:
  %p = getelementptr [4 x ptr], ptr @qs, i64 0, i64 %n
  %q = load ptr, ptr %p
  %n1 = add i64 %n, 1
  %p1 = getelementptr [4 x ptr], ptr @qs, i64 0, i64 %n1
  %q1 = load ptr, ptr %p1
  call void @__quantum__qis__cnot__body(ptr %q, ptr %q1)
  store i64 %n1, ptr %i
  br label %head

exit:
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 2 to ptr), ptr inttoptr (i64 2 to ptr))
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 3 to ptr), ptr inttoptr (i64 3 to ptr))
  ret void
}

declare void @__quantum__qis__h__body(ptr)
declare void @__quantum__qis__cnot__body(ptr, ptr)
declare void @__quantum__qis__mz__body(ptr, ptr writeonly) #1

attributes #0 = { "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="4" "required_num_results"="4" "output_labeling_schema" }
attributes #1 = { "irreversible" }
