// Internal POSIX plumbing of rk_record (see file_ops.hpp).
#include "file_ops.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <random>

#include "rk/record/error.hpp"

namespace rk::record::detail {
namespace {

std::string random_hex8() {
  static thread_local std::mt19937 generator{std::random_device{}() ^
                                             static_cast<unsigned>(::getpid()) * 2654435761U};
  std::array<char, 9> text{};
  std::snprintf(text.data(), text.size(), "%08x", static_cast<unsigned>(generator()));
  return text.data();
}

const char* kind_of(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a fifo";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

struct flock whole_file_lock(short type) {
  struct flock lock {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = 0;
  lock.l_len = 0;
  return lock;
}

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool all_hex(const std::string& s) {
  if (s.size() != 8) return false;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

/// For "<x>.<pid>.<hex>.tmp": x, pid and hex; nullopt for other names.
struct TemporaryName {
  std::string final_name;
  std::string pid;
};
std::optional<TemporaryName> parse_temporary(const std::string& base) {
  constexpr std::string_view suffix = ".tmp";
  if (base.size() <= suffix.size() || base.compare(base.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return std::nullopt;
  }
  const std::string stem = base.substr(0, base.size() - suffix.size());
  const auto hex_dot = stem.rfind('.');
  if (hex_dot == std::string::npos || !all_hex(stem.substr(hex_dot + 1))) return std::nullopt;
  const auto pid_dot = stem.rfind('.', hex_dot - 1);
  if (hex_dot == 0 || pid_dot == std::string::npos) return std::nullopt;
  std::string pid = stem.substr(pid_dot + 1, hex_dot - pid_dot - 1);
  if (!all_digits(pid) || pid.size() > 10) return std::nullopt;
  return TemporaryName{stem.substr(0, pid_dot), std::move(pid)};
}

}  // namespace

std::string errno_text(int err) {
  std::array<char, 256> buffer{};
  // GNU strerror_r returns the message (possibly not in buffer).
  return ::strerror_r(err, buffer.data(), buffer.size());
}

TargetState inspect_target(const std::filesystem::path& final_path) {
  struct stat st {};
  if (::lstat(final_path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) return {};
    if (err == ENOTDIR) {
      throw RecordError("results file path '" + final_path.string() + "': a component of its directory is not a directory");
    }
    throw RecordError("cannot inspect results file path '" + final_path.string() + "': " + errno_text(err));
  }
  if (!S_ISREG(st.st_mode)) {
    throw RecordError("results file path '" + final_path.string() + "' is " + kind_of(st.st_mode) +
                      "; a run only replaces regular files: give the path of a regular file or a new name");
  }
  return TargetState{true, st.st_dev, st.st_ino};
}

Temporary create_temporary(const std::filesystem::path& final_path) {
  const std::string prefix = final_path.string() + "." + std::to_string(::getpid()) + ".";
  for (int attempt = 0;; ++attempt) {
    std::filesystem::path path = prefix + random_hex8() + ".tmp";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return Temporary{std::move(path), fd};
    const int err = errno;
    if (err == EEXIST && attempt < 16) continue;
    throw RecordError("cannot create the temporary results file '" + path.string() + "': " + errno_text(err));
  }
}

bool lock_for_writer(int fd) {
  struct flock lock = whole_file_lock(F_WRLCK);
  return ::fcntl(fd, F_OFD_SETLK, &lock) == 0;
}

bool is_locked(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return false;
  struct flock lock = whole_file_lock(F_WRLCK);
  bool locked = false;
  if (::fcntl(fd, F_OFD_GETLK, &lock) == 0) {
    locked = lock.l_type != F_UNLCK;
  } else {
    lock = whole_file_lock(F_WRLCK);
    if (::fcntl(fd, F_GETLK, &lock) == 0) locked = lock.l_type != F_UNLCK;
  }
  ::close(fd);
  return locked;
}

int sync_fd(int fd) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

void sync_directory(const std::filesystem::path& directory) {
  const std::filesystem::path dir = directory.empty() ? std::filesystem::path(".") : directory;
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)sync_fd(fd);  // EINVAL/EROFS where directories cannot be synced: nothing more to do
  ::close(fd);
}

int rename_no_replace(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  int err = errno;
  if (err != EINVAL && err != ENOSYS && err != ENOTSUP) return err;
  // No RENAME_NOREPLACE here (some network and FUSE file systems): link() is the atomic no-clobber.
  if (::link(from.c_str(), to.c_str()) == 0) {
    ::unlink(from.c_str());
    return 0;
  }
  err = errno;
  if (err != EPERM && err != ENOTSUP && err != EOPNOTSUPP && err != ENOSYS) return err;
  // Neither (no hard links either): check, then rename. Not atomic; the best such a file system allows.
  struct stat st {};
  if (::lstat(to.c_str(), &st) == 0) return EEXIST;
  if (::rename(from.c_str(), to.c_str()) == 0) return 0;
  return errno;
}

std::filesystem::path conflict_name(const std::filesystem::path& final_path) {
  std::filesystem::path name = final_path.stem();
  name += ".conflict-" + std::to_string(::getpid()) + "-" + random_hex8();
  name += final_path.extension();
  return final_path.parent_path() / name;
}

std::optional<std::int64_t> pid_in_temporary_name(const std::filesystem::path& path) {
  const auto parsed = parse_temporary(path.filename().string());
  if (!parsed) return std::nullopt;
  return std::stoll(parsed->pid);
}

bool is_temporary_of(const std::string& base, const std::string& final_name) {
  if (base == final_name + ".tmp") return true;
  const auto parsed = parse_temporary(base);
  return parsed && parsed->final_name == final_name;
}

bool process_alive(std::int64_t pid) {
  if (pid <= 0 || pid > INT_MAX) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

std::string local_hostname() {
  std::array<char, HOST_NAME_MAX + 1> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) return "unknown";
  return name.data();
}

bool divert_writes(hid_t file) {
  const hid_t fapl = H5Fget_access_plist(file);
  if (fapl < 0) {
    H5Eclear2(H5E_DEFAULT);
    return false;
  }
  const bool sec2 = H5Pget_driver(fapl) == H5FD_SEC2;
  H5Pclose(fapl);
  if (!sec2) return false;
  void* handle = nullptr;
  if (H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) < 0 || handle == nullptr) {
    H5Eclear2(H5E_DEFAULT);
    return false;
  }
  const int hdf5_fd = *static_cast<int*>(handle);
  const int memory = ::memfd_create("rk-record-discarded", MFD_CLOEXEC);
  if (memory < 0) return false;
  // HDF5 seeks and writes at the file's offsets: give the in-memory file the same length.
  struct stat st {};
  if (::fstat(hdf5_fd, &st) == 0) (void)::ftruncate(memory, st.st_size);
  const bool ok = ::dup2(memory, hdf5_fd) == hdf5_fd;
  ::close(memory);
  return ok;
}

FileSizeLimitLifted::FileSizeLimitLifted() {
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_FSIZE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= limit.rlim_max) {
    return;
  }
  saved_ = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  lifted_ = ::setrlimit(RLIMIT_FSIZE, &limit) == 0;
}

FileSizeLimitLifted::~FileSizeLimitLifted() {
  if (!lifted_) return;
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_FSIZE, &limit) != 0) return;
  limit.rlim_cur = static_cast<rlim_t>(saved_);
  (void)::setrlimit(RLIMIT_FSIZE, &limit);
}

}  // namespace rk::record::detail
