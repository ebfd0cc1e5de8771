// The backend-agnostic ring-kernel runtime interface (seed section 3): launch, activate, deactivate,
// terminate, send, receive, status, metrics, telemetry, list. Host-only. Each backend implements it
// (rk::cpu::CpuRuntime; the CUDA backend later); the harness drives backends only through it.
#pragma once

#include <charconv>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "rk/core/context.hpp"
#include "rk/core/control_block.hpp"
#include "rk/core/device.hpp"
#include "rk/core/hlc.hpp"
#include "rk/core/message.hpp"
#include "rk/core/ring.hpp"
#include "rk/core/uuid.hpp"

namespace rk {

/// Errors of the runtime API (unknown kernel, bad state transition, bad launch options, …).
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// How an idle kernel's worker waits for work: spin (lowest latency, burns a core), yield, park
/// (sleeps until woken by a sender), or adaptive (spin, then yield, then park).
enum class IdleStrategy : std::uint8_t { Adaptive, Spin, Yield, Park };

inline const char* to_string(IdleStrategy s) {
  switch (s) {
    case IdleStrategy::Adaptive: return "adaptive";
    case IdleStrategy::Spin: return "spin";
    case IdleStrategy::Yield: return "yield";
    case IdleStrategy::Park: return "park";
  }
  return "?";
}
/// Parses "adaptive", "spin", "yield", "park"; nullopt otherwise.
inline std::optional<IdleStrategy> parse_idle_strategy(std::string_view s) {
  for (IdleStrategy i : {IdleStrategy::Adaptive, IdleStrategy::Spin, IdleStrategy::Yield, IdleStrategy::Park})
    if (s == to_string(i)) return i;
  return std::nullopt;
}

/// How a kernel spreads what it sends over its output routes.
enum class RouteRule : std::uint8_t { Direct, RoundRobin, Hash, Broadcast };

inline const char* to_string(RouteRule r) {
  switch (r) {
    case RouteRule::Direct: return "direct";
    case RouteRule::RoundRobin: return "round_robin";
    case RouteRule::Hash: return "hash";
    case RouteRule::Broadcast: return "broadcast";
  }
  return "?";
}

/// A kernel's K2K output routes, as the scenario's `routes` declare them: target kernel ids in scenario
/// order (a kernel is never its own target) and the rule that spreads messages over them.
struct KernelRoutes {
  std::vector<KernelId> outputs;
  RouteRule rule = RouteRule::Direct;
  bool to_host = false;  ///< a route from this kernel to the host exists
};

/// Kernel parameters from a scenario: string values with typed getters (the scenario layer has
/// already type-checked them; a getter that cannot convert throws RuntimeError naming the key), and the
/// kernel's routes as data.
class KernelParams {
 public:
  const KernelRoutes& routes() const { return routes_; }
  void set_routes(KernelRoutes routes) { routes_ = std::move(routes); }
  void set(std::string key, std::string value) { values_[std::move(key)] = std::move(value); }
  bool has(const std::string& key) const { return values_.count(key) != 0; }
  std::string get_string(const std::string& key, std::string def = {}) const {
    const auto it = values_.find(key);
    return it == values_.end() ? def : it->second;
  }
  std::int64_t get_int(const std::string& key, std::int64_t def = 0) const {
    const auto it = values_.find(key);
    if (it == values_.end()) return def;
    std::int64_t v = 0;
    const auto& t = it->second;
    const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
    if (r.ec != std::errc{} || r.ptr != t.data() + t.size()) bad(key, "an integer");
    return v;
  }
  double get_double(const std::string& key, double def = 0.0) const {
    const auto it = values_.find(key);
    if (it == values_.end()) return def;
    try {
      std::size_t used = 0;
      const double v = std::stod(it->second, &used);
      if (used != it->second.size()) bad(key, "a number");
      return v;
    } catch (const std::logic_error&) {
      bad(key, "a number");
    }
  }
  bool get_bool(const std::string& key, bool def = false) const {
    const auto it = values_.find(key);
    if (it == values_.end()) return def;
    if (it->second == "true") return true;
    if (it->second == "false") return false;
    bad(key, "true or false");
  }
  const std::map<std::string, std::string>& values() const { return values_; }

