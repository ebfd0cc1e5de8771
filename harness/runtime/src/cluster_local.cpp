// make_cluster() of an executable built without MPI: every run is one process.
#include "cluster.hpp"

namespace rk::harness {

int launcher_rank() { return 0; }
bool started_by_mpi_launcher() { return false; }

std::unique_ptr<Cluster> make_cluster() { return make_single_process_cluster(); }

}  // namespace rk::harness
