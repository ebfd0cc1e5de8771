// What the writer promises about files on disk (results/SCHEMA.md, "Life of a file"): a private temporary
// per writer, no run replacing a file another run finished meanwhile, a file whose storage failed never put
// in place (ENOSPC on a real tmpfs where this machine lets us mount one; EFBIG from a file-size limit
// everywhere), non-regular paths refused, and check_results_file's verdicts.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <numeric>
#include <optional>
#include <vector>

#include "record_test_util.hpp"
#include "rk/record/record.hpp"

namespace rk::record {
namespace {

using test::TempDir;

/// A file whose `marker` root attribute tells which writer wrote it.
void write_marked(const std::filesystem::path& path, const std::string& marker) {
  auto file = ResultsFile::create(path, test::sample_run_info());
  file.set_attr("marker", marker);
  file.finish(Status::complete);
}

std::string marker_of(const std::filesystem::path& path) { return ResultsReader(path).string_attr("/", "marker"); }

std::vector<std::string> names_in(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& n : names) text += n + " ";
  return text;
}

/// Appends incompressible samples and flushes until the storage refuses (or `max_bytes` were written).
/// Returns the error, empty when nothing failed.
std::string write_until_failure(ResultsFile& file, std::size_t max_bytes) {
  std::vector<std::uint64_t> block(1 << 14);
  std::uint64_t x = 0x9E3779B97F4A7C15ULL;
  auto rtt = file.latency("rtt");
  for (std::size_t written = 0; written < max_bytes; written += block.size() * 8) {
    for (auto& v : block) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      v = x;
    }
    try {
      rtt.append(block);
      file.flush();
    } catch (const RecordError& e) {
      return e.what();
    }
  }
  return {};
}

WriterOptions small_chunks() {
  WriterOptions options;
  options.latency_chunk_samples = 4096;
  options.deflate_level = 0;
  return options;
}

// ---- item 1: two writers of one path -------------------------------------------------------------------

TEST(RecordSafety, TwoWritersOfOnePathHavePrivateTemporaries) {
  TempDir dir;
  auto first = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  first.latency("rtt").append(std::vector<std::uint64_t>{1, 2, 3});
  first.flush();
  auto second = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  EXPECT_NE(first.temp_path(), second.temp_path());
  // The second writer did not touch the first one's temporary: it still reads back.
  EXPECT_EQ(ResultsReader(first.temp_path()).length("/latency/rtt/samples_ns"), 3u);
  first.finish(Status::complete);
  EXPECT_EQ(ResultsReader(dir / "run.h5").u64_attr("/latency/rtt/samples_ns", "count"), 3u);
  EXPECT_THROW(second.finish(Status::failed, "second"), RecordError);  // kept aside, see below
  EXPECT_EQ(ResultsReader(dir / "run.h5").u64_attr("/latency/rtt/samples_ns", "count"), 3u);
}

// Neither existed at start: the first to finish gets the name, the second keeps its file aside and fails.
TEST(RecordSafety, LaterFinisherDoesNotReplaceAFileAnotherRunFinished) {
  TempDir dir;
  auto slow = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  slow.set_attr("marker", "slow");
  auto fast = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  fast.set_attr("marker", "fast");
  fast.finish(Status::complete);
  try {
    slow.finish(Status::complete);
    FAIL() << "expected RecordError";
  } catch (const RecordError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("another run"), std::string::npos) << what;
    EXPECT_NE(what.find("run.conflict-"), std::string::npos) << what;
  }
  EXPECT_EQ(marker_of(dir / "run.h5"), "fast");
  const auto names = names_in(dir.path());
  ASSERT_EQ(names.size(), 2u) << joined(names);
  const std::filesystem::path kept = dir / names[0];  // "run.conflict-<pid>-<hex>.h5" sorts before "run.h5"
  EXPECT_EQ(names[1], "run.h5");
  EXPECT_TRUE(names[0].starts_with("run.conflict-" + std::to_string(getpid()) + "-")) << names[0];
  EXPECT_EQ(marker_of(kept), "slow");
  EXPECT_EQ(ResultsReader(kept).string_attr("/", "status"), "complete");
  EXPECT_FALSE(slow.is_open());
}

