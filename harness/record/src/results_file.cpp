// ResultsFile: creating the .tmp file with its root attributes, handing out series, and finishing
// (summaries, status, close, rename).
#include "rk/record/results_file.hpp"

#include <unistd.h>

#include <array>
#include <climits>
#include <system_error>

#include "file_state.hpp"
#include "records.hpp"
#include "rk/record/names.hpp"

namespace rk::record {
namespace detail {
namespace {

std::string local_hostname() {
  std::array<char, HOST_NAME_MAX + 1> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) return "unknown";
  return name.data();
}

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
}

}  // namespace

std::string FileState::where(std::string_view object) const {
  return "'" + std::string(object) + "' in '" + temp_path.string() + "'";
}

void FileState::require_open(std::string_view operation) const {
  if (!open) {
    throw RecordError(std::string(operation) + ": results file '" + final_path.string() + "' is already finished");
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
  } catch (...) {
    if (!failure) failure = std::current_exception();
  }
  open = false;
  series.clear();
  events.reset();
}

void FileState::finish(Status status, std::string error) {
  std::exception_ptr failure;
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
  if (status == Status::failed && error.empty()) error = "unspecified failure";
  try {
    const std::string at = where("/");
    write_attr(file.get(), "status", std::string(to_string(status)), at);
    if (!error.empty()) write_attr(file.get(), "error", error, at);
    write_attr(file.get(), "finished_utc", utc_timestamp(), at);
    check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "H5Fflush", at);
  } catch (...) {
    if (!failure) failure = std::current_exception();
  }
  close_all(failure);
  std::error_code ec;
  std::filesystem::rename(temp_path, final_path, ec);
  if (ec && !failure) {
    failure = std::make_exception_ptr(RecordError("rename of '" + temp_path.string() + "' to '" +
                                                  final_path.string() + "' failed: " + ec.message()));
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace detail

ResultsFile ResultsFile::create(const std::filesystem::path& final_path, const RunInfo& info,
                                const WriterOptions& options) {
  if (final_path.empty() || !final_path.has_filename()) {
    throw RecordError("results file path '" + final_path.string() + "' does not name a file");
  }
  auto state = std::make_shared<detail::FileState>();
  state->final_path = final_path;
  state->temp_path = final_path;
  state->temp_path += ".tmp";
  state->options = options;

  if (const auto parent = final_path.parent_path(); !parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      throw RecordError("cannot create directory '" + parent.string() + "' for results file '" + final_path.string() +
                        "': " + ec.message());
    }
  }

  detail::ApiLock lock;
  const std::string where = state->where("/");
  detail::Handle fapl = detail::owned(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate", where);
  detail::check(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_LATEST), "H5Pset_libver_bounds", where);
  state->file = detail::owned(H5Fcreate(state->temp_path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose,
                              "H5Fcreate", where);
  state->lcpl = detail::link_create_plist();
  state->open = true;
  try {
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
    state->events.reset();
    state->series.clear();
    state->devices.close();
    state->lcpl.reset();
    state->file.reset();
    state->open = false;
    std::error_code ec;
    std::filesystem::remove(state->temp_path, ec);
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
    std::string error = "not finished: ResultsFile destroyed without finish()";
    if (std::uncaught_exceptions() > 0) error += " while an exception was propagating";
    state_->finish(Status::failed, std::move(error));
  } catch (...) {
    // A destructor must not throw; the file is closed and renamed as far as possible by finish().
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
  const std::string group = "/latency/" + escape_name(probe);
  auto series = state.find_or_make<detail::LatencyState>(
      group, [&] { return std::make_shared<detail::LatencyState>(state, group, probe); });
  return LatencySeries(state_, std::move(series));
}

ThroughputSeries ResultsFile::throughput(const std::string& probe) {
  detail::ApiLock lock;
  auto& state = open_state(state_, "ResultsFile::throughput");
  const std::string group = "/throughput/" + escape_name(probe);
  auto series = state.find_or_make<detail::ThroughputState>(
      group, [&] { return std::make_shared<detail::ThroughputState>(state, group, probe); });
  return ThroughputSeries(state_, std::move(series));
}

TelemetrySeries ResultsFile::telemetry(const std::string& kernel_id) {
  detail::ApiLock lock;
  auto& state = open_state(state_, "ResultsFile::telemetry");
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
  const std::string path = "/workloads/" + escape_name(name);
  detail::open_or_create_group(state.file.get(), path, state.lcpl.get(), state.where(path));
  return WorkloadGroup(state_, path);
}

void ResultsFile::set_attr_value(const std::string& name, const AttrValue& value) {
  detail::ApiLock lock;
  auto& state = open_state(state_, "ResultsFile::set_attr");
  detail::write_attr(state.file.get(), name, value, state.where("/"));
}

void ResultsFile::flush() {
  detail::ApiLock lock;
  open_state(state_, "ResultsFile::flush").flush_all();
}

void ResultsFile::finish(Status status, std::string error) {
  detail::ApiLock lock;
  open_state(state_, "ResultsFile::finish").finish(status, std::move(error));
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

}  // namespace rk::record
