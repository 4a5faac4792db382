@0 = internal constant [4 x i8] c"0_t\00"
@1 = internal constant [6 x i8] c"1_t0a\00"
@2 = internal constant [8 x i8] c"2_t0a0r\00"
@3 = internal constant [8 x i8] c"3_t0a1r\00"
@4 = internal constant [8 x i8] c"4_t0a2r\00"
@5 = internal constant [6 x i8] c"5_t1d\00"
@array0 = internal constant [3 x ptr] [ptr inttoptr (i64 0 to ptr), ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 2 to ptr)]
@array1 = internal constant [3 x ptr] [ptr inttoptr (i64 0 to ptr), ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 2 to ptr)]

define i64 @ENTRYPOINT__main() #0 {
block_0:
  %var_1 = alloca double
  %var_2 = alloca i64
  %var_4 = alloca i1
  %var_14 = alloca double
  %var_15 = alloca i64
  call void @__quantum__rt__initialize(ptr null)
  store double 0.0, ptr %var_1
  store i64 0, ptr %var_2
  br label %block_1
block_1:
  %var_25 = load i64, ptr %var_2
  %var_3 = icmp sle i64 %var_25, 2
  store i1 true, ptr %var_4
  br i1 %var_3, label %block_2, label %block_3
block_2:
  %var_28 = load i1, ptr %var_4
  br i1 %var_28, label %block_4, label %block_5
block_3:
  store i1 false, ptr %var_4
  br label %block_2
block_4:
  %var_39 = load double, ptr %var_1
  %var_5 = fadd double %var_39, 0.5
  store double %var_5, ptr %var_1
  %var_41 = load i64, ptr %var_2
  %var_6 = add i64 %var_41, 1
  %var_7 = sitofp i64 %var_6 to double
  %var_42 = load double, ptr %var_1
  %var_8 = fmul double %var_42, %var_7
  %var_43_offset_chk = icmp slt i64 %var_41, 0
  %var_43_offset = select i1 %var_43_offset_chk, i64 1, i64 0
  %var_43 = getelementptr [3 x ptr], ptr @array0, i64 %var_43_offset, i64 %var_41
  %var_9 = load ptr, ptr %var_43
  call void @Ry(double %var_8, ptr %var_9)
  %var_12 = add i64 %var_41, 1
  store i64 %var_12, ptr %var_2
  br label %block_1
block_5:
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 0 to ptr), ptr inttoptr (i64 0 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 2 to ptr), ptr inttoptr (i64 2 to ptr))
  store double 0.0, ptr %var_14
  store i64 0, ptr %var_15
  br label %block_6
block_6:
  %var_31 = load i64, ptr %var_15
  %var_16 = icmp slt i64 %var_31, 3
  br i1 %var_16, label %block_7, label %block_8
block_7:
  %var_33 = load i64, ptr %var_15
  %var_34_offset_chk = icmp slt i64 %var_33, 0
  %var_34_offset = select i1 %var_34_offset_chk, i64 1, i64 0
  %var_34 = getelementptr [3 x ptr], ptr @array1, i64 %var_34_offset, i64 %var_33
  %var_17 = load ptr, ptr %var_34
  %var_19 = call zeroext i1 @__quantum__rt__read_result(ptr %var_17)
  br i1 %var_19, label %block_9, label %block_10
block_8:
  call void @__quantum__rt__tuple_record_output(i64 2, ptr @0)
  call void @__quantum__rt__array_record_output(i64 3, ptr @1)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 0 to ptr), ptr @2)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 1 to ptr), ptr @3)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 2 to ptr), ptr @4)
  %var_32 = load double, ptr %var_14
  call void @__quantum__rt__double_record_output(double %var_32, ptr @5)
  ret i64 0
block_9:
  %var_37 = load double, ptr %var_14
  %var_21 = fadd double %var_37, 1.5
  store double %var_21, ptr %var_14
  br label %block_10
block_10:
  %var_35 = load i64, ptr %var_15
  %var_22 = add i64 %var_35, 1
  store i64 %var_22, ptr %var_15
  br label %block_6
}

declare void @__quantum__rt__initialize(ptr)

define internal void @Ry(double %var_10, ptr %var_11) {
block_11:
  call void @__quantum__qis__ry__body(double %var_10, ptr %var_11)
  ret void
}

declare void @__quantum__qis__ry__body(double, ptr)

declare void @__quantum__qis__mresetz__body(ptr, ptr) #1

declare zeroext i1 @__quantum__rt__read_result(ptr) #2

declare void @__quantum__rt__tuple_record_output(i64, ptr)

declare void @__quantum__rt__array_record_output(i64, ptr)

declare void @__quantum__rt__result_record_output(ptr, ptr)

declare void @__quantum__rt__double_record_output(double, ptr)

attributes #0 = { "entry_point" "output_labeling_schema" "qir_profiles"="adaptive_profile" "required_num_qubits"="3" "required_num_results"="3" }
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
