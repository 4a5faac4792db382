; ModuleID = 'LLVMDialectModule'
source_filename = "LLVMDialectModule"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@cstr.72303030303000 = private constant [7 x i8] c"r00000\00"
@cstr.61727261793C6931207820313E00 = private constant [14 x i8] c"array<i1 x 1>\00"

define void @__nvqpp__mlirgen__rus_index..0x7f38efb138d0() #0 {
  %1 = call ptr @__quantum__rt__array_create_1d(i32 8, i64 1)
  %2 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %1, i64 0)
  store ptr null, ptr %2, align 8
  %3 = call ptr @__quantum__rt__array_create_1d(i32 8, i64 1)
  %4 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %3, i64 0)
  store ptr inttoptr (i64 1 to ptr), ptr %4, align 8
  %5 = call ptr @__quantum__rt__array_concatenate(ptr %1, ptr %3)
  %6 = call ptr @__quantum__rt__array_create_1d(i32 8, i64 1)
  %7 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %6, i64 0)
  store ptr inttoptr (i64 2 to ptr), ptr %7, align 8
  %8 = call ptr @__quantum__rt__array_concatenate(ptr %5, ptr %6)
  call void @__quantum__qis__h__body(ptr null)
  br label %9

9:                                                ; preds = %19, %0
  %10 = phi i64 [ %20, %19 ], [ 0, %0 ]
  %11 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %8, i64 %10)
  %12 = load ptr, ptr %11, align 8
  call void @__quantum__qis__mz__body(ptr %12, ptr null)
  call void @__quantum__rt__array_record_output(i64 1, ptr @cstr.61727261793C6931207820313E00)
  call void @__quantum__rt__result_record_output(ptr null, ptr @cstr.72303030303000)
  %13 = call i1 @__quantum__qis__read_result__body(ptr null)
  %14 = xor i1 %13, true
  br i1 %14, label %17, label %15

15:                                               ; preds = %9
  %16 = icmp slt i64 %10, 2
  br label %17

17:                                               ; preds = %15, %9
  %18 = phi i1 [ %16, %15 ], [ false, %9 ]
  br i1 %18, label %19, label %23

19:                                               ; preds = %17
  %20 = add i64 %10, 1
  %21 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %8, i64 %20)
  %22 = load ptr, ptr %21, align 8
  call void @__quantum__qis__h__body(ptr %22)
  br label %9

23:                                               ; preds = %17
  ret void
}

declare ptr @__quantum__rt__array_create_1d(i32, i64)

declare ptr @__quantum__rt__array_concatenate(ptr, ptr)

declare ptr @__quantum__rt__array_get_element_ptr_1d(ptr, i64)

declare void @__quantum__qis__h__body(ptr)

declare void @__quantum__qis__mz__body(ptr, ptr) #1

declare void @__quantum__rt__result_record_output(ptr, ptr)

declare i1 @__quantum__qis__read_result__body(ptr)

declare void @__quantum__rt__array_record_output(i64, ptr)

attributes #0 = { "entry_point" "output_labeling_schema"="schema_id" "qir_profiles"="adaptive_profile" "requiredQubits"="3" "requiredResults"="1" }
attributes #1 = { "irreversible" }

!llvm.module.flags = !{!0}

!0 = !{i32 2, !"Debug Info Version", i32 3}
