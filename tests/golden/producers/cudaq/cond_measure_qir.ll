; ModuleID = 'LLVMDialectModule'
source_filename = "LLVMDialectModule"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@cstr.7200 = private constant [2 x i8] c"r\00"
@cstr.6200 = private constant [2 x i8] c"b\00"

define void @__nvqpp__mlirgen__cond_measure..0x7feb654c1f90() {
  %1 = call ptr @__quantum__rt__qubit_allocate()
  %2 = call ptr @__quantum__rt__qubit_allocate()
  call void @__quantum__qis__h(ptr %1)
  %3 = call i64 @__quantum__qis__mz_handle__to__register(ptr %1, ptr @cstr.7200)
  %4 = inttoptr i64 %3 to ptr
  %5 = call i1 @__quantum__rt__read_result(ptr %4)
  br i1 %5, label %6, label %8

6:                                                ; preds = %0
  call void @__quantum__qis__h(ptr %2)
  %7 = call i64 @__quantum__qis__mz_handle__to__register(ptr %2, ptr @cstr.6200)
  br label %8

8:                                                ; preds = %6, %0
  call void @__quantum__rt__qubit_release(ptr %1)
  call void @__quantum__rt__qubit_release(ptr %2)
  ret void
}

declare ptr @__quantum__rt__qubit_allocate()

declare void @__quantum__rt__qubit_release(ptr)

declare void @__quantum__qis__h(ptr)

declare i64 @__quantum__qis__mz_handle__to__register(ptr, ptr)

declare i1 @__quantum__rt__read_result(ptr)

!llvm.module.flags = !{!0}

!0 = !{i32 2, !"Debug Info Version", i32 3}
