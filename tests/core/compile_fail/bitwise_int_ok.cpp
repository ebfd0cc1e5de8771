// Control for bitwise_float.cpp: the same call on an integer type must compile.
#include "rk/core/reduction.hpp"

int f() { return rk::reduce<rk::ReductionOp::Xor, int>(1, 2); }
