@0 = internal constant [4 x i8] c"0_t\00"
@1 = internal constant [6 x i8] c"1_t0r\00"
@2 = internal constant [6 x i8] c"2_t1i\00"

define i64 @ENTRYPOINT__main() #0 {
block_0:
  %var_0 = alloca i64
  %var_1 = alloca ptr
  %var_2 = alloca i1
  %var_7 = alloca i1
  call void @__quantum__rt__initialize(ptr null)
  call void @__quantum__rt__write_result(i1 zeroext true, ptr inttoptr (i64 3 to ptr))
  store i64 0, ptr %var_0
  store ptr inttoptr (i64 3 to ptr), ptr %var_1
  store i1 true, ptr %var_2
  br label %block_1
block_1:
  %var_15 = load i1, ptr %var_2
  br i1 %var_15, label %block_2, label %block_3
block_2:
  call void @H(ptr inttoptr (i64 0 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 0 to ptr), ptr inttoptr (i64 0 to ptr))
  store ptr inttoptr (i64 0 to ptr), ptr %var_1
  %var_19 = load i64, ptr %var_0
  %var_4 = add i64 %var_19, 1
  store i64 %var_4, ptr %var_0
  %var_21 = load ptr, ptr %var_1
  %var_5 = call zeroext i1 @__quantum__rt__read_result(ptr %var_21)
  %var_6 = icmp eq i1 %var_5, false
  store i1 true, ptr %var_7
  br i1 %var_6, label %block_4, label %block_5
block_3:
  %var_16 = load i64, ptr %var_0
  %var_10 = srem i64 %var_16, 2
  %var_11 = icmp eq i64 %var_10, 1
  br i1 %var_11, label %block_6, label %block_7
block_4:
  %var_25 = load i1, ptr %var_7
  %var_9 = xor i1 %var_25, true
  store i1 %var_9, ptr %var_2
  br label %block_1
block_5:
  %var_23 = load i64, ptr %var_0
  %var_8 = icmp sge i64 %var_23, 4
  store i1 %var_8, ptr %var_7
  br label %block_4
block_6:
  call void @X(ptr inttoptr (i64 1 to ptr))
  br label %block_7
block_7:
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  call void @__quantum__rt__tuple_record_output(i64 2, ptr @0)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 1 to ptr), ptr @1)
  %var_17 = load i64, ptr %var_0
  call void @__quantum__rt__int_record_output(i64 %var_17, ptr @2)
  ret i64 0
}

declare void @__quantum__rt__initialize(ptr)

define internal void @H(ptr %var_3) {
block_8:
  call void @__quantum__qis__h__body(ptr %var_3)
  ret void
}

declare void @__quantum__qis__h__body(ptr)

declare void @__quantum__qis__mresetz__body(ptr, ptr) #1

declare zeroext i1 @__quantum__rt__read_result(ptr) #2

define internal void @X(ptr %var_12) {
block_9:
  call void @__quantum__qis__x__body(ptr %var_12)
  ret void
}

declare void @__quantum__qis__x__body(ptr)

declare void @__quantum__rt__tuple_record_output(i64, ptr)

declare void @__quantum__rt__result_record_output(ptr, ptr)

declare void @__quantum__rt__int_record_output(i64, ptr)

declare void @__quantum__rt__write_result(i1 zeroext, ptr)

attributes #0 = { "entry_point" "output_labeling_schema" "qir_profiles"="adaptive_profile" "required_num_qubits"="2" "required_num_results"="4" }
attributes #1 = { "irreversible" }
attributes #2 = { nofree nosync nounwind willreturn memory(argmem: read) }

; module flags

!llvm.module.flags = !{!0, !1, !2, !3, !4, !5, !6, !7, !8, !9}

!0 = !{i32 1, !"qir_major_version", i32 2}
!1 = !{i32 7, !"qir_minor_version", i32 1}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
!4 = !{i32 5, !"int_computations", !{!"i64"}}
!5 = !{i32 5, !"float_computations", !{!"double"}}
!6 = !{i32 7, !"backwards_branching", i2 3}
!7 = !{i32 1, !"arrays", i1 true}
!8 = !{i32 1, !"ir_functions", i1 true}
!9 = !{i32 1, !"writable_results", i1 true}
