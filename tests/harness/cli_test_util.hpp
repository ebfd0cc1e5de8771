// Helpers for the end-to-end tests of the `ringkernel` executable: run it as a child process (fork/exec,
// stdout/stderr captured to files), wait with a timeout, send signals, and per-test temporary folders.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace rk::harness_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline const std::string kExe = RINGKERNEL_EXE;
inline const fs::path kSourceDir = RK_SOURCE_DIR;

inline std::string shipped(const std::string& name) { return (kSourceDir / "scenarios" / (name + ".yaml")).string(); }

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

/// A fresh folder per test, removed at the end (kept when the test failed, for inspection).
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/rk-harness-test-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    if (!::testing::Test::HasFailure()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    } else {
      std::fprintf(stderr, "[ kept     ] %s\n", path_.c_str());
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

struct ProcResult {
  int exit_code = -1;  ///< exit status, or -1 when killed by a signal / timed out
  int term_signal = 0;
  bool timed_out = false;
  std::string out, err;
};

/// A running `ringkernel` child. stdout/stderr go to files in `dir`; cwd is `dir`.
/// A soft resource limit the child sets before exec (resource < 0: none).
struct ChildLimit {
  int resource = -1;
  rlim_t soft = 0;
};

class Child {
 public:
  /// With `limit`, the child lowers that soft limit before exec, ignores SIGXFSZ (a write past
  /// RLIMIT_FSIZE then fails with EFBIG instead of killing it) and keeps malloc to two arenas (per-thread
  /// arenas would take address space on many cores).
  Child(const std::vector<std::string>& args, const fs::path& dir, ChildLimit limit = {}) : dir_(dir) {
    static int counter = 0;
    const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(counter++);
    out_path_ = dir / ("stdout-" + tag + ".txt");
    err_path_ = dir / ("stderr-" + tag + ".txt");
    std::vector<std::string> full{kExe};
    full.insert(full.end(), args.begin(), args.end());
    argv_ = full;
    std::vector<char*> cargv;
    for (auto& a : full) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    const std::string out_s = out_path_.string(), err_s = err_path_.string(), dir_s = dir.string();
    start_ = std::chrono::steady_clock::now();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      // Child: only async-signal-safe calls until exec.
      const int o = ::open(out_s.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int e = ::open(err_s.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int n = ::open("/dev/null", O_RDONLY);
      if (o < 0 || e < 0 || n < 0 || ::chdir(dir_s.c_str()) != 0) ::_exit(126);
      ::dup2(n, 0);
      ::dup2(o, 1);
      ::dup2(e, 2);
      // The child starts with default dispositions and an empty mask for the signals under test.
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::signal(SIGINT, SIG_DFL);
      ::signal(SIGTERM, SIG_DFL);
      if (limit.resource >= 0) {
        struct rlimit l {};
        ::getrlimit(limit.resource, &l);
        l.rlim_cur = std::min(limit.soft, l.rlim_max);
        ::setenv("MALLOC_ARENA_MAX", "2", 1);
        if (::setrlimit(limit.resource, &l) != 0) ::_exit(125);
        ::signal(SIGXFSZ, SIG_IGN);
      }
      ::execv(cargv[0], cargv.data());
      ::_exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  bool running() {
    if (reaped_) return false;
    const pid_t r = ::waitpid(pid_, &status_, WNOHANG);
    if (r == pid_) reaped_ = true;
    return !reaped_;
  }
  void send(int sig) {
    if (!reaped_) ::kill(pid_, sig);
  }
  double elapsed_s() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  /// Waits until `pred()` is true or the child exits or `timeout` passes; returns pred's last value.
  template <class Pred>
  bool wait_until(Pred pred, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (pred()) return true;
      if (!running() || std::chrono::steady_clock::now() > deadline) return pred();
      std::this_thread::sleep_for(10ms);
    }
  }

  /// Waits for the exit (SIGKILL after `timeout`) and collects the output.
  ProcResult wait(std::chrono::milliseconds timeout) {
    ProcResult r;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
      if (std::chrono::steady_clock::now() > deadline) {
        r.timed_out = true;
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status_, 0);
        reaped_ = true;
        break;
      }
      std::this_thread::sleep_for(5ms);
    }
    if (WIFEXITED(status_)) r.exit_code = WEXITSTATUS(status_);
    if (WIFSIGNALED(status_)) r.term_signal = WTERMSIG(status_);
    r.out = read_text(out_path_);
    r.err = read_text(err_path_);
    return r;
  }

  std::string command_line() const {
    std::string s;
    for (const auto& a : argv_) s += (s.empty() ? "" : " ") + a;
    return s;
  }

 private:
  fs::path dir_, out_path_, err_path_;
  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
  std::chrono::steady_clock::time_point start_;
};

/// Runs `ringkernel ARGS...` in `dir` to completion (killed after `timeout`).
inline ProcResult run_cli(const std::vector<std::string>& args, const fs::path& dir,
                          std::chrono::milliseconds timeout = 60s) {
  Child c(args, dir);
  return c.wait(timeout);
}

inline std::string describe(const ProcResult& r) {
  std::ostringstream s;
  s << "exit_code=" << r.exit_code << " signal=" << r.term_signal << (r.timed_out ? " TIMED OUT" : "")
    << "\n--- stdout ---\n"
    << r.out << "\n--- stderr ---\n"
    << r.err;
  return s.str();
}

/// The temporary a run writing `p` uses ("<p>.<pid>.<hex>.tmp"); "<p>.tmp" (an older writer's name, which
/// no run creates) when there is none.
inline fs::path tmp_of(const fs::path& p) {
  const std::string prefix = p.filename().string() + ".";
  std::error_code ec;
  for (fs::directory_iterator it(p.parent_path().empty() ? fs::path(".") : p.parent_path(), ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() > prefix.size() + 4 && name.starts_with(prefix) && name.ends_with(".tmp")) return p.parent_path() / name;
  }
  return fs::path(p.string() + ".tmp");
}

}  // namespace rk::harness_test
