@0 = internal constant [4 x i8] c"0_i\00"
@array0 = internal constant [4 x ptr] [ptr inttoptr (i64 0 to ptr), ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 2 to ptr), ptr inttoptr (i64 3 to ptr)]
@array1 = internal constant [4 x ptr] [ptr inttoptr (i64 0 to ptr), ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 2 to ptr), ptr inttoptr (i64 3 to ptr)]

define i64 @ENTRYPOINT__main() #0 {
block_0:
  %var_1 = alloca i64
  %var_7 = alloca i64
  %var_9 = alloca i64
  %var_17 = alloca i64
  call void @__quantum__rt__initialize(ptr null)
  store i64 0, ptr %var_1
  br label %block_1
block_1:
  %var_19 = load i64, ptr %var_1
  %var_2 = icmp slt i64 %var_19, 4
  br i1 %var_2, label %block_2, label %block_3
block_2:
  %var_32 = load i64, ptr %var_1
  %var_33_offset_chk = icmp slt i64 %var_32, 0
  %var_33_offset = select i1 %var_33_offset_chk, i64 1, i64 0
  %var_33 = getelementptr [4 x ptr], ptr @array0, i64 %var_33_offset, i64 %var_32
  %var_3 = load ptr, ptr %var_33
  call void @H(ptr %var_3)
  %var_6 = add i64 %var_32, 1
  store i64 %var_6, ptr %var_1
  br label %block_1
block_3:
  store i64 0, ptr %var_7
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 0 to ptr), ptr inttoptr (i64 0 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 2 to ptr), ptr inttoptr (i64 2 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 3 to ptr), ptr inttoptr (i64 3 to ptr))
  store i64 0, ptr %var_9
  br label %block_4
block_4:
  %var_22 = load i64, ptr %var_9
  %var_10 = icmp slt i64 %var_22, 4
  br i1 %var_10, label %block_5, label %block_6
block_5:
  %var_26 = load i64, ptr %var_9
  %var_27_offset_chk = icmp slt i64 %var_26, 0
  %var_27_offset = select i1 %var_27_offset_chk, i64 1, i64 0
  %var_27 = getelementptr [4 x ptr], ptr @array1, i64 %var_27_offset, i64 %var_26
  %var_11 = load ptr, ptr %var_27
  %var_13 = call zeroext i1 @__quantum__rt__read_result(ptr %var_11)
  br i1 %var_13, label %block_7, label %block_8
block_6:
  %var_23 = load i64, ptr %var_7
  store i64 %var_23, ptr %var_17
  %var_25 = load i64, ptr %var_17
  call void @__quantum__rt__int_record_output(i64 %var_25, ptr @0)
  ret i64 0
block_7:
  %var_30 = load i64, ptr %var_7
  %var_15 = add i64 %var_30, 1
  store i64 %var_15, ptr %var_7
  br label %block_8
block_8:
  %var_28 = load i64, ptr %var_9
  %var_16 = add i64 %var_28, 1
  store i64 %var_16, ptr %var_9
  br label %block_4
}

declare void @__quantum__rt__initialize(ptr)

define internal void @H(ptr %var_5) {
block_9:
  call void @__quantum__qis__h__body(ptr %var_5)
  ret void
}

declare void @__quantum__qis__h__body(ptr)

declare void @__quantum__qis__mresetz__body(ptr, ptr) #1

declare zeroext i1 @__quantum__rt__read_result(ptr) #2

declare void @__quantum__rt__int_record_output(i64, ptr)

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
