// Internal HDF5 plumbing of rk_record (see hdf5_util.hpp).
#include "hdf5_util.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace rk::record::detail {
namespace {

std::mutex& hdf5_mutex() {
  static std::mutex mutex;
  return mutex;
}

struct WalkState {
  std::vector<std::string> entries;
  bool io = false;
};

/// Errors of the file's storage (the disk, not the caller): a run's file is unusable after one of them.
bool is_io_error(const H5E_error2_t& err) {
  if (err.maj_num == H5E_IO) return true;
  for (const hid_t minor : {H5E_WRITEERROR, H5E_READERROR, H5E_SEEKERROR, H5E_CLOSEERROR, H5E_TRUNCATED}) {
    if (err.min_num == minor) return true;
  }
  return false;
}

/// HDF5's POSIX driver describes a failed call with the time, file name, descriptor, buffer address and
/// sizes; keep what it is and errno ("file write failed: errno = 28, error message = 'No space left on
/// device'"): the file is named by the caller's message already.
std::string compact_description(const std::string& desc) {
  const auto at_errno = desc.find("errno = ");
  const auto colon = desc.find(':');
  if (at_errno == std::string::npos || colon == std::string::npos || colon > at_errno) return desc;
  std::size_t end = desc.find(',', at_errno);
  const auto message = desc.find("error message = '", at_errno);
  if (message != std::string::npos) {
    const auto close = desc.find('\'', message + 17);
    if (close != std::string::npos) end = close + 1;
  }
  return desc.substr(0, colon) + ": " + desc.substr(at_errno, end == std::string::npos ? std::string::npos : end - at_errno);
}

herr_t collect_error(unsigned /*n*/, const H5E_error2_t* err, void* data) {
  auto& state = *static_cast<WalkState*>(data);
  if (is_io_error(*err)) state.io = true;
  std::string text;
  if (err->func_name != nullptr) text = std::string(err->func_name) + "(): ";
  if (err->desc != nullptr && err->desc[0] != '\0') {
    text += compact_description(err->desc);
  } else {
    std::array<char, 256> minor{};
    if (H5Eget_msg(err->min_num, nullptr, minor.data(), minor.size()) > 0) text += minor.data();
  }
  state.entries.push_back(std::move(text));
  return 0;
}

/// The outermost entries of HDF5's error stack and its innermost one (the cause: for a failed write the
/// file name, errno and its text), "; "-separated.
std::string join_error_stack(const std::vector<std::string>& entries) {
  constexpr std::size_t head = 5;
  std::string text;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i >= head && i + 1 < entries.size()) {
      if (i == head) text += "; ...";
      continue;
    }
    if (!text.empty()) text += "; ";
    text += entries[i];
  }
  return text;
}

std::uint64_t io_failures = 0;
std::string last_io_failure_text;

}  // namespace

std::uint64_t io_failure_count() { return io_failures; }
const std::string& last_io_failure() { return last_io_failure_text; }

namespace {

bool filter_usable(H5Z_filter_t filter) {
  if (H5Zfilter_avail(filter) <= 0) return false;
  unsigned info = 0;
  if (H5Zget_filter_info(filter, &info) < 0) return false;
  return (info & H5Z_FILTER_CONFIG_ENCODE_ENABLED) != 0;
}

template <class T>
hid_t native_of() {
  if constexpr (std::is_same_v<T, std::uint8_t>) {
    return H5T_NATIVE_UINT8;
  } else if constexpr (std::is_same_v<T, std::uint16_t>) {
    return H5T_NATIVE_UINT16;
  } else if constexpr (std::is_same_v<T, std::uint32_t>) {
    return H5T_NATIVE_UINT32;
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    return H5T_NATIVE_UINT64;
  } else if constexpr (std::is_same_v<T, std::int8_t>) {
    return H5T_NATIVE_INT8;
  } else if constexpr (std::is_same_v<T, std::int16_t>) {
    return H5T_NATIVE_INT16;
  } else if constexpr (std::is_same_v<T, std::int32_t>) {
    return H5T_NATIVE_INT32;
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    return H5T_NATIVE_INT64;
  } else if constexpr (std::is_same_v<T, float>) {
    return H5T_NATIVE_FLOAT;
  } else {
    static_assert(std::is_same_v<T, double>);
    return H5T_NATIVE_DOUBLE;
  }
}

Handle copy_type(hid_t type, std::string_view what) { return owned(H5Tcopy(type), H5Tclose, "H5Tcopy", what); }

}  // namespace

