// Messages: the fixed 64-byte header every message carries, the ring slot that holds a header and an
// inline payload, typed messages (the RingMessage concept) and payloads passed by reference to a
// device arena when they do not fit in a slot.
#pragma once

#include "rk/core/config.hpp"
#include "rk/core/domain.hpp"
#include "rk/core/hlc.hpp"

namespace rk {

/// 128-bit message identifier. On the host a random (version 4) UUID; on the device (kernel id, counter).
struct MessageId {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  RK_HOST_DEVICE constexpr bool is_nil() const { return hi == 0 && lo == 0; }
};
RK_HOST_DEVICE constexpr bool operator==(const MessageId& a, const MessageId& b) {
  return a.hi == b.hi && a.lo == b.lo;
}
RK_HOST_DEVICE constexpr bool operator!=(const MessageId& a, const MessageId& b) { return !(a == b); }
static_assert(sizeof(MessageId) == 16);

/// The seed's four priority levels (0–255, higher is more urgent). The seed's range comments put its
/// own Normal (128) inside the High range (128–191); here the class boundaries are moved so each named
/// level falls in its own class: Low 0–63, Normal 64–159, High 160–191, Critical 192–255.
namespace priority {
inline constexpr std::uint8_t kLow = 32;       //   0 –  63: batch processing
inline constexpr std::uint8_t kNormal = 128;   //  64 – 159: default
inline constexpr std::uint8_t kHigh = 160;     // 160 – 191: interactive
inline constexpr std::uint8_t kCritical = 224; // 192 – 255: system messages
}  // namespace priority

enum class PriorityClass : std::uint8_t { Low, Normal, High, Critical };
RK_HOST_DEVICE constexpr PriorityClass priority_class(std::uint8_t p) {
  return p < 64 ? PriorityClass::Low : p < 160 ? PriorityClass::Normal : p < 192 ? PriorityClass::High
                                                                              : PriorityClass::Critical;
}

/// Kernel identifiers are dense 16-bit indices assigned by the runtime; the host is kHostKernel.
using KernelId = std::uint16_t;
inline constexpr KernelId kHostKernel = 0xFFFF;
inline constexpr KernelId kAnyKernel = 0xFFFE;
inline constexpr std::uint32_t kMaxKernels = 0xFFF0;

namespace message_flags {
inline constexpr std::uint8_t kPayloadByRef = 1u << 0;  ///< payload is a PayloadRef into an arena
inline constexpr std::uint8_t kReply = 1u << 1;         ///< a response to correlation_id
inline constexpr std::uint8_t kControl = 1u << 2;       ///< runtime control message, not for handlers
}  // namespace message_flags

/// Fixed-layout message header, 64 bytes: exactly one cache line, so a consumer that polls the slot's
/// sequence word (the last four bytes) sees the whole header arrive with one cache-line transfer.
struct alignas(16) MessageHeader {
  MessageId message_id;        ///<  0: unique id
  MessageId correlation_id;    ///< 16: request/response pairing (nil when unused)
  HlcTimestamp timestamp;      ///< 32: HLC of the send event
  std::uint32_t type_id;       ///< 48: message type (see Domain ranges)
  KernelId source_kernel;      ///< 52: sender (kHostKernel for the host)
  KernelId dest_kernel;        ///< 54: receiver
  std::uint16_t payload_size;  ///< 56: bytes of payload that follow inline (or sizeof(PayloadRef))
  std::uint8_t priority;       ///< 58: 0–255, see rk::priority
  std::uint8_t flags;          ///< 59: rk::message_flags
  std::uint32_t ring_seq;      ///< 60: owned by the ring: slot sequence number, never set by users
};
static_assert(sizeof(MessageHeader) == 64);
static_assert(offsetof(MessageHeader, message_id) == 0);
static_assert(offsetof(MessageHeader, correlation_id) == 16);
static_assert(offsetof(MessageHeader, timestamp) == 32);
static_assert(offsetof(MessageHeader, type_id) == 48);
static_assert(offsetof(MessageHeader, source_kernel) == 52);
static_assert(offsetof(MessageHeader, dest_kernel) == 54);
static_assert(offsetof(MessageHeader, payload_size) == 56);
static_assert(offsetof(MessageHeader, priority) == 58);
static_assert(offsetof(MessageHeader, flags) == 59);
static_assert(offsetof(MessageHeader, ring_seq) == 60);
static_assert(std::is_trivially_copyable_v<MessageHeader>);

/// A ring slot: header plus `SlotBytes - 64` bytes of inline payload. Rings copy only the header and
/// `payload_size` bytes, so a large slot costs nothing for small messages.
template <std::uint32_t SlotBytes>
struct alignas(kCacheLine) MessageSlot {
  static_assert(SlotBytes >= 128 && SlotBytes % kCacheLine == 0 && SlotBytes <= 65536,
                "slot size must be a multiple of 64 between 128 and 65536 bytes");
  static constexpr std::uint32_t kSlotBytes = SlotBytes;
  static constexpr std::uint32_t kPayloadCapacity = SlotBytes - sizeof(MessageHeader);

  MessageHeader header;
  std::byte payload[kPayloadCapacity];

