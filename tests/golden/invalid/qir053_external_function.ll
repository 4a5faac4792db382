; rule: QIR053 unknown-external-function
; breaks: the program calls an arbitrary external C function
; expect: @puts is an external function that is neither QIS, QIR runtime nor a qirrt extension
; at: function=main block=entry instruction=%n = call i32 @puts(ptr @text)
; profile: adaptive

@text = internal constant [6 x i8] c"hello\00"

define i64 @main() #0 {
entry:
  call void @__quantum__qis__h__body(ptr null)
  %n = call i32 @puts(ptr @text) ; <-- error
  ret i64 0
}

declare void @__quantum__qis__h__body(ptr)

declare i32 @puts(ptr)

attributes #0 = { "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="1" "required_num_results"="0" "output_labeling_schema"="labeled" }

!llvm.module.flags = !{!0, !1, !2, !3}

!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
