// ResultsReader: read-back of results files for golden tests and checking tools.
#include "rk/record/reader.hpp"

#include <algorithm>

#include "hdf5_util.hpp"
#include "records.hpp"
#include "rk/record/names.hpp"

namespace rk::record {

struct ResultsReader::Impl {
  std::filesystem::path path;
  detail::Handle file;

  [[nodiscard]] std::string where(std::string_view object) const {
    return "'" + std::string(object) + "' in '" + path.string() + "'";
  }
  [[nodiscard]] std::string where_attr(const std::string& object, const std::string& name) const {
    return where(object) + " attribute '" + name + "'";
  }
  [[nodiscard]] detail::Handle open_attr(const std::string& object, const std::string& name) const {
    return detail::owned(H5Aopen_by_name(file.get(), object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                         "H5Aopen_by_name", where_attr(object, name));
  }
  [[nodiscard]] detail::Handle open_dataset(const std::string& path_in_file) const {
    return detail::owned(H5Dopen2(file.get(), path_in_file.c_str(), H5P_DEFAULT), H5Dclose, "H5Dopen2",
                         where(path_in_file));
  }

  template <class T>
  T numeric_attr(const std::string& object, const std::string& name, hid_t memory_type) const {
    detail::Handle attr = open_attr(object, name);
    // One value only: H5Aread writes every element of the attribute, and `value` has room for one.
    const detail::Handle space = detail::owned(H5Aget_space(attr.get()), H5Sclose, "H5Aget_space", where_attr(object, name));
    const hssize_t points = H5Sget_simple_extent_npoints(space.get());
    if (points != 1)
      throw RecordError(where_attr(object, name) + ": holds " + std::to_string(points) + " values, expected one");
    T value{};
    detail::check(H5Aread(attr.get(), memory_type, &value), "H5Aread", where_attr(object, name));
    return value;
  }

  /// Reads every string of a string attribute or dataset (`is_attr` picks H5Aread or H5Dread).
  std::vector<std::string> read_strings(hid_t object, bool is_attr, const std::string& at) const {
    detail::Handle type = detail::owned(is_attr ? H5Aget_type(object) : H5Dget_type(object), H5Tclose, "get_type", at);
    if (H5Tget_class(type.get()) != H5T_STRING) throw RecordError(at + " does not hold strings");
    detail::Handle space =
        detail::owned(is_attr ? H5Aget_space(object) : H5Dget_space(object), H5Sclose, "get_space", at);
    const hssize_t points = H5Sget_simple_extent_npoints(space.get());
    if (points < 0) detail::throw_hdf5("H5Sget_simple_extent_npoints", at);
    const auto count = static_cast<std::size_t>(points);
    detail::Handle memory_type = detail::owned(H5Tcopy(type.get()), H5Tclose, "H5Tcopy", at);
    std::vector<std::string> out;
    out.reserve(count);
    const auto read = [&](void* buffer) {
      if (is_attr) {
        detail::check(H5Aread(object, memory_type.get(), buffer), "H5Aread", at);
      } else {
        detail::check(H5Dread(object, memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer), "H5Dread", at);
      }
    };
    if (detail::check_tri(H5Tis_variable_str(type.get()), "H5Tis_variable_str", at)) {
      std::vector<char*> pointers(count, nullptr);
      if (count > 0) read(pointers.data());
      for (const char* p : pointers) out.emplace_back(p != nullptr ? p : "");
      if (count > 0) detail::reclaim_vlen(memory_type.get(), space.get(), pointers.data());
    } else {
      const std::size_t size = H5Tget_size(type.get());
      std::vector<char> buffer(size * count);
      if (count > 0) read(buffer.data());
      for (std::size_t i = 0; i < count; ++i) {
        std::string s(buffer.data() + i * size, size);
        s.erase(s.find_last_not_of('\0') + 1);
        out.push_back(std::move(s));
      }
    }
    return out;
  }

  /// Reads a whole compound dataset of records with variable-length strings into `records`.
  template <class Record>
  void read_records(const std::string& path_in_file, const detail::CompoundTypes& types, std::vector<Record>& records) const {
    detail::Handle dataset = open_dataset(path_in_file);
    detail::Handle space = detail::owned(H5Dget_space(dataset.get()), H5Sclose, "H5Dget_space", where(path_in_file));
    records.assign(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get())), Record{});
    if (records.empty()) return;
    detail::check(H5Dread(dataset.get(), types.memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, records.data()), "H5Dread",
                  where(path_in_file));
  }
  template <class Record>
  void reclaim(const std::string& path_in_file, const detail::CompoundTypes& types, std::vector<Record>& records) const {
    if (records.empty()) return;
    const hsize_t n = records.size();
    detail::Handle space = detail::owned(H5Screate_simple(1, &n, nullptr), H5Sclose, "H5Screate_simple", where(path_in_file));
    detail::reclaim_vlen(types.memory.get(), space.get(), records.data());
  }
};

