// ResultsFile: creating the run's private temporary with its root attributes, handing out series, and
// finishing (summaries, status, close, fsync, the no-clobber rename; a file whose storage failed is removed).
#include "rk/record/results_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <system_error>

#include "file_ops.hpp"
#include "file_state.hpp"
#include "records.hpp"
#include "rk/record/names.hpp"

namespace rk::record {
namespace detail {
namespace {

/// POSIX-shell quoting, so `command_line` can be pasted back into a shell.
std::string shell_quote(const std::string& arg) {
  if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=./:,@%") ==
                          std::string::npos) {
    return arg;
  }
  std::string quoted = "'";
  for (const char c : arg) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

std::string join_command_line(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& arg : argv) {
    if (!line.empty()) line += ' ';
    line += shell_quote(arg);
  }
  return line;
}

void write_run_info(FileState& state, const RunInfo& info) {
  const hid_t root = state.file.get();
  const std::string where = state.where("/");
  write_attr(root, "format", std::string(format_name), where);
  write_attr(root, "format_version", std::string(format_version), where);
  write_attr(root, "status", std::string("running"), where);
  write_attr(root, "scenario", info.scenario_yaml, where);
  write_string_array_attr(root, "argv", info.argv, where);
  write_attr(root, "command_line", join_command_line(info.argv), where);
  write_attr(root, "backend", info.backend, where);
  write_attr(root, "device_count", std::uint64_t{info.device_count}, where);
  write_attr(root, "started_utc", info.started_utc.empty() ? utc_timestamp() : info.started_utc, where);
  write_attr(root, "git_revision", info.git_revision, where);
  write_attr(root, "git_dirty", info.git_dirty, where);
  write_attr(root, "hostname", info.hostname.empty() ? local_hostname() : info.hostname, where);
  write_attr(root, "build_type", info.build_type, where);
  auto versions = info.versions;
  versions["hdf5"] = hdf5_version();
  for (const auto& [library, version] : versions) write_attr(root, "version_" + library, version, where);
  write_attr(root, "writer_pid", static_cast<std::int64_t>(::getpid()), where);
  write_attr(root, "writer_host", local_hostname(), where);
}

/// Files destroyed by a propagating exception, waiting for finish_unwound_files() (ResultsFile).
struct UnwoundFiles {
  std::vector<std::shared_ptr<FileState>> files;
  UnwoundFiles() = default;
  UnwoundFiles(const UnwoundFiles&) = delete;
  UnwoundFiles& operator=(const UnwoundFiles&) = delete;
  /// At the end of the process (before HDF5's own atexit clean-up, registered earlier): nobody said why.
  ~UnwoundFiles() {
    try {
      ApiLock lock;
      finish_all("not finished: ResultsFile destroyed while an exception was propagating (the harness did not "
                 "record its message)");
    } catch (...) {
    }
  }
  /// Called with ApiLock held.
  std::vector<std::string> finish_all(const std::string& reason) noexcept {
    std::vector<std::string> errors;
    std::vector<std::shared_ptr<FileState>> pending;
    pending.swap(files);
    for (const auto& state : pending) {
      try {
        if (state->open) state->finish(Status::failed, reason);
      } catch (const std::exception& e) {
        try {
          errors.emplace_back(e.what());
        } catch (...) {
        }
      } catch (...) {
      }
    }
    return errors;
  }
};

UnwoundFiles& unwound_files() {
  static UnwoundFiles files;
  return files;
}

}  // namespace

std::string FileState::where(std::string_view object) const {
  return "'" + std::string(object) + "' in '" + temp_path.string() + "'";
}

FileState::~FileState() {
  if (temp_fd >= 0) ::close(temp_fd);
}

void FileState::require_open(std::string_view operation) const {
  if (!open) {
    throw RecordError(std::string(operation) + ": results file '" + final_path.string() + "' is already finished");
  }
  if (!write_failure.empty()) {
    throw RecordError(std::string(operation) + ": results file '" + final_path.string() +
                      "' cannot be written any more, an earlier write failed: " + write_failure);
  }
}

void FileState::mark_write_failed(const std::string& message) noexcept {
  if (!write_failure.empty()) return;
  try {
    write_failure = message.empty() ? std::string("a write failed") : message;
  } catch (...) {
  }
}

void FileState::after_append() {
  if (options.flush_interval.count() <= 0) return;
  if (std::chrono::steady_clock::now() - last_flush >= options.flush_interval) flush_all();
}

void FileState::flush_all() {
  for (auto& [path, series_state] : series) series_state->flush_buffers();
  check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "H5Fflush", where("/"));
  last_flush = std::chrono::steady_clock::now();
}