ApiLock::ApiLock() : lock_(hdf5_mutex()) {
  // With a thread-safe HDF5 the error stack is per thread; with a serial one this is a cheap no-op repeat.
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

void throw_hdf5(std::string_view call, std::string_view where) {
  WalkState state;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &state);
  H5Eclear2(H5E_DEFAULT);
  std::string message = std::string(call) + " failed for " + std::string(where);
  if (!state.entries.empty()) message += ": " + join_error_stack(state.entries);
  if (state.io) {
    ++io_failures;
    last_io_failure_text = message;
  }
  throw RecordError(message);
}

void Handle::reset() noexcept {
  if (id_ >= 0 && close_ != nullptr) {
    if (close_(id_) < 0) H5Eclear2(H5E_DEFAULT);
  }
  id_ = H5I_INVALID_HID;
}

void Handle::close_checked(std::string_view call, std::string_view where) {
  if (id_ < 0) return;
  const hid_t id = std::exchange(id_, H5I_INVALID_HID);
  check(close_(id), call, where);
}

Handle string_type() {
  Handle type = copy_type(H5T_C_S1, "variable-length string type");
  check(H5Tset_size(type.get(), H5T_VARIABLE), "H5Tset_size", "variable-length string type");
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "H5Tset_cset", "variable-length string type");
  return type;
}

Handle bool_type() {
  Handle type = owned(H5Tenum_create(H5T_NATIVE_INT8), H5Tclose, "H5Tenum_create", "bool type");
  const std::int8_t no = 0;
  const std::int8_t yes = 1;
  check(H5Tenum_insert(type.get(), "FALSE", &no), "H5Tenum_insert", "bool type");
  check(H5Tenum_insert(type.get(), "TRUE", &yes), "H5Tenum_insert", "bool type");
  return type;
}

Handle scalar_type(ScalarType type, std::size_t size) {
  switch (type) {
    case ScalarType::u8: return copy_type(native_of<std::uint8_t>(), "u8");
    case ScalarType::u16: return copy_type(native_of<std::uint16_t>(), "u16");
    case ScalarType::u32: return copy_type(native_of<std::uint32_t>(), "u32");
    case ScalarType::u64: return copy_type(native_of<std::uint64_t>(), "u64");
    case ScalarType::i8: return copy_type(native_of<std::int8_t>(), "i8");
    case ScalarType::i16: return copy_type(native_of<std::int16_t>(), "i16");
    case ScalarType::i32: return copy_type(native_of<std::int32_t>(), "i32");
    case ScalarType::i64: return copy_type(native_of<std::int64_t>(), "i64");
    case ScalarType::f32: return copy_type(native_of<float>(), "f32");
    case ScalarType::f64: return copy_type(native_of<double>(), "f64");
    case ScalarType::boolean: return bool_type();
    case ScalarType::fixed_string: {
      if (size == 0) throw RecordError("fixed_string column of size 0");
      Handle str = copy_type(H5T_C_S1, "fixed string type");
      check(H5Tset_size(str.get(), size), "H5Tset_size", "fixed string type");
      check(H5Tset_strpad(str.get(), H5T_STR_NULLPAD), "H5Tset_strpad", "fixed string type");
      check(H5Tset_cset(str.get(), H5T_CSET_UTF8), "H5Tset_cset", "fixed string type");
      return str;
    }
  }
  throw RecordError("unknown ScalarType " + std::to_string(static_cast<int>(type)));
}