  RK_HOST_DEVICE std::uint32_t used_bytes() const {
    const std::uint32_t p = header.payload_size;
    return static_cast<std::uint32_t>(sizeof(MessageHeader)) + (p < kPayloadCapacity ? p : kPayloadCapacity);
  }
};

/// The slot size the runtimes use: 192 bytes of inline payload.
inline constexpr std::uint32_t kDefaultSlotBytes = 256;
using Slot = MessageSlot<kDefaultSlotBytes>;
static_assert(sizeof(Slot) == kDefaultSlotBytes);
static_assert(offsetof(Slot, payload) == 64);

/// A typed message: trivially copyable (it is copied byte-wise into rings in any memory) with a
/// compile-time type id. Example: `struct Ping { static constexpr std::uint32_t kTypeId = 1; uint64_t seq; };`
template <class T>
concept RingMessage = std::is_trivially_copyable_v<T> && std::is_standard_layout_v<T> && requires {
  { T::kTypeId } -> std::convertible_to<std::uint32_t>;
};

/// A message whose type id is inside the range of its declared domain (compile-time checked).
template <class T>
concept DomainMessage = RingMessage<T> && requires {
  { T::kDomain } -> std::convertible_to<Domain>;
} && type_id_range(T::kDomain).contains(T::kTypeId);

/// A payload too large for a slot: it lives in a device arena and the slot carries this reference.
struct PayloadRef {
  std::uint64_t offset;  ///< byte offset into the arena
  std::uint64_t size;    ///< payload bytes
  std::uint32_t arena_id;
  std::uint32_t type_id;  ///< repeated so a reader can check the reference before touching memory
};
static_assert(sizeof(PayloadRef) == 24);

/// A view of an arena's memory, valid on the side that owns it (host pointer or device pointer).
struct ArenaView {
  std::byte* base = nullptr;
  std::uint64_t size = 0;
  std::uint32_t arena_id = 0;

  /// The referenced bytes, or nullptr when the reference does not lie inside this arena.
  RK_HOST_DEVICE std::byte* resolve(const PayloadRef& r) const {
    if (r.arena_id != arena_id || r.offset > size || r.size > size - r.offset) return nullptr;
    return base + r.offset;
  }
};

/// Result of decoding a typed message from a slot.
enum class DecodeStatus : std::uint8_t { Ok, WrongType, WrongSize, BadReference };

/// Fill the header fields that describe a typed payload and copy it inline. Compile error when T does
/// not fit a slot: such messages go through encode_by_ref.
template <RingMessage T, std::uint32_t N>
RK_HOST_DEVICE void encode(MessageSlot<N>& slot, const T& msg) {
  static_assert(sizeof(T) <= MessageSlot<N>::kPayloadCapacity,
                "message does not fit inline in a slot: send it by reference (encode_by_ref)");
  slot.header.type_id = static_cast<std::uint32_t>(T::kTypeId);
  slot.header.payload_size = static_cast<std::uint16_t>(sizeof(T));
  slot.header.flags = static_cast<std::uint8_t>(slot.header.flags & ~message_flags::kPayloadByRef);
  copy_aligned<alignof(T)>(slot.payload, &msg, sizeof(T));
}

/// Encode a reference to a payload the caller has already placed in an arena.
template <std::uint32_t N>
RK_HOST_DEVICE void encode_by_ref(MessageSlot<N>& slot, std::uint32_t type_id, const PayloadRef& ref) {
  slot.header.type_id = type_id;
  slot.header.payload_size = static_cast<std::uint16_t>(sizeof(PayloadRef));
  slot.header.flags = static_cast<std::uint8_t>(slot.header.flags | message_flags::kPayloadByRef);
  memcpy(slot.payload, &ref, sizeof(PayloadRef));
}

/// Decode a typed message, checking its type id and size; by-reference payloads are resolved through
/// `arena` (which may be null when the caller knows no arena: then they are rejected).
template <RingMessage T, std::uint32_t N>
RK_HOST_DEVICE DecodeStatus decode(const MessageSlot<N>& slot, T& out, const ArenaView* arena = nullptr) {
  if (slot.header.type_id != static_cast<std::uint32_t>(T::kTypeId)) return DecodeStatus::WrongType;
  if (slot.header.flags & message_flags::kPayloadByRef) {
    if (slot.header.payload_size != sizeof(PayloadRef)) return DecodeStatus::WrongSize;
    PayloadRef ref;
    memcpy(&ref, slot.payload, sizeof(ref));
    if (ref.size != sizeof(T) || ref.type_id != slot.header.type_id) return DecodeStatus::WrongSize;
    const std::byte* p = arena ? arena->resolve(ref) : nullptr;
    if (p == nullptr) return DecodeStatus::BadReference;
    memcpy(&out, p, sizeof(T));
    return DecodeStatus::Ok;
  }
  if (slot.header.payload_size != sizeof(T) || sizeof(T) > MessageSlot<N>::kPayloadCapacity)
    return DecodeStatus::WrongSize;
  copy_aligned<alignof(T)>(&out, slot.payload, sizeof(T));
  return DecodeStatus::Ok;
}

}  // namespace rk