void FileState::close_all(std::exception_ptr& failure) noexcept {
  for (auto& [path, series_state] : series) series_state->close();
  devices.close();
  lcpl.reset();
  try {
    const ssize_t leaked = H5Fget_obj_count(
        file.get(), H5F_OBJ_LOCAL | H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_DATATYPE | H5F_OBJ_ATTR);
    if (leaked != 0 && !failure) {
      failure = std::make_exception_ptr(
          RecordError("internal error: " + std::to_string(leaked) + " HDF5 objects still open at close of " + where("/")));
    }
    file.close_checked("H5Fclose", where("/"));
  } catch (const std::exception& e) {
    mark_write_failed(e.what());
    if (!failure) failure = std::current_exception();
  } catch (...) {
    mark_write_failed("H5Fclose failed");
    if (!failure) failure = std::current_exception();
  }
  open = false;
  series.clear();
  events.reset();
}

void FileState::discard_temporary() noexcept {
  ::unlink(temp_path.c_str());
  if (temp_fd >= 0) ::close(temp_fd);
  temp_fd = -1;
}

void FileState::install() {
  const auto give_up = [&](const std::string& what, int err) {
    throw RecordError(what + ": " + errno_text(err) + "; this run's results are kept in '" + temp_path.string() + "'");
  };
  bool replace = false;
  struct stat st {};
  if (::lstat(final_path.c_str(), &st) == 0) {
    replace = target_existed && S_ISREG(st.st_mode) && st.st_dev == target_device && st.st_ino == target_inode;
  }
  if (replace) {
    // The file that was there when this run started: replacing it is what the run was asked to do.
    if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
      give_up("rename of '" + temp_path.string() + "' to '" + final_path.string() + "' failed", errno);
    }
  } else {
    const int err = rename_no_replace(temp_path, final_path);
    if (err == EEXIST) {
      // Another run (or someone) put a file there while this one ran: keep both.
      for (int attempt = 0;; ++attempt) {
        const std::filesystem::path kept = conflict_name(final_path);
        const int e = rename_no_replace(temp_path, kept);
        if (e == 0) {
          sync_directory(final_path.parent_path());
          throw RecordError("results file '" + final_path.string() + "' was " +
                            (target_existed ? "replaced" : "created") +
                            " by another run while this run was going; it was left as it is, and this run's "
                            "results were kept in '" + kept.string() + "'");
        }
        if (e != EEXIST || attempt >= 8) give_up("rename of '" + temp_path.string() + "' to '" + kept.string() + "' failed", e);
      }
    }
    if (err != 0) give_up("rename of '" + temp_path.string() + "' to '" + final_path.string() + "' failed", err);
  }
  sync_directory(final_path.parent_path());
}

