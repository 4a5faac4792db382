; ModuleID = 'LLVMDialectModule'
source_filename = "LLVMDialectModule"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@cstr.7200 = private constant [2 x i8] c"r\00"
@cstr.00 = private constant [1 x i8] zeroinitializer

define void @__nvqpp__mlirgen__branch_index..0x7feb6558dc50() {
  %1 = call ptr @__quantum__rt__qubit_allocate()
  %2 = call ptr @__quantum__rt__qubit_allocate()
  %3 = call ptr @__quantum__rt__qubit_allocate()
  %4 = call ptr @__quantum__rt__array_create_1d(i32 8, i64 1)
  %5 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %4, i64 0)
  store ptr %1, ptr %5, align 8
  %6 = call ptr @__quantum__rt__array_create_1d(i32 8, i64 1)
  %7 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %6, i64 0)
  store ptr %2, ptr %7, align 8
  %8 = call ptr @__quantum__rt__array_concatenate(ptr %4, ptr %6)
  %9 = call ptr @__quantum__rt__array_create_1d(i32 8, i64 1)
  %10 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %9, i64 0)
  store ptr %3, ptr %10, align 8
  %11 = call ptr @__quantum__rt__array_concatenate(ptr %8, ptr %9)
  call void @__quantum__qis__h(ptr %1)
  %12 = call i64 @__quantum__qis__mz_handle__to__register(ptr %1, ptr @cstr.7200)
  %13 = inttoptr i64 %12 to ptr
  %14 = call i1 @__quantum__rt__read_result(ptr %13)
  %15 = select i1 %14, i64 2, i64 1
  %16 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %11, i64 %15)
  %17 = load ptr, ptr %16, align 8
  call void @__quantum__qis__x(ptr %17)
  %18 = call i64 @__quantum__qis__mz_handle__to__register(ptr %2, ptr @cstr.00)
  %19 = call i64 @__quantum__qis__mz_handle__to__register(ptr %3, ptr @cstr.00)
  call void @__quantum__rt__qubit_release(ptr %1)
  call void @__quantum__rt__qubit_release(ptr %2)
  call void @__quantum__rt__qubit_release(ptr %3)
  ret void
}

declare ptr @__quantum__rt__qubit_allocate()

declare void @__quantum__rt__qubit_release(ptr)

declare ptr @__quantum__rt__array_create_1d(i32, i64)

declare ptr @__quantum__rt__array_concatenate(ptr, ptr)

declare ptr @__quantum__rt__array_get_element_ptr_1d(ptr, i64)

declare void @__quantum__qis__h(ptr)

declare void @__quantum__qis__x(ptr)

declare i64 @__quantum__qis__mz_handle__to__register(ptr, ptr)

declare i1 @__quantum__rt__read_result(ptr)

!llvm.module.flags = !{!0}

!0 = !{i32 2, !"Debug Info Version", i32 3}
