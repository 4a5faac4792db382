@0 = internal constant [4 x i8] c"0_a\00"
@1 = internal constant [6 x i8] c"1_a0r\00"
@2 = internal constant [6 x i8] c"2_a1r\00"
@3 = internal constant [6 x i8] c"3_a2r\00"
@4 = internal constant [6 x i8] c"4_a3r\00"
@5 = internal constant [6 x i8] c"5_a4r\00"
@6 = internal constant [6 x i8] c"6_a5r\00"
@7 = internal constant [6 x i8] c"7_a6r\00"
@8 = internal constant [6 x i8] c"8_a7r\00"
@9 = internal constant [6 x i8] c"9_a8r\00"
@10 = internal constant [7 x i8] c"10_a9r\00"
@11 = internal constant [8 x i8] c"11_a10r\00"
@12 = internal constant [8 x i8] c"12_a11r\00"
@13 = internal constant [8 x i8] c"13_a12r\00"
@14 = internal constant [8 x i8] c"14_a13r\00"
@15 = internal constant [8 x i8] c"15_a14r\00"
@16 = internal constant [8 x i8] c"16_a15r\00"
@17 = internal constant [8 x i8] c"17_a16r\00"
@18 = internal constant [8 x i8] c"18_a17r\00"
@19 = internal constant [8 x i8] c"19_a18r\00"
@20 = internal constant [8 x i8] c"20_a19r\00"
@array0 = internal constant [20 x ptr] [ptr inttoptr (i64 0 to ptr), ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 2 to ptr), ptr inttoptr (i64 3 to ptr), ptr inttoptr (i64 4 to ptr), ptr inttoptr (i64 5 to ptr), ptr inttoptr (i64 6 to ptr), ptr inttoptr (i64 7 to ptr), ptr inttoptr (i64 8 to ptr), ptr inttoptr (i64 9 to ptr), ptr inttoptr (i64 10 to ptr), ptr inttoptr (i64 11 to ptr), ptr inttoptr (i64 12 to ptr), ptr inttoptr (i64 13 to ptr), ptr inttoptr (i64 14 to ptr), ptr inttoptr (i64 15 to ptr), ptr inttoptr (i64 16 to ptr), ptr inttoptr (i64 17 to ptr), ptr inttoptr (i64 18 to ptr), ptr inttoptr (i64 19 to ptr)]

define i64 @ENTRYPOINT__main() #0 {
block_0:
  %var_1 = alloca i64
  %var_3 = alloca i1
  %var_9 = alloca i64
  %var_11 = alloca i1
  call void @__quantum__rt__initialize(ptr null)
  store i64 0, ptr %var_1
  br label %block_1
block_1:
  %var_19 = load i64, ptr %var_1
  %var_2 = icmp sle i64 %var_19, 19
  store i1 true, ptr %var_3
  br i1 %var_2, label %block_2, label %block_3
block_2:
  %var_22 = load i1, ptr %var_3
  br i1 %var_22, label %block_4, label %block_5
block_3:
  store i1 false, ptr %var_3
  br label %block_2
block_4:
  %var_32 = load i64, ptr %var_1
  %var_4 = srem i64 %var_32, 2
  %var_5 = icmp eq i64 %var_4, 0
  br i1 %var_5, label %block_6, label %block_8
block_5:
  store i64 0, ptr %var_9
  br label %block_7
block_6:
  %var_35 = load i64, ptr %var_1
  %var_36_offset_chk = icmp slt i64 %var_35, 0
  %var_36_offset = select i1 %var_36_offset_chk, i64 1, i64 0
  %var_36 = getelementptr [20 x ptr], ptr @array0, i64 %var_36_offset, i64 %var_35
  %var_6 = load ptr, ptr %var_36
  call void @X(ptr %var_6)
  br label %block_8
block_7:
  %var_24 = load i64, ptr %var_9
  %var_10 = icmp sle i64 %var_24, 18
  store i1 true, ptr %var_11
  br i1 %var_10, label %block_9, label %block_10
