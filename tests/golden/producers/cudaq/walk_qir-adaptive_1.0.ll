; ModuleID = 'LLVMDialectModule'
source_filename = "LLVMDialectModule"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@cstr.72303030303000 = private constant [7 x i8] c"r00000\00"
@cstr.72303030303100 = private constant [7 x i8] c"r00001\00"
@cstr.72303030303200 = private constant [7 x i8] c"r00002\00"
@cstr.72303030303300 = private constant [7 x i8] c"r00003\00"
@cstr.72303030303400 = private constant [7 x i8] c"r00004\00"
@cstr.72303030303500 = private constant [7 x i8] c"r00005\00"
@cstr.72303030303600 = private constant [7 x i8] c"r00006\00"
@cstr.61727261793C6931207820373E00 = private constant [14 x i8] c"array<i1 x 7>\00"

define void @__nvqpp__mlirgen__walk..0x7f38f65564d0() #0 {
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
  %9 = call ptr @__quantum__rt__array_create_1d(i32 8, i64 1)
  %10 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %9, i64 0)
  store ptr inttoptr (i64 3 to ptr), ptr %10, align 8
  %11 = call ptr @__quantum__rt__array_concatenate(ptr %8, ptr %9)
  %12 = call ptr @__quantum__rt__array_create_1d(i32 8, i64 1)
  %13 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %12, i64 0)
  store ptr inttoptr (i64 4 to ptr), ptr %13, align 8
  %14 = call ptr @__quantum__rt__array_concatenate(ptr %11, ptr %12)
  call void @__quantum__qis__h__body(ptr inttoptr (i64 4 to ptr))
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 4 to ptr), ptr null)
  call void @__quantum__rt__array_record_output(i64 7, ptr @cstr.61727261793C6931207820373E00)
  call void @__quantum__rt__result_record_output(ptr null, ptr @cstr.72303030303000)
  %15 = call i1 @__quantum__rt__read_result(ptr null)
  %16 = zext i1 %15 to i64
  call void @__quantum__qis__reset__body(ptr inttoptr (i64 4 to ptr))
  call void @__quantum__qis__h__body(ptr inttoptr (i64 4 to ptr))
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 4 to ptr), ptr inttoptr (i64 1 to ptr))
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 1 to ptr), ptr @cstr.72303030303100)
  %17 = call i1 @__quantum__rt__read_result(ptr inttoptr (i64 1 to ptr))
  br i1 %17, label %18, label %20

18:                                               ; preds = %0
  %19 = add i64 %16, 1
  br label %20

20:                                               ; preds = %18, %0
  %21 = phi i64 [ %19, %18 ], [ %16, %0 ]
  call void @__quantum__qis__reset__body(ptr inttoptr (i64 4 to ptr))
  call void @__quantum__qis__h__body(ptr inttoptr (i64 4 to ptr))
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 4 to ptr), ptr inttoptr (i64 2 to ptr))
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 2 to ptr), ptr @cstr.72303030303200)
  %22 = call i1 @__quantum__rt__read_result(ptr inttoptr (i64 2 to ptr))
  br i1 %22, label %23, label %25

23:                                               ; preds = %20
  %24 = add i64 %21, 1
  br label %25

25:                                               ; preds = %23, %20
  %26 = phi i64 [ %24, %23 ], [ %21, %20 ]
  call void @__quantum__qis__reset__body(ptr inttoptr (i64 4 to ptr))
  %27 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %14, i64 %26)
  %28 = load ptr, ptr %27, align 8
  call void @__quantum__qis__x__body(ptr %28)
  call void @__quantum__qis__mz__body(ptr null, ptr inttoptr (i64 3 to ptr))
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 3 to ptr), ptr @cstr.72303030303300)
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 4 to ptr))
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 4 to ptr), ptr @cstr.72303030303400)
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 2 to ptr), ptr inttoptr (i64 5 to ptr))
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 5 to ptr), ptr @cstr.72303030303500)
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 3 to ptr), ptr inttoptr (i64 6 to ptr))
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 6 to ptr), ptr @cstr.72303030303600)
  ret void
}

declare ptr @__quantum__rt__array_create_1d(i32, i64)

declare ptr @__quantum__rt__array_concatenate(ptr, ptr)

declare ptr @__quantum__rt__array_get_element_ptr_1d(ptr, i64)

declare void @__quantum__qis__h__body(ptr)

declare void @__quantum__qis__x__body(ptr)

declare void @__quantum__qis__reset__body(ptr)

declare void @__quantum__qis__mz__body(ptr, ptr) #1

declare void @__quantum__rt__result_record_output(ptr, ptr)

declare i1 @__quantum__rt__read_result(ptr)

declare void @__quantum__rt__array_record_output(i64, ptr)

attributes #0 = { "entry_point" "output_labeling_schema"="schema_id" "output_names"="[[[0,[4,\22r00000\22]],[1,[4,\22r00001\22]],[2,[4,\22r00002\22]],[3,[0,\22r00003\22]],[4,[1,\22r00004\22]],[5,[2,\22r00005\22]],[6,[3,\22r00006\22]]]]" "qir_profiles"="adaptive_profile" "required_num_qubits"="5" "required_num_results"="7" }
attributes #1 = { "irreversible" }

!llvm.module.flags = !{!0}

!0 = !{i32 2, !"Debug Info Version", i32 3}
