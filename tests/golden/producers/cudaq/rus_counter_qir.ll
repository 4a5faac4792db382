; ModuleID = 'LLVMDialectModule'
source_filename = "LLVMDialectModule"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@cstr.00 = private constant [1 x i8] zeroinitializer

define void @__nvqpp__mlirgen__rus_counter..0x7feb6c51fd90() {
  %1 = call ptr @__quantum__rt__qubit_allocate()
  %2 = call ptr @__quantum__rt__qubit_allocate()
  call void @__quantum__qis__h(ptr %1)
  br label %3

3:                                                ; preds = %14, %0
  %4 = phi i64 [ %15, %14 ], [ 0, %0 ]
  %5 = phi ptr [ %5, %14 ], [ %1, %0 ]
  %6 = call i64 @__quantum__qis__mz_handle__to__register(ptr %5, ptr @cstr.00)
  %7 = inttoptr i64 %6 to ptr
  %8 = call i1 @__quantum__rt__read_result(ptr %7)
  %9 = xor i1 %8, true
  br i1 %9, label %12, label %10

10:                                               ; preds = %3
  %11 = icmp slt i64 %4, 3
  br label %12

12:                                               ; preds = %10, %3
  %13 = phi i1 [ %11, %10 ], [ false, %3 ]
  br i1 %13, label %14, label %16

14:                                               ; preds = %12
  call void @__quantum__qis__h(ptr %5)
  %15 = add i64 %4, 1
  br label %3

16:                                               ; preds = %20, %12
  %17 = phi i64 [ %21, %20 ], [ 0, %12 ]
  %18 = phi ptr [ %18, %20 ], [ %2, %12 ]
  %19 = icmp slt i64 %17, %4
  br i1 %19, label %20, label %22

20:                                               ; preds = %16
  call void @__quantum__qis__x(ptr %18)
  %21 = add i64 %17, 1
  br label %16

22:                                               ; preds = %16
  %23 = call i64 @__quantum__qis__mz_handle__to__register(ptr %18, ptr @cstr.00)
  call void @__quantum__rt__qubit_release(ptr %5)
  call void @__quantum__rt__qubit_release(ptr %18)
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