namespace {

std::string text(const char* p) { return p != nullptr ? p : ""; }

Severity parse_severity(const std::string& s, const std::string& where) {
  if (s == "info") return Severity::info;
  if (s == "warning") return Severity::warning;
  if (s == "error") return Severity::error;
  throw RecordError("unknown severity '" + s + "' in " + where);
}

}  // namespace

ResultsReader::ResultsReader(const std::filesystem::path& path) : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  detail::ApiLock lock;
  impl_->file = detail::owned(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "H5Fopen", impl_->where("/"));
}

ResultsReader::ResultsReader(ResultsReader&&) noexcept = default;

ResultsReader& ResultsReader::operator=(ResultsReader&& other) noexcept {
  if (this != &other) {
    ResultsReader discarded(std::move(*this));
    impl_ = std::move(other.impl_);
  }
  return *this;
}

ResultsReader::~ResultsReader() {
  if (!impl_) return;
  detail::ApiLock lock;
  impl_->file.reset();
}

bool ResultsReader::has(const std::string& object_path) const {
  detail::ApiLock lock;
  return detail::path_exists(impl_->file.get(), object_path, impl_->where(object_path));
}

bool ResultsReader::has_attr(const std::string& object_path, const std::string& name) const {
  detail::ApiLock lock;
  return detail::check_tri(H5Aexists_by_name(impl_->file.get(), object_path.c_str(), name.c_str(), H5P_DEFAULT),
                           "H5Aexists_by_name", impl_->where_attr(object_path, name));
}

