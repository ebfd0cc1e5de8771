// CpuKernel: the persistent loop body of one ring kernel — take messages, merge their clocks, run the
// handler on every simulated thread, account for them in the control block and telemetry.
#include "rk/cpu/kernel.hpp"

#include "rk/cpu/runtime.hpp"

namespace rk::cpu {

namespace {
constexpr std::uint64_t kPublishIntervalNs = 200'000;  // control-block snapshots while busy
constexpr std::uint32_t kIdlePollsBeforePublish = 512;   // ... and once this idle (< adaptive spin rounds)
}

CpuKernel::CpuKernel(CpuRuntime& rt, std::string n, KernelId kid, std::uint32_t launch_generation, Dim3 g,
                     Dim3 b, const LaunchOptions& opts, std::uint32_t dev, std::unique_ptr<KernelBody> handler)
    : runtime(rt),
      name(std::move(n)),
      id(kid),
      grid(g),
      block(b),
      options(opts),
      device(dev),
      input(opts.input_capacity),
      output(opts.output_capacity),
      body(std::move(handler)),
      clock(kid),
      direct_context(*this, nullptr, 0, 0),
      id_prefix((0x524Bull << 48) | (std::uint64_t{launch_generation} << 16) | kid) {
  reset(control, kid);
  reset(telemetry);
  control.input_capacity = opts.input_capacity;
  control.output_capacity = opts.output_capacity;
  if (g.volume() * b.volume() > 1) group = std::make_unique<ThreadGroup>(*this, g, b);
  launched_ns = monotonic_ns();
}

CpuKernel::~CpuKernel() {
  group.reset();  // fibers reference the body
  body.reset();
}

bool CpuKernel::has_work() const {
  if (state.load(std::memory_order_relaxed) == KernelState::Terminated) return false;
  if (atomics::load_relaxed(control.should_terminate) && !atomics::load_relaxed(control.has_terminated)) return true;
  if (!atomics::load_relaxed(control.is_active)) return false;
  if (group && group->in_progress()) return group->can_progress();  // blocked on a named barrier: no
  if (!deferred.empty()) return true;
  return input.get().has_message();
}

void CpuKernel::stamp_outgoing(Slot& s, KernelId dest) {
  s.header.source_kernel = id;
  s.header.dest_kernel = dest;
  if (s.header.message_id.is_nil()) s.header.message_id = MessageId{id_prefix, ++next_message_counter};
  // The send event: a logical tick (the clock was merged with the received message and is advanced to
  // the wall clock after each message, so it stays within one message of physical time).
  clock.last.tick();
  s.header.timestamp = clock.last;
}

void CpuKernel::fail(KernelError e) { record_error(control, telemetry, e); }

bool CpuKernel::next_message(Slot& out) {
  if (!deferred.empty()) {
    out = deferred.front();
    deferred.pop_front();
    return true;
  }
  return input->try_dequeue(out) == QueueStatus::Ok;
}

void CpuKernel::wake_worker() {
  // Only messages for an active kernel need a wake-up (activate() wakes the worker itself), and then a
  // Spin kernel keeps its worker from parking: the worker picks the strictest idle strategy of its
  // active kernels.
  if (options.idle == IdleStrategy::Spin && state.load(std::memory_order_relaxed) == KernelState::Active) return;
  if (Worker* w = worker.load(std::memory_order_acquire)) w->notify();
}

void CpuKernel::finish_message() {
  const std::uint64_t end = wall_clock_ns();
  last_end_ns = end;
  clock.last.update_physical(end);
  const std::uint64_t sent = current.header.timestamp.physical;
  record_processed(telemetry, end > sent ? end - sent : 0);
  atomics::store_relaxed(control.messages_processed, atomics::load_relaxed(control.messages_processed) + 1);
  atomics::store_release(control.messages_in_flight, std::uint64_t{0});
}

void CpuKernel::run_handler_direct() {
  in_handler = true;
  try {
    body->handle(direct_context, current);
  } catch (...) {
    fail(KernelError::HandlerException);
  }
  in_handler = false;
}

void CpuKernel::acknowledge_termination() {
  input->close();
  output->close();  // the host drains what is left, then receives Closed
  atomics::store_release(control.is_active, 0u);
  atomics::store_release(control.messages_in_flight, std::uint64_t{0});
  publish_snapshot();
  atomics::store_release(control.has_terminated, 1u);
}

void CpuKernel::handle_group_result(ThreadGroup::Result r) {
  if (r == ThreadGroup::Result::Done) {
    finish_message();
  } else if (r == ThreadGroup::Result::Deadlock) {
    // As on a GPU, threads that cannot all reach a barrier hang the kernel: stop it with an error.
    fail(KernelError::BarrierDeadlock);
    atomics::store_release(control.should_terminate, 1u);
    acknowledge_termination();
  }
}

bool CpuKernel::poll(Worker&) {
  if (in_handler) return false;  // re-entered from a named-barrier wait of this very kernel
  if (atomics::load_relaxed(control.has_terminated)) return false;
  if (atomics::load_acquire(control.should_terminate)) {
    if (group && group->in_progress()) {
      // Let a message blocked on a named barrier finish first if it can.
      handle_group_result(group->resume());
      if (group->in_progress()) return false;
    }
    acknowledge_termination();
    return true;
  }
  if (!atomics::load_acquire(control.is_active)) return false;

  bool did = false;
  if (group && group->in_progress()) {
    handle_group_result(group->resume());
    if (group->in_progress()) return false;
    did = true;
  }
  for (std::uint32_t n = 0; n < options.max_batch; ++n) {
    if (!next_message(current)) break;
    did = true;
    atomics::store_relaxed(control.messages_in_flight, std::uint64_t{1});
    // Merge without reading the wall clock (it would cost a clock read on the critical path of every
    // message); finish_message() reads it once the handler is done and advances the clock then.
    clock.update(current.header.timestamp, 0);
    if (group) {
      handle_group_result(group->start(current));
      if (group->in_progress() || atomics::load_relaxed(control.has_terminated)) break;
    } else {
      run_handler_direct();
      finish_message();
    }
    if (atomics::load_relaxed(control.should_terminate) || !atomics::load_relaxed(control.is_active)) break;
  }
  if (!did && !(group && group->in_progress())) {
    in_handler = true;
    try {
      did = body->idle(direct_context);
    } catch (...) {
      fail(KernelError::HandlerException);
    }
    in_handler = false;
  }
  // Snapshots go to the control block at most every 200 µs, busy or idle, and once more when the kernel
  // has been idle that long with something unpublished. A snapshot reads the rings' head and tail, which
  // live on the host's cache lines: publishing per message — or each time a ping-pong peer falls idle,
  // i.e. after every message — pulls those lines onto this core right when the host needs them.
  // Busy: the interval is judged by the wall time finish_message() read anyway. Idle with something
  // unpublished: after kIdlePollsBeforePublish empty polls (no clock read per poll; fewer than an adaptive
  // worker spins before it parks, so a kernel falling idle publishes before its worker sleeps).
  if (did) {
    idle_polls = 0;
    if (last_end_ns - last_publish_ns > kPublishIntervalNs || last_publish_ns == 0) {
      publish_snapshot();
      last_publish_ns = last_end_ns;
    }
  } else if (published_processed != control.messages_processed || last_publish_ns == 0) {
    if (++idle_polls >= kIdlePollsBeforePublish) {
      publish_snapshot();
      last_publish_ns = wall_clock_ns();
      idle_polls = 0;
    }
  }
  return did;
}

void CpuKernel::publish_if_stale() {
  if (in_handler || (published_processed == control.messages_processed && last_publish_ns != 0)) return;
  publish_snapshot();
  last_publish_ns = wall_clock_ns();
  idle_polls = 0;
}

void CpuKernel::publish_snapshot() {
  using namespace atomics;
  published_processed = control.messages_processed;
  const QueueStatistics in = input->statistics();
  const QueueStatistics out = output->statistics();
  store_relaxed(control.input_head, in.total_dequeued);
  store_relaxed(control.input_tail, in.total_enqueued);
  store_relaxed(control.output_head, out.total_dequeued);
  store_relaxed(control.output_tail, out.total_enqueued);
  store_relaxed(control.hlc_physical, clock.last.physical);
  store_relaxed(control.hlc_logical, clock.last.logical);
  store_relaxed(telemetry.input_queue_depth,
                static_cast<std::uint32_t>(in.total_enqueued - in.total_dequeued + deferred.size()));
  store_relaxed(telemetry.output_queue_depth, static_cast<std::uint32_t>(out.total_enqueued - out.total_dequeued));
}

}  // namespace rk::cpu
