// libFuzzer target for the results-file reader (harness/record/include/rk/record/reader.hpp), used
// read-only. The reader promises that every failure is a RecordError; anything else escaping (another
// exception, a crash, a sanitizer report) is a bug.
//
// The input is not the file's bytes but a small program that builds a *well-formed* HDF5 file through the
// HDF5 API: attributes on "/" and datasets at the paths the reader knows, with types chosen by the input
// (integers of several widths, doubles, fixed and variable-length strings, compounds whose members carry
// the names of the real records — wrong types, missing or extra members), dataspaces (scalar, null, 1-D,
// 2-D, extendable) and contents. That is what a results file from another version, another tool or a
// half-finished run looks like, and how our reader meets it. Corrupt bytes are HDF5's own parser's
// business: fuzzing raw bytes finds memory errors inside Debian's libhdf5 1.10 itself (e.g. an overlapping
// memcpy in H5HG_read on a damaged global heap), which this project cannot fix.
//
// Datasets the reader would read whole are read only when their length is modest, so that a file claiming
// 2^40 rows does not just measure the allocator.
//
// Found by this target at once and fixed: ResultsReader's numeric attribute getters (u64_attr, i64_attr,
// f64_attr, bool_attr) read the whole attribute into one value, so an attribute of N > 1 numbers overflowed
// the stack; they now refuse an attribute that does not hold exactly one value. The target calls them on
// every attribute it made, arrays included.
#include <hdf5.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fuzzer/FuzzedDataProvider.h>
#include <string>
#include <vector>

#include "rk/record/error.hpp"
#include "rk/record/reader.hpp"

namespace rec = rk::record;

namespace {

std::string g_path;
constexpr std::uint64_t kMaxRows = 1 << 16;

const char* const kDatasets[] = {"/devices", "/events", "/telemetry/echo/samples", "/latency/round_trip/samples_ns",
                                 "/throughput/echo_processed/t_ns", "/workloads/ping_pong/symbols"};
const char* const kAttributes[] = {"format", "format_version", "status", "scenario_yaml", "backend", "git_revision",
                                   "started_utc", "hostname", "build_type", "error", "argv", "device_count",
                                   "duration_s", "git_dirty"};
const char* const kMembers[] = {
    "wall_ns", "hlc_physical", "hlc_logical", "hlc_node", "severity", "kind", "kernel", "message", "index", "name",
    "memory_bytes", "clock_khz", "memory_clock_khz", "multiprocessor_count", "compute_capability", "cpu_model", "rank",
    "host", "t_ns", "messages_processed", "messages_dropped", "total_latency_ns", "min_latency_ns", "max_latency_ns",
    "input_queue_depth", "output_queue_depth", "last_error", "error_count", "in_flight", "is_active", "has_terminated"};

template <class F>
void attempt(F&& f) {
  try {
    f();
  } catch (const rec::RecordError&) {
  }
}

void read_everything(const rec::ResultsReader& r) {
  for (const char* name : kAttributes) {
    attempt([&] {
      if (r.has_attr("/", name)) (void)r.string_attr("/", name);
    });
  }
  attempt([&] { (void)r.string_array_attr("/", "argv"); });
  for (const char* name : {"device_count", "duration_s", "git_dirty", "status"}) {
    attempt([&] { (void)r.u64_attr("/", name); });
    attempt([&] { (void)r.i64_attr("/", name); });
    attempt([&] { (void)r.f64_attr("/", name); });
    attempt([&] { (void)r.bool_attr("/", name); });
  }
  attempt([&] { (void)r.has("/telemetry/echo/samples/deeper"); });
  attempt([&] {
    if (r.has("/devices") && r.length("/devices") <= kMaxRows) (void)r.read_devices();
  });
  attempt([&] {
    if (r.has("/events") && r.length("/events") <= kMaxRows) (void)r.read_events();
  });
  attempt([&] {
    if (r.has("/telemetry/echo/samples") && r.length("/telemetry/echo/samples") <= kMaxRows) (void)r.read_telemetry("echo");
  });
  attempt([&] {
    const std::string p = "/latency/round_trip/samples_ns";
    if (r.has(p) && r.length(p) <= kMaxRows) (void)r.read_array<std::uint64_t>(p);
  });
  attempt([&] {
    const std::string p = "/throughput/echo_processed/t_ns";
    if (r.has(p) && r.length(p) <= kMaxRows) (void)r.read_array<double>(p);
  });
  attempt([&] {
    const std::string p = "/workloads/ping_pong/symbols";
    if (r.has(p) && r.length(p) <= kMaxRows) (void)r.read_strings(p);
  });
}

// ---------------------------------------------------------------------------------------------------
// Building the file.

/// A memory type together with what filling it needs.
struct Type {
  hid_t id = -1;
  std::size_t size = 0;
  bool vlen_string = false;
  std::vector<std::size_t> vlen_members;  ///< compound: offsets of char* members
};

class Builder {
 public:
  explicit Builder(FuzzedDataProvider& in) : in_(in) {}
  ~Builder() {
    for (hid_t t : types_) H5Tclose(t);
  }
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;

