"""The contract between JIT-compiled QIR and the numba runtime: context layout, opcodes, error codes.

The native code reaches all runtime state through one context pointer: an int64 header (`H_*` slots
below) holding sizes, counters and the addresses of the buffers it works on. Nothing else is shared,
so compiled numba code never has a buffer address baked in and can be cached on disk.
"""

from __future__ import annotations

from qirrt.qir.dialect import GATES

# -- header slots (int64 each) ----------------------------------------------------------------------
H_NQ = 0            # qubits in the register
H_PREC = 1          # 0: complex128, 1: complex64
H_STATE = 2         # address of the state vector
H_POOL = 3          # address of the saved-state pool (slots x 2**nq amplitudes)
H_POOL_SLOTS = 4
H_SLOT_USED = 5     # address of int64[slots]: 1 while a pushed branch owns the slot
H_TAPE_OPS = 6      # address of int64[cap, 4]: opcode, q0, q1, q2
H_TAPE_ANG = 7      # address of float64[cap]: the rotation angle of each op
H_TAPE_LEN = 8
H_TAPE_CAP = 9
H_RES = 10          # address of int64[nres]: >= 0 a decided value, < 0 pending on qubit (-1 - value)
H_NRES = 11
H_QPEND = 12        # address of int64[nq]: pending measurements per qubit
H_PARAMS = 13       # address of float64[nparams]
H_NPARAMS = 14
H_REC = 15          # address of int64[cap, 3]: kind, value, label address
H_REC_LEN = 16
H_REC_CAP = 17
H_TRACE = 18        # address of int8[cap]: the outcome of every decision of this run
H_TRACE_LEN = 19
H_TRACE_CAP = 20
H_FORCED = 21       # decisions replayed from the trace before the run goes live
H_RESTORE = 22      # pool slot restored at the last forced decision, -1 for a full replay
H_LIVE = 23         # 1 while ops are simulated, 0 while a replay skips to its saved state
H_PUSH = 24         # address of int64[cap, 4]: decision index, other outcome, shots, slot
H_PUSH_LEN = 25
H_PUSH_CAP = 26
H_SHOTS = 27        # shots following the current path
H_ERROR = 28        # ERR_* code; the native code stops at the next block once it is set
H_ERROR_ARG = 29
H_STEPS = 30        # quantum operations and basic blocks executed in this run
H_MAX_STEPS = 31
H_FUSE_MAX = 32     # largest dense fused gate (qubits)
H_DIAG_MAX = 33     # largest fused diagonal gate (qubits)
H_BLOCK_QUBITS = 34  # cache-block size of a simulation pass (qubits)
H_PAR_QUBITS = 35   # registers of at least this many qubits use all threads
H_FUSE_OVERHEAD = 36  # cost of one more pass over a block, in complex multiply-adds per amplitude (x100)
H_STAT_OPS = 37     # fused operations applied (statistics)
H_STAT_PASSES = 38  # cache-blocked passes over the state (statistics)
H_STAT_GATES = 39   # gates simulated (statistics)
H_STAT_DECISIONS = 40  # measurement decisions taken live (statistics)
H_FN_FLUSH = 41     # addresses of the simulator services (`services.SERVICES`), called by pointer
H_FN_PROB = 42
H_FN_COLLAPSE = 43
H_FN_COPY = 44
H_FN_RESET = 45
H_FN_SAMPLE = 46
H_OPS = 47          # address of int64[n, 5]: the operations of an interpreted program (`operations`)
H_OPS_ANG = 48      # address of float64[n]: their rotation angles
H_OPS_LEN = 49      # 0 for JIT-compiled programs
H_OPS_FLAGS = 50    # i1 values (result reads) the interpreted program keeps
H_QLAST = 51        # address of int64[nq]: the result each qubit was last measured into (a hint)
HEADER_SIZE = 52

# -- opcodes ------------------------------------------------------------------------------------------
GATE_NAMES: tuple[str, ...] = tuple(GATES)
OPCODES: dict[str, int] = {name: i for i, name in enumerate(GATE_NAMES)}
OP_MEASURE = 100
OP_MRESETZ = 101
OP_RESET = 102
# interpreted operations only (`operations.Operations`)
OP_RECORD = 200     # OP_RECORD + REC_*: an output record of a constant (column 1) with a label (column 4)
OP_READ = 300       # flag[column 2] = the value of result column 1
OP_RECORD_FLAG = 301  # a bool record of flag[column 1], label in column 4
OP_JUMP = 302       # continue at row column 1
OP_BRANCH = 303     # continue at row column 2 if flag[column 1] else at row column 3
OP_END = 304        # return from the entry point
OPCODES.update({"mz": OP_MEASURE, "m": OP_MEASURE, "mresetz": OP_MRESETZ, "reset": OP_RESET})
GATE_ARITY = tuple(GATES[n].num_qubits for n in GATE_NAMES)
NUM_GATES = len(GATE_NAMES)

# -- output records -----------------------------------------------------------------------------------
REC_RESULT = 0
REC_BOOL = 1
REC_INT = 2
REC_DOUBLE = 3
REC_ARRAY = 4
REC_TUPLE = 5
REC_PENDING = 6     # a result whose measurement is still undecided: value is the qubit
RECORD_KINDS = {"result": REC_RESULT, "bool": REC_BOOL, "int": REC_INT, "double": REC_DOUBLE,
                "array": REC_ARRAY, "tuple": REC_TUPLE}

# -- errors -------------------------------------------------------------------------------------------
ERR_NONE = 0
ERR_QUBIT_RANGE = 1
ERR_RESULT_RANGE = 2
ERR_STEP_LIMIT = 3
ERR_PARAM_RANGE = 4
ERR_RECORD_CAPACITY = 5
ERR_TRACE_CAPACITY = 6
ERR_SAME_QUBIT = 7
ERR_NONDETERMINISTIC = 8
ERR_PUSH_CAPACITY = 9
