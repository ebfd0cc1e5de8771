// WorkloadGroup: whole arrays, string lists, tables, attributes and appendable series under /workloads.
#include "rk/record/workload_group.hpp"

#include <algorithm>

#include "file_state.hpp"
#include "rk/record/names.hpp"

namespace rk::record {
namespace {

/// Arrays at least this long are chunked and compressed; shorter ones are stored contiguously.
constexpr std::size_t chunk_threshold = 1024;
constexpr std::size_t max_chunk_bytes = 1 << 20;

detail::FileState& open_state(const std::shared_ptr<detail::FileState>& state, const char* operation) {
  if (!state) throw RecordError(std::string(operation) + " on an empty WorkloadGroup");
  state->require_open(operation);
  return *state;
}

detail::Handle create_dataset(detail::FileState& state, const std::string& path, hid_t file_type, std::size_t count,
                              std::size_t element_size) {
  const std::string where = state.where(path);
  const hsize_t dims = count;
  detail::Handle space = detail::owned(H5Screate_simple(1, &dims, nullptr), H5Sclose, "H5Screate_simple", where);
  detail::Handle dcpl;
  if (count >= chunk_threshold) {
    const std::size_t chunk = std::clamp<std::size_t>(max_chunk_bytes / std::max<std::size_t>(element_size, 1), 1, count);
    dcpl = detail::chunked_plist(chunk, state.options.deflate_level, where);
  }
  return detail::owned(H5Dcreate2(state.file.get(), path.c_str(), file_type, space.get(), state.lcpl.get(),
                                  dcpl ? dcpl.get() : H5P_DEFAULT, H5P_DEFAULT),
                       H5Dclose, "H5Dcreate2", where);
}

void write_all(detail::FileState& state, const std::string& path, hid_t dataset, hid_t memory_type, const void* data,
               std::size_t count) {
  if (count == 0) return;
  detail::check(H5Dwrite(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "H5Dwrite", state.where(path));
}

}  // namespace

WorkloadGroup::WorkloadGroup(std::shared_ptr<detail::FileState> file, std::string path)
    : file_(std::move(file)), path_(std::move(path)) {}

void WorkloadGroup::write_array_raw(const std::string& name, ScalarType type, std::size_t element_size,
                                    const void* data, std::size_t count) {
  detail::ApiLock lock;
  auto& state = open_state(file_, "WorkloadGroup::write_array");
  const detail::IoWatch watch(state);
  const std::string path = path_ + "/" + escape_name(name);
  detail::Handle element = detail::scalar_type(type, element_size);
  detail::Handle dataset = create_dataset(state, path, element.get(), count, element_size);
  write_all(state, path, dataset.get(), element.get(), data, count);
}

void WorkloadGroup::write_strings(const std::string& name, const std::vector<std::string>& values) {
  detail::ApiLock lock;
  auto& state = open_state(file_, "WorkloadGroup::write_strings");
  const detail::IoWatch watch(state);
  const std::string path = path_ + "/" + escape_name(name);
  detail::Handle type = detail::string_type();
  const std::string where = state.where(path);
  const hsize_t dims = values.size();
  detail::Handle space = detail::owned(H5Screate_simple(1, &dims, nullptr), H5Sclose, "H5Screate_simple", where);
  detail::Handle dataset = detail::owned(
      H5Dcreate2(state.file.get(), path.c_str(), type.get(), space.get(), state.lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
      H5Dclose, "H5Dcreate2", where);
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const auto& v : values) pointers.push_back(v.c_str());
  write_all(state, path, dataset.get(), type.get(), pointers.data(), pointers.size());
}

void WorkloadGroup::write_table_raw(const std::string& name, const std::vector<Column>& columns, std::size_t row_size,
                                    const void* rows, std::size_t count) {
  detail::ApiLock lock;
  auto& state = open_state(file_, "WorkloadGroup::write_table");
  const detail::IoWatch watch(state);
  const std::string path = path_ + "/" + escape_name(name);
  detail::CompoundTypes types = detail::table_types(columns, row_size, state.where(path));
  detail::Handle dataset = create_dataset(state, path, types.file.get(), count, H5Tget_size(types.file.get()));
  write_all(state, path, dataset.get(), types.memory.get(), rows, count);
}

std::shared_ptr<detail::RowSeriesState> WorkloadGroup::begin_series_raw(const std::string& name,
                                                                        const std::vector<Column>* columns,
                                                                        ScalarType value_type, std::size_t row_size) {
  detail::ApiLock lock;
  auto& state = open_state(file_, "WorkloadGroup::begin_series");
  const detail::IoWatch watch(state);
  const std::string path = path_ + "/" + escape_name(name);
  if (state.series.contains(path)) throw RecordError("series " + state.where(path) + " was already begun");
  return state.find_or_make<detail::RowSeriesState>(path, [&] {
    detail::Handle memory_type;
    detail::Handle file_type;
    if (columns != nullptr) {
      detail::CompoundTypes types = detail::table_types(*columns, row_size, state.where(path));
      memory_type = std::move(types.memory);
      file_type = std::move(types.file);
    } else {
      memory_type = detail::scalar_type(value_type, row_size);
      file_type = detail::scalar_type(value_type, row_size);
    }
    detail::Handle dataset = detail::create_appendable(state.file.get(), path, file_type.get(), state.options.row_chunk,
                                                       state.options.deflate_level, state.lcpl.get(), state.where(path));
    return std::make_shared<detail::RowSeriesState>(
        state, detail::AppendDataset(std::move(dataset), std::move(memory_type), path), row_size);
  });
}

void WorkloadGroup::set_attr_value(const std::string& name, const AttrValue& value) {
  detail::ApiLock lock;
  auto& state = open_state(file_, "WorkloadGroup::set_attr");
  const detail::IoWatch watch(state);
  detail::Handle group =
      detail::owned(H5Gopen2(state.file.get(), path_.c_str(), H5P_DEFAULT), H5Gclose, "H5Gopen2", state.where(path_));
  detail::write_attr(group.get(), name, value, state.where(path_));
}

WorkloadGroup WorkloadGroup::group(const std::string& name) {
  detail::ApiLock lock;
  auto& state = open_state(file_, "WorkloadGroup::group");
  const detail::IoWatch watch(state);
  const std::string path = path_ + "/" + escape_name(name);
  detail::open_or_create_group(state.file.get(), path, state.lcpl.get(), state.where(path));
  return WorkloadGroup(file_, path);
}

}  // namespace rk::record
