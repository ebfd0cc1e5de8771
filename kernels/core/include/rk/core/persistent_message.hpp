// Persistent messages and type-based dispatch (seed section 9): a message type names the handler that
// serves it and whether it expects a response; a DispatchTable is itself a ring-kernel handler that
// routes each message to the sub-handler for its type and sends the response back. Single-source and
// device-friendly: the table is resolved at compile time, no heap, no virtual calls.
#pragma once

#include "rk/core/context.hpp"
#include "rk/core/message.hpp"

namespace rk {

/// Identifies the handler a persistent message is dispatched to.
struct HandlerId {
  std::uint32_t value = 0;
  constexpr bool operator==(const HandlerId&) const = default;
};

/// A message with a handler id and a response flag. `Response` names the reply type (void when none).
template <class T>
concept PersistentMessage = RingMessage<T> && requires {
  { T::kHandlerId } -> std::convertible_to<std::uint32_t>;
  { T::kRequiresResponse } -> std::convertible_to<bool>;
  typename T::Response;
} && (!T::kRequiresResponse || RingMessage<typename T::Response>);

/// A sub-handler of a DispatchTable: `using Message = M;` and either
/// `Response handle(Ctx&, const M&, const MessageHeader&)` (when M requires a response) or
/// `void handle(Ctx&, const M&, const MessageHeader&)`.
template <class H>
concept DispatchHandler = PersistentMessage<typename H::Message>;

/// Counters a DispatchTable keeps (per kernel).
struct DispatchStats {
  std::uint64_t dispatched = 0;
  std::uint64_t responses = 0;
  std::uint64_t unknown = 0;        ///< messages whose type no sub-handler serves
  std::uint64_t decode_errors = 0;  ///< right type, wrong size or bad reference
  std::uint64_t response_failures = 0;
};

/// Routes each message to the sub-handler whose Message::kTypeId matches the header's type id.
/// Global thread 0 decodes and replies; every thread of the kernel calls the sub-handler, so
/// sub-handlers may use the kernel's threads and barriers.
template <DispatchHandler... Hs>
class DispatchTable {
 public:
  DispatchTable() = default;
  explicit DispatchTable(Hs... hs) : handlers_(hs...) {}

  template <class Ctx>
  RK_HOST_DEVICE void operator()(Ctx& ctx, const Slot& in) {
    bool served = false;
    dispatch_each<0>(ctx, in, served);
    if (!served && ctx.global_thread_id() == 0) {
      ++stats_.unknown;
      ctx.report_error();
    }
  }

  RK_HOST_DEVICE const DispatchStats& stats() const { return stats_; }
  template <std::size_t I>
  RK_HOST_DEVICE auto& handler() {
    return get<I>(handlers_);
  }
  /// True when a sub-handler serves messages of `type_id`.
  RK_HOST_DEVICE static constexpr bool serves(std::uint32_t type_id) {
    return ((Hs::Message::kTypeId == type_id) || ...);
  }
  static_assert(sizeof...(Hs) > 0, "a dispatch table needs at least one handler");

 private:
  // A minimal tuple usable in device code.
  template <std::size_t I, class... Ts>
  struct Storage;
  template <std::size_t I>
  struct Storage<I> {
    Storage() = default;
  };
  template <std::size_t I, class T, class... Ts>
  struct Storage<I, T, Ts...> : Storage<I + 1, Ts...> {
    T value{};
    Storage() = default;
    RK_HOST_DEVICE Storage(T v, Ts... rest) : Storage<I + 1, Ts...>(rest...), value(v) {}
  };
  template <std::size_t I, class T, class... Ts>
  RK_HOST_DEVICE static T& get_impl(Storage<I, T, Ts...>& s) {
    return s.value;
  }
  template <std::size_t I, class S>
  RK_HOST_DEVICE static auto& get(S& s) {
    return get_impl<I>(s);
  }

  template <std::size_t I, class Ctx>
  RK_HOST_DEVICE void dispatch_each(Ctx& ctx, const Slot& in, bool& served) {
    if constexpr (I < sizeof...(Hs)) {
      auto& h = get<I>(handlers_);
      using H = std::remove_reference_t<decltype(h)>;
      using M = typename H::Message;
      if (in.header.type_id == M::kTypeId) {
        served = true;
        M msg{};
        if (decode(in, msg) != DecodeStatus::Ok) {
          if (ctx.global_thread_id() == 0) {
            ++stats_.decode_errors;
            ctx.report_error();
          }
          return;
        }
        if constexpr (M::kRequiresResponse) {
          auto response = h.handle(ctx, msg, in.header);
          if (ctx.global_thread_id() == 0) {
            ++stats_.dispatched;
            Slot out{};
            make_reply_header(in.header, ctx.kernel_id(), out.header);
            encode(out, response);
            if (ctx.enqueue_output(out)) ++stats_.responses;
            else ++stats_.response_failures;
          }
        } else {
          h.handle(ctx, msg, in.header);
          if (ctx.global_thread_id() == 0) ++stats_.dispatched;
        }
        return;
      }
      dispatch_each<I + 1>(ctx, in, served);
    }
  }

  Storage<0, Hs...> handlers_;
  DispatchStats stats_{};
};

}  // namespace rk
