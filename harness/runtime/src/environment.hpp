// Internal: the RK_* environment variables this executable reads. A misspelt one (within edit distance 2
// of a known name) and a value a variable does not take are input errors (exit 2), not silently ignored.
#pragma once

namespace rk::harness {

/// Throws InputError naming the variable, with a did-you-mean for a misspelt name.
void check_environment_variables();

}  // namespace rk::harness
