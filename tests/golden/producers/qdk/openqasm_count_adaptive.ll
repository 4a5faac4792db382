@0 = internal constant [4 x i8] c"0_t\00"
@1 = internal constant [6 x i8] c"1_t0a\00"
@2 = internal constant [8 x i8] c"2_t0a0r\00"
@3 = internal constant [8 x i8] c"3_t0a1r\00"
@4 = internal constant [8 x i8] c"4_t0a2r\00"
@5 = internal constant [6 x i8] c"5_t1i\00"
@array0 = internal constant [3 x ptr] [ptr inttoptr (i64 0 to ptr), ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 2 to ptr)]

define i64 @ENTRYPOINT__main() #0 {
block_0:
  %var_0 = alloca i1
  %var_2 = alloca i64
  %var_15 = alloca i64
  call void @__quantum__rt__initialize(ptr null)
  store i1 false, ptr %var_0
  store i64 0, ptr %var_2
  call void @h(ptr inttoptr (i64 0 to ptr))
  call void @__quantum__qis__m__body(ptr inttoptr (i64 0 to ptr), ptr inttoptr (i64 0 to ptr))
  %var_6 = call zeroext i1 @__quantum__rt__read_result(ptr inttoptr (i64 0 to ptr))
  store i1 %var_6, ptr %var_0
  %var_25 = load i1, ptr %var_0
  br i1 %var_25, label %block_1, label %block_2
block_1:
  %var_41 = load i64, ptr %var_2
  %var_8 = add i64 %var_41, 1
  store i64 %var_8, ptr %var_2
  br label %block_2
block_2:
  call void @h(ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__m__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  %var_9 = call zeroext i1 @__quantum__rt__read_result(ptr inttoptr (i64 1 to ptr))
  store i1 %var_9, ptr %var_0
  %var_27 = load i1, ptr %var_0
  br i1 %var_27, label %block_3, label %block_4
block_3:
  %var_39 = load i64, ptr %var_2
  %var_11 = add i64 %var_39, 1
  store i64 %var_11, ptr %var_2
  br label %block_4
block_4:
  call void @h(ptr inttoptr (i64 2 to ptr))
  call void @__quantum__qis__m__body(ptr inttoptr (i64 2 to ptr), ptr inttoptr (i64 2 to ptr))
  %var_12 = call zeroext i1 @__quantum__rt__read_result(ptr inttoptr (i64 2 to ptr))
  store i1 %var_12, ptr %var_0
  %var_29 = load i1, ptr %var_0
  br i1 %var_29, label %block_5, label %block_6
block_5:
  %var_37 = load i64, ptr %var_2
  %var_14 = add i64 %var_37, 1
  store i64 %var_14, ptr %var_2
  br label %block_6
block_6:
  store i64 0, ptr %var_15
  br label %block_7
block_7:
  %var_31 = load i64, ptr %var_15
  %var_16 = icmp slt i64 %var_31, 3
  br i1 %var_16, label %block_8, label %block_9
block_8:
  %var_34 = load i64, ptr %var_15
  %var_35_offset_chk = icmp slt i64 %var_34, 0
  %var_35_offset = select i1 %var_35_offset_chk, i64 1, i64 0
  %var_35 = getelementptr [3 x ptr], ptr @array0, i64 %var_35_offset, i64 %var_34
  %var_17 = load ptr, ptr %var_35
  call void @Reset(ptr %var_17)
  %var_20 = add i64 %var_34, 1
  store i64 %var_20, ptr %var_15
  br label %block_7
block_9:
  %var_32 = load i64, ptr %var_2
  %var_21 = icmp sge i64 %var_32, 2
  br i1 %var_21, label %block_10, label %block_11
block_10:
  call void @x(ptr inttoptr (i64 0 to ptr))
  br label %block_11
block_11:
  call void @__quantum__qis__m__body(ptr inttoptr (i64 0 to ptr), ptr inttoptr (i64 3 to ptr))
  call void @__quantum__rt__tuple_record_output(i64 2, ptr @0)
  call void @__quantum__rt__array_record_output(i64 3, ptr @1)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 3 to ptr), ptr @2)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 1 to ptr), ptr @3)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 2 to ptr), ptr @4)
  %var_33 = load i64, ptr %var_2
  call void @__quantum__rt__int_record_output(i64 %var_33, ptr @5)
  ret i64 0
}

declare void @__quantum__rt__initialize(ptr)

define internal void @h(ptr %var_4) {
block_12:
  call void @H(ptr %var_4)
  ret void
}

define internal void @H(ptr %var_5) {
block_13:
  call void @__quantum__qis__h__body(ptr %var_5)
  ret void
}

declare void @__quantum__qis__h__body(ptr)

declare void @__quantum__qis__m__body(ptr, ptr) #1

declare zeroext i1 @__quantum__rt__read_result(ptr) #2

define internal void @Reset(ptr %var_19) {
block_14:
  call void @__quantum__qis__reset__body(ptr %var_19)
  ret void
}

declare void @__quantum__qis__reset__body(ptr) #1

define internal void @x(ptr %var_22) {
block_15:
  call void @X(ptr %var_22)
  ret void
}

define internal void @X(ptr %var_23) {
block_16:
  call void @__quantum__qis__x__body(ptr %var_23)
  ret void
}

declare void @__quantum__qis__x__body(ptr)

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
