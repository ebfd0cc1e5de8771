// The MPI environment of one process: initialises MPI on construction, finalises it on destruction,
// and tells the process its rank, the number of ranks and the host it runs on. Works the same when the
// executable was started without mpirun (MPI's singleton start: one rank, rank 0).
#pragma once

#include <cstdint>
#include <string>

#include "rk/core/runtime.hpp"

namespace rk::mpi {

/// An MPI call failed: the call's text, MPI's error string, file:line.
class MpiError : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

/// The thread support levels of MPI_Init_thread, in increasing order.
enum class Threading : std::uint8_t { Single, Funneled, Serialized, Multiple };
const char* to_string(Threading t);

/// True when this process was started by an MPI launcher (mpirun/mpiexec, or srun with PMI/PMIx): the
/// variables those set are present. Without one, a run stays a single process and never touches MPI.
bool started_by_mpi_launcher();
/// This process's rank as the launcher announced it (before MPI_Init), 0 without a launcher.
int launcher_rank();

/// RAII MPI_Init_thread / MPI_Finalize. Create exactly one, first thing in main, and destroy every object
/// that uses MPI (MpiReduction) before it. If MPI was already initialised by someone else, this object
/// neither initialises nor finalises it.
class Environment {
 public:
  /// `argc`/`argv` may be null. Throws MpiError when MPI cannot provide `required` thread support (the
  /// default, Serialized, lets any one thread at a time call MPI — HierarchicalReduction calls it from the
  /// thread of local device 0) or when MPI was already finalised.
  explicit Environment(int* argc = nullptr, char*** argv = nullptr, Threading required = Threading::Serialized);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  /// This process's rank in MPI_COMM_WORLD.
  int rank() const { return rank_; }
  /// Number of ranks in MPI_COMM_WORLD (1 without mpirun).
  int size() const { return size_; }
  /// MPI_Get_processor_name: the host this rank runs on.
  const std::string& processor_name() const { return processor_name_; }
  /// The thread support MPI provided (≥ the required level).
  Threading threading() const { return threading_; }
  /// MPI_Get_library_version, for the results file's metadata.
  const std::string& library_version() const { return library_version_; }

  /// MPI_Barrier on MPI_COMM_WORLD.
  void barrier() const;
  /// Collective: true on every rank when `ok` is true on every rank (MPI_Allreduce, logical and).
  bool all_true(bool ok) const;
  /// Collective: `value` of `root`, on every rank (MPI_Bcast).
  int broadcast(int value, int root = 0) const;
  /// MPI_Abort on MPI_COMM_WORLD: ends every rank (use when a rank cannot continue and the others would
  /// otherwise block in a collective).
  [[noreturn]] void abort(int exit_code) const;

 private:
  bool owns_ = false;
  int rank_ = 0;
  int size_ = 1;
  Threading threading_ = Threading::Single;
  std::string processor_name_;
  std::string library_version_;
};

}  // namespace rk::mpi
