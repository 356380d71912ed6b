"""Bit casts between floats and integers, for the inline exponential in generated kernels.

numba has no scalar bit cast; these LLVM intrinsics compile to a single
instruction and vectorise, which a libm ``exp`` call does not.
"""

from llvmlite import ir
from numba import types
from numba.extending import intrinsic


@intrinsic
def float64_bits(typingctx, x):
    """The IEEE-754 bits of a float64, as int64."""
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


@intrinsic
def bits_float64(typingctx, x):
    """The float64 whose IEEE-754 bits are the int64 ``x``."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@intrinsic
def float32_bits(typingctx, x):
    """The IEEE-754 bits of a float32, sign-extended to int64."""
    sig = types.int64(types.float32)

    def codegen(context, builder, signature, args):
        return builder.sext(builder.bitcast(args[0], ir.IntType(32)), ir.IntType(64))

    return sig, codegen


@intrinsic
def bits_float32(typingctx, x):
    """The float32 whose IEEE-754 bits are the low 32 bits of the int64 ``x``."""
    sig = types.float32(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(builder.trunc(args[0], ir.IntType(32)), ir.FloatType())

    return sig, codegen
