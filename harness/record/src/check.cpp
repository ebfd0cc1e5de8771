// check_results_file and abandoned_temporaries (rk/record/check.hpp): what a results file says about
// itself, whether it can be read, and whether the run that writes it is still alive.
#include "rk/record/check.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "file_ops.hpp"
#include "hdf5_util.hpp"

namespace rk::record {
namespace {

constexpr int max_group_depth = 32;
constexpr std::size_t read_block_bytes = std::size_t{16} << 20;

std::string read_string_attr(hid_t file, const char* name, const std::string& where) {
  detail::Handle attr = detail::owned(H5Aopen(file, name, H5P_DEFAULT), H5Aclose, "H5Aopen", where + " attribute '" + name + "'");
  detail::Handle type = detail::string_type();
  char* text = nullptr;
  detail::check(H5Aread(attr.get(), type.get(), &text), "H5Aread", where + " attribute '" + name + "'");
  std::string value = text != nullptr ? text : "";
  H5free_memory(text);
  return value;
}

std::int64_t read_i64_attr(hid_t file, const char* name, const std::string& where) {
  detail::Handle attr = detail::owned(H5Aopen(file, name, H5P_DEFAULT), H5Aclose, "H5Aopen", where + " attribute '" + name + "'");
  std::int64_t value = 0;
  detail::check(H5Aread(attr.get(), H5T_NATIVE_INT64, &value), "H5Aread", where + " attribute '" + name + "'");
  return value;
}

bool has_attr(hid_t file, const char* name, const std::string& where) {
  return detail::check_tri(H5Aexists(file, name), "H5Aexists", where + " attribute '" + name + "'");
}

/// Reads a dataset from end to end, in blocks of at most read_block_bytes (1-D datasets; others at once).
void read_dataset(hid_t dataset, const std::string& where) {
  detail::Handle file_type = detail::owned(H5Dget_type(dataset), H5Tclose, "H5Dget_type", where);
  detail::Handle memory_type =
      detail::owned(H5Tget_native_type(file_type.get(), H5T_DIR_ASCEND), H5Tclose, "H5Tget_native_type", where);
  const std::size_t element = std::max<std::size_t>(H5Tget_size(memory_type.get()), 1);
  detail::Handle space = detail::owned(H5Dget_space(dataset), H5Sclose, "H5Dget_space", where);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) detail::throw_hdf5("H5Sget_simple_extent_ndims", where);
  const hssize_t points = H5Sget_simple_extent_npoints(space.get());
  if (points < 0) detail::throw_hdf5("H5Sget_simple_extent_npoints", where);
  if (points == 0) return;
  std::vector<unsigned char> buffer;
  if (rank != 1) {
    buffer.resize(static_cast<std::size_t>(points) * element);
    detail::check(H5Dread(dataset, memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()), "H5Dread", where);
    detail::reclaim_vlen(memory_type.get(), space.get(), buffer.data());
    return;
  }
  const auto rows = static_cast<hsize_t>(points);
  const hsize_t block = std::max<hsize_t>(1, read_block_bytes / element);
  buffer.resize(static_cast<std::size_t>(std::min(block, rows)) * element);
  for (hsize_t offset = 0; offset < rows; offset += block) {
    const hsize_t count = std::min(block, rows - offset);
    detail::check(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, &offset, nullptr, &count, nullptr),
                  "H5Sselect_hyperslab", where);
    detail::Handle memory_space = detail::owned(H5Screate_simple(1, &count, nullptr), H5Sclose, "H5Screate_simple", where);
    detail::check(H5Dread(dataset, memory_type.get(), memory_space.get(), space.get(), H5P_DEFAULT, buffer.data()),
                  "H5Dread", where);
    detail::reclaim_vlen(memory_type.get(), memory_space.get(), buffer.data());
  }
}

struct Visit {
  const std::filesystem::path* file = nullptr;
  std::string prefix;
  int depth = 0;
  std::string error;  ///< set when a read failed: iteration stops
};