// A file that was there at start is replaced on purpose; one that another run put there meanwhile is not.
TEST(RecordSafety, ReplacesTheFileThatWasThereAtStartOnly) {
  TempDir dir;
  write_marked(dir / "run.h5", "old");
  {
    auto again = ResultsFile::create(dir / "run.h5", test::sample_run_info());
    EXPECT_TRUE(again.replaces_existing());
    again.set_attr("marker", "again");
    again.finish(Status::complete);
  }
  EXPECT_EQ(marker_of(dir / "run.h5"), "again");

  auto slow = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  slow.set_attr("marker", "slow");
  auto fast = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  fast.set_attr("marker", "fast");
  fast.finish(Status::complete);  // replaces "again", the file it saw at start
  EXPECT_THROW(slow.finish(Status::complete), RecordError);
  EXPECT_EQ(marker_of(dir / "run.h5"), "fast");
  EXPECT_EQ(names_in(dir.path()).size(), 2u) << joined(names_in(dir.path()));
}

// ---- item 3: non-regular final paths -------------------------------------------------------------------

void expect_refused(const std::filesystem::path& path, const std::string& kind) {
  try {
    (void)ResultsFile::create(path, test::sample_run_info());
    FAIL() << "expected RecordError for " << path;
  } catch (const RecordError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path.string()), std::string::npos) << what;
    EXPECT_NE(what.find(kind), std::string::npos) << what;
  }
}

TEST(RecordSafety, RefusesSymlinksDevicesFifosAndDirectories) {
  TempDir dir;
  write_marked(dir / "target.h5", "target");
  std::filesystem::create_symlink(dir / "target.h5", dir / "link.h5");
  std::filesystem::create_symlink(dir / "nowhere.h5", dir / "dangling.h5");
  ASSERT_EQ(::mkfifo((dir / "fifo.h5").c_str(), 0644), 0);
  std::filesystem::create_directory(dir / "dir.h5");
  expect_refused(dir / "link.h5", "symbolic link");
  expect_refused(dir / "dangling.h5", "symbolic link");
  expect_refused(dir / "fifo.h5", "fifo");
  expect_refused(dir / "dir.h5", "directory");
  if (::geteuid() == 0) {
    // A copy of /dev/null's node: what `--output /dev/null` would hit, without risking the real one.
    ASSERT_EQ(::mknod((dir / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0) << std::strerror(errno);
    expect_refused(dir / "null", "character device");
    struct stat st {};
    ASSERT_EQ(::lstat((dir / "null").c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));
  }
  EXPECT_TRUE(std::filesystem::is_symlink(dir / "link.h5"));
  EXPECT_TRUE(std::filesystem::is_symlink(dir / "dangling.h5"));
  EXPECT_FALSE(std::filesystem::exists(dir / "nowhere.h5"));
  EXPECT_EQ(marker_of(dir / "target.h5"), "target");
  for (const auto& name : names_in(dir.path())) EXPECT_FALSE(name.ends_with(".tmp")) << name;
}

// ---- item 2: the storage fails -------------------------------------------------------------------------

/// A tmpfs of `bytes` mounted on `dir` for the test's lifetime; `skip_reason` says why not when it could not.
class Tmpfs {
 public:
  Tmpfs(const std::filesystem::path& dir, std::size_t bytes) : dir_(dir) {
    std::filesystem::create_directories(dir);
    const std::string options = "size=" + std::to_string(bytes);
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) == 0) {
      mounted_ = true;
    } else {
      skip_reason_ = std::string("cannot mount a tmpfs here (") + std::strerror(errno) +
                     "; needs root with CAP_SYS_ADMIN), so no real ENOSPC: the file-size limit test covers the path";
    }
  }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;
  ~Tmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  [[nodiscard]] bool mounted() const { return mounted_; }
  [[nodiscard]] const std::string& skip_reason() const { return skip_reason_; }

 private:
  std::filesystem::path dir_;
  bool mounted_ = false;
  std::string skip_reason_;
};

/// A soft RLIMIT_FSIZE of `bytes` (SIGXFSZ ignored: writes past it fail with EFBIG) until reset().
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = saved_;
    limit.rlim_cur = bytes;
    active_ = ::setrlimit(RLIMIT_FSIZE, &limit) == 0;
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;
  ~FileSizeLimit() { reset(); }
  void reset() {
    if (!active_) return;
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    ::signal(SIGXFSZ, old_handler_);
    active_ = false;
  }
  [[nodiscard]] bool active() const { return active_; }

 private:
  struct rlimit saved_ {};
  sighandler_t old_handler_ = SIG_DFL;
  bool active_ = false;
};

