// NEGATIVE gate probe (never run): 64 live accumulators, compiled with -maxrregcount=24 so ptxas must spill.
// scripts/ptx_check.py `spill` compiles it without the gate (ptxas reports spill bytes) and then with
// -Xptxas=-warn-spills,-Werror (rk_cuda_gates' flags), which must fail: the spill gate bites.
__global__ void probe_spill(const float* in, float* out, int n) {
  float acc[64];
#pragma unroll
  for (int k = 0; k < 64; ++k) acc[k] = in[k * 33 + threadIdx.x];
  for (int i = 0; i < n; ++i) {
#pragma unroll
    for (int k = 0; k < 64; ++k) acc[k] = acc[k] * acc[(k + 1) % 64] + acc[(k + 7) % 64];
  }
  float s = 0.f;
#pragma unroll
  for (int k = 0; k < 64; ++k) s += acc[k] * static_cast<float>(k + 1);
  out[threadIdx.x] = s;
}
