// make_cluster() of an executable built with MPI: the ranks of an MPI job when a launcher (mpirun, srun)
// started this process, one process otherwise (nothing touches MPI then). The link between the ranks'
// runtimes is kernels/mpi's MpiBridge, and rank 0 sees every kernel through its DistributedRuntime.
#include <charconv>
#include <cstdlib>
#include <sstream>

#include "cluster.hpp"
#include "rk/mpi/bridge.hpp"
#include "rk/mpi/distributed_runtime.hpp"
#include "rk/mpi/environment.hpp"
#include "rk/mpi/gather.hpp"

namespace rk::harness {

namespace {

/// The process's MPI environment: made by the first run under an MPI launcher, finalised when the
/// process exits, after main() has returned. MPI_Finalize waits for every rank, so no rank can leave
/// (and have the launcher tear the job down, which cut off rank 0's stderr now and then) before
/// rank 0 has written its last words: the error or the summary.
mpi::Environment& process_environment() {
  static const std::unique_ptr<mpi::Environment> env = std::make_unique<mpi::Environment>();
  return *env;
}

/// RK_MPI_BRIDGE="outbox=N,batch=N,inflight=N,pending=N": the bridge's buffer sizes (for tuning, and for
/// tests that want backpressure on every path). Unknown keys and bad numbers are input errors.
mpi::BridgeOptions bridge_options() {
  mpi::BridgeOptions o;
  const char* env = std::getenv("RK_MPI_BRIDGE");
  if (env == nullptr) return o;
  std::istringstream in(env);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto eq = item.find('=');
    const std::string key = item.substr(0, eq);
    std::uint64_t v = 0;
    const char* first = item.c_str() + (eq == std::string::npos ? item.size() : eq + 1);
    const auto [ptr, ec] = std::from_chars(first, item.c_str() + item.size(), v);
    if (eq == std::string::npos || ec != std::errc{} || *ptr != '\0' || v == 0 || v > (1u << 24))
      throw InputError("RK_MPI_BRIDGE: '" + item + "' is not KEY=N with 1 <= N <= 2^24");
    if (key == "outbox") {
      if ((v & (v - 1)) != 0 || v < 2) throw InputError("RK_MPI_BRIDGE: outbox must be a power of two >= 2");
      o.outbox_capacity = static_cast<std::uint32_t>(v);
    } else if (key == "batch") {
      o.batch_slots = static_cast<std::uint32_t>(v);
    } else if (key == "inflight") {
      o.max_inflight_batches = static_cast<std::uint32_t>(v);
    } else if (key == "pending") {
      o.max_pending = v;
    } else {
      throw InputError("RK_MPI_BRIDGE: unknown key '" + key + "' (outbox, batch, inflight, pending)");
    }
  }
  return o;
}

/// The workload's shared arenas go to the MPI bridge.
class BridgeArenas final : public workloads::SharedArenas {
 public:
  explicit BridgeArenas(mpi::MpiBridge& bridge) : bridge_(bridge) {}
  void register_arena(const ArenaView& arena) override { bridge_.register_arena(arena); }

 private:
  mpi::MpiBridge& bridge_;
};

class BridgeLink final : public ClusterLink {
 public:
  BridgeLink(const mpi::Environment& env, RingKernelRuntime& local, std::vector<int> owner,
             std::vector<std::string> names, std::vector<DeviceProperties> devices, const mpi::BridgeOptions& options)
      : bridge_(env, local, std::move(owner), names, options),
        view_(local, bridge_, std::move(names), std::move(devices)),
        arenas_(bridge_) {}
  RingKernelRuntime& runtime() override { return view_; }
  workloads::SharedArenas* arenas() override { return &arenas_; }
  void start() override { bridge_.start(); }
  void wait_for_stop() override { bridge_.wait_for_stop(); }
  LinkCounters stop() override {
    const mpi::BridgeCounters c = bridge_.stop();
    LinkCounters out;
    out.messages_sent = c.messages_sent;
    out.batches_sent = c.batches_sent;
    out.bytes_sent = c.bytes_sent;
    out.messages_received = c.messages_received;
    out.full_outbox = c.full_outbox;
    out.dead_letters = c.dead_letters;
    out.unread_host_messages = c.unread_host_messages;
    return out;
  }
  std::string error() const override { return bridge_.error(); }

 private:
  mpi::MpiBridge bridge_;
  mpi::DistributedRuntime view_;
  BridgeArenas arenas_;
};

class MpiCluster final : public Cluster {
 public:
  explicit MpiCluster(mpi::Environment& env) : env_(env) {}
  int rank() const override { return env_.rank(); }
  int size() const override { return env_.size(); }
  void check_environment() const override {
    if (distributed()) (void)bridge_options();
  }
  std::string library_version() const override { return env_.library_version(); }
  bool all_true(bool ok) const override { return env_.all_true(ok); }
  int broadcast(int value) const override { return env_.broadcast(value); }
  std::vector<std::string> gather_bytes(std::string_view bytes) const override {
    return mpi::gather_strings(env_, bytes);
  }
  std::unique_ptr<ClusterLink> link(RingKernelRuntime& local, std::vector<int> owner, std::vector<std::string> names,
                                    std::vector<DeviceProperties> devices) override {
    if (!distributed()) return make_single_process_cluster()->link(local, {}, {}, {});
    return std::make_unique<BridgeLink>(env_, local, std::move(owner), std::move(names), std::move(devices),
                                        bridge_options());
  }

 private:
  mpi::Environment& env_;
};

}  // namespace

int launcher_rank() { return mpi::launcher_rank(); }
bool started_by_mpi_launcher() { return mpi::started_by_mpi_launcher(); }

std::unique_ptr<Cluster> make_cluster() {
  if (!mpi::started_by_mpi_launcher()) return make_single_process_cluster();
  return std::make_unique<MpiCluster>(process_environment());
}

}  // namespace rk::harness
