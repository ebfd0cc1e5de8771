# CUDA is optional: AUTO enables it when a CUDA compiler is found. Sets RK_HAVE_CUDA.
set(RK_HAVE_CUDA OFF)
if(NOT RK_ENABLE_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      # H100 (sm_90) is the card this project is measured on.
      set(CMAKE_CUDA_ARCHITECTURES 90)
    endif()
    enable_language(CUDA)
    # CMake 3.25 does not know that nvcc ≥ 12 speaks C++20: teach it the flag.
    if(NOT DEFINED CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
      set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
      set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
      list(APPEND CMAKE_CUDA_COMPILE_FEATURES cuda_std_20)
      list(APPEND CMAKE_CUDA20_COMPILE_FEATURES cuda_std_20)
    endif()
    set(CMAKE_CUDA_STANDARD 20)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    set(CMAKE_CUDA_EXTENSIONS OFF)
    string(APPEND CMAKE_CUDA_FLAGS " --expt-relaxed-constexpr")
    find_package(CUDAToolkit REQUIRED)
    set(RK_HAVE_CUDA ON)
    message(STATUS "RingKernel: CUDA backend enabled (${CMAKE_CUDA_COMPILER_VERSION}, sm_${CMAKE_CUDA_ARCHITECTURES})")
  elseif(RK_ENABLE_CUDA STREQUAL "ON")
    message(FATAL_ERROR "RK_ENABLE_CUDA=ON but no CUDA compiler was found")
  else()
    message(STATUS "RingKernel: no CUDA compiler found, CPU backend only")
  endif()
endif()

# rk_cuda_gates(target): the compile gates on a target's device code. ptxas reports every spill to local
# memory, and any ptxas warning fails the build. The PTX-level gates (system-scope acquire/release in every
# ring_kernel_loop, no byte-copy loops, the registers/stack/spills table from `ptxas -v`) are ctests
# labelled `gates` in tests/device/CMakeLists.txt, run by scripts/ptx_check.py; negative tests there show
# that this flag set fails a spilling kernel.
function(rk_cuda_gates target)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-Xptxas=-warn-spills,-Werror>)
endfunction()
