// Internal POSIX plumbing of rk_record: the run's private temporary (unique name, O_EXCL, a lock that says
// "my writer is alive"), fsync, the no-clobber rename that puts a finished file in place, and the facts
// `ringkernel check` needs about a file's writer (lock held, process alive).
#pragma once

#include <hdf5.h>
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace rk::record::detail {

/// strerror(err) as a string.
std::string errno_text(int err);

/// What lstat() says about a results path before a run writes it.
struct TargetState {
  bool exists = false;
  dev_t device = 0;
  ino_t inode = 0;
};

/// lstat() of the final path. Throws RecordError when it exists and is not a regular file (a symbolic
/// link, a device node, a fifo, a socket, a directory): a run never replaces such a thing.
TargetState inspect_target(const std::filesystem::path& final_path);

/// A new, private temporary next to `final_path`: "<name>.<pid>.<8 hex digits>.tmp", created with O_EXCL
/// (a name some other run chose is never reused). `fd` stays open for the writer's lifetime.
struct Temporary {
  std::filesystem::path path;
  int fd = -1;
};
Temporary create_temporary(const std::filesystem::path& final_path);

/// Takes an open-file-description write lock on the whole file behind `fd`, held until `fd` is closed
/// (also by a crash). `check` sees it (is_locked). Best effort: false where the file system refuses.
bool lock_for_writer(int fd);

/// True when some other open file description holds a lock on `path` that a writer would hold (its
/// writer is alive). Does not take a lock.
bool is_locked(const std::filesystem::path& path);

/// fsync(fd); 0 or errno.
int sync_fd(int fd);
/// fsync of a directory (makes a rename in it durable); errors of file systems that cannot are ignored.
void sync_directory(const std::filesystem::path& directory);

/// Moves `from` to `to` unless `to` exists: renameat2(RENAME_NOREPLACE), or link()+unlink() where the
/// file system lacks it. 0, EEXIST when `to` exists, or another errno.
int rename_no_replace(const std::filesystem::path& from, const std::filesystem::path& to);

/// "<stem>.conflict-<pid>-<hex><ext>" next to `final_path`: where a finished run's file goes when another
/// run wrote `final_path` meanwhile.
std::filesystem::path conflict_name(const std::filesystem::path& final_path);

/// The writer pid in a temporary's name ("<name>.<pid>.<hex>.tmp"), when the name has one.
std::optional<std::int64_t> pid_in_temporary_name(const std::filesystem::path& path);

/// True when `base` names a temporary of the results file named `final_name` ("<final_name>.tmp" of older
/// writers, or "<final_name>.<pid>.<hex>.tmp").
bool is_temporary_of(const std::string& base, const std::string& final_name);

/// True when a process with this pid exists on this host.
bool process_alive(std::int64_t pid);

/// gethostname(), "unknown" when it fails.
std::string local_hostname();

/// Makes every later write to the HDF5 file `file` (sec2 driver) land in an anonymous in-memory file, so
/// that closing a file whose storage failed cannot fail half-way (HDF5 1.10 leaves the ids of a file whose
/// H5Fclose failed dangling, and closes them again at exit: a crash). The file on disk is not touched
/// again. False when it could not (another driver, no memfd).
bool divert_writes(hid_t file);

/// While alive, the soft RLIMIT_FSIZE is raised to the hard limit: the writes divert_writes() sends to
/// memory are at the file's offsets, and a file-size limit that made the real writes fail (EFBIG) would
/// make those fail too.
class FileSizeLimitLifted {
 public:
  FileSizeLimitLifted();
  FileSizeLimitLifted(const FileSizeLimitLifted&) = delete;
  FileSizeLimitLifted& operator=(const FileSizeLimitLifted&) = delete;
  ~FileSizeLimitLifted();

 private:
  std::uint64_t saved_ = 0;
  bool lifted_ = false;
};

}  // namespace rk::record::detail
