// What a results file says about the run as a whole: the root attributes (RunInfo), the /devices rows
// (DeviceInfo) and the final status. Plain structs: the harness fills them, the writer stores them.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace rk::record {

/// Value of the root attribute `format`.
inline constexpr std::string_view format_name = "ringkernel-results";
/// Value of the root attribute `format_version` (see results/SCHEMA.md for what each version holds).
inline constexpr std::string_view format_version = "1.4";

/// How a run ended; stored as the root attribute `status`. While the file is being written (under its
/// `.tmp` name) `status` is "running".
enum class Status : std::uint8_t { complete, interrupted, failed };

/// "complete", "interrupted" or "failed".
[[nodiscard]] std::string_view to_string(Status status);

/// Facts about the run, written as root attributes when the file is created.
struct RunInfo {
  std::string scenario_yaml;          ///< The scenario as YAML text, after --set overrides.
  std::vector<std::string> argv;      ///< The command line, one element per argument.
  std::string backend;                ///< "cpu", "cuda", ...
  std::uint32_t device_count = 0;
  std::string started_utc;            ///< ISO-8601 UTC ("2024-05-01T12:00:00.000Z"); now when empty.
  std::string git_revision;
  bool git_dirty = false;
  std::string hostname;               ///< gethostname() when empty.
  std::string build_type;             ///< CMAKE_BUILD_TYPE of the executable.
  /// Library versions, stored as attributes `version_<key>` (e.g. {"cuda", "12.4"}). `hdf5` is always
  /// filled from the HDF5 library the writer runs with, replacing any value given here.
  std::map<std::string, std::string> versions;
};

/// One row of /devices. Fields that do not apply to a device are left empty / zero.
struct DeviceInfo {
  std::uint32_t index = 0;            ///< Device index within the run (0-based).
  std::string name;                   ///< Product name, e.g. "NVIDIA H100 80GB HBM3" or "cpu-sim-0".
  std::string kind;                   ///< "cpu-simulated" or "cuda".
  std::uint64_t memory_bytes = 0;     ///< Global memory (GPU) or memory available to the device (CPU).
  std::uint32_t clock_khz = 0;        ///< SM clock (GPU) or nominal CPU clock.
  std::uint32_t memory_clock_khz = 0; ///< GPU memory clock; 0 for CPU devices.
  std::uint32_t multiprocessor_count = 0;  ///< SMs (GPU) or worker threads (CPU backend).
  std::string compute_capability;     ///< "9.0"; empty for CPU devices.
  std::string cpu_model;              ///< Host CPU model string.
  std::int32_t rank = 0;              ///< MPI rank owning the device (0 without MPI).
  std::string host;                   ///< Host name of that rank.
};

/// Formats a time point as ISO-8601 UTC with milliseconds: "2024-05-01T12:00:00.123Z".
[[nodiscard]] std::string utc_timestamp(std::chrono::system_clock::time_point when = std::chrono::system_clock::now());

}  // namespace rk::record
