; ModuleID = 'LLVMDialectModule'
source_filename = "LLVMDialectModule"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@cstr.72303030303000 = private constant [7 x i8] c"r00000\00"
@cstr.72303030303100 = private constant [7 x i8] c"r00001\00"
@cstr.61727261793C6931207820323E00 = private constant [14 x i8] c"array<i1 x 2>\00"

define void @__nvqpp__mlirgen__rus_counter..0x7feb6434f250() #0 {
  call void @__quantum__qis__h__body(ptr null)
  br label %1

1:                                                ; preds = %10, %0
  %2 = phi i64 [ %11, %10 ], [ 0, %0 ]
  %3 = phi ptr [ %3, %10 ], [ null, %0 ]
  call void @__quantum__qis__mz__body(ptr %3, ptr null)
  call void @__quantum__rt__array_record_output(i64 2, ptr @cstr.61727261793C6931207820323E00)
  call void @__quantum__rt__result_record_output(ptr null, ptr @cstr.72303030303000)
  %4 = call i1 @__quantum__rt__read_result(ptr null)
  %5 = xor i1 %4, true
  br i1 %5, label %8, label %6

6:                                                ; preds = %1
  %7 = icmp slt i64 %2, 3
  br label %8

8:                                                ; preds = %6, %1
  %9 = phi i1 [ %7, %6 ], [ false, %1 ]
  br i1 %9, label %10, label %12

10:                                               ; preds = %8
  call void @__quantum__qis__h__body(ptr %3)
  %11 = add i64 %2, 1
  br label %1

12:                                               ; preds = %16, %8
  %13 = phi i64 [ %17, %16 ], [ 0, %8 ]
  %14 = phi ptr [ %14, %16 ], [ inttoptr (i64 1 to ptr), %8 ]
  %15 = icmp slt i64 %13, %2
  br i1 %15, label %16, label %18

16:                                               ; preds = %12
  call void @__quantum__qis__x__body(ptr %14)
  %17 = add i64 %13, 1
  br label %12

18:                                               ; preds = %12
  call void @__quantum__qis__mz__body(ptr %14, ptr inttoptr (i64 1 to ptr))
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 1 to ptr), ptr @cstr.72303030303100)
  ret void
}

declare void @__quantum__qis__h__body(ptr)

declare void @__quantum__qis__x__body(ptr)

declare void @__quantum__qis__mz__body(ptr, ptr) #1

declare void @__quantum__rt__result_record_output(ptr, ptr)

declare i1 @__quantum__rt__read_result(ptr)

declare void @__quantum__rt__array_record_output(i64, ptr)

attributes #0 = { "entry_point" "output_labeling_schema"="schema_id" "qir_profiles"="adaptive_profile" "required_num_qubits"="2" "required_num_results"="2" }
attributes #1 = { "irreversible" }

!llvm.module.flags = !{!0}

!0 = !{i32 2, !"Debug Info Version", i32 3}
