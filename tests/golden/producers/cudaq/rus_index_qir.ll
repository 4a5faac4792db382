; ModuleID = 'LLVMDialectModule'
source_filename = "LLVMDialectModule"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@cstr.00 = private constant [1 x i8] zeroinitializer

define void @__nvqpp__mlirgen__rus_index..0x7f38f65c9c90() {
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
  br label %12

12:                                               ; preds = %24, %0
  %13 = phi i64 [ %25, %24 ], [ 0, %0 ]
  %14 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %11, i64 %13)
  %15 = load ptr, ptr %14, align 8
  %16 = call i64 @__quantum__qis__mz_handle__to__register(ptr %15, ptr @cstr.00)
  %17 = inttoptr i64 %16 to ptr
  %18 = call i1 @__quantum__rt__read_result(ptr %17)
  %19 = xor i1 %18, true
  br i1 %19, label %22, label %20

20:                                               ; preds = %12
  %21 = icmp slt i64 %13, 2
  br label %22

22:                                               ; preds = %20, %12
  %23 = phi i1 [ %21, %20 ], [ false, %12 ]
  br i1 %23, label %24, label %28

24:                                               ; preds = %22
  %25 = add i64 %13, 1
  %26 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %11, i64 %25)
  %27 = load ptr, ptr %26, align 8
  call void @__quantum__qis__h(ptr %27)
  br label %12

28:                                               ; preds = %22
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

declare i64 @__quantum__qis__mz_handle__to__register(ptr, ptr)

declare i1 @__quantum__rt__read_result(ptr)

!llvm.module.flags = !{!0}

!0 = !{i32 2, !"Debug Info Version", i32 3}
