@0 = internal constant [4 x i8] c"0_r\00"
@array0 = internal constant [3 x ptr] [ptr inttoptr (i64 0 to ptr), ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 2 to ptr)]
@array1 = internal constant [3 x ptr] [ptr inttoptr (i64 0 to ptr), ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 2 to ptr)]

define i64 @ENTRYPOINT__main() #0 {
block_0:
  %var_1 = alloca i64
  %var_8 = alloca i64
  %var_9 = alloca i64
  %var_11 = alloca i1
  %var_25 = alloca i64
  call void @__quantum__rt__initialize(ptr null)
  store i64 0, ptr %var_1
  br label %block_1
block_1:
  %var_28 = load i64, ptr %var_1
  %var_2 = icmp slt i64 %var_28, 3
  br i1 %var_2, label %block_2, label %block_3
block_2:
  %var_45 = load i64, ptr %var_1
  %var_46_offset_chk = icmp slt i64 %var_45, 0
  %var_46_offset = select i1 %var_46_offset_chk, i64 1, i64 0
  %var_46 = getelementptr [3 x ptr], ptr @array0, i64 %var_46_offset, i64 %var_45
  %var_3 = load ptr, ptr %var_46
  call void @H(ptr %var_3)
  %var_6 = add i64 %var_45, 1
  store i64 %var_6, ptr %var_1
  br label %block_1
block_3:
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 0 to ptr), ptr inttoptr (i64 0 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 2 to ptr), ptr inttoptr (i64 2 to ptr))
  store i64 0, ptr %var_8
  store i64 0, ptr %var_9
  br label %block_4
block_4:
  %var_31 = load i64, ptr %var_9
  %var_10 = icmp sle i64 %var_31, 2
  store i1 true, ptr %var_11
  br i1 %var_10, label %block_5, label %block_6
block_5:
  %var_34 = load i1, ptr %var_11
  br i1 %var_34, label %block_7, label %block_8
block_6:
  store i1 false, ptr %var_11
  br label %block_5
block_7:
  %var_38 = load i64, ptr %var_9
  %var_39_offset_chk = icmp slt i64 %var_38, 0
  %var_39_offset = select i1 %var_39_offset_chk, i64 1, i64 0
  %var_39 = getelementptr [3 x ptr], ptr @array1, i64 %var_39_offset, i64 %var_38
  %var_12 = load ptr, ptr %var_39
  %var_13 = call zeroext i1 @__quantum__rt__read_result(ptr %var_12)
  br i1 %var_13, label %block_9, label %block_11
block_8:
  %var_35 = load i64, ptr %var_8
  store i64 %var_35, ptr %var_25
  %var_37 = load i64, ptr %var_25
  %var_26 = icmp sgt i64 %var_37, 4
  br i1 %var_26, label %block_10, label %block_12
block_9:
  %var_42 = load i64, ptr %var_9
  %var_15 = ashr i64 %var_42, 63
  %var_16 = xor i64 %var_42, %var_15
  %var_17 = sub i64 %var_16, %var_15
  %var_18 = shl i64 1, %var_17
  %var_19 = ashr i64 1, %var_17
  %var_20 = xor i64 %var_18, %var_19
  %var_21 = and i64 %var_20, %var_15
  %var_22 = xor i64 %var_18, %var_21
  %var_43 = load i64, ptr %var_8
  %var_23 = or i64 %var_43, %var_22
  store i64 %var_23, ptr %var_8
  br label %block_11
block_10:
  call void @X(ptr inttoptr (i64 3 to ptr))
  br label %block_12
block_11:
  %var_40 = load i64, ptr %var_9
  %var_24 = add i64 %var_40, 1
  store i64 %var_24, ptr %var_9
  br label %block_4
block_12:
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 3 to ptr), ptr inttoptr (i64 3 to ptr))
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 3 to ptr), ptr @0)
  ret i64 0
}

declare void @__quantum__rt__initialize(ptr)

define internal void @H(ptr %var_5) {
block_13:
  call void @__quantum__qis__h__body(ptr %var_5)
  ret void
}

declare void @__quantum__qis__h__body(ptr)

declare void @__quantum__qis__mresetz__body(ptr, ptr) #1

declare zeroext i1 @__quantum__rt__read_result(ptr) #2

define internal void @X(ptr %var_27) {
block_14:
  call void @__quantum__qis__x__body(ptr %var_27)
  ret void
}

declare void @__quantum__qis__x__body(ptr)

declare void @__quantum__rt__result_record_output(ptr, ptr)

attributes #0 = { "entry_point" "output_labeling_schema" "qir_profiles"="adaptive_profile" "required_num_qubits"="4" "required_num_results"="4" }
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
