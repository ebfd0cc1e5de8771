// ringkernel: run, validate and list scenarios; show devices; check and compare results files, export their
// traces. All logic lives in the libraries; this
// file parses the command line, installs the signal handlers and maps outcomes to exit codes:
// 0 success, 1 run failed (compare: a regression), 2 invalid input, 130 interrupted (after a clean drain).
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <ostream>
#include <utility>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "rk/compare/compare.hpp"
#include "rk/harness/driver.hpp"
#include "rk/record/check.hpp"
#include "rk/record/error.hpp"
#include "rk/record/results_file.hpp"
#include "rk/record/trace.hpp"
#include "rk/scenario/scenario.hpp"

namespace {

/// The first SIGINT/SIGTERM asks the run to stop (it drains and keeps its results, marked `interrupted`);
/// a second one ends the process at once. Then nothing is renamed: no file claims to be complete, and an
/// earlier file at the output path is left as it was.
extern "C" void on_signal(int) {
  if (rk::harness::stop_flag().exchange(true)) {
    static const char msg[] = "\nringkernel: second interrupt: exiting now, results not written\n";
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    _exit(rk::harness::kExitInterrupted);
  }
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

std::vector<std::filesystem::path> shipped_scenarios() {
  std::vector<std::filesystem::path> out;
  for (const char* dir : {"scenarios", RK_SOURCE_DIR "/scenarios"}) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      if (e.path().extension() == ".yaml") out.push_back(e.path());
    if (!out.empty()) break;
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// One line per declared parameter, columns aligned.
void print_params(std::ostream& out, const std::string& indent, const std::vector<rk::ParamSpec>& specs) {
  std::size_t wn = 0, wt = 0, wd = 0;
  for (const auto& s : specs) {
    wn = std::max(wn, s.name.size());
    wt = std::max(wt, s.type_text().size());
    wd = std::max(wd, s.default_text.size());
  }
  for (const auto& s : specs) {
    const std::string type = s.type_text();
    out << indent << s.name << std::string(wn - s.name.size() + 2, ' ') << type << std::string(wt - type.size() + 2, ' ')
        << s.default_text << std::string(wd - s.default_text.size() + 2, ' ') << s.doc << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"RingKernel: persistent GPU actors (ring kernels) and the harness that measures them"};
  app.set_version_flag("--version", std::string("ringkernel ") + RK_VERSION + " (" + RK_GIT_REVISION + ")");
  app.require_subcommand(1);

  rk::harness::RunOptions run_opts;
  std::string log_level = "warn";
  std::string scenario_path;
  auto* run = app.add_subcommand("run", "Run a scenario and record its results to HDF5");
  run->add_option("scenario", scenario_path, "Scenario file (YAML)")->required();
  run->add_option("--backend", run_opts.backend, "auto, cpu or cuda (overrides the scenario)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  run->add_option("--set", run_opts.overrides, "Override a scenario key: KEY=VALUE (dotted path), repeatable");
  run->add_option("--output,-o", run_opts.output, "Results file (default results/<scenario>-<UTC>.h5)");
  run->add_option("--log-level", log_level, "trace, debug, info, warn, error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  run->add_flag("--quiet,-q", run_opts.quiet, "No progress line, no summary table");
  run->add_option("--format", run_opts.format,
                  "Summary on stdout: text (default), json (one object, figures as numbers with units) or csv "
                  "(name,value,unit)")
      ->check(CLI::IsMember({"text", "json", "csv"}));

  std::vector<std::string> validate_paths;
  std::vector<std::string> validate_sets;
  auto* validate = app.add_subcommand("validate", "Check scenario files without running them");
  validate->add_option("scenarios", validate_paths, "Scenario files")->required();
  validate->add_option("--set", validate_sets, "Override a scenario key: KEY=VALUE, repeatable");

  auto* list = app.add_subcommand("list", "List kernel types, workloads and shipped scenarios");
  auto* devices = app.add_subcommand("devices", "Show the backends and devices of this machine");

  std::vector<std::string> check_paths;
  auto* check = app.add_subcommand(
      "check", "Report each results file's status (complete, failed, interrupted, running, abandoned) and whether "
               "it can be read in full; exit 0 when all are complete, 1 otherwise, 2 for a missing file");
  check->add_option("files", check_paths, "Results files (.h5), or temporaries (.tmp) of runs")->required();

  std::vector<std::string> compare_baseline, compare_candidate;
  std::string compare_threshold = "5%", compare_alpha = "0.05", compare_format = "text";
  bool compare_raw = false;
  auto* compare = app.add_subcommand(
      "compare",
      "Compare repetitions of a baseline with repetitions of a candidate (one results file per repetition): "
      "BASELINE.h5... --vs CANDIDATE.h5...; a verdict SAME/FASTER/SLOWER/UNSURE per figure; exit 1 when a figure "
      "is SLOWER, 0 otherwise, 2 for bad input");
  compare->add_option("baseline", compare_baseline, "Baseline results files, one per repetition")->required();
  compare->add_option("--vs", compare_candidate, "Candidate results files, one per repetition")->required();
  compare->add_option("--threshold", compare_threshold, "Smallest change that counts (5% or 0.05; default 5%)");
  compare->add_option("--alpha", compare_alpha, "Significance level of the Mann-Whitney U test (default 0.05)");
  compare->add_option("--format", compare_format, "text, markdown or json")
      ->check(CLI::IsMember({"text", "markdown", "json"}));
  compare->add_flag("--raw", compare_raw, "Compare absolute figures, not the ones normalised by an in-run baseline");

  std::string trace_input;
  std::string trace_output;
  auto* trace = app.add_subcommand(
      "trace", "Write a results file's events as Chrome/Perfetto trace JSON (ordered by hybrid logical clock; "
               "open in ui.perfetto.dev or chrome://tracing)");
  trace->add_option("file", trace_input, "Results file (.h5)")->required();
  trace->add_option("--output,-o", trace_output, "Trace file to write (default: stdout)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : rk::harness::kExitInvalidInput;
  }

  // Under mpirun every rank runs this; rank 0 alone reports errors (each rank sees the same ones).
  const bool reporter = rk::harness::launcher_rank() == 0;
  try {
    // Log lines go to stderr (stdout carries the summary), at --log-level for every logger.
    spdlog::set_default_logger(spdlog::stderr_color_mt("ringkernel"));
    spdlog::set_level(spdlog::level::from_str(log_level));
    if (*run) {
      install_signal_handlers();
      run_opts.scenario = scenario_path;
      run_opts.argv.assign(argv, argv + argc);
      run_opts.progress = !run_opts.quiet && isatty(STDERR_FILENO);
      rk::harness::RunResult r;
      try {
        r = rk::harness::run_scenario(run_opts, std::cout);
      } catch (const std::exception& e) {
        // A results file the exception left unfinished records why (rank 0; a no-op elsewhere).
        for (const auto& error : rk::record::finish_unwound_files(e.what()))
          if (reporter) std::cerr << "ringkernel: error: " << error << "\n";
        throw;
      }
      if (r.rank != 0) return r.exit_code;  // under MPI, rank 0 reports for every rank
      if (r.exit_code == rk::harness::kExitFailed) std::cerr << "ringkernel: run failed: " << r.error << "\n";
      if (r.exit_code == rk::harness::kExitInterrupted) {
        if (!r.results.empty())
          std::cerr << "ringkernel: interrupted; results kept in " << r.results << "\n";
        else
          std::cerr << "ringkernel: interrupted before the run started; no results file written\n";
      }
      if (rk::record::storage_failed() && !rk::harness::started_by_mpi_launcher()) {
        // Everything is said and the old file kept; skip HDF5's exit handler, which may crash on the ids
        // of the failed file (see storage_failed()). Under MPI the normal exit finalises MPI.
        std::cout.flush();
        std::cerr.flush();
        std::fflush(nullptr);
        std::_Exit(r.exit_code);
      }
      return r.exit_code;
    }
    if (*validate) {
      int rc = 0;
      for (const auto& p : validate_paths) {
        try {
          const auto sc = rk::harness::validate_scenario(p, validate_sets);
          std::cout << p << ": ok (" << sc.kernels.size() << " kernels on " << sc.devices << " device(s), "
                    << sc.routes.size() << " routes, workload " << sc.workload.name << ")\n";
        } catch (const rk::scenario::ScenarioError& e) {
          std::cerr << e.what() << "\n";
          rc = rk::harness::kExitInvalidInput;
        } catch (const rk::harness::InputError& e) {
          std::cerr << "ringkernel: error: " << e.what() << "\n";
          rc = rk::harness::kExitInvalidInput;
        }
      }
      return rc;
    }
    if (*list) {
      std::cout << "kernel types (params: name  type  default  doc):\n";
      for (const auto& t : rk::harness::registered_kernel_types()) {
        std::cout << "  " << t << "\n";
        print_params(std::cout, "      ", rk::harness::kernel_type_params(t));
      }
      std::cout << "workloads (params: name  type  default  doc):\n";
      for (const auto& w : rk::harness::registered_workloads()) {
        std::cout << "  " << w.name << "  " << w.description << "\n";
        std::string limits;
        for (const auto& [honoured, key] : {std::pair{w.limits.duration, "duration"}, std::pair{w.limits.iterations, "iterations"},
                                            std::pair{w.limits.warmup, "warmup"}})
          if (honoured) limits += std::string(limits.empty() ? "" : ", ") + key;
        std::cout << "    honours: " << (limits.empty() ? "none of duration, iterations, warmup" : limits) << "\n";
        print_params(std::cout, "      ", w.params);
        if (!w.generator_params.empty()) {
          std::cout << "    generator:\n";
          print_params(std::cout, "      ", w.generator_params);
        }
      }
      std::cout << "scenarios:\n";
      for (const auto& s : shipped_scenarios()) std::cout << "  " << s.string() << "\n";
      return 0;
    }
    if (*devices) {
      rk::harness::describe_devices(std::cout);
      return 0;
    }
    if (*compare) {
      try {
        rk::compare::CompareOptions options;
        options.baseline.assign(compare_baseline.begin(), compare_baseline.end());
        options.candidate.assign(compare_candidate.begin(), compare_candidate.end());
        options.raw = compare_raw;
        options.rule.threshold = rk::compare::parse_fraction(compare_threshold);
        options.rule.alpha = rk::compare::parse_fraction(compare_alpha);
        const rk::compare::Comparison result = rk::compare::compare_runs(options);
        if (compare_format == "json") {
          rk::compare::write_json(std::cout, result);
        } else if (compare_format == "markdown") {
          rk::compare::write_markdown(std::cout, result);
        } else {
          rk::compare::write_text(std::cout, result);
        }
        return result.exit_code();
      } catch (const rk::compare::InputError& e) {
        std::cerr << "ringkernel: error: " << e.what() << "\n";
        return rk::harness::kExitInvalidInput;
      }
    }
    if (*trace) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(trace_input, ec))
        throw rk::harness::InputError(trace_input + ": no such results file");
      std::ostringstream json;
      rk::record::TraceCounts counts;
      try {
        counts = rk::record::write_chrome_trace(trace_input, json);
      } catch (const rk::record::RecordError& e) {
        throw rk::harness::InputError(trace_input + ": cannot read it as a results file: " + e.what());
      }
      if (trace_output.empty() || trace_output == "-") {
        std::cout << json.str();
      } else {
        std::ofstream f(trace_output, std::ios::binary | std::ios::trunc);
        f << json.str();
        f.close();
        if (!f) throw std::runtime_error("cannot write " + trace_output + ": " + std::strerror(errno));
        std::cerr << "ringkernel: " << trace_output << ": " << counts.events << " events, " << counts.spans
                  << " kernel spans, " << counts.flows << " message flows\n";
      }
      return 0;
    }
    if (*check) {
      int rc = 0;
      for (const auto& p : check_paths) {
        const rk::record::FileReport report = rk::record::check_results_file(p);
        if (report.verdict == rk::record::Verdict::missing || report.verdict == rk::record::Verdict::not_a_file) {
          std::cerr << "ringkernel: error: " << report.describe() << "\n";
          rc = rk::harness::kExitInvalidInput;
          continue;
        }
        std::cout << report.describe() << "\n";
        if (!report.ok() && rc == 0) rc = rk::harness::kExitFailed;
      }
      return rc;
    }
  } catch (const rk::scenario::ScenarioError& e) {
    if (reporter) std::cerr << e.what() << "\n";
    return rk::harness::kExitInvalidInput;
  } catch (const rk::harness::InputError& e) {
    if (reporter) std::cerr << "ringkernel: error: " << e.what() << "\n";
    return rk::harness::kExitInvalidInput;
  } catch (const std::exception& e) {
    if (reporter) std::cerr << "ringkernel: error: " << e.what() << "\n";
    return rk::harness::kExitFailed;
  }
  return 0;
}
