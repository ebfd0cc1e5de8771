// NEGATIVE gate probe (never run): copies a slot's payload through the ring and then byte by byte, as a
// plain memcpy of `payload_size` bytes does on the GPU. scripts/ptx_check.py must FAIL on its PTX (`bytes`
// and the byte-copy-loop part of `loop`); the ctest expects that failure, showing the gate bites.
#include "rk/core/message.hpp"
#include "rk/core/ring.hpp"

namespace {

__global__ void probe_byte_loop(void* ring_mem, rk::Slot* out, int* status) {
  auto ring = rk::SpscRing<rk::Slot>::attach(ring_mem);
  rk::Slot in;
  status[0] = static_cast<int>(ring.try_dequeue(in));
  out->header = in.header;
  memcpy(out->payload, in.payload, in.header.payload_size);  // the byte loop the gate must catch
  status[1] = static_cast<int>(ring.try_enqueue(*out));
}

}  // namespace

void* rk_gate_byte_loop_probe = reinterpret_cast<void*>(&probe_byte_loop);
