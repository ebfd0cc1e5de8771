// One run's HDF5 results file (layout: results/SCHEMA.md). Written under a private temporary
// "<path>.<pid>.<random>.tmp" while the run goes on, put in place as <path> by finish(). Every operation on the file and on the series it hands out takes
// one process-wide mutex (the HDF5 library is built without thread safety), so callers may use it from
// several threads; the intended user is the harness's single recorder thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rk/record/attr.hpp"
#include "rk/record/run_info.hpp"
#include "rk/record/series.hpp"
#include "rk/record/workload_group.hpp"

namespace rk::record {

/// Tuning of the writer; the defaults suit runs from seconds to hours.
struct WriterOptions {
  /// Buffered rows are written and the file flushed (H5Fflush) when an append finds this much time has
  /// passed since the last flush. Zero disables the automatic flush (flush() still works).
  std::chrono::milliseconds flush_interval{1000};
  /// Chunk size of latency sample datasets, in samples; appends are buffered up to one chunk.
  std::size_t latency_chunk_samples = 64 * 1024;
  /// Chunk size (rows) of throughput, telemetry, event and workload series; also their buffer size.
  std::size_t row_chunk = 4096;
  /// Deflate level 0-9 for chunked datasets (0: no compression). Shuffle is used whenever deflate is.
  int deflate_level = 1;
};

/// The results file of one run.
///
/// @code
///   auto file = ResultsFile::create("results/run.h5", info);
///   auto rtt = file.latency("round_trip");
///   rtt.append(samples);
///   file.finish(Status::complete);
/// @endcode
///
/// Safety (results/SCHEMA.md, "Life of a file"): each writer has its own temporary, created with O_EXCL and
/// locked while the writer lives; finish() fsyncs it and renames it into place without replacing a file
/// another run put there meanwhile; a file whose storage failed (ENOSPC, EIO) is never put in place.
///
/// A ResultsFile destroyed without finish() is finished as `failed` and still put in place, so what was
/// measured is never silently lost. Its `error` is the reason given to set_failure_reason(), else the
/// message of the exception being handled; destroyed by an exception still propagating (whose message
/// C++ does not show a destructor), the file waits for finish_unwound_files(reason) from whoever
/// catches it (at the latest: the next create(), or the end of the process).
class ResultsFile {
 public:
  /// Checks that `final_path` is a new name or an existing regular file (a symbolic link, device node,
  /// fifo, socket or directory there is refused: RecordError), creates missing parent directories and a
  /// private temporary "<final_path>.<pid>.<8 hex>.tmp" (O_EXCL; other runs' temporaries are never
  /// touched), and writes the root attributes with `status = "running"` and the writer's `writer_pid` and
  /// `writer_host`. Creates the empty groups /latency, /throughput, /telemetry, /workloads and the empty
  /// datasets /devices and /events.
  /// @throws RecordError naming the path when the path is refused or the directory or file cannot be created.
  [[nodiscard]] static ResultsFile create(const std::filesystem::path& final_path, const RunInfo& info,
                                          const WriterOptions& options = {});

  ResultsFile(ResultsFile&&) noexcept;
  ResultsFile& operator=(ResultsFile&&) noexcept;
  ResultsFile(const ResultsFile&) = delete;
  ResultsFile& operator=(const ResultsFile&) = delete;
  ~ResultsFile();

  /// Appends one row to /devices.
  void add_device(const DeviceInfo& device);

  /// The latency series of `probe` (created on first use; later calls return the same series).
  [[nodiscard]] LatencySeries latency(const std::string& probe);
  /// The throughput series of `probe` (created on first use).
  [[nodiscard]] ThroughputSeries throughput(const std::string& probe);
  /// The telemetry series of `kernel_id` (created on first use). Ids like "book[3]" are kept as they are;
  /// "/" is escaped (escape_name); the group's attribute `kernel_id` holds the id unescaped.
  [[nodiscard]] TelemetrySeries telemetry(const std::string& kernel_id);
  /// The event log (/events).
  [[nodiscard]] EventLog events();
  /// The group /workloads/<name> (created on first use).
  [[nodiscard]] WorkloadGroup workload(const std::string& name);
  /// The group /environment (created on first use): the machine and process the run ran on.
  [[nodiscard]] WorkloadGroup environment();

  /// Sets (or replaces) an extra root attribute.
  template <AttrConvertible T>
  void set_attr(const std::string& name, const T& value) {
    set_attr_value(name, to_attr_value(value));
  }
  void set_attr_value(const std::string& name, const AttrValue& value);

  /// Writes every buffered row and flushes the file to disk.
  void flush();

  /// Writes the summaries of every series (percentiles, rates, counts), sets `status`, `error` (when not
  /// empty; a failed run without a message gets "unspecified failure") and `finished_utc`, closes and
  /// fsyncs the file and renames it to its final path. If writing a summary fails, the file is still put in
  /// place with `status = "failed"` and the exception is rethrown.
  ///
  /// The rename replaces the file at the final path only when that is the file that was there at create()
  /// (replaces_existing()); when another run put a file there meanwhile, both are kept: this one is renamed
  /// to "<stem>.conflict-<pid>-<hex><ext>" and RecordError names it. When the file's storage failed (now or
  /// during the run: ENOSPC, EIO, ...), nothing is put in place: the temporary is removed, a file at the
  /// final path is left as it was, and RecordError names the path and the error.
  /// @throws RecordError when the file was already finished, or on any failure above.
  void finish(Status status, std::string error = {});

  /// The error a file destroyed without finish() records (instead of "not finished ...").
  void set_failure_reason(std::string reason);

  /// True until finish() (or the destructor) closed the file.
  [[nodiscard]] bool is_open() const;
  /// True when a regular file existed at the final path at create(): finish() replaces it.
  [[nodiscard]] bool replaces_existing() const;
  /// The final path (what finish() renames to).
  [[nodiscard]] const std::filesystem::path& path() const;
  /// The temporary path written while the file is open: "<path()>.<pid>.<8 hex>.tmp".
  [[nodiscard]] const std::filesystem::path& temp_path() const;

 private:
  explicit ResultsFile(std::shared_ptr<detail::FileState> state);
  std::shared_ptr<detail::FileState> state_;
};

/// Finishes, as `failed` with `reason`, every ResultsFile that was destroyed by an exception still
/// propagating (see ResultsFile): call it where that exception is caught, with its message. Returns the
/// errors of files that could not be finished (each names its file); empty when all went well.
std::vector<std::string> finish_unwound_files(std::string_view reason);

/// Whether a write to a results file failed in this process. HDF5 1.10 can then keep ids of the failed
/// file that its own exit handler closes again, and crash there (seen when the failing write came from
/// the telemetry sampler's thread): a process in that state should end with std::_Exit once everything it
/// had to say is written (the old file was kept and the temporary removed already).
bool storage_failed();

}  // namespace rk::record
