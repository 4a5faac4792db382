"""llvmlite, initialised once for the native target (`llvm.initialize()` itself now raises)."""

from __future__ import annotations

import llvmlite.binding as llvm

llvm.initialize_native_target()
llvm.initialize_native_asmprinter()

__all__ = ["llvm"]