void read_group(hid_t group, Visit& visit);

template <class LinkInfo>
herr_t visit_link(hid_t group, const char* name, const LinkInfo* info, void* data) {
  auto& visit = *static_cast<Visit*>(data);
  if (info->type != H5L_TYPE_HARD) return 0;
  const std::string path = visit.prefix + "/" + name;
  const std::string where = "'" + path + "' in '" + visit.file->string() + "'";
  try {
    detail::Handle object = detail::owned(H5Oopen(group, name, H5P_DEFAULT), H5Oclose, "H5Oopen", where);
    switch (H5Iget_type(object.get())) {
      case H5I_GROUP: {
        if (visit.depth >= max_group_depth) return 0;
        Visit inner{visit.file, path, visit.depth + 1, {}};
        read_group(object.get(), inner);
        if (!inner.error.empty()) {
          visit.error = inner.error;
          return -1;
        }
        return 0;
      }
      case H5I_DATASET:
        read_dataset(object.get(), where);
        return 0;
      default:
        return 0;
    }
  } catch (const std::exception& e) {
    visit.error = e.what();
    return -1;
  }
}

void read_group(hid_t group, Visit& visit) {
  hsize_t index = 0;
  if (H5Literate(group, H5_INDEX_NAME, H5_ITER_NATIVE, &index, &visit_link, &visit) < 0) {
    if (visit.error.empty()) {
      try {
        detail::throw_hdf5("H5Literate", "'" + (visit.prefix.empty() ? std::string("/") : visit.prefix) + "' in '" +
                                             visit.file->string() + "'");
      } catch (const std::exception& e) {
        visit.error = e.what();
      }
    }
    H5Eclear2(H5E_DEFAULT);
  }
}

Verdict verdict_of_status(const std::string& status) {
  if (status == "complete") return Verdict::complete;
  if (status == "interrupted") return Verdict::interrupted;
  if (status == "failed") return Verdict::failed;
  return Verdict::running;
}

/// For a file that records no final status and that no writer holds locked: is its writer alive?
void judge_unfinished(FileReport& report) {
  const std::string here = detail::local_hostname();
  const std::string who = "writer pid " + std::to_string(report.writer_pid) +
                          (report.writer_host.empty() ? std::string() : " on host " + report.writer_host);
  if (report.writer_pid <= 0) {
    report.verdict = Verdict::abandoned;
    report.detail = "never finished, and no process holds it open for writing";
    return;
  }
  if (!report.writer_host.empty() && report.writer_host != here) {
    report.verdict = Verdict::running;
    report.detail = "never finished; its " + who + " may still be running (this host, " + here +
                    ", cannot tell; no lock on the file is visible from here)";
    return;
  }
  if (detail::process_alive(report.writer_pid)) {
    report.verdict = Verdict::running;
    report.detail = "never finished; its " + who + " is alive (it holds no lock: an older writer, or pid reuse)";
    return;
  }
  report.verdict = Verdict::abandoned;
  report.detail = "never finished, and its " + who + " is gone (killed or crashed)";
}

}  // namespace

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::complete: return "complete";
    case Verdict::interrupted: return "interrupted";
    case Verdict::failed: return "failed";
    case Verdict::running: return "running";
    case Verdict::abandoned: return "abandoned";
    case Verdict::unreadable: return "unreadable";
    case Verdict::missing: return "missing";
    case Verdict::not_a_file: return "not a file";
  }
  return "unknown";
}

std::string FileReport::describe() const {
  std::string line = path.string() + ": " + std::string(to_string(verdict));
  if (verdict != Verdict::missing && verdict != Verdict::not_a_file && verdict != Verdict::unreadable) {
    line += !read ? " (not read)" : readable ? " (readable)" : " (unreadable)";
  }
  if (!status.empty() && status != to_string(verdict)) line += ", status " + status;
  if (!detail.empty()) line += ": " + detail;
  return line;
}

