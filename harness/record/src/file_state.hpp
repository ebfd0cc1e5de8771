// Internal state of an open results file and of the series it hands out. Every member function here is
// called with detail::ApiLock held.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "hdf5_util.hpp"
#include "rk/record/results_file.hpp"
#include "rk/record/rows.hpp"

namespace rk::record::detail {

struct FileState;

/// A 1-D dataset that grows by appends.
class AppendDataset {
 public:
  AppendDataset() = default;
  AppendDataset(Handle dataset, Handle memory_type, std::string path)
      : dataset_(std::move(dataset)), memory_type_(std::move(memory_type)), path_(std::move(path)) {}

  void write(const void* rows, std::size_t count, const FileState& file);
  [[nodiscard]] hsize_t rows() const { return rows_; }
  [[nodiscard]] hid_t id() const { return dataset_.get(); }
  [[nodiscard]] hid_t memory_type() const { return memory_type_.get(); }
  [[nodiscard]] const std::string& path() const { return path_; }
  void close() noexcept {
    dataset_.reset();
    memory_type_.reset();
  }

 private:
  Handle dataset_;
  Handle memory_type_;
  std::string path_;
  hsize_t rows_ = 0;
};

/// Something the file finalizes at finish(): buffered rows to write and summary attributes.
class SeriesState {
 public:
  explicit SeriesState(FileState& file) : file_(file) {}
  virtual ~SeriesState() = default;
  SeriesState(const SeriesState&) = delete;
  SeriesState& operator=(const SeriesState&) = delete;

  /// Writes buffered rows to the file.
  virtual void flush_buffers() = 0;
  /// Flushes and writes summary attributes.
  virtual void finalize() = 0;
  /// Releases every HDF5 id (no more writes after this).
  virtual void close() noexcept = 0;

 protected:
  FileState& file_;
};

class LatencyState final : public SeriesState {
 public:
  LatencyState(FileState& file, const std::string& group_path, const std::string& probe);
  void append(std::span<const std::uint64_t> samples);
  [[nodiscard]] std::uint64_t count() const { return count_; }
  void flush_buffers() override;
  void finalize() override;
  void close() noexcept override { data_.close(); }

 private:
  AppendDataset data_;
  std::size_t chunk_;
  std::vector<std::uint64_t> buffer_;
  std::vector<std::uint64_t> histogram_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
  unsigned __int128 sum_ = 0;
};

class ThroughputState final : public SeriesState {
 public:
  ThroughputState(FileState& file, std::string group_path, const std::string& probe);
  void append(std::uint64_t t_ns, std::uint64_t messages, std::uint64_t bytes);
  [[nodiscard]] std::uint64_t count() const { return count_; }
  void flush_buffers() override;
  void finalize() override;
  void close() noexcept override;

 private:
  std::string group_path_;
  AppendDataset t_ns_;
  AppendDataset messages_;
  AppendDataset bytes_;
  std::vector<std::uint64_t> t_buffer_;
  std::vector<std::uint64_t> messages_buffer_;
  std::vector<std::uint64_t> bytes_buffer_;
  std::uint64_t count_ = 0;
  std::uint64_t first_t_ = 0;
  std::uint64_t last_t_ = 0;
  std::uint64_t first_messages_ = 0;
  std::uint64_t first_bytes_ = 0;
  std::uint64_t total_messages_ = 0;
  std::uint64_t total_bytes_ = 0;
};

/// Fixed-size rows (telemetry, workload series) buffered as bytes.
class RowSeriesState final : public SeriesState {
 public:
  RowSeriesState(FileState& file, AppendDataset data, std::size_t row_size);
  void append(const void* rows, std::size_t count, std::size_t row_size);
  [[nodiscard]] std::uint64_t count() const { return data_.rows() + buffer_.size() / row_size_; }
  void flush_buffers() override;
  void finalize() override { flush_buffers(); }
  void close() noexcept override { data_.close(); }

 private:
  AppendDataset data_;
  std::size_t row_size_;
  std::vector<unsigned char> buffer_;
};

class EventState final : public SeriesState {
 public:
  explicit EventState(FileState& file);
  void append(const Event& event);
  [[nodiscard]] std::uint64_t count() const { return data_.rows() + buffer_.size(); }
  void flush_buffers() override;
  void finalize() override { flush_buffers(); }
  void close() noexcept override { data_.close(); }

 private:
  AppendDataset data_;
  std::vector<Event> buffer_;
};

struct FileState {
  FileState() = default;
  FileState(const FileState&) = delete;
  FileState& operator=(const FileState&) = delete;
  ~FileState();

  std::filesystem::path final_path;
  std::filesystem::path temp_path;
  WriterOptions options;
  Handle file;
  Handle lcpl;
  bool open = false;
  std::map<std::string, std::shared_ptr<SeriesState>> series;  ///< Keyed by HDF5 path.
  std::shared_ptr<EventState> events;
  AppendDataset devices;
  std::chrono::steady_clock::time_point last_flush;
  /// This writer's descriptor of the temporary: holds the lock that tells `check` the writer is alive,
  /// fsync'ed before the rename, closed after it.
  int temp_fd = -1;
  /// What lstat() said about final_path when the file was created.
  bool target_existed = false;
  dev_t target_device = 0;
  ino_t target_inode = 0;
  /// The first failure of the file's storage (or of writing its final status). Once set, nothing more is
  /// written, and finish() removes the temporary instead of putting it in place.
  std::string write_failure;
  /// Why the run failed, for a file destroyed without finish() (ResultsFile::set_failure_reason).
  std::string failure_reason;

  /// "'<object>' in '<temp file>'", the location part of error messages.
  [[nodiscard]] std::string where(std::string_view object) const;
  /// Throws RecordError when the file is no longer open, or when an earlier write failed.
  void require_open(std::string_view operation) const;
  /// Flushes everything when the flush interval has passed.
  void after_append();
  void flush_all();
  void finish(Status status, std::string error);
  /// Records the first storage failure (noexcept: called while unwinding).
  void mark_write_failed(const std::string& message) noexcept;

  /// The series registered at `path`, or the one `make()` returns (registered there).
  template <class State, class Make>
  std::shared_ptr<State> find_or_make(const std::string& path, Make&& make) {
    if (auto it = series.find(path); it != series.end()) {
      auto state = std::dynamic_pointer_cast<State>(it->second);
      if (!state) throw RecordError(where(path) + " is already used by another kind of series");
      return state;
    }
    std::shared_ptr<State> state = make();
    series.emplace(path, state);
    return state;
  }

 private:
  void close_all(std::exception_ptr& failure) noexcept;
  /// Removes the temporary of a file whose storage failed and closes temp_fd.
  void discard_temporary() noexcept;
  /// Renames the finished temporary to final_path without replacing a file another run put there.
  void install();
};

/// Declared after an ApiLock in every operation that writes to a file: when an HDF5 storage error
/// (throw_hdf5) happened during the operation, the file is marked as failed (FileState::write_failure).
class IoWatch {
 public:
  explicit IoWatch(FileState& file) : file_(file), start_(io_failure_count()) {}
  IoWatch(const IoWatch&) = delete;
  IoWatch& operator=(const IoWatch&) = delete;
  ~IoWatch() {
    if (io_failure_count() != start_) file_.mark_write_failed(last_io_failure());
  }

 private:
  FileState& file_;
  std::uint64_t start_;
};

}  // namespace rk::record::detail