CompoundTypes compound_types(const std::vector<FieldSpec>& fields, std::size_t row_size, std::string_view where) {
  if (fields.empty()) throw RecordError("compound type without fields for " + std::string(where));
  CompoundTypes types;
  types.memory = owned(H5Tcreate(H5T_COMPOUND, row_size), H5Tclose, "H5Tcreate", where);
  std::size_t packed_size = 0;
  for (const auto& field : fields) {
    check(H5Tinsert(types.memory.get(), field.name.c_str(), field.offset, field.type), "H5Tinsert",
          std::string(where) + " field '" + field.name + "'");
    packed_size += H5Tget_size(field.type);
  }
  types.file = owned(H5Tcreate(H5T_COMPOUND, packed_size), H5Tclose, "H5Tcreate", where);
  std::size_t offset = 0;
  for (const auto& field : fields) {
    check(H5Tinsert(types.file.get(), field.name.c_str(), offset, field.type), "H5Tinsert",
          std::string(where) + " field '" + field.name + "'");
    offset += H5Tget_size(field.type);
  }
  return types;
}

CompoundTypes table_types(const std::vector<Column>& columns, std::size_t row_size, std::string_view where) {
  std::vector<Handle> member_types;
  std::vector<FieldSpec> fields;
  member_types.reserve(columns.size());
  for (const auto& column : columns) {
    member_types.push_back(scalar_type(column.type, column.size));
    if (H5Tget_size(member_types.back().get()) != column.size) {
      throw RecordError("column '" + column.name + "' of " + std::string(where) + " has size " +
                        std::to_string(column.size) + ", its type needs " +
                        std::to_string(H5Tget_size(member_types.back().get())));
    }
    fields.push_back(FieldSpec{column.name, column.offset, member_types.back().get()});
  }
  return compound_types(fields, row_size, where);
}

Handle link_create_plist() {
  Handle plist = owned(H5Pcreate(H5P_LINK_CREATE), H5Pclose, "H5Pcreate", "link creation properties");
  check(H5Pset_create_intermediate_group(plist.get(), 1), "H5Pset_create_intermediate_group", "link creation properties");
  check(H5Pset_char_encoding(plist.get(), H5T_CSET_UTF8), "H5Pset_char_encoding", "link creation properties");
  return plist;
}

Handle attr_create_plist() {
  Handle plist = owned(H5Pcreate(H5P_ATTRIBUTE_CREATE), H5Pclose, "H5Pcreate", "attribute creation properties");
  check(H5Pset_char_encoding(plist.get(), H5T_CSET_UTF8), "H5Pset_char_encoding", "attribute creation properties");
  return plist;
}

Handle chunked_plist(hsize_t chunk_rows, int deflate_level, std::string_view where) {
  static const bool deflate_ok = filter_usable(H5Z_FILTER_DEFLATE);
  static const bool shuffle_ok = filter_usable(H5Z_FILTER_SHUFFLE);
  Handle plist = owned(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate", where);
  chunk_rows = std::max<hsize_t>(chunk_rows, 1);
  check(H5Pset_chunk(plist.get(), 1, &chunk_rows), "H5Pset_chunk", where);
  if (deflate_level > 0 && deflate_ok) {
    if (shuffle_ok) check(H5Pset_shuffle(plist.get()), "H5Pset_shuffle", where);
    check(H5Pset_deflate(plist.get(), static_cast<unsigned>(std::min(deflate_level, 9))), "H5Pset_deflate", where);
  }
  return plist;
}

Handle create_appendable(hid_t loc, const std::string& name, hid_t file_type, hsize_t chunk_rows, int deflate_level,
                         hid_t lcpl, std::string_view where) {
  const hsize_t initial = 0;
  const hsize_t unlimited = H5S_UNLIMITED;
  Handle space = owned(H5Screate_simple(1, &initial, &unlimited), H5Sclose, "H5Screate_simple", where);
  Handle dcpl = chunked_plist(chunk_rows, deflate_level, where);
  return owned(H5Dcreate2(loc, name.c_str(), file_type, space.get(), lcpl, dcpl.get(), H5P_DEFAULT), H5Dclose,
               "H5Dcreate2", where);
}

void append_1d(hid_t dataset, hid_t memory_type, hsize_t& rows, const void* data, hsize_t count,
               std::string_view where) {
  if (count == 0) return;
  const hsize_t new_size = rows + count;
  check(H5Dset_extent(dataset, &new_size), "H5Dset_extent", where);
  Handle file_space = owned(H5Dget_space(dataset), H5Sclose, "H5Dget_space", where);
  check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &rows, nullptr, &count, nullptr), "H5Sselect_hyperslab",
        where);
  Handle memory_space = owned(H5Screate_simple(1, &count, nullptr), H5Sclose, "H5Screate_simple", where);
  check(H5Dwrite(dataset, memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, data), "H5Dwrite", where);
  rows = new_size;
}

