; ModuleID = 'LLVMDialectModule'
source_filename = "LLVMDialectModule"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@cstr.7200 = private constant [2 x i8] c"r\00"
@cstr.72303030303000 = private constant [7 x i8] c"r00000\00"
@cstr.72303030303100 = private constant [7 x i8] c"r00001\00"
@cstr.61727261793C6931207820333E00 = private constant [14 x i8] c"array<i1 x 3>\00"

define void @__nvqpp__mlirgen__branch_index..0x7feb654ed810() #0 {
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
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  call void @__quantum__rt__array_record_output(i64 3, ptr @cstr.61727261793C6931207820333E00)
  call void @__quantum__rt__result_record_output(ptr null, ptr @cstr.7200)
  %9 = call i1 @__quantum__rt__read_result(ptr null)
  %10 = select i1 %9, i64 2, i64 1
  %11 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %8, i64 %10)
  %12 = load ptr, ptr %11, align 8
  call void @__quantum__qis__x__body(ptr %12)
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 1 to ptr), ptr @cstr.72303030303000)
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 2 to ptr), ptr inttoptr (i64 2 to ptr))
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 2 to ptr), ptr @cstr.72303030303100)
  ret void
}

declare ptr @__quantum__rt__array_create_1d(i32, i64)

declare ptr @__quantum__rt__array_concatenate(ptr, ptr)

declare ptr @__quantum__rt__array_get_element_ptr_1d(ptr, i64)

declare void @__quantum__qis__h__body(ptr)

declare void @__quantum__qis__x__body(ptr)

declare void @__quantum__qis__mz__body(ptr, ptr) #1

declare void @__quantum__rt__result_record_output(ptr, ptr)

declare i1 @__quantum__rt__read_result(ptr)

declare void @__quantum__rt__array_record_output(i64, ptr)

attributes #0 = { "entry_point" "output_labeling_schema"="schema_id" "output_names"="[[[0,[0,\22r\22]],[1,[1,\22r00000\22]],[2,[2,\22r00001\22]]]]" "qir_profiles"="adaptive_profile" "required_num_qubits"="3" "required_num_results"="3" }
attributes #1 = { "irreversible" }

!llvm.module.flags = !{!0}

!0 = !{i32 2, !"Debug Info Version", i32 3}