 private:
  [[noreturn]] void bad(const std::string& key, const char* what) const {
    throw RuntimeError("kernel parameter '" + key + "' = '" + values_.at(key) + "' is not " + what);
  }
  std::map<std::string, std::string> values_;
  KernelRoutes routes_;
};

struct LaunchOptions {
  std::string kernel_type;             ///< a type registered with the backend
  std::uint32_t input_capacity = 1024;  ///< power of two
  std::uint32_t output_capacity = 1024; ///< power of two
  IdleStrategy idle = IdleStrategy::Adaptive;
  int device = -1;       ///< -1: the backend places it
  int requested_id = -1; ///< ask for this kernel id (so routes can be set before launch); -1: any
  std::uint32_t max_batch = 64;  ///< messages taken per poll before the worker moves on
  KernelParams params;
};

enum class KernelState : std::uint8_t { Launched, Active, Inactive, Terminated };
inline const char* to_string(KernelState s) {
  switch (s) {
    case KernelState::Launched: return "launched";
    case KernelState::Active: return "active";
    case KernelState::Inactive: return "inactive";
    case KernelState::Terminated: return "terminated";
  }
  return "?";
}

/// What a live migration did (MultiGpuCoordinator records it as an event).
struct MigrationReport {
  std::string kernel;
  std::uint32_t from_device = 0;
  std::uint32_t to_device = 0;
  std::uint64_t state_bytes = 0;       ///< handler state copied
  std::uint64_t queued_messages = 0;   ///< input and output messages moved with it
  std::chrono::nanoseconds duration{0};  ///< senders saw the kernel as busy (Full) for this long
};

struct KernelStatus {
  std::string name;
  KernelId id = 0;
  KernelState state = KernelState::Launched;
  std::uint64_t messages_processed = 0;
  std::uint64_t messages_in_flight = 0;
  std::uint32_t error_count = 0;
  KernelError last_error = KernelError::None;
  int device = 0;
};

/// The counters of a status, as a kernel's control block holds them (relaxed loads: a snapshot).
inline void read_counters(const ControlBlock& cb, KernelStatus& s) {
  s.messages_processed = atomics::load_relaxed(cb.messages_processed);
  s.messages_in_flight = atomics::load_relaxed(cb.messages_in_flight);
  s.error_count = atomics::load_relaxed(cb.error_count);
  s.last_error = static_cast<KernelError>(atomics::load_relaxed(cb.last_error));
}

struct KernelMetrics {
  TelemetryBuffer telemetry{};
  QueueStatistics input{};
  QueueStatistics output{};
  std::uint32_t input_capacity = 0;
  std::uint32_t output_capacity = 0;
  std::uint64_t dead_letters = 0;     ///< K2K messages from this kernel that could not be delivered
  double uptime_s = 0.0;
  double messages_per_second = 0.0;   ///< processed / active time
};

/// A telemetry read: the kernel's 64-byte buffer plus the control-block counters and the read time.
struct TelemetrySnapshot {
  TelemetryBuffer telemetry{};
  std::uint64_t messages_in_flight = 0;
  std::uint32_t is_active = 0;
  std::uint32_t has_terminated = 0;
  HlcTimestamp clock{};
  std::uint64_t t_ns = 0;  ///< monotonic read time
};

/// A message that could not be delivered (K2K to a full, closed or unknown kernel), kept so it is
/// reported rather than lost.
struct DeadLetter {
  Slot message{};
  SendStatus reason = SendStatus::Ok;
};

/// Where messages for a kernel that runs in another process go (a transport's outbox, e.g. the MPI bridge).
class RemoteEndpoint {
 public:
  virtual ~RemoteEndpoint() = default;
  /// Take a stamped message for `target`. Full when there is no room now (the sender retries, as for a
  /// full input ring); Ok means the endpoint owns delivery from here on.
  virtual SendStatus forward(KernelId target, const Slot& message) = 0;
};

/// A figure the backend measures on its device to put the ring kernels' own in context, e.g. an empty
/// kernel launch followed by a synchronize: the cost a persistent kernel avoids. Raw samples, one unit.
struct DeviceBaseline {
  std::string name;   ///< "launch_sync", "graph_replay"
  std::string unit = "ns";
  std::string description;
  std::vector<double> samples;
};

class GlobalReduction;
class HlcClock;  // host only (hlc.hpp); this header is also seen by nvcc's device pass

/// A global reduction among a runtime's devices: one participant per device, each handle used by one
/// thread at a time (see global_reduction.hpp for the determinism rule every implementation follows).
class DeviceReduction {
 public:
  virtual ~DeviceReduction() = default;
  virtual std::uint32_t participants() const = 0;
  /// The handle of device `i`; lives as long as this object.
  virtual GlobalReduction& participant(std::uint32_t i) = 0;
};

class RingKernelRuntime {
 public:
  virtual ~RingKernelRuntime() = default;