std::vector<std::string> ResultsReader::members(const std::string& group_path) const {
  detail::ApiLock lock;
  const std::string where = impl_->where(group_path);
  detail::Handle group =
      detail::owned(H5Gopen2(impl_->file.get(), group_path.c_str(), H5P_DEFAULT), H5Gclose, "H5Gopen2", where);
  std::vector<std::string> names;
  // Generic: H5L_info_t or H5L_info2_t, whichever H5Literate is mapped to.
  const auto collect = [](hid_t, const char* name, const auto*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  hsize_t index = 0;
  detail::check(H5Literate(group.get(), H5_INDEX_NAME, H5_ITER_INC, &index, collect, &names), "H5Literate", where);
  std::sort(names.begin(), names.end());
  return names;
}

std::string ResultsReader::string_attr(const std::string& object_path, const std::string& name) const {
  detail::ApiLock lock;
  detail::Handle attr = impl_->open_attr(object_path, name);
  auto values = impl_->read_strings(attr.get(), true, impl_->where_attr(object_path, name));
  if (values.size() != 1) throw RecordError(impl_->where_attr(object_path, name) + " is not a single string");
  return values.front();
}

std::vector<std::string> ResultsReader::string_array_attr(const std::string& object_path, const std::string& name) const {
  detail::ApiLock lock;
  detail::Handle attr = impl_->open_attr(object_path, name);
  return impl_->read_strings(attr.get(), true, impl_->where_attr(object_path, name));
}

std::uint64_t ResultsReader::u64_attr(const std::string& object_path, const std::string& name) const {
  detail::ApiLock lock;
  return impl_->numeric_attr<std::uint64_t>(object_path, name, H5T_NATIVE_UINT64);
}

std::int64_t ResultsReader::i64_attr(const std::string& object_path, const std::string& name) const {
  detail::ApiLock lock;
  return impl_->numeric_attr<std::int64_t>(object_path, name, H5T_NATIVE_INT64);
}

double ResultsReader::f64_attr(const std::string& object_path, const std::string& name) const {
  detail::ApiLock lock;
  return impl_->numeric_attr<double>(object_path, name, H5T_NATIVE_DOUBLE);
}

bool ResultsReader::bool_attr(const std::string& object_path, const std::string& name) const {
  detail::ApiLock lock;
  detail::Handle type = detail::bool_type();
  return impl_->numeric_attr<std::int8_t>(object_path, name, type.get()) != 0;
}

std::uint64_t ResultsReader::length(const std::string& dataset_path) const {
  detail::ApiLock lock;
  detail::Handle dataset = impl_->open_dataset(dataset_path);
  detail::Handle space =
      detail::owned(H5Dget_space(dataset.get()), H5Sclose, "H5Dget_space", impl_->where(dataset_path));
  const hssize_t points = H5Sget_simple_extent_npoints(space.get());
  if (points < 0) detail::throw_hdf5("H5Sget_simple_extent_npoints", impl_->where(dataset_path));
  return static_cast<std::uint64_t>(points);
}

void ResultsReader::read_raw(const std::string& dataset_path, ScalarType type, std::size_t element_size,
                             const std::vector<Column>* columns, void* out) const {
  detail::ApiLock lock;
  const std::string where = impl_->where(dataset_path);
  detail::Handle dataset = impl_->open_dataset(dataset_path);
  detail::Handle memory_type = columns != nullptr ? detail::table_types(*columns, element_size, where).memory
                                                  : detail::scalar_type(type, element_size);
  detail::Handle space = detail::owned(H5Dget_space(dataset.get()), H5Sclose, "H5Dget_space", where);
  if (H5Sget_simple_extent_npoints(space.get()) == 0) return;
  detail::check(H5Dread(dataset.get(), memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out), "H5Dread", where);
}

std::vector<std::string> ResultsReader::read_strings(const std::string& dataset_path) const {
  detail::ApiLock lock;
  detail::Handle dataset = impl_->open_dataset(dataset_path);
  return impl_->read_strings(dataset.get(), false, impl_->where(dataset_path));
}

std::vector<TelemetryRow> ResultsReader::read_telemetry(const std::string& kernel_id) const {
  return read_table("/telemetry/" + escape_name(kernel_id) + "/samples", detail::telemetry_table());
}

std::vector<Event> ResultsReader::read_events() const {
  detail::ApiLock lock;
  const std::string path = "/events";
  const auto types = detail::event_types(impl_->where(path));
  std::vector<detail::EventRecord> records;
  impl_->read_records(path, types, records);
  std::vector<Event> events;
  events.reserve(records.size());
  try {
    for (const auto& r : records) {
      events.push_back(Event{r.wall_ns, Hlc{r.hlc_physical, r.hlc_logical, r.hlc_node},
                             parse_severity(text(r.severity), impl_->where(path)), text(r.kind), text(r.kernel),
                             text(r.message)});
    }
  } catch (...) {
    impl_->reclaim(path, types, records);
    throw;
  }
  impl_->reclaim(path, types, records);
  return events;
}

std::vector<DeviceInfo> ResultsReader::read_devices() const {
  detail::ApiLock lock;
  const std::string path = "/devices";
  const auto types = detail::device_types(impl_->where(path));
  std::vector<detail::DeviceRecord> records;
  impl_->read_records(path, types, records);
  std::vector<DeviceInfo> devices;
  devices.reserve(records.size());
  for (const auto& r : records) {
    devices.push_back(DeviceInfo{r.index, text(r.name), text(r.kind), r.memory_bytes, r.clock_khz, r.memory_clock_khz,
                                 r.multiprocessor_count, text(r.compute_capability), text(r.cpu_model), r.rank,
                                 text(r.host)});
  }
  impl_->reclaim(path, types, records);
  return devices;
}

}  // namespace rk::record
