; ModuleID = 'LLVMDialectModule'
source_filename = "LLVMDialectModule"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@cstr.00 = private constant [1 x i8] zeroinitializer

define void @__nvqpp__mlirgen__walk..0x7f38efb58fd0() {
  %1 = call ptr @__quantum__rt__qubit_allocate()
  %2 = call ptr @__quantum__rt__qubit_allocate()
  %3 = call ptr @__quantum__rt__qubit_allocate()
  %4 = call ptr @__quantum__rt__qubit_allocate()
  %5 = call ptr @__quantum__rt__qubit_allocate()
  %6 = call ptr @__quantum__rt__array_create_1d(i32 8, i64 1)
  %7 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %6, i64 0)
  store ptr %1, ptr %7, align 8
  %8 = call ptr @__quantum__rt__array_create_1d(i32 8, i64 1)
  %9 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %8, i64 0)
  store ptr %2, ptr %9, align 8
  %10 = call ptr @__quantum__rt__array_concatenate(ptr %6, ptr %8)
  %11 = call ptr @__quantum__rt__array_create_1d(i32 8, i64 1)
  %12 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %11, i64 0)
  store ptr %3, ptr %12, align 8
  %13 = call ptr @__quantum__rt__array_concatenate(ptr %10, ptr %11)
  %14 = call ptr @__quantum__rt__array_create_1d(i32 8, i64 1)
  %15 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %14, i64 0)
  store ptr %4, ptr %15, align 8
  %16 = call ptr @__quantum__rt__array_concatenate(ptr %13, ptr %14)
  %17 = call ptr @__quantum__rt__array_create_1d(i32 8, i64 1)
  %18 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %17, i64 0)
  store ptr %5, ptr %18, align 8
  %19 = call ptr @__quantum__rt__array_concatenate(ptr %16, ptr %17)
  call void @__quantum__qis__h(ptr %5)
  %20 = call i64 @__quantum__qis__mz_handle__to__register(ptr %5, ptr @cstr.00)
  %21 = inttoptr i64 %20 to ptr
  %22 = call i1 @__quantum__rt__read_result(ptr %21)
  %23 = zext i1 %22 to i64
  call void @__quantum__qis__reset(ptr %5)
  call void @__quantum__qis__h(ptr %5)
  %24 = call i64 @__quantum__qis__mz_handle__to__register(ptr %5, ptr @cstr.00)
  %25 = inttoptr i64 %24 to ptr
  %26 = call i1 @__quantum__rt__read_result(ptr %25)
  br i1 %26, label %27, label %29

27:                                               ; preds = %0
  %28 = add i64 %23, 1
  br label %29

29:                                               ; preds = %27, %0
  %30 = phi i64 [ %28, %27 ], [ %23, %0 ]
  call void @__quantum__qis__reset(ptr %5)
  call void @__quantum__qis__h(ptr %5)
  %31 = call i64 @__quantum__qis__mz_handle__to__register(ptr %5, ptr @cstr.00)
  %32 = inttoptr i64 %31 to ptr
  %33 = call i1 @__quantum__rt__read_result(ptr %32)
  br i1 %33, label %34, label %36

34:                                               ; preds = %29
  %35 = add i64 %30, 1
  br label %36

36:                                               ; preds = %34, %29
  %37 = phi i64 [ %35, %34 ], [ %30, %29 ]
  call void @__quantum__qis__reset(ptr %5)
  %38 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %19, i64 %37)
  %39 = load ptr, ptr %38, align 8
  call void @__quantum__qis__x(ptr %39)
  %40 = call i64 @__quantum__qis__mz_handle__to__register(ptr %1, ptr @cstr.00)
  %41 = call i64 @__quantum__qis__mz_handle__to__register(ptr %2, ptr @cstr.00)
  %42 = call i64 @__quantum__qis__mz_handle__to__register(ptr %3, ptr @cstr.00)
  %43 = call i64 @__quantum__qis__mz_handle__to__register(ptr %4, ptr @cstr.00)
  call void @__quantum__rt__qubit_release(ptr %1)
  call void @__quantum__rt__qubit_release(ptr %2)
  call void @__quantum__rt__qubit_release(ptr %3)
  call void @__quantum__rt__qubit_release(ptr %4)
  call void @__quantum__rt__qubit_release(ptr %5)
  ret void
}

declare ptr @__quantum__rt__qubit_allocate()

declare void @__quantum__rt__qubit_release(ptr)

declare ptr @__quantum__rt__array_create_1d(i32, i64)

declare ptr @__quantum__rt__array_concatenate(ptr, ptr)

declare ptr @__quantum__rt__array_get_element_ptr_1d(ptr, i64)

declare void @__quantum__qis__h(ptr)

declare void @__quantum__qis__x(ptr)

declare void @__quantum__qis__reset(ptr)

declare i64 @__quantum__qis__mz_handle__to__register(ptr, ptr)

declare i1 @__quantum__rt__read_result(ptr)

!llvm.module.flags = !{!0}

!0 = !{i32 2, !"Debug Info Version", i32 3}
