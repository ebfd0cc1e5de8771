// Read-back of results files in C++, for golden tests and tools that check a run's output. Analysts use
// h5py (results/SCHEMA.md); this mirrors what they see. Object paths are HDF5 paths ("/latency/rtt/samples_ns").
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "rk/record/rows.hpp"
#include "rk/record/run_info.hpp"
#include "rk/record/table.hpp"

namespace rk::record {

/// A results file opened read-only. Every failure throws RecordError naming the object and the file.
class ResultsReader {
 public:
  explicit ResultsReader(const std::filesystem::path& path);
  ResultsReader(ResultsReader&&) noexcept;
  ResultsReader& operator=(ResultsReader&&) noexcept;
  ~ResultsReader();

  /// True when every link of `object_path` exists.
  [[nodiscard]] bool has(const std::string& object_path) const;
  [[nodiscard]] bool has_attr(const std::string& object_path, const std::string& name) const;
  /// The link names in a group (escaped as stored: rk::record::unescape_name gives the original), sorted.
  [[nodiscard]] std::vector<std::string> members(const std::string& group_path) const;

  /// Attribute readers; numbers are converted by HDF5 to the requested type.
  [[nodiscard]] std::string string_attr(const std::string& object_path, const std::string& name) const;
  [[nodiscard]] std::vector<std::string> string_array_attr(const std::string& object_path, const std::string& name) const;
  [[nodiscard]] std::uint64_t u64_attr(const std::string& object_path, const std::string& name) const;
  [[nodiscard]] std::int64_t i64_attr(const std::string& object_path, const std::string& name) const;
  [[nodiscard]] double f64_attr(const std::string& object_path, const std::string& name) const;
  [[nodiscard]] bool bool_attr(const std::string& object_path, const std::string& name) const;

  /// Number of elements of a 1-D dataset.
  [[nodiscard]] std::uint64_t length(const std::string& dataset_path) const;

  /// Reads a whole 1-D numeric dataset converted to T.
  template <class T>
    requires detail::is_value_type_v<T>
  [[nodiscard]] std::vector<T> read_array(const std::string& dataset_path) const {
    std::vector<T> out(length(dataset_path));
    read_raw(dataset_path, scalar_type_of<T>(), sizeof(T), nullptr, out.data());
    return out;
  }
  [[nodiscard]] std::vector<std::string> read_strings(const std::string& dataset_path) const;

  /// Reads the fields `table` names from a compound dataset into Row structs (other members stay {}).
  template <class Row>
  [[nodiscard]] std::vector<Row> read_table(const std::string& dataset_path, const Table<Row>& table) const {
    std::vector<Row> out(length(dataset_path));
    read_raw(dataset_path, ScalarType::u8, sizeof(Row), &table.columns(), out.data());
    return out;
  }

  [[nodiscard]] std::vector<TelemetryRow> read_telemetry(const std::string& kernel_id) const;
  [[nodiscard]] std::vector<Event> read_events() const;
  [[nodiscard]] std::vector<DeviceInfo> read_devices() const;

 private:
  struct Impl;
  void read_raw(const std::string& dataset_path, ScalarType type, std::size_t element_size,
                const std::vector<Column>* columns, void* out) const;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rk::record
