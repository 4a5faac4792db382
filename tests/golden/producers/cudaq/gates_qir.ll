; ModuleID = 'LLVMDialectModule'
source_filename = "LLVMDialectModule"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@cstr.00 = private constant [1 x i8] zeroinitializer

define void @__nvqpp__mlirgen__gates..0x7f052cdf5650() {
  %1 = call ptr @__quantum__rt__qubit_allocate()
  %2 = call ptr @__quantum__rt__qubit_allocate()
  %3 = call ptr @__quantum__rt__qubit_allocate()
  %4 = call ptr @__quantum__rt__qubit_allocate()
  call void @__quantum__qis__h(ptr %1)
  call void @__quantum__qis__h(ptr %2)
  call void @__quantum__qis__h(ptr %3)
  call void @__quantum__qis__h(ptr %4)
  call void (i64, i64, i64, i64, ptr, ...) @generalizedInvokeWithRotationsControlsTargets(i64 0, i64 0, i64 2, i64 1, ptr @__quantum__qis__x__ctl, ptr %1, ptr %2, ptr %3)
  call void (i64, i64, i64, i64, ptr, ...) @generalizedInvokeWithRotationsControlsTargets(i64 1, i64 0, i64 1, i64 1, ptr @__quantum__qis__ry__ctl, double 5.000000e-01, ptr %1, ptr %4)
  call void (i64, i64, i64, i64, ptr, ...) @generalizedInvokeWithRotationsControlsTargets(i64 1, i64 0, i64 2, i64 1, ptr @__quantum__qis__rz__ctl, double 2.500000e-01, ptr %1, ptr %2, ptr %4)
  call void (i64, i64, i64, i64, ptr, ...) @generalizedInvokeWithRotationsControlsTargets(i64 0, i64 0, i64 1, i64 1, ptr @__quantum__qis__z__ctl, ptr %2, ptr %3)
  call void (i64, i64, i64, i64, ptr, ...) @generalizedInvokeWithRotationsControlsTargets(i64 0, i64 0, i64 1, i64 1, ptr @__quantum__qis__y__ctl, ptr %3, ptr %4)
  call void @__quantum__qis__swap(ptr %1, ptr %4)
  call void @__quantum__qis__r1(double 0x3FE6666666666666, ptr %3)
  call void @__quantum__qis__u3(double 1.000000e-01, double 2.000000e-01, double 3.000000e-01, ptr %2)
  call void @__quantum__qis__t(ptr %1)
  call void @__quantum__qis__t__adj(ptr %2)
  call void @__quantum__qis__s(ptr %3)
  call void @__quantum__qis__rx(double 4.000000e-01, ptr %4)
  %5 = call i64 @__quantum__qis__mz_handle__to__register(ptr %1, ptr @cstr.00)
  %6 = call i64 @__quantum__qis__mz_handle__to__register(ptr %2, ptr @cstr.00)
  %7 = call i64 @__quantum__qis__mz_handle__to__register(ptr %3, ptr @cstr.00)
  %8 = call i64 @__quantum__qis__mz_handle__to__register(ptr %4, ptr @cstr.00)
  call void @__quantum__rt__qubit_release(ptr %1)
  call void @__quantum__rt__qubit_release(ptr %2)
  call void @__quantum__rt__qubit_release(ptr %3)
  call void @__quantum__rt__qubit_release(ptr %4)
  ret void
}

declare ptr @__quantum__rt__qubit_allocate()

declare void @__quantum__rt__qubit_release(ptr)

declare void @__quantum__qis__x__ctl(ptr, ptr)

declare void @__quantum__qis__y__ctl(ptr, ptr)

declare void @__quantum__qis__z__ctl(ptr, ptr)

declare void @__quantum__qis__ry__ctl(double, ptr, ptr)

declare void @__quantum__qis__rz__ctl(double, ptr, ptr)

declare void @generalizedInvokeWithRotationsControlsTargets(i64, i64, i64, i64, ptr, ...)

declare void @__quantum__qis__h(ptr)

declare void @__quantum__qis__s(ptr)

declare void @__quantum__qis__t(ptr)

declare void @__quantum__qis__t__adj(ptr)

declare void @__quantum__qis__u3(double, double, double, ptr)

declare i64 @__quantum__qis__mz_handle__to__register(ptr, ptr)

declare void @__quantum__qis__swap(ptr, ptr)

declare void @__quantum__qis__rx(double, ptr)

declare void @__quantum__qis__r1(double, ptr)

!llvm.module.flags = !{!0}

!0 = !{i32 2, !"Debug Info Version", i32 3}
