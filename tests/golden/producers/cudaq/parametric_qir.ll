; ModuleID = 'LLVMDialectModule'
source_filename = "LLVMDialectModule"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@cstr.00 = private constant [1 x i8] zeroinitializer

define void @__nvqpp__mlirgen__parametric..0x7f052cda17d0(double %0) {
  %2 = call ptr @__quantum__rt__qubit_allocate()
  %3 = call ptr @__quantum__rt__qubit_allocate()
  call void @__quantum__qis__rx(double 2.500000e-01, ptr %2)
  call void @__quantum__qis__ry(double 5.000000e-01, ptr %3)
  %4 = call i64 @__quantum__qis__mz_handle__to__register(ptr %2, ptr @cstr.00)
  %5 = call i64 @__quantum__qis__mz_handle__to__register(ptr %3, ptr @cstr.00)
  call void @__quantum__rt__qubit_release(ptr %2)
  call void @__quantum__rt__qubit_release(ptr %3)
  ret void
}

declare ptr @__quantum__rt__qubit_allocate()

declare void @__quantum__rt__qubit_release(ptr)

declare i64 @__quantum__qis__mz_handle__to__register(ptr, ptr)

declare void @__quantum__qis__rx(double, ptr)

declare void @__quantum__qis__ry(double, ptr)

!llvm.module.flags = !{!0}

!0 = !{i32 2, !"Debug Info Version", i32 3}