  /// Backend identifier ("cpu", "cuda").
  virtual std::string_view backend_name() const = 0;
  /// The kernel types registered with this runtime (what launch() accepts).
  virtual std::vector<std::string> kernel_types() const = 0;

  /// Launch a kernel, initially inactive. Throws RuntimeError on a duplicate name, an unknown kernel
  /// type or bad options.
  virtual KernelId launch(const std::string& name, Dim3 grid, Dim3 block, const LaunchOptions& opts) = 0;
  /// Begin (or resume) processing.
  virtual void activate(const std::string& name) = 0;
  /// Pause processing; state and queued messages are kept. Returns once no message is in flight.
  virtual void deactivate(const std::string& name) = 0;
  /// Stop the kernel and free its resources; its name can be launched again afterwards.
  virtual void terminate(const std::string& name) = 0;
  /// Terminate every kernel and stop the backend's own threads (the destructor does it too). Nothing of
  /// the runtime runs afterwards, so what the kernels referenced may go.
  virtual void shutdown() = 0;

  /// The dense id of a launched kernel (for K2K routing and the fast send/receive overloads).
  virtual KernelId kernel_id(const std::string& name) const = 0;

  /// Non-blocking send of a ready slot from the host (header fields the runtime owns are filled in).
  virtual SendStatus try_send(KernelId kernel, Slot& message) = 0;
  /// Non-blocking receive of a kernel's next output message.
  virtual QueueStatus try_receive(KernelId kernel, Slot& out) = 0;

  virtual KernelStatus status(const std::string& name) const = 0;
  virtual KernelMetrics metrics(const std::string& name) const = 0;
  /// Real-time telemetry: a handful of relaxed loads, no locks on the kernel's path.
  virtual TelemetrySnapshot telemetry(const std::string& name) const = 0;
  virtual std::vector<std::string> list_kernels() const = 0;
  /// Take the dead letters collected so far.
  virtual std::vector<DeadLetter> drain_dead_letters() = 0;

  /// The devices this runtime runs kernels on.
  virtual std::vector<DeviceProperties> devices() const = 0;
  /// Move a launched kernel to another device: quiesce it, checkpoint its state and queued messages,
  /// move them, resume. No message is lost or duplicated and per-sender order is kept (senders see the
  /// kernel as Full while it moves and retry). Throws RuntimeError when the backend cannot.
  virtual MigrationReport migrate(const std::string& name, std::uint32_t device) = 0;

  /// A global reduction among this runtime's devices (the CPU backend's shared-memory collective, NCCL on
  /// GPUs). Throws RuntimeError when the backend has none.
  virtual std::unique_ptr<DeviceReduction> make_device_reduction() {
    throw RuntimeError("the " + std::string(backend_name()) + " backend offers no device reduction");
  }

  /// Device baselines of `samples` measurements each, on device `device` (empty when the backend has none:
  /// the CPU backend, the fake CUDA layer). Measured while the runtime's kernels persist.
  virtual std::vector<DeviceBaseline> device_baselines(std::uint32_t /*device*/, std::uint32_t /*samples*/) { return {}; }

