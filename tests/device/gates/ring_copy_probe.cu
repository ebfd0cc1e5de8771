// PTX gate probe (never run): kernels that only move rk::Slot through SpscRing and MpscRing and copy slots
// with RingCell<Slot>. scripts/ptx_check.py `bytes` requires zero 8-bit loads/stores in its PTX: slot
// copies are 16-byte words (header: three 16-byte and three 4-byte words; payload: 16-byte words), never
// bytes. Statuses are widened to int before they are stored, so only the ring code is measured.
#include "rk/core/message.hpp"
#include "rk/core/ring.hpp"

namespace {

using rk::Slot;

__global__ void probe_spsc(void* ring_mem, const Slot* in, Slot* out, int* status) {
  auto ring = rk::SpscRing<Slot>::attach(ring_mem);
  status[0] = static_cast<int>(ring.try_enqueue(*in));
  Slot tmp;
  status[1] = static_cast<int>(ring.try_dequeue(tmp));
  *out = tmp;
}

__global__ void probe_spsc_owned(void* ring_mem, const Slot* in, Slot* out, int* status, rk::RingCursor* cur) {
  auto ring = rk::SpscRing<Slot>::attach(ring_mem);
  rk::RingCursor p = cur[0];
  rk::RingCursor c = cur[1];
  status[0] = static_cast<int>(ring.try_enqueue_owned(*in, p));
  status[1] = static_cast<int>(ring.try_dequeue_owned(*out, c));
  cur[0] = p;
  cur[1] = c;
}

__global__ void probe_mpsc(void* ring_mem, const Slot* in, Slot* out, int* status) {
  auto ring = rk::MpscRing<Slot>::attach(ring_mem);
  status[threadIdx.x] = static_cast<int>(ring.try_enqueue(in[threadIdx.x]));
  if (threadIdx.x == 0) status[blockDim.x] = static_cast<int>(ring.try_dequeue(*out));
}

__global__ void probe_cell_copy(Slot* cells, const Slot* in, Slot* out) {
  using Ops = rk::RingCell<Slot>;
  Ops::write(cells[threadIdx.x], in[threadIdx.x]);
  Ops::read(out[threadIdx.x], cells[threadIdx.x]);
}

}  // namespace

// Referenced so the kernels are emitted (the PTX of an unused internal kernel may be dropped).
void* rk_gate_ring_copy_probes[] = {reinterpret_cast<void*>(&probe_spsc), reinterpret_cast<void*>(&probe_spsc_owned),
                                    reinterpret_cast<void*>(&probe_mpsc), reinterpret_cast<void*>(&probe_cell_copy)};