void FileState::finish(Status status, std::string error) {
  std::exception_ptr failure;
  const std::uint64_t io_before = io_failure_count();
  const auto note_io_failure = [&] {
    if (io_failure_count() != io_before) mark_write_failed(last_io_failure());
  };
  if (write_failure.empty()) {
    for (auto& [path, series_state] : series) {
      try {
        series_state->finalize();
      } catch (const std::exception& e) {
        if (!failure) failure = std::current_exception();
        status = Status::failed;
        error += error.empty() ? "" : "; ";
        error += std::string("writing results: ") + e.what();
      }
    }
    note_io_failure();
  }
  if (status == Status::failed && error.empty()) error = "unspecified failure";
  if (write_failure.empty()) {
    try {
      const std::string at = where("/");
      write_attr(file.get(), "status", std::string(to_string(status)), at);
      if (!error.empty()) write_attr(file.get(), "error", error, at);
      write_attr(file.get(), "finished_utc", utc_timestamp(), at);
      check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "H5Fflush", at);
    } catch (const std::exception& e) {
      // A file whose final status is not on disk must not be put in place, whatever the cause.
      mark_write_failed(e.what());
    }
    note_io_failure();
  }
  // With the storage failed, HDF5 would fail again writing what it still holds while closing, and then
  // crash at exit on the half-closed ids: let those writes go nowhere.
  {
    std::optional<FileSizeLimitLifted> lifted;
    if (!write_failure.empty() && divert_writes(file.get())) lifted.emplace();
    close_all(failure);
  }
  if (write_failure.empty()) {
    if (const int err = sync_fd(temp_fd); err != 0) {
      mark_write_failed("fsync of '" + temp_path.string() + "' failed: " + errno_text(err));
    }
  }
  if (!write_failure.empty()) {
    discard_temporary();
    std::string outcome = "results file '" + final_path.string() + "' was not written (";
    outcome += target_existed ? "the existing '" + final_path.string() + "' was left as it was; " : std::string();
    outcome += "the unusable temporary '" + temp_path.string() + "' was removed)";
    throw ResultsNotWritten(std::move(outcome), write_failure);
  }
  try {
    install();
  } catch (...) {
    ::close(temp_fd);
    temp_fd = -1;
    throw;
  }
  ::close(temp_fd);  // releases the writer's lock, after the rename
  temp_fd = -1;
  if (failure) std::rethrow_exception(failure);
}

}  // namespace detail

ResultsFile ResultsFile::create(const std::filesystem::path& final_path, const RunInfo& info,
                                const WriterOptions& options) {
  if (final_path.empty() || !final_path.has_filename()) {
    throw RecordError("results file path '" + final_path.string() + "' does not name a file");
  }
  {
    // Files an earlier exception left waiting for their reason: nobody is going to give it any more.
    detail::ApiLock lock;
    (void)detail::unwound_files().finish_all(
        "not finished: ResultsFile destroyed while an exception was propagating (the harness did not record its "
        "message)");
  }
  const detail::TargetState target = detail::inspect_target(final_path);
  auto state = std::make_shared<detail::FileState>();
  state->final_path = final_path;
  state->options = options;
  state->target_existed = target.exists;
  state->target_device = target.device;
  state->target_inode = target.inode;

  if (const auto parent = final_path.parent_path(); !parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      throw RecordError("cannot create directory '" + parent.string() + "' for results file '" + final_path.string() +
                        "': " + ec.message());
    }
  }
  detail::Temporary temporary = detail::create_temporary(final_path);
  state->temp_path = std::move(temporary.path);
  state->temp_fd = temporary.fd;

  detail::ApiLock lock;
  const std::string where = state->where("/");
  try {
    detail::Handle fapl = detail::owned(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate", where);
    detail::check(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_LATEST), "H5Pset_libver_bounds", where);
    // The temporary is ours (O_EXCL above): truncating it is creating it.
    state->file = detail::owned(H5Fcreate(state->temp_path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose,
                                "H5Fcreate", where);
    // After H5Fcreate: where flock() is emulated with byte-range locks (NFS), HDF5's own lock would
    // otherwise conflict with this one; there HDF5's lock is the one `check` sees.
    (void)detail::lock_for_writer(state->temp_fd);
    state->lcpl = detail::link_create_plist();
    state->open = true;
    detail::write_run_info(*state, info);
    for (const char* group : {"/latency", "/throughput", "/telemetry", "/workloads"}) {
      detail::open_or_create_group(state->file.get(), group, state->lcpl.get(), state->where(group));
    }
    {
      detail::CompoundTypes types = detail::device_types(state->where("/devices"));
      detail::Handle dataset = detail::create_appendable(state->file.get(), "/devices", types.file.get(), 16,
                                                         options.deflate_level, state->lcpl.get(), state->where("/devices"));
      state->devices = detail::AppendDataset(std::move(dataset), std::move(types.memory), "/devices");
    }
    state->events = state->find_or_make<detail::EventState>(
        "/events", [&] { return std::make_shared<detail::EventState>(*state); });
    detail::check(H5Fflush(state->file.get(), H5F_SCOPE_GLOBAL), "H5Fflush", where);
  } catch (...) {
    std::optional<detail::FileSizeLimitLifted> lifted;
    if (state->file && detail::divert_writes(state->file.get())) lifted.emplace();
    state->events.reset();
    state->series.clear();
    state->devices.close();
    state->lcpl.reset();
    state->file.reset();
    state->open = false;
    ::unlink(state->temp_path.c_str());
    throw;
  }
  state->last_flush = std::chrono::steady_clock::now();
  return ResultsFile(std::move(state));
}

