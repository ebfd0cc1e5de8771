// One process as a cluster of one, and agree(): how the ranks of a run settle on one outcome.
#include "cluster.hpp"

#include "rk/harness/driver.hpp"
#include "rk/scenario/error.hpp"

namespace rk::harness {

namespace {

/// A run's only process: its link is its own runtime.
class LocalLink final : public ClusterLink {
 public:
  explicit LocalLink(RingKernelRuntime& rt) : rt_(rt) {}
  RingKernelRuntime& runtime() override { return rt_; }
  workloads::SharedArenas* arenas() override { return nullptr; }
  void start() override {}
  void wait_for_stop() override {}
  LinkCounters stop() override { return {}; }
  std::string error() const override { return {}; }

 private:
  RingKernelRuntime& rt_;
};

class SingleProcess final : public Cluster {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  bool all_true(bool ok) const override { return ok; }
  int broadcast(int value) const override { return value; }
  std::vector<std::string> gather_bytes(std::string_view bytes) const override { return {std::string(bytes)}; }
  std::unique_ptr<ClusterLink> link(RingKernelRuntime& local, std::vector<int>, std::vector<std::string>,
                                    std::vector<DeviceProperties>) override {
    return std::make_unique<LocalLink>(local);
  }
};

}  // namespace

std::unique_ptr<Cluster> make_single_process_cluster() { return std::make_unique<SingleProcess>(); }

void agree(const Cluster& cluster, const std::exception_ptr& failure) {
  if (!cluster.distributed()) {
    if (failure) std::rethrow_exception(failure);
    return;
  }
  if (cluster.all_true(!failure)) return;
  std::string text;
  bool input = false;
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const scenario::ScenarioError& e) {
      text = e.what();
      input = true;
    } catch (const InputError& e) {
      text = e.what();
      input = true;
    } catch (const std::exception& e) {
      text = e.what();
    }
  }
  const auto all = cluster.gather_bytes(std::string(input ? "2" : "1") + text);
  if (cluster.rank() != 0) throw OtherRankFailed();
  if (failure) std::rethrow_exception(failure);
  for (std::size_t r = 1; r < all.size(); ++r) {
    if (all[r].empty()) continue;
    const std::string msg = "rank " + std::to_string(r) + ": " + all[r].substr(1);
    if (all[r][0] == '2') throw InputError(msg);
    throw std::runtime_error(msg);
  }
}

}  // namespace rk::harness
