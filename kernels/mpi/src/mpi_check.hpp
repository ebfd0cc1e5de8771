// RK_MPI_CHECK(call): turns a failed MPI call into rk::mpi::MpiError with MPI's error string and file:line.
// Our communicators use MPI_ERRORS_RETURN so errors reach us instead of aborting the job.
#pragma once

#include <mpi.h>

#include <string>

#include "rk/mpi/environment.hpp"

namespace rk::mpi::detail {

[[noreturn]] inline void throw_mpi_error(int code, const char* call, const char* file, int line) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) len = 0;
  throw MpiError(std::string(call) + " failed: " + std::string(text, static_cast<std::size_t>(len)) + " (" + file +
                 ":" + std::to_string(line) + ")");
}

}  // namespace rk::mpi::detail

#define RK_MPI_CHECK(call)                                                                   \
  do {                                                                                       \
    const int rk_mpi_rc_ = (call);                                                           \
    if (rk_mpi_rc_ != MPI_SUCCESS) ::rk::mpi::detail::throw_mpi_error(rk_mpi_rc_, #call, __FILE__, __LINE__); \
  } while (0)