/// After a failed write: appends refuse, finish() removes the temporary, names path and errno, and leaves
/// the old file as it was.
void expect_not_written(ResultsFile& file, const std::filesystem::path& dir, const std::string& errno_text) {
  const auto temp = file.temp_path();
  EXPECT_THROW(file.latency("rtt").append(1), RecordError);  // nothing more is written
  try {
    file.finish(Status::complete);
    FAIL() << "expected ResultsNotWritten";
  } catch (const ResultsNotWritten& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find((dir / "run.h5").string()), std::string::npos) << what;
    EXPECT_NE(what.find(temp.string()), std::string::npos) << what;
    EXPECT_NE(what.find(errno_text), std::string::npos) << what;
    EXPECT_NE(what.find("left as it was"), std::string::npos) << what;
  }
  EXPECT_FALSE(file.is_open());
  EXPECT_FALSE(std::filesystem::exists(temp));
  EXPECT_EQ(names_in(dir), std::vector<std::string>{"run.h5"});
  ResultsReader old(dir / "run.h5");
  EXPECT_EQ(old.string_attr("/", "status"), "complete");
  EXPECT_EQ(old.string_attr("/", "marker"), "good");
  EXPECT_TRUE(check_results_file(dir / "run.h5").ok());
}

TEST(RecordSafety, DiskFullKeepsTheOldFileAndRemovesTheTemporary) {
  TempDir dir;
  Tmpfs fs(dir / "fs", 512 * 1024);
  if (!fs.mounted()) GTEST_SKIP() << fs.skip_reason();
  write_marked(dir / "fs/run.h5", "good");
  auto file = ResultsFile::create(dir / "fs/run.h5", test::sample_run_info(), small_chunks());
  const std::string error = write_until_failure(file, std::size_t{64} << 20);
  ASSERT_FALSE(error.empty()) << "a 512 KiB tmpfs took 64 MiB";
  EXPECT_NE(error.find("No space left on device"), std::string::npos) << error;
  expect_not_written(file, dir / "fs", "No space left on device");
  // The library is fine afterwards.
  write_marked(dir / "after.h5", "after");
  EXPECT_EQ(marker_of(dir / "after.h5"), "after");
}

// The same path everywhere (no mount needed): a file-size limit makes the writes fail with EFBIG. The
// limit is lifted before finish(): the failure must still be remembered.
TEST(RecordSafety, WriteFailureFromAFileSizeLimitIsRemembered) {
  TempDir dir;
  write_marked(dir / "run.h5", "good");
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info(), small_chunks());
  FileSizeLimit limit(256 * 1024);
  ASSERT_TRUE(limit.active());
  const std::string error = write_until_failure(file, std::size_t{64} << 20);
  limit.reset();
  ASSERT_FALSE(error.empty());
  EXPECT_NE(error.find("File too large"), std::string::npos) << error;
  expect_not_written(file, dir.path(), "File too large");
}

// The limit still holds while finishing (as in a process run under `ulimit -S -f`): closing must not
// fail half-way (HDF5 1.10 would crash at exit on the half-closed file), which the forked child shows by
// exiting normally through HDF5's atexit clean-up.
TEST(RecordSafety, FailedFileClosesCleanlyWhileTheLimitHolds) {
  TempDir dir;
  write_marked(dir / "run.h5", "good");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int rc = 10;
    {
      auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info(), small_chunks());
      FileSizeLimit limit(256 * 1024);
      if (!write_until_failure(file, std::size_t{64} << 20).empty()) {
        rc = 11;
        try {
          file.finish(Status::complete);
        } catch (const ResultsNotWritten&) {
          rc = 0;
        } catch (...) {
          rc = 12;
        }
      }
    }
    std::exit(rc);  // runs HDF5's atexit clean-up
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "child killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"run.h5"});
  EXPECT_EQ(marker_of(dir / "run.h5"), "good");
}

// ---- item 4: check_results_file ------------------------------------------------------------------------

TEST(RecordCheck, CompleteFailedAndInterruptedFiles) {
  TempDir dir;
  write_marked(dir / "ok.h5", "ok");
  {
    auto file = ResultsFile::create(dir / "failed.h5", test::sample_run_info());
    file.events().append(Event{0, {}, Severity::error, "error", "", "x"});
    file.finish(Status::failed, "verification failed: rank 3");
  }
  {
    auto file = ResultsFile::create(dir / "int.h5", test::sample_run_info());
    file.finish(Status::interrupted, "interrupted by signal");
  }
  const auto ok = check_results_file(dir / "ok.h5");
  EXPECT_TRUE(ok.ok()) << ok.describe();
  EXPECT_EQ(ok.verdict, Verdict::complete);
  EXPECT_TRUE(ok.readable);
  EXPECT_EQ(ok.writer_pid, getpid());
  EXPECT_EQ(ok.describe(), (dir / "ok.h5").string() + ": complete (readable)");
  const auto failed = check_results_file(dir / "failed.h5");
  EXPECT_EQ(failed.verdict, Verdict::failed);
  EXPECT_TRUE(failed.readable);
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.detail, "verification failed: rank 3");
  EXPECT_EQ(check_results_file(dir / "int.h5").verdict, Verdict::interrupted);
}

