"""Numba intrinsics for raw addresses: int64 → typed pointer, array → address, call through a pointer.

They let cached numba code work on buffers and call functions whose addresses are only known at run
time (read from the context header), so no address is ever baked into compiled code.
"""

from __future__ import annotations

from llvmlite import ir as lir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from qirrt.executors.local import numba_cache  # noqa: F401  (cache keyed on all kernel sources; before any @njit)


def _pointer_cast(element):
    @intrinsic
    def cast(typingctx, address):
        sig = types.CPointer(element)(types.int64)

        def codegen(context, builder, signature, args):
            return builder.inttoptr(args[0], context.get_value_type(signature.return_type))

        return sig, codegen

    return cast


as_i64 = _pointer_cast(types.int64)
as_f64 = _pointer_cast(types.float64)
as_i8 = _pointer_cast(types.int8)
as_c128 = _pointer_cast(types.complex128)
as_c64 = _pointer_cast(types.complex64)


@intrinsic
def address_of(typingctx, array):
    """The data address of an array."""
    sig = types.int64(array)

    def codegen(context, builder, signature, args):
        ary = cgutils.create_struct_proxy(signature.args[0])(context, builder, value=args[0])
        return builder.ptrtoint(ary.data, lir.IntType(64))

    return sig, codegen


_LL = {types.int64: lir.IntType(64), types.float64: lir.DoubleType(), types.void: lir.VoidType()}


def _codegen(restype, argtypes):
    def codegen(context, builder, signature, llargs):
        ptr = lir.IntType(8).as_pointer()
        fnty = lir.FunctionType(_LL[restype], [ptr] + [_LL[t] for t in argtypes])
        fn = builder.inttoptr(llargs[0], fnty.as_pointer())
        result = builder.call(fn, [builder.inttoptr(llargs[1], ptr)] + list(llargs[2:]))
        return context.get_dummy_value() if restype is types.void else result

    return codegen


# call_<result>_<args>(function_address, context_address, *args): a C call `result f(void *ctx, *args)`
@intrinsic
def call_v(typingctx, function_address, context_address):
    return types.void(types.int64, types.int64), _codegen(types.void, ())


@intrinsic
def call_v_ii(typingctx, function_address, context_address, a, b):
    argtypes = (types.int64, types.int64)
    return types.void(types.int64, types.int64, *argtypes), _codegen(types.void, argtypes)


@intrinsic
def call_v_iid(typingctx, function_address, context_address, a, b, x):
    argtypes = (types.int64, types.int64, types.float64)
    return types.void(types.int64, types.int64, *argtypes), _codegen(types.void, argtypes)


@intrinsic
def call_d_i(typingctx, function_address, context_address, a):
    argtypes = (types.int64,)
    return types.float64(types.int64, types.int64, *argtypes), _codegen(types.float64, argtypes)


@intrinsic
def call_i_ii(typingctx, function_address, context_address, a, b):
    argtypes = (types.int64, types.int64)
    return types.int64(types.int64, types.int64, *argtypes), _codegen(types.int64, argtypes)