  // ---- Spanning processes: a transport (the MPI bridge) joins the runtimes of several processes through
  // these. A backend that cannot span processes keeps the defaults, which throw RuntimeError.
  /// K2K messages for kernel `id` (one that runs in another process) go to `endpoint`; nullptr removes
  /// the route. A kernel launched here wins over a remote route for the same id.
  virtual void set_remote_route(KernelId /*id*/, RemoteEndpoint* /*endpoint*/) { cannot_span("set_remote_route"); }
  /// Deliver a message its sender has stamped already (it arrived from another process) into the input of
  /// a kernel of this runtime. Failures are returned, not dead-lettered.
  virtual SendStatus deliver_stamped(KernelId /*target*/, const Slot& /*message*/) { cannot_span("deliver_stamped"); }
  /// Keep a message that can never be delivered as a dead letter (counted, returned by drain_dead_letters).
  virtual void record_dead_letter(const Slot& /*message*/, SendStatus /*reason*/) { cannot_span("record_dead_letter"); }
  /// The host's hybrid logical clock: it stamps host sends and observes host receives.
  virtual HlcClock& host_clock() { cannot_span("host_clock"); }

  /// Blocking send of a slot: retries while the input ring is full, until `timeout`.
  SendStatus send(KernelId kernel, Slot& message, std::chrono::nanoseconds timeout);
  /// Send a typed message; throws RuntimeError when it cannot be delivered within `timeout`.
  template <RingMessage T>
  void send(const std::string& name, const T& msg, std::uint8_t prio = priority::kNormal,
            std::chrono::nanoseconds timeout = std::chrono::seconds(1)) {
    Slot s{};
    s.header.priority = prio;
    encode(s, msg);
    const SendStatus st = send(kernel_id(name), s, timeout);
    if (st != SendStatus::Ok) throw RuntimeError("send to '" + name + "' failed: " + to_string(st));
  }

  /// Blocking receive: Ok, Timeout, or Closed once the kernel has terminated and its output is drained.
  QueueStatus receive(KernelId kernel, Slot& out, std::chrono::nanoseconds timeout);
  /// Receive a typed message; throws RuntimeError on timeout or when the message is of another type.
  template <RingMessage T>
  T receive(const std::string& name, std::chrono::nanoseconds timeout) {
    Slot s;
    const QueueStatus st = receive(kernel_id(name), s, timeout);
    if (st != QueueStatus::Ok) throw RuntimeError("receive from '" + name + "' failed: " + to_string(st));
    T out;
    if (decode(s, out) != DecodeStatus::Ok)
      throw RuntimeError("receive from '" + name + "': message type " + std::to_string(s.header.type_id) +
                         " is not the expected type " + std::to_string(T::kTypeId));
    return out;
  }

 private:
  [[noreturn]] void cannot_span(const char* what) const {
    throw RuntimeError(std::string(what) + ": the " + std::string(backend_name()) + " backend cannot span processes");
  }
};

namespace detail {
/// Spin, then yield, then sleep with a growing interval (host-side waits of the runtime API).
/// The first attempt goes before the clock is read: a send or receive that succeeds at once costs no
/// clock read (~16 ns on the development VM, a tenth of a cross-core round trip).
template <class Op, class Done>
auto wait_until(Op op, Done done, std::chrono::nanoseconds timeout) {
  auto r = op();
  if (done(r)) return r;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto sleep = std::chrono::microseconds(5);
  for (std::uint32_t round = 0; std::chrono::steady_clock::now() < deadline; ++round) {
    if (round < 200) {
      cpu_relax();
    } else if (round < 400) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(sleep);
      if (sleep < std::chrono::microseconds(500)) sleep *= 2;
    }
    r = op();
    if (done(r)) return r;
  }
  return r;
}
}  // namespace detail

inline SendStatus RingKernelRuntime::send(KernelId kernel, Slot& message, std::chrono::nanoseconds timeout) {
  return detail::wait_until([&] { return try_send(kernel, message); },
                            [](SendStatus s) { return s != SendStatus::Full; }, timeout);
}

inline QueueStatus RingKernelRuntime::receive(KernelId kernel, Slot& out, std::chrono::nanoseconds timeout) {
  const QueueStatus s = detail::wait_until([&] { return try_receive(kernel, out); },
                                           [](QueueStatus q) { return q != QueueStatus::Empty; }, timeout);
  return s == QueueStatus::Empty ? QueueStatus::Timeout : s;
}

}  // namespace rk