TEST(RecordCheck, MissingDirectoryGarbageAndTruncatedFiles) {
  TempDir dir;
  EXPECT_EQ(check_results_file(dir / "none.h5").verdict, Verdict::missing);
  EXPECT_EQ(check_results_file(dir.path()).verdict, Verdict::not_a_file);
  std::ofstream(dir / "garbage.h5") << "not HDF5 at all";
  const auto garbage = check_results_file(dir / "garbage.h5");
  EXPECT_EQ(garbage.verdict, Verdict::unreadable);
  EXPECT_FALSE(garbage.readable);
  EXPECT_FALSE(garbage.detail.empty());

  {
    auto file = ResultsFile::create(dir / "big.h5", test::sample_run_info(), small_chunks());
    std::vector<std::uint64_t> samples(200000);
    std::iota(samples.begin(), samples.end(), 0);
    file.latency("rtt").append(samples);
    file.finish(Status::complete);
  }
  const auto size = std::filesystem::file_size(dir / "big.h5");
  std::filesystem::copy_file(dir / "big.h5", dir / "cut.h5");
  std::filesystem::resize_file(dir / "cut.h5", size / 2);
  EXPECT_TRUE(check_results_file(dir / "big.h5").ok());
  const auto cut = check_results_file(dir / "cut.h5");
  EXPECT_EQ(cut.verdict, Verdict::unreadable) << cut.describe();
  // An HDF5 file that is not a results file.
  {
    const hid_t f = H5Fcreate((dir / "other.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    H5Fclose(f);
  }
  const auto other = check_results_file(dir / "other.h5");
  EXPECT_EQ(other.verdict, Verdict::unreadable);
  EXPECT_NE(other.detail.find("not a RingKernel results file"), std::string::npos) << other.detail;
}

// A file being written: its writer holds it locked; check does not read it.
TEST(RecordCheck, AFileBeingWrittenIsRunning) {
  TempDir dir;
  auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
  const auto report = check_results_file(file.temp_path());
  EXPECT_EQ(report.verdict, Verdict::running) << report.describe();
  EXPECT_FALSE(report.read);
  EXPECT_EQ(report.writer_pid, getpid());
  EXPECT_TRUE(abandoned_temporaries(dir / "run.h5").empty());
  file.finish(Status::complete);
}

// A writer killed while its file was open: the temporary says `running`, its writer is gone.
TEST(RecordCheck, AKilledWritersTemporaryIsAbandoned) {
  TempDir dir;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto file = ResultsFile::create(dir / "run.h5", test::sample_run_info());
    file.latency("rtt").append(std::vector<std::uint64_t>{5, 6, 7});
    file.flush();
    ::_exit(0);  // like SIGKILL: no finish, no clean-up
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  const auto names = names_in(dir.path());
  ASSERT_EQ(names.size(), 1u) << joined(names);
  const auto temp = dir / names[0];
  EXPECT_TRUE(names[0].starts_with("run.h5." + std::to_string(child) + ".")) << names[0];

  const auto report = check_results_file(temp);
  EXPECT_EQ(report.verdict, Verdict::abandoned) << report.describe();
  EXPECT_TRUE(report.readable);
  EXPECT_EQ(report.status, "running");
  EXPECT_EQ(report.writer_pid, child);
  EXPECT_NE(report.describe().find("is gone"), std::string::npos) << report.describe();

  std::ofstream(dir / "run.h5.tmp") << "an older writer's leftover";
  std::ofstream(dir / "other.h5.123.0123abcd.tmp") << "another output's temporary";
  const auto stale = abandoned_temporaries(dir / "run.h5");
  ASSERT_EQ(stale.size(), 2u);
  EXPECT_EQ(stale[0].path, temp);
  EXPECT_EQ(stale[1].path, dir / "run.h5.tmp");
  EXPECT_EQ(stale[1].verdict, Verdict::unreadable);
  // A new run of the same output does not touch them.
  write_marked(dir / "run.h5", "new");
  EXPECT_TRUE(std::filesystem::exists(temp));
  EXPECT_EQ(abandoned_temporaries(dir / "run.h5").size(), 2u);
}

}  // namespace
}  // namespace rk::record
