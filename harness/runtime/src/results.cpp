// The results file's first and last words: open_results, finish_results, record_failure (run.hpp).
#include <filesystem>

#include <spdlog/spdlog.h>

#include "rk/record/check.hpp"
#include "run.hpp"
#include "sinks.hpp"
#include "system_info.hpp"

namespace rk::harness {

namespace {

std::string default_output(const scenario::Scenario& sc) {
  std::string ts = record::utc_timestamp();
  for (char& c : ts)
    if (c == ':') c = '-';
  return "results/" + sc.name + "-" + ts + ".h5";
}

}  // namespace

void open_results(Run& run) {
  const scenario::Scenario& sc = run.prepared.sc;
  run.result.results = run.opts.output.empty() ? std::filesystem::path(default_output(sc)) : run.opts.output;
  run.result.rank = run.cluster.rank();
  if (!run.root()) return;
  std::error_code ec;
  if (std::filesystem::is_directory(run.result.results, ec))
    throw InputError("--output " + run.result.results.string() + " is a directory; give a file name");
  record::RunInfo info;
  info.scenario_yaml = sc.source_text;
  info.argv = run.opts.argv;
  info.backend = run.prepared.backend->name;
  info.device_count = run.layout->devices;
  info.git_revision = git_revision();
  info.git_dirty = git_dirty();
  info.build_type = build_type();
  info.versions = library_versions();
  if (run.cluster.distributed()) info.versions["mpi"] = run.cluster.library_version();
  for (const auto& stale : record::abandoned_temporaries(run.result.results))
    spdlog::warn("a temporary results file left by a run that did not finish: {} (`ringkernel check` tells what is in it; "
                 "remove it when no longer needed)", stale.describe());
  try {
    run.file.emplace(record::ResultsFile::create(run.result.results, info));
  } catch (const record::RecordError& e) {
    throw InputError("cannot create the results file: " + std::string(e.what()));
  }
  if (run.file->replaces_existing())
    spdlog::warn("{} exists; this run replaces it when it finishes", run.result.results.string());
  run.file->set_attr("scenario_name", sc.name);
  run.file->set_attr("workload", sc.workload.name);
  run.file->set_attr("seed", static_cast<std::int64_t>(sc.seed));
  run.file->set_attr("mpi_ranks", static_cast<std::int64_t>(run.cluster.size()));
  record_environment_start(run);
  if (!run.prepared.backend_note.empty()) {
    record::Event e;
    e.severity = record::Severity::warning;
    e.kind = "backend";
    e.message = run.prepared.backend_note;
    e.hlc = event_hlc(nullptr);  // before the backend runs: the host node's clock, fresh
    run.file->events().append(e);
  }
}

void finish_results(Run& run) {
  if (!run.root()) return;
  // An interrupt at any point before the file is finished makes the run `interrupted`, never `complete`.
  if (!run.cluster.distributed() && stop_flag().load()) run.interrupted = true;
  workloads::Workload& w = *run.prepared.workload;
  if (!run.interrupted) run.verification = w.verify();
  w.write_results(*run.sink);
  record_environment_end(run);
  RunResult& r = run.result;
  if (run.interrupted) {
    r.status = "interrupted";
    r.exit_code = kExitInterrupted;
    run.file->finish(record::Status::interrupted, "interrupted by signal");
  } else if (!run.verification.ok) {
    r.status = "failed";
    r.exit_code = kExitFailed;
    r.error = "verification failed: " + run.verification.failures.front();
    for (const auto& f : run.verification.failures) run.sink->event("error", "verification", "", f);
    run.file->finish(record::Status::failed, r.error);
  } else {
    r.status = "complete";
    run.file->finish(record::Status::complete);
  }
}

void record_failure(Run& run, const std::exception& e) {
  const bool stopped = stop_flag().load();
  RunResult& r = run.result;
  r.status = stopped ? "interrupted" : "failed";
  r.exit_code = stopped ? kExitInterrupted : kExitFailed;
  r.error = e.what();
  if (dynamic_cast<const OtherRankFailed*>(&e)) {
    r.status = "failed";
    r.exit_code = kExitFailed;
    return;
  }
  if (run.file && run.file->is_open()) {
    try {
      if (run.sink) run.sink->event("error", "error", "", e.what());
    } catch (const std::exception&) {
      // The file cannot take it (its storage failed): finish() below says what became of it.
    }
    try {
      record_environment_end(run);
    } catch (const std::exception&) {
      // As above: finish() says what became of the file.
    }
    try {
      run.file->finish(stopped ? record::Status::interrupted : record::Status::failed, e.what());
    } catch (const record::ResultsNotWritten& f) {
      // Usually for the failure just recorded in r.error: say what became of the files, not the cause again.
      r.error += "; " + (r.error.find(f.cause()) != std::string::npos ? f.outcome() : std::string(f.what()));
    } catch (const std::exception& f) {
      r.error += std::string("; ") + f.what();
    }
  }
}

}  // namespace rk::harness