FileReport check_results_file(const std::filesystem::path& path, CheckDepth depth) {
  FileReport report;
  report.path = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    report.verdict = err == ENOENT ? Verdict::missing : Verdict::unreadable;
    report.detail = detail::errno_text(err);
    return report;
  }
  if (!S_ISREG(st.st_mode)) {
    report.verdict = Verdict::not_a_file;
    report.detail = S_ISDIR(st.st_mode) ? "a directory" : "not a regular file";
    return report;
  }
  if (const auto pid = detail::pid_in_temporary_name(path)) report.writer_pid = *pid;
  if (detail::is_locked(path)) {
    report.verdict = Verdict::running;
    report.status = "running";
    report.detail = "its writer is running (it holds the file locked); not read while being written";
    return report;
  }

  detail::ApiLock lock;
  const std::string where = "'/' in '" + path.string() + "'";
  try {
    report.read = true;
    detail::Handle file = detail::owned(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "H5Fopen", where);
    if (!has_attr(file.get(), "format", where) || read_string_attr(file.get(), "format", where) != "ringkernel-results") {
      throw RecordError("'" + path.string() + "' is an HDF5 file but not a RingKernel results file (no format = "
                        "\"ringkernel-results\")");
    }
    report.status = read_string_attr(file.get(), "status", where);
    if (has_attr(file.get(), "writer_pid", where)) report.writer_pid = read_i64_attr(file.get(), "writer_pid", where);
    if (has_attr(file.get(), "writer_host", where)) report.writer_host = read_string_attr(file.get(), "writer_host", where);
    if (has_attr(file.get(), "error", where)) report.detail = read_string_attr(file.get(), "error", where);
    if (depth == CheckDepth::everything) {
      Visit visit{&path, "", 0, {}};
      read_group(file.get(), visit);
      if (!visit.error.empty()) throw RecordError(visit.error);
    }
    file.close_checked("H5Fclose", where);
    report.readable = true;
  } catch (const std::exception& e) {
    report.readable = false;
    const std::string error = e.what();
    if (error.find("unable to lock") != std::string::npos) {
      // An older writer: HDF5's own lock, not ours.
      report.verdict = Verdict::running;
      report.detail = "another process has it open for writing (HDF5's file lock is held)";
      return report;
    }
    report.verdict = Verdict::unreadable;
    report.detail = error;
    const bool unfinished = report.status.empty() || report.status == "running";
    const bool written_here = report.writer_host.empty() || report.writer_host == detail::local_hostname();
    if (unfinished && written_here && report.writer_pid > 0 && !detail::process_alive(report.writer_pid)) {
      // A temporary whose writer is gone: abandoned, and unreadable on top of that.
      report.verdict = Verdict::abandoned;
      report.detail = "its writer pid " + std::to_string(report.writer_pid) + " is gone, and it cannot be read: " + error;
    }
    return report;
  }
  report.verdict = verdict_of_status(report.status);
  if (report.verdict == Verdict::running) {
    report.status = report.status.empty() ? "running" : report.status;
    judge_unfinished(report);
  }
  return report;
}

std::vector<FileReport> abandoned_temporaries(const std::filesystem::path& final_path) {
  std::vector<FileReport> found;
  const std::filesystem::path dir = final_path.parent_path().empty() ? std::filesystem::path(".") : final_path.parent_path();
  const std::string final_name = final_path.filename().string();
  std::error_code ec;
  std::vector<std::filesystem::path> candidates;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string base = it->path().filename().string();
    if (detail::is_temporary_of(base, final_name)) candidates.push_back(final_path.parent_path() / base);
  }
  std::sort(candidates.begin(), candidates.end());
  for (const auto& candidate : candidates) {
    FileReport report = check_results_file(candidate, CheckDepth::attributes);
    if (report.verdict != Verdict::running && report.verdict != Verdict::missing) found.push_back(std::move(report));
  }
  return found;
}

}  // namespace rk::record
