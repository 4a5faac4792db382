; ModuleID = 'LLVMDialectModule'
source_filename = "LLVMDialectModule"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@cstr.00 = private constant [1 x i8] zeroinitializer

define void @__nvqpp__mlirgen__repeat_until..0x7f05193897d0() {
  %1 = call ptr @__quantum__rt__qubit_allocate()
  %2 = call ptr @__quantum__rt__qubit_allocate()
  call void @__quantum__qis__h(ptr %1)
  br label %3

3:                                                ; preds = %9, %0
  %4 = phi ptr [ %4, %9 ], [ %1, %0 ]
  %5 = phi ptr [ %5, %9 ], [ %2, %0 ]
  %6 = call i64 @__quantum__qis__mz_handle__to__register(ptr %4, ptr @cstr.00)
  %7 = inttoptr i64 %6 to ptr
  %8 = call i1 @__quantum__rt__read_result(ptr %7)
  br i1 %8, label %9, label %10

9:                                                ; preds = %3
  call void @__quantum__qis__h(ptr %4)
  call void @__quantum__qis__x(ptr %5)
  br label %3

10:                                               ; preds = %3
  %11 = call i64 @__quantum__qis__mz_handle__to__register(ptr %5, ptr @cstr.00)
  call void @__quantum__rt__qubit_release(ptr %4)
  call void @__quantum__rt__qubit_release(ptr %5)
  ret void
}

declare ptr @__quantum__rt__qubit_allocate()

declare void @__quantum__rt__qubit_release(ptr)

declare void @__quantum__qis__h(ptr)

declare void @__quantum__qis__x(ptr)

declare i64 @__quantum__qis__mz_handle__to__register(ptr, ptr)

declare i1 @__quantum__rt__read_result(ptr)

!llvm.module.flags = !{!0}

!0 = !{i32 2, !"Debug Info Version", i32 3}