void read_1d(hid_t dataset, hid_t memory_type, hsize_t offset, hsize_t count, void* out, std::string_view where) {
  if (count == 0) return;
  Handle file_space = owned(H5Dget_space(dataset), H5Sclose, "H5Dget_space", where);
  check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &offset, nullptr, &count, nullptr), "H5Sselect_hyperslab",
        where);
  Handle memory_space = owned(H5Screate_simple(1, &count, nullptr), H5Sclose, "H5Screate_simple", where);
  check(H5Dread(dataset, memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, out), "H5Dread", where);
}

namespace {

void delete_attr_if_present(hid_t object, const std::string& name, std::string_view where) {
  if (check_tri(H5Aexists(object, name.c_str()), "H5Aexists", where)) {
    check(H5Adelete(object, name.c_str()), "H5Adelete", where);
  }
}

void write_attr_raw(hid_t object, const std::string& name, hid_t type, hid_t space, const void* data,
                    std::string_view where) {
  delete_attr_if_present(object, name, where);
  Handle acpl = attr_create_plist();
  Handle attr = owned(H5Acreate2(object, name.c_str(), type, space, acpl.get(), H5P_DEFAULT), H5Aclose, "H5Acreate2",
                      where);
  check(H5Awrite(attr.get(), type, data), "H5Awrite", where);
}

}  // namespace

void write_attr(hid_t object, const std::string& name, const AttrValue& value, std::string_view where) {
  const std::string at = std::string(where) + " attribute '" + name + "'";
  Handle space = owned(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate", at);
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::string>) {
          Handle type = string_type();
          const char* text = v.c_str();
          write_attr_raw(object, name, type.get(), space.get(), &text, at);
        } else if constexpr (std::is_same_v<V, bool>) {
          Handle type = bool_type();
          const std::int8_t flag = v ? 1 : 0;
          write_attr_raw(object, name, type.get(), space.get(), &flag, at);
        } else {
          Handle type = copy_type(native_of<V>(), at);
          write_attr_raw(object, name, type.get(), space.get(), &v, at);
        }
      },
      value);
}

void write_string_array_attr(hid_t object, const std::string& name, const std::vector<std::string>& values,
                             std::string_view where) {
  const std::string at = std::string(where) + " attribute '" + name + "'";
  const hsize_t count = values.size();
  Handle space = owned(H5Screate_simple(1, &count, nullptr), H5Sclose, "H5Screate_simple", at);
  Handle type = string_type();
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const auto& v : values) pointers.push_back(v.c_str());
  const char* none = "";  // H5Awrite rejects a null buffer even for zero elements
  write_attr_raw(object, name, type.get(), space.get(), pointers.empty() ? &none : pointers.data(), at);
}

bool path_exists(hid_t file, const std::string& path, std::string_view where) {
  if (path == "/") return true;
  std::string prefix;
  std::size_t pos = 0;
  while (pos < path.size()) {
    std::size_t next = path.find('/', pos + 1);
    if (next == std::string::npos) next = path.size();
    prefix = path.substr(0, next);
    if (!prefix.empty() && prefix != "/" &&
        !check_tri(H5Lexists(file, prefix.c_str(), H5P_DEFAULT), "H5Lexists", where)) {
      return false;
    }
    pos = next;
  }
  return true;
}

Handle open_or_create_group(hid_t file, const std::string& path, hid_t lcpl, std::string_view where) {
  if (path_exists(file, path, where)) return owned(H5Gopen2(file, path.c_str(), H5P_DEFAULT), H5Gclose, "H5Gopen2", where);
  return owned(H5Gcreate2(file, path.c_str(), lcpl, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "H5Gcreate2", where);
}

std::string hdf5_version() {
  unsigned major = 0;
  unsigned minor = 0;
  unsigned release = 0;
  check(H5get_libversion(&major, &minor, &release), "H5get_libversion", "the HDF5 library");
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
}

}  // namespace rk::record::detail
