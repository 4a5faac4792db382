; ModuleID = 'LLVMDialectModule'
source_filename = "LLVMDialectModule"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@cstr.7200 = private constant [2 x i8] c"r\00"
@cstr.00 = private constant [1 x i8] zeroinitializer

define void @__nvqpp__mlirgen__feed..0x7f052cdcb610() {
  %1 = call ptr @__quantum__rt__qubit_allocate()
  %2 = call ptr @__quantum__rt__qubit_allocate()
  call void @__quantum__qis__h(ptr %1)
  %3 = call i64 @__quantum__qis__mz_handle__to__register(ptr %1, ptr @cstr.7200)
  %4 = inttoptr i64 %3 to ptr
  %5 = call i1 @__quantum__rt__read_result(ptr %4)
  br i1 %5, label %6, label %7

6:                                                ; preds = %0
  call void @__quantum__qis__x(ptr %2)
  br label %7

7:                                                ; preds = %6, %0
  %8 = call i64 @__quantum__qis__mz_handle__to__register(ptr %2, ptr @cstr.00)
  call void @__quantum__rt__qubit_release(ptr %1)
  call void @__quantum__rt__qubit_release(ptr %2)
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