ResultsFile::ResultsFile(std::shared_ptr<detail::FileState> state) : state_(std::move(state)) {}
ResultsFile::ResultsFile(ResultsFile&&) noexcept = default;

ResultsFile& ResultsFile::operator=(ResultsFile&& other) noexcept {
  if (this != &other) {
    ResultsFile discarded(std::move(*this));
    state_ = std::move(other.state_);
  }
  return *this;
}

ResultsFile::~ResultsFile() {
  if (!state_) return;
  try {
    detail::ApiLock lock;
    if (!state_->open) return;
    std::string reason = state_->failure_reason;
    if (reason.empty()) {
      if (const std::exception_ptr handled = std::current_exception()) {
        try {
          std::rethrow_exception(handled);
        } catch (const std::exception& e) {
          reason = e.what();
        } catch (...) {
          reason = "unknown exception";
        }
      }
    }
    if (reason.empty() && std::uncaught_exceptions() > 0) {
      // Unwinding: the exception's message is not visible here. Whoever catches it finishes the file
      // with it (finish_unwound_files).
      detail::unwound_files().files.push_back(std::move(state_));
      return;
    }
    if (reason.empty()) reason = "not finished: ResultsFile destroyed without finish()";
    state_->finish(Status::failed, std::move(reason));
  } catch (...) {
    // A destructor must not throw; finish() put the file in place or removed it as far as it could.
  }
}

namespace {

detail::FileState& open_state(const std::shared_ptr<detail::FileState>& state, const char* operation) {
  if (!state) throw RecordError(std::string(operation) + " on a moved-from ResultsFile");
  state->require_open(operation);
  return *state;
}

}  // namespace

void ResultsFile::add_device(const DeviceInfo& device) {
  detail::ApiLock lock;
  auto& state = open_state(state_, "ResultsFile::add_device");
  const detail::IoWatch watch(state);
  const detail::DeviceRecord record{device.index,
                                    device.name.c_str(),
                                    device.kind.c_str(),
                                    device.memory_bytes,
                                    device.clock_khz,
                                    device.memory_clock_khz,
                                    device.multiprocessor_count,
                                    device.compute_capability.c_str(),
                                    device.cpu_model.c_str(),
                                    device.rank,
                                    device.host.c_str()};
  state.devices.write(&record, 1, state);
}

LatencySeries ResultsFile::latency(const std::string& probe) {
  detail::ApiLock lock;
  auto& state = open_state(state_, "ResultsFile::latency");
  const detail::IoWatch watch(state);
  const std::string group = "/latency/" + escape_name(probe);
  auto series = state.find_or_make<detail::LatencyState>(
      group, [&] { return std::make_shared<detail::LatencyState>(state, group, probe); });
  return LatencySeries(state_, std::move(series));
}

ThroughputSeries ResultsFile::throughput(const std::string& probe) {
  detail::ApiLock lock;
  auto& state = open_state(state_, "ResultsFile::throughput");
  const detail::IoWatch watch(state);
  const std::string group = "/throughput/" + escape_name(probe);
  auto series = state.find_or_make<detail::ThroughputState>(
      group, [&] { return std::make_shared<detail::ThroughputState>(state, group, probe); });
  return ThroughputSeries(state_, std::move(series));
}

