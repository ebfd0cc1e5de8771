// The generic writer for /workloads/<name>/...: a workload stores its own arrays, strings, tables and
// attributes here without the writer knowing what they mean (each workload's issue defines its layout).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rk/record/attr.hpp"
#include "rk/record/table.hpp"

namespace rk::record {

class ResultsFile;
class WorkloadGroup;

namespace detail {
struct FileState;
class RowSeriesState;
void append_rows(const std::shared_ptr<FileState>& file, const std::shared_ptr<RowSeriesState>& state,
                 const void* rows, std::size_t count, std::size_t row_size);
std::uint64_t row_count(const std::shared_ptr<FileState>& file, const std::shared_ptr<RowSeriesState>& state);
}  // namespace detail

/// An appendable compound dataset of Row (one row per append), created by WorkloadGroup::begin_series().
/// Rows are buffered and written in chunks like every other series.
template <class Row>
class TableSeries {
 public:
  TableSeries() = default;
  void append(const Row& row) { detail::append_rows(file_, state_, &row, 1, sizeof(Row)); }
  void append(std::span<const Row> rows) { detail::append_rows(file_, state_, rows.data(), rows.size(), sizeof(Row)); }
  [[nodiscard]] std::uint64_t count() const { return detail::row_count(file_, state_); }

 private:
  friend class WorkloadGroup;
  TableSeries(std::shared_ptr<detail::FileState> file, std::shared_ptr<detail::RowSeriesState> state)
      : file_(std::move(file)), state_(std::move(state)) {}
  std::shared_ptr<detail::FileState> file_;
  std::shared_ptr<detail::RowSeriesState> state_;
};

/// An appendable 1-D dataset of T, created by WorkloadGroup::begin_values().
template <class T>
class ValueSeries {
 public:
  ValueSeries() = default;
  void append(T value) { detail::append_rows(file_, state_, &value, 1, sizeof(T)); }
  void append(std::span<const T> values) { detail::append_rows(file_, state_, values.data(), values.size(), sizeof(T)); }
  [[nodiscard]] std::uint64_t count() const { return detail::row_count(file_, state_); }

 private:
  friend class WorkloadGroup;
  ValueSeries(std::shared_ptr<detail::FileState> file, std::shared_ptr<detail::RowSeriesState> state)
      : file_(std::move(file)), state_(std::move(state)) {}
  std::shared_ptr<detail::FileState> file_;
  std::shared_ptr<detail::RowSeriesState> state_;
};

/// A group under /workloads (or below it). Names given here are escaped with escape_name(). Writing a
/// dataset whose name already exists throws RecordError. Arrays of 1024 elements or more are stored
/// chunked with shuffle + deflate; smaller ones contiguously.
class WorkloadGroup {
 public:
  WorkloadGroup() = default;

  void write_f64(const std::string& name, std::span<const double> values) { write_array(name, values); }
  void write_f32(const std::string& name, std::span<const float> values) { write_array(name, values); }
  void write_u64(const std::string& name, std::span<const std::uint64_t> values) { write_array(name, values); }
  void write_u32(const std::string& name, std::span<const std::uint32_t> values) { write_array(name, values); }
  void write_i64(const std::string& name, std::span<const std::int64_t> values) { write_array(name, values); }
  void write_i32(const std::string& name, std::span<const std::int32_t> values) { write_array(name, values); }

  /// Writes a 1-D dataset of any arithmetic T (bool included).
  template <class T>
    requires detail::is_value_type_v<T>
  void write_array(const std::string& name, std::span<const T> values) {
    write_array_raw(name, scalar_type_of<T>(), sizeof(T), values.data(), values.size());
  }

  /// Writes a 1-D dataset of variable-length UTF-8 strings (h5py: `ds.asstr()[:]`).
  void write_strings(const std::string& name, const std::vector<std::string>& values);

  /// Writes rows as a 1-D compound dataset with the fields `table` lists.
  template <class Row>
  void write_table(const std::string& name, const Table<Row>& table, std::span<const Row> rows) {
    write_table_raw(name, table.columns(), sizeof(Row), rows.data(), rows.size());
  }

  /// Creates an appendable compound dataset (e.g. one row per iteration).
  template <class Row>
  [[nodiscard]] TableSeries<Row> begin_series(const std::string& name, const Table<Row>& table) {
    return TableSeries<Row>(file_, begin_series_raw(name, &table.columns(), ScalarType::u8, sizeof(Row)));
  }

  /// Creates an appendable 1-D dataset of T.
  template <class T>
    requires detail::is_value_type_v<T>
  [[nodiscard]] ValueSeries<T> begin_values(const std::string& name) {
    return ValueSeries<T>(file_, begin_series_raw(name, nullptr, scalar_type_of<T>(), sizeof(T)));
  }

  /// Sets (or replaces) an attribute of this group.
  template <AttrConvertible T>
  void set_attr(const std::string& name, const T& value) {
    set_attr_value(name, to_attr_value(value));
  }
  void set_attr_value(const std::string& name, const AttrValue& value);

  /// Opens or creates the subgroup `name` of this group.
  [[nodiscard]] WorkloadGroup group(const std::string& name);

  /// HDF5 path of this group, e.g. "/workloads/pagerank".
  [[nodiscard]] const std::string& path() const { return path_; }

  /// A compound dataset from rows described at run time (columns: name, offset, type, size).
  void write_table_raw(const std::string& name, const std::vector<Column>& columns, std::size_t row_size,
                       const void* rows, std::size_t count);

 private:
  friend class ResultsFile;
  WorkloadGroup(std::shared_ptr<detail::FileState> file, std::string path);
  void write_array_raw(const std::string& name, ScalarType type, std::size_t element_size, const void* data,
                       std::size_t count);

  std::shared_ptr<detail::RowSeriesState> begin_series_raw(const std::string& name, const std::vector<Column>* columns,
                                                           ScalarType value_type, std::size_t row_size);

  std::shared_ptr<detail::FileState> file_;
  std::string path_;
};

}  // namespace rk::record