  Type scalar_type() {
    Type t;
    switch (in_.ConsumeIntegralInRange(0, 7)) {
      case 0: t.id = keep(H5Tcopy(H5T_NATIVE_UINT8)); break;
      case 1: t.id = keep(H5Tcopy(H5T_NATIVE_INT32)); break;
      case 2: t.id = keep(H5Tcopy(H5T_NATIVE_UINT32)); break;
      case 3: t.id = keep(H5Tcopy(H5T_NATIVE_UINT64)); break;
      case 4: t.id = keep(H5Tcopy(H5T_NATIVE_INT64)); break;
      case 5: t.id = keep(H5Tcopy(H5T_NATIVE_DOUBLE)); break;
      case 6: {
        t.id = keep(H5Tcopy(H5T_C_S1));
        H5Tset_size(t.id, in_.ConsumeIntegralInRange<std::size_t>(1, 40));
        H5Tset_strpad(t.id, in_.ConsumeBool() ? H5T_STR_NULLTERM : H5T_STR_NULLPAD);
        break;
      }
      default: {
        t.id = keep(H5Tcopy(H5T_C_S1));
        H5Tset_size(t.id, H5T_VARIABLE);
        H5Tset_cset(t.id, in_.ConsumeBool() ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
        t.vlen_string = true;
        break;
      }
    }
    t.size = H5Tget_size(t.id);
    return t;
  }

  Type any_type() {
    if (in_.ConsumeIntegralInRange(0, 2) != 0) return scalar_type();
    const int members = in_.ConsumeIntegralInRange(1, 12);
    std::vector<std::pair<const char*, Type>> parts;
    std::size_t size = 0;
    for (int m = 0; m < members; ++m) {
      const char* name = kMembers[in_.ConsumeIntegralInRange<std::size_t>(0, std::size(kMembers) - 1)];
      bool duplicate = false;
      for (const auto& p : parts) duplicate = duplicate || std::strcmp(p.first, name) == 0;
      if (duplicate) continue;
      parts.emplace_back(name, scalar_type());
      size += parts.back().second.size;
    }
    Type t;
    t.id = keep(H5Tcreate(H5T_COMPOUND, size));
    t.size = size;
    std::size_t offset = 0;
    for (const auto& [name, member] : parts) {
      H5Tinsert(t.id, name, offset, member.id);
      if (member.vlen_string) t.vlen_members.push_back(offset);
      offset += member.size;
    }
    return t;
  }

  /// The dataspace (and whether it may grow, which needs chunking).
  hid_t space(bool for_dataset, bool& extendable) {
    extendable = false;
    switch (in_.ConsumeIntegralInRange(0, for_dataset ? 4 : 3)) {
      case 0: return keep_space(H5Screate(H5S_SCALAR));
      case 1: return keep_space(H5Screate(H5S_NULL));
      case 2: {
        const hsize_t n = in_.ConsumeIntegralInRange<hsize_t>(0, 24);
        return keep_space(H5Screate_simple(1, &n, nullptr));
      }
      case 3: {
        const hsize_t dims[2] = {in_.ConsumeIntegralInRange<hsize_t>(0, 4), in_.ConsumeIntegralInRange<hsize_t>(0, 4)};
        return keep_space(H5Screate_simple(2, dims, nullptr));
      }
      default: {
        const hsize_t n = in_.ConsumeIntegralInRange<hsize_t>(0, 24), max = H5S_UNLIMITED;
        extendable = true;
        return keep_space(H5Screate_simple(1, &n, &max));
      }
    }
  }

  /// `count` elements of `t`, from the input; variable-length strings point into strings_.
  std::vector<unsigned char> data(const Type& t, std::size_t count) {
    std::vector<unsigned char> buf(t.size * count);
    for (auto& b : buf) b = in_.ConsumeIntegral<unsigned char>();
    auto point_at_string = [&](std::size_t at) {
      strings_.push_back(in_.ConsumeRandomLengthString(48));
      const char* p = in_.ConsumeIntegralInRange(0, 9) == 0 ? nullptr : strings_.back().c_str();
      std::memcpy(buf.data() + at, &p, sizeof p);
    };
    for (std::size_t i = 0; i < count; ++i) {
      if (t.vlen_string) point_at_string(i * t.size);
      for (const std::size_t offset : t.vlen_members) point_at_string(i * t.size + offset);
    }
    return buf;
  }

  void add(hid_t file) {
    const bool dataset = in_.ConsumeBool();
    const Type t = any_type();
    bool extendable = false;
    const hid_t s = space(dataset, extendable);
    if (t.id < 0 || s < 0) return;
    const hssize_t points = H5Sget_simple_extent_npoints(s);
    const std::vector<unsigned char> buf = data(t, points > 0 ? static_cast<std::size_t>(points) : 0);
    if (dataset) {
      const char* path = kDatasets[in_.ConsumeIntegralInRange<std::size_t>(0, std::size(kDatasets) - 1)];
      const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
      H5Pset_create_intermediate_group(lcpl, 1);
      const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
      if (extendable) {
        const hsize_t chunk = in_.ConsumeIntegralInRange<hsize_t>(1, 16);
        H5Pset_chunk(dcpl, 1, &chunk);
      }
      const hid_t d = H5Dcreate2(file, path, t.id, s, lcpl, dcpl, H5P_DEFAULT);
      if (d >= 0) {
        if (points > 0) H5Dwrite(d, t.id, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
        H5Dclose(d);
      }
      H5Pclose(dcpl);
      H5Pclose(lcpl);
    } else {
      const char* name = kAttributes[in_.ConsumeIntegralInRange<std::size_t>(0, std::size(kAttributes) - 1)];
      const hid_t a = H5Acreate2(file, name, t.id, s, H5P_DEFAULT, H5P_DEFAULT);
      if (a >= 0) {
        if (points > 0) H5Awrite(a, t.id, buf.data());
        H5Aclose(a);
      }
    }
  }

 private:
  hid_t keep(hid_t t) {
    if (t >= 0) types_.push_back(t);
    return t;
  }
  hid_t keep_space(hid_t s) {
    if (s >= 0) spaces_.push_back(s);
    return s;
  }

 public:
  void close_spaces() {
    for (hid_t s : spaces_) H5Sclose(s);
    spaces_.clear();
  }

 private:
  FuzzedDataProvider& in_;
  std::vector<hid_t> types_, spaces_;
  std::deque<std::string> strings_;  ///< stable addresses
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const std::filesystem::path dir = std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
  g_path = (dir / ("rk_fuzz_results_" + std::to_string(::getpid()) + ".h5")).string();
  std::atexit([] { std::remove(g_path.c_str()); });
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  {
    const hid_t file = H5Fcreate(g_path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) std::abort();
    Builder b(in);
    for (int op = 0; op < 12 && in.remaining_bytes() > 0; ++op) b.add(file);
    b.close_spaces();
    if (H5Fclose(file) < 0) std::abort();
  }
  try {
    const rec::ResultsReader r(g_path);
    read_everything(r);
  } catch (const rec::RecordError&) {
  }
  return 0;
}
