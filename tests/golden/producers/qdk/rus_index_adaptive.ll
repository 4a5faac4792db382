@0 = internal constant [4 x i8] c"0_t\00"
@1 = internal constant [6 x i8] c"1_t0a\00"
@2 = internal constant [8 x i8] c"2_t0a0r\00"
@3 = internal constant [8 x i8] c"3_t0a1r\00"
@4 = internal constant [8 x i8] c"4_t0a2r\00"
@5 = internal constant [6 x i8] c"5_t1i\00"
@array0 = internal constant [3 x ptr] [ptr inttoptr (i64 0 to ptr), ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 2 to ptr)]

define i64 @ENTRYPOINT__main() #0 {
block_0:
  %var_1 = alloca i64
  %var_2 = alloca i1
  %var_3 = alloca i1
  call void @__quantum__rt__initialize(ptr null)
  store i64 0, ptr %var_1
  store i1 true, ptr %var_2
  br label %block_1
block_1:
  store i1 false, ptr %var_3
  %var_14 = load i1, ptr %var_2
  br i1 %var_14, label %block_2, label %block_3
block_2:
  %var_22 = load i64, ptr %var_1
  %var_4 = icmp slt i64 %var_22, 3
  store i1 %var_4, ptr %var_3
  br label %block_3
block_3:
  %var_15 = load i1, ptr %var_3
  br i1 %var_15, label %block_4, label %block_5
block_4:
  %var_17 = load i64, ptr %var_1
  %var_18_offset_chk = icmp slt i64 %var_17, 0
  %var_18_offset = select i1 %var_18_offset_chk, i64 1, i64 0
  %var_18 = getelementptr [3 x ptr], ptr @array0, i64 %var_18_offset, i64 %var_17
  %var_5 = load ptr, ptr %var_18
  call void @H(ptr %var_5)
  %var_19_offset_chk = icmp slt i64 %var_17, 0
  %var_19_offset = select i1 %var_19_offset_chk, i64 1, i64 0
  %var_19 = getelementptr [3 x ptr], ptr @array0, i64 %var_19_offset, i64 %var_17
  %var_7 = load ptr, ptr %var_19
  call void @__quantum__qis__mresetz__body(ptr %var_7, ptr inttoptr (i64 0 to ptr))
  %var_8 = call zeroext i1 @__quantum__rt__read_result(ptr inttoptr (i64 0 to ptr))
  store i1 %var_8, ptr %var_2
  %var_10 = add i64 %var_17, 1
  store i64 %var_10, ptr %var_1
  br label %block_1
block_5:
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 0 to ptr), ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 2 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 2 to ptr), ptr inttoptr (i64 3 to ptr))
  call void @__quantum__rt__tuple_record_output(i64 2, ptr @0)
  call void @__quantum__rt__array_record_output(i64 3, ptr @1)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 1 to ptr), ptr @2)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 2 to ptr), ptr @3)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 3 to ptr), ptr @4)
  %var_16 = load i64, ptr %var_1
  call void @__quantum__rt__int_record_output(i64 %var_16, ptr @5)
  ret i64 0
}

declare void @__quantum__rt__initialize(ptr)

define internal void @H(ptr %var_6) {
block_6:
  call void @__quantum__qis__h__body(ptr %var_6)
  ret void
}

declare void @__quantum__qis__h__body(ptr)

declare void @__quantum__qis__mresetz__body(ptr, ptr) #1

declare zeroext i1 @__quantum__rt__read_result(ptr) #2

declare void @__quantum__rt__tuple_record_output(i64, ptr)

declare void @__quantum__rt__array_record_output(i64, ptr)

declare void @__quantum__rt__result_record_output(ptr, ptr)

declare void @__quantum__rt__int_record_output(i64, ptr)

attributes #0 = { "entry_point" "output_labeling_schema" "qir_profiles"="adaptive_profile" "required_num_qubits"="3" "required_num_results"="4" }
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
