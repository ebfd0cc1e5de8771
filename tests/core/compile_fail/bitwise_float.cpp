// Must NOT compile: bitwise reductions (And, Or, Xor) are only defined for integers
// (CTest runs this with WILL_FAIL; bitwise_int_ok.cpp is the control that must compile).
#include "rk/core/reduction.hpp"

float f() { return rk::reduce<rk::ReductionOp::Xor, float>(1.0f, 2.0f); }