block_8:
  %var_33 = load i64, ptr %var_1
  %var_8 = add i64 %var_33, 1
  store i64 %var_8, ptr %var_1
  br label %block_1
block_9:
  %var_27 = load i1, ptr %var_11
  br i1 %var_27, label %block_11, label %block_12
block_10:
  store i1 false, ptr %var_11
  br label %block_9
block_11:
  %var_28 = load i64, ptr %var_9
  %var_29_offset_chk = icmp slt i64 %var_28, 0
  %var_29_offset = select i1 %var_29_offset_chk, i64 1, i64 0
  %var_29 = getelementptr [20 x ptr], ptr @array0, i64 %var_29_offset, i64 %var_28
  %var_12 = load ptr, ptr %var_29
  %var_13 = add i64 %var_28, 1
  %var_30_offset_chk = icmp slt i64 %var_13, 0
  %var_30_offset = select i1 %var_30_offset_chk, i64 1, i64 0
  %var_30 = getelementptr [20 x ptr], ptr @array0, i64 %var_30_offset, i64 %var_13
  %var_14 = load ptr, ptr %var_30
  call void @CNOT(ptr %var_12, ptr %var_14)
  %var_17 = add i64 %var_28, 1
  store i64 %var_17, ptr %var_9
  br label %block_7
block_12:
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 0 to ptr), ptr inttoptr (i64 0 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 2 to ptr), ptr inttoptr (i64 2 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 3 to ptr), ptr inttoptr (i64 3 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 4 to ptr), ptr inttoptr (i64 4 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 5 to ptr), ptr inttoptr (i64 5 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 6 to ptr), ptr inttoptr (i64 6 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 7 to ptr), ptr inttoptr (i64 7 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 8 to ptr), ptr inttoptr (i64 8 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 9 to ptr), ptr inttoptr (i64 9 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 10 to ptr), ptr inttoptr (i64 10 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 11 to ptr), ptr inttoptr (i64 11 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 12 to ptr), ptr inttoptr (i64 12 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 13 to ptr), ptr inttoptr (i64 13 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 14 to ptr), ptr inttoptr (i64 14 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 15 to ptr), ptr inttoptr (i64 15 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 16 to ptr), ptr inttoptr (i64 16 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 17 to ptr), ptr inttoptr (i64 17 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 18 to ptr), ptr inttoptr (i64 18 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 19 to ptr), ptr inttoptr (i64 19 to ptr))
  call void @__quantum__rt__array_record_output(i64 20, ptr @0)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 0 to ptr), ptr @1)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 1 to ptr), ptr @2)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 2 to ptr), ptr @3)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 3 to ptr), ptr @4)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 4 to ptr), ptr @5)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 5 to ptr), ptr @6)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 6 to ptr), ptr @7)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 7 to ptr), ptr @8)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 8 to ptr), ptr @9)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 9 to ptr), ptr @10)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 10 to ptr), ptr @11)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 11 to ptr), ptr @12)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 12 to ptr), ptr @13)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 13 to ptr), ptr @14)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 14 to ptr), ptr @15)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 15 to ptr), ptr @16)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 16 to ptr), ptr @17)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 17 to ptr), ptr @18)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 18 to ptr), ptr @19)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 19 to ptr), ptr @20)
  ret i64 0
}

declare void @__quantum__rt__initialize(ptr)

define internal void @X(ptr %var_7) {
block_13:
  call void @__quantum__qis__x__body(ptr %var_7)
  ret void
}

declare void @__quantum__qis__x__body(ptr)

define internal void @CNOT(ptr %var_15, ptr %var_16) {
block_14:
  call void @__quantum__qis__cx__body(ptr %var_15, ptr %var_16)
  ret void
}

declare void @__quantum__qis__cx__body(ptr, ptr)

declare void @__quantum__qis__mresetz__body(ptr, ptr) #1

declare void @__quantum__rt__array_record_output(i64, ptr)

declare void @__quantum__rt__result_record_output(ptr, ptr)

attributes #0 = { "entry_point" "output_labeling_schema" "qir_profiles"="adaptive_profile" "required_num_qubits"="20" "required_num_results"="20" }
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
