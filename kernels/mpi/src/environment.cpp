// rk::mpi::Environment: MPI_Init_thread/MPI_Finalize and the facts a results file records about a rank.
#include "rk/mpi/environment.hpp"

#include <mpi.h>

#include <cstdlib>

#include "mpi_check.hpp"

namespace rk::mpi {

namespace {
int to_mpi(Threading t) {
  switch (t) {
    case Threading::Single: return MPI_THREAD_SINGLE;
    case Threading::Funneled: return MPI_THREAD_FUNNELED;
    case Threading::Serialized: return MPI_THREAD_SERIALIZED;
    case Threading::Multiple: return MPI_THREAD_MULTIPLE;
  }
  return MPI_THREAD_SINGLE;
}
Threading from_mpi(int level) {
  if (level >= MPI_THREAD_MULTIPLE) return Threading::Multiple;
  if (level >= MPI_THREAD_SERIALIZED) return Threading::Serialized;
  if (level >= MPI_THREAD_FUNNELED) return Threading::Funneled;
  return Threading::Single;
}
}  // namespace

const char* to_string(Threading t) {
  switch (t) {
    case Threading::Single: return "single";
    case Threading::Funneled: return "funneled";
    case Threading::Serialized: return "serialized";
    case Threading::Multiple: return "multiple";
  }
  return "?";
}

Environment::Environment(int* argc, char*** argv, Threading required) {
  int finalized = 0;
  RK_MPI_CHECK(MPI_Finalized(&finalized));
  if (finalized) throw MpiError("MPI was already finalised in this process; it cannot be initialised again");
  int initialized = 0;
  RK_MPI_CHECK(MPI_Initialized(&initialized));
  int provided = MPI_THREAD_SINGLE;
  if (!initialized) {
    RK_MPI_CHECK(MPI_Init_thread(argc, argv, to_mpi(required), &provided));
    owns_ = true;
  } else {
    RK_MPI_CHECK(MPI_Query_thread(&provided));
  }
  threading_ = from_mpi(provided);
  if (provided < to_mpi(required)) {
    if (owns_) MPI_Finalize();
    owns_ = false;
    throw MpiError(std::string("MPI provides thread support '") + to_string(threading_) + "', '" +
                   to_string(required) + "' is required");
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  RK_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank_));
  RK_MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &size_));
  char name[MPI_MAX_PROCESSOR_NAME];
  int len = 0;
  RK_MPI_CHECK(MPI_Get_processor_name(name, &len));
  processor_name_.assign(name, static_cast<std::size_t>(len));
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  len = 0;
  RK_MPI_CHECK(MPI_Get_library_version(version, &len));
  library_version_.assign(version, static_cast<std::size_t>(len));
  while (!library_version_.empty() && (library_version_.back() == '\n' || library_version_.back() == '\0'))
    library_version_.pop_back();
}

Environment::~Environment() {
  if (!owns_) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

void Environment::barrier() const { RK_MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD)); }

bool Environment::all_true(bool ok) const {
  int in = ok ? 1 : 0, out = 0;
  RK_MPI_CHECK(MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD));
  return out != 0;
}

int Environment::broadcast(int value, int root) const {
  RK_MPI_CHECK(MPI_Bcast(&value, 1, MPI_INT, root, MPI_COMM_WORLD));
  return value;
}

namespace {
// Open MPI's mpirun, PMIx (Open MPI 4+, srun --mpi=pmix), PMI-1/2 (MPICH's hydra, srun --mpi=pmi2).
constexpr const char* kRankVariables[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"};
}  // namespace

bool started_by_mpi_launcher() {
  for (const char* v : kRankVariables)
    if (std::getenv(v) != nullptr) return true;
  return false;
}

int launcher_rank() {
  for (const char* v : kRankVariables)
    if (const char* s = std::getenv(v)) return std::atoi(s);
  return 0;
}

void Environment::abort(int exit_code) const {
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::abort();  // MPI_Abort does not return; keep [[noreturn]] honest if it does
}

}  // namespace rk::mpi