TelemetrySeries ResultsFile::telemetry(const std::string& kernel_id) {
  detail::ApiLock lock;
  auto& state = open_state(state_, "ResultsFile::telemetry");
  const detail::IoWatch watch(state);
  const std::string group_path = "/telemetry/" + escape_name(kernel_id);
  const std::string path = group_path + "/samples";
  auto series = state.find_or_make<detail::RowSeriesState>(path, [&] {
    detail::Handle group =
        detail::owned(H5Gcreate2(state.file.get(), group_path.c_str(), state.lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                      H5Gclose, "H5Gcreate2", state.where(group_path));
    detail::write_attr(group.get(), "kernel_id", kernel_id, state.where(group_path));
    const auto& table = detail::telemetry_table();
    detail::CompoundTypes types = detail::table_types(table.columns(), sizeof(TelemetryRow), state.where(path));
    detail::Handle dataset = detail::create_appendable(group.get(), "samples", types.file.get(), state.options.row_chunk,
                                                       state.options.deflate_level, state.lcpl.get(), state.where(path));
    return std::make_shared<detail::RowSeriesState>(
        state, detail::AppendDataset(std::move(dataset), std::move(types.memory), path), sizeof(TelemetryRow));
  });
  return TelemetrySeries(state_, std::move(series));
}

EventLog ResultsFile::events() {
  detail::ApiLock lock;
  auto& state = open_state(state_, "ResultsFile::events");
  return EventLog(state_, state.events);
}

WorkloadGroup ResultsFile::workload(const std::string& name) {
  detail::ApiLock lock;
  auto& state = open_state(state_, "ResultsFile::workload");
  const detail::IoWatch watch(state);
  const std::string path = "/workloads/" + escape_name(name);
  detail::open_or_create_group(state.file.get(), path, state.lcpl.get(), state.where(path));
  return WorkloadGroup(state_, path);
}

WorkloadGroup ResultsFile::environment() {
  detail::ApiLock lock;
  auto& state = open_state(state_, "ResultsFile::environment");
  const detail::IoWatch watch(state);
  const std::string path = "/environment";
  detail::open_or_create_group(state.file.get(), path, state.lcpl.get(), state.where(path));
  return WorkloadGroup(state_, path);
}

void ResultsFile::set_attr_value(const std::string& name, const AttrValue& value) {
  detail::ApiLock lock;
  auto& state = open_state(state_, "ResultsFile::set_attr");
  const detail::IoWatch watch(state);
  detail::write_attr(state.file.get(), name, value, state.where("/"));
}

void ResultsFile::flush() {
  detail::ApiLock lock;
  auto& state = open_state(state_, "ResultsFile::flush");
  const detail::IoWatch watch(state);
  state.flush_all();
}

void ResultsFile::finish(Status status, std::string error) {
  detail::ApiLock lock;
  if (!state_) throw RecordError("ResultsFile::finish on a moved-from ResultsFile");
  if (!state_->open) state_->require_open("ResultsFile::finish");
  state_->finish(status, std::move(error));  // also after a failed write: removes the temporary
}

void ResultsFile::set_failure_reason(std::string reason) {
  if (!state_) throw RecordError("ResultsFile::set_failure_reason on a moved-from ResultsFile");
  detail::ApiLock lock;
  state_->failure_reason = std::move(reason);
}

bool ResultsFile::replaces_existing() const {
  if (!state_) return false;
  detail::ApiLock lock;
  return state_->target_existed;
}

bool ResultsFile::is_open() const {
  if (!state_) return false;
  detail::ApiLock lock;
  return state_->open;
}

const std::filesystem::path& ResultsFile::path() const {
  if (!state_) throw RecordError("ResultsFile::path on a moved-from ResultsFile");
  return state_->final_path;
}

const std::filesystem::path& ResultsFile::temp_path() const {
  if (!state_) throw RecordError("ResultsFile::temp_path on a moved-from ResultsFile");
  return state_->temp_path;
}

bool storage_failed() { return detail::io_failure_count() != 0; }

std::vector<std::string> finish_unwound_files(std::string_view reason) {
  detail::ApiLock lock;
  return detail::unwound_files().finish_all(reason.empty() ? std::string("unspecified failure") : std::string(reason));
}

}  // namespace rk::record
