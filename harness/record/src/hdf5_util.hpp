// Internal HDF5 plumbing of rk_record: the process-wide lock, RAII handles for HDF5 ids, checked calls
// that turn HDF5's error stack into RecordError, type builders and attribute/dataset helpers.
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rk/record/attr.hpp"
#include "rk/record/error.hpp"
#include "rk/record/table.hpp"

namespace rk::record::detail {

/// Held by every public entry point: the HDF5 library is serial (not thread-safe). Also switches off
/// HDF5's automatic error printing for the calling thread.
class ApiLock {
 public:
  ApiLock();

 private:
  std::unique_lock<std::mutex> lock_;
};

/// Throws RecordError "<call> failed for <where>: <HDF5 error stack>" and clears the error stack. When the
/// stack holds an error of the file's storage (a failed write, read, seek, close or truncate: ENOSPC, EIO,
/// ...), io_failure_count() goes up and last_io_failure() is the message.
[[noreturn]] void throw_hdf5(std::string_view call, std::string_view where);

/// How many storage errors throw_hdf5 has seen in this process (read with ApiLock held).
std::uint64_t io_failure_count();
/// The message of the latest one.
const std::string& last_io_failure();

inline hid_t check_id(hid_t id, std::string_view call, std::string_view where) {
  if (id < 0) throw_hdf5(call, where);
  return id;
}
inline void check(herr_t rc, std::string_view call, std::string_view where) {
  if (rc < 0) throw_hdf5(call, where);
}
inline bool check_tri(htri_t rc, std::string_view call, std::string_view where) {
  if (rc < 0) throw_hdf5(call, where);
  return rc > 0;
}

/// Owns one HDF5 id and closes it with the matching H5*close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), close_(other.close_) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
      close_ = other.close_;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  [[nodiscard]] hid_t get() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }

  /// Closes the id, ignoring failure (for cleanup paths).
  void reset() noexcept;
  /// Closes the id and throws when the close fails (H5Fclose flushes, so it can fail).
  void close_checked(std::string_view call, std::string_view where);

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

/// Checks `id` and wraps it.
inline Handle owned(hid_t id, Handle::Closer close, std::string_view call, std::string_view where) {
  return Handle(check_id(id, call, where), close);
}

/// Variable-length UTF-8 string type.
Handle string_type();
/// h5py's bool: enum over int8 with FALSE=0, TRUE=1.
Handle bool_type();
/// The type of one ScalarType element of `size` bytes (size matters for fixed_string only).
Handle scalar_type(ScalarType type, std::size_t size);

/// One member of a compound type: name, offset in the memory struct, member type (not owned).
struct FieldSpec {
  std::string name;
  std::size_t offset = 0;
  hid_t type = H5I_INVALID_HID;
};

/// A compound type's memory layout (struct offsets, size `row_size`) and its file layout (the same
/// fields packed in the listed order, no padding).
struct CompoundTypes {
  Handle memory;
  Handle file;
};
CompoundTypes compound_types(const std::vector<FieldSpec>& fields, std::size_t row_size, std::string_view where);
/// Compound types for the columns of a Table.
CompoundTypes table_types(const std::vector<Column>& columns, std::size_t row_size, std::string_view where);

/// Property lists used for every link and attribute: UTF-8 names, intermediate groups created.
Handle link_create_plist();
Handle attr_create_plist();

/// Dataset creation properties for a chunked dataset (shuffle + deflate when level > 0 and available).
Handle chunked_plist(hsize_t chunk_rows, int deflate_level, std::string_view where);

/// Creates an empty 1-D dataset with unlimited maximum size.
Handle create_appendable(hid_t loc, const std::string& name, hid_t file_type, hsize_t chunk_rows, int deflate_level,
                         hid_t lcpl, std::string_view where);

/// Extends a 1-D dataset that holds `rows` elements by `count` and writes `data` there; updates `rows`.
void append_1d(hid_t dataset, hid_t memory_type, hsize_t& rows, const void* data, hsize_t count,
               std::string_view where);

/// Reads `count` elements starting at `offset` of a 1-D dataset.
void read_1d(hid_t dataset, hid_t memory_type, hsize_t offset, hsize_t count, void* out, std::string_view where);

/// Writes (or replaces) a scalar attribute.
void write_attr(hid_t object, const std::string& name, const AttrValue& value, std::string_view where);
/// Writes (or replaces) a 1-D attribute of variable-length UTF-8 strings.
void write_string_array_attr(hid_t object, const std::string& name, const std::vector<std::string>& values,
                             std::string_view where);

/// Opens an existing group or creates it (with intermediate groups).
Handle open_or_create_group(hid_t file, const std::string& path, hid_t lcpl, std::string_view where);
/// True when every link of `path` exists.
bool path_exists(hid_t file, const std::string& path, std::string_view where);

/// Frees the variable-length data HDF5 allocated while reading into `buffer`.
inline void reclaim_vlen(hid_t memory_type, hid_t space, void* buffer) noexcept {
#if H5_VERSION_GE(1, 12, 0)
  if (H5Treclaim(memory_type, space, H5P_DEFAULT, buffer) < 0) H5Eclear2(H5E_DEFAULT);
#else
  if (H5Dvlen_reclaim(memory_type, space, H5P_DEFAULT, buffer) < 0) H5Eclear2(H5E_DEFAULT);
#endif
}

/// "major.minor.release" of the HDF5 library in use.
std::string hdf5_version();

}  // namespace rk::record::detail
