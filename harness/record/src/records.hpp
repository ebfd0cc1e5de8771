// Internal: the in-memory records and HDF5 compound types of /events, /devices and telemetry rows,
// shared by the writer and the reader so both always agree on field names and order.
#pragma once

#include <cstdint>

#include "hdf5_util.hpp"
#include "rk/record/rows.hpp"
#include "rk/record/table.hpp"

namespace rk::record::detail {

/// One /events row as HDF5 reads and writes it (strings are variable-length, owned elsewhere).
struct EventRecord {
  std::uint64_t wall_ns;
  std::uint64_t hlc_physical;
  std::uint32_t hlc_logical;
  std::uint32_t hlc_node;
  const char* severity;
  const char* kind;
  const char* kernel;
  const char* message;
};

/// One /devices row as HDF5 reads and writes it.
struct DeviceRecord {
  std::uint32_t index;
  const char* name;
  const char* kind;
  std::uint64_t memory_bytes;
  std::uint32_t clock_khz;
  std::uint32_t memory_clock_khz;
  std::uint32_t multiprocessor_count;
  const char* compute_capability;
  const char* cpu_model;
  std::int32_t rank;
  const char* host;
};

CompoundTypes event_types(std::string_view where);
CompoundTypes device_types(std::string_view where);
/// The fields of /telemetry/<kernel_id>/samples, in file order.
const Table<TelemetryRow>& telemetry_table();

}  // namespace rk::record::detail
