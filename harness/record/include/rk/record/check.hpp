// What `ringkernel check` says about results files: the status a file records, whether it can be read,
// and, for a file still marked `running`, whether its writer is alive or the file was abandoned by a run
// that was killed. Also finds a results path's temporaries left by such runs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace rk::record {

/// The verdict on one file.
enum class Verdict : std::uint8_t {
  complete,     ///< status "complete", and every object could be read
  interrupted,  ///< status "interrupted" (readable)
  failed,       ///< status "failed" (readable); `detail` holds its `error`
  running,      ///< being written: its writer holds it locked, or its writer process is alive
  abandoned,    ///< never finished, and its writer is gone (a killed run's temporary)
  unreadable,   ///< not a results file HDF5 can read completely (truncated, corrupt, not HDF5)
  missing,      ///< no such file
  not_a_file,   ///< a directory or another non-regular file
};

/// "complete", "interrupted", "failed", "running", "abandoned", "unreadable", "missing", "not a file".
[[nodiscard]] std::string_view to_string(Verdict verdict);

/// How far check_results_file reads.
enum class CheckDepth : std::uint8_t {
  attributes,  ///< opens the file and reads its root attributes
  everything,  ///< also reads every dataset from end to end
};

/// What check_results_file found.
struct FileReport {
  std::filesystem::path path;
  Verdict verdict = Verdict::unreadable;
  std::string status;         ///< the file's `status` attribute; empty when it could not be read
  bool read = false;          ///< the file was opened (a file its writer holds locked is not)
  bool readable = false;      ///< opened and read to the depth asked without an error
  std::string detail;         ///< why: the `error` attribute, HDF5's error, what is known about the writer
  std::int64_t writer_pid = 0;  ///< `writer_pid` (or the pid in a temporary's name); 0 when unknown
  std::string writer_host;    ///< `writer_host`; empty when unknown

  /// Complete and readable: the only verdict `ringkernel check` exits 0 for.
  [[nodiscard]] bool ok() const { return verdict == Verdict::complete && readable; }
  /// One line: "<path>: <verdict> (<readable|unreadable|not read>)[: <detail>]".
  [[nodiscard]] std::string describe() const;
};

/// Checks one file. Never throws for a bad file (that is the verdict); throws std::bad_alloc at most.
/// A file its writer holds locked is not opened (HDF5 cannot read a file in the middle of a write safely).
[[nodiscard]] FileReport check_results_file(const std::filesystem::path& path,
                                            CheckDepth depth = CheckDepth::everything);

/// The temporaries of the results file `final_path` ("<final_path>.<pid>.<hex>.tmp", and the
/// "<final_path>.tmp" of older writers) whose writer is not running any more, checked to
/// CheckDepth::attributes. Empty when the directory cannot be listed.
[[nodiscard]] std::vector<FileReport> abandoned_temporaries(const std::filesystem::path& final_path);

}  // namespace rk::record
