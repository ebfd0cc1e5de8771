// Internal: compound types of /events, /devices and telemetry rows (see records.hpp).
#include "records.hpp"

#include <cstddef>

namespace rk::record::detail {

CompoundTypes event_types(std::string_view where) {
  Handle str = string_type();
  Handle u64 = scalar_type(ScalarType::u64, 8);
  Handle u32 = scalar_type(ScalarType::u32, 4);
  return compound_types({{"wall_ns", offsetof(EventRecord, wall_ns), u64.get()},
                         {"hlc_physical", offsetof(EventRecord, hlc_physical), u64.get()},
                         {"hlc_logical", offsetof(EventRecord, hlc_logical), u32.get()},
                         {"hlc_node", offsetof(EventRecord, hlc_node), u32.get()},
                         {"severity", offsetof(EventRecord, severity), str.get()},
                         {"kind", offsetof(EventRecord, kind), str.get()},
                         {"kernel", offsetof(EventRecord, kernel), str.get()},
                         {"message", offsetof(EventRecord, message), str.get()}},
                        sizeof(EventRecord), where);
}

CompoundTypes device_types(std::string_view where) {
  Handle str = string_type();
  Handle u64 = scalar_type(ScalarType::u64, 8);
  Handle u32 = scalar_type(ScalarType::u32, 4);
  Handle i32 = scalar_type(ScalarType::i32, 4);
  return compound_types({{"index", offsetof(DeviceRecord, index), u32.get()},
                         {"name", offsetof(DeviceRecord, name), str.get()},
                         {"kind", offsetof(DeviceRecord, kind), str.get()},
                         {"memory_bytes", offsetof(DeviceRecord, memory_bytes), u64.get()},
                         {"clock_khz", offsetof(DeviceRecord, clock_khz), u32.get()},
                         {"memory_clock_khz", offsetof(DeviceRecord, memory_clock_khz), u32.get()},
                         {"multiprocessor_count", offsetof(DeviceRecord, multiprocessor_count), u32.get()},
                         {"compute_capability", offsetof(DeviceRecord, compute_capability), str.get()},
                         {"cpu_model", offsetof(DeviceRecord, cpu_model), str.get()},
                         {"rank", offsetof(DeviceRecord, rank), i32.get()},
                         {"host", offsetof(DeviceRecord, host), str.get()}},
                        sizeof(DeviceRecord), where);
}

const Table<TelemetryRow>& telemetry_table() {
  static const Table<TelemetryRow> table = Table<TelemetryRow>{}
                                               .add("t_ns", &TelemetryRow::t_ns)
                                               .add("messages_processed", &TelemetryRow::messages_processed)
                                               .add("messages_dropped", &TelemetryRow::messages_dropped)
                                               .add("total_latency_ns", &TelemetryRow::total_latency_ns)
                                               .add("min_latency_ns", &TelemetryRow::min_latency_ns)
                                               .add("max_latency_ns", &TelemetryRow::max_latency_ns)
                                               .add("input_queue_depth", &TelemetryRow::input_queue_depth)
                                               .add("output_queue_depth", &TelemetryRow::output_queue_depth)
                                               .add("last_error", &TelemetryRow::last_error)
                                               .add("error_count", &TelemetryRow::error_count)
                                               .add("in_flight", &TelemetryRow::in_flight)
                                               .add("is_active", &TelemetryRow::is_active)
                                               .add("has_terminated", &TelemetryRow::has_terminated);
  return table;
}

}  // namespace rk::record::detail
