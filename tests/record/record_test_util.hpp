// Shared helpers of the rk_record tests: a scratch directory per test, a sample RunInfo and small
// wrappers over the HDF5 C API used to check on-disk types independently of rk::record's reader.
#pragma once

#include <hdf5.h>
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "rk/record/run_info.hpp"

namespace rk::record::test {

/// A fresh directory under the system temp dir, removed with its contents at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "rk-record-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline RunInfo sample_run_info() {
  RunInfo info;
  info.scenario_yaml = "name: ping_pong\ndevices: 2\nworkload:\n  kind: ping-pong\n";
  info.argv = {"ringkernel", "run", "scenarios/ping pong.yaml", "--set", "devices=2"};
  info.backend = "cpu";
  info.device_count = 2;
  info.started_utc = "2024-05-01T12:00:00.000Z";
  info.git_revision = "0123456789abcdef0123456789abcdef01234567";
  info.git_dirty = true;
  info.hostname = "test-host";
  info.build_type = "RelWithDebInfo";
  info.versions = {{"ringkernel", "0.1.0"}, {"cuda", "none"}};
  return info;
}

/// A read-only HDF5 file id, closed at scope exit (plain C API, for type checks).
class RawFile {
 public:
  explicit RawFile(const std::filesystem::path& path) : id_(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)) {
    if (id_ < 0) throw std::runtime_error("H5Fopen failed: " + path.string());
  }
  RawFile(const RawFile&) = delete;
  RawFile& operator=(const RawFile&) = delete;
  ~RawFile() { H5Fclose(id_); }
  [[nodiscard]] hid_t id() const { return id_; }

 private:
  hid_t id_;
};

/// What an attribute's or dataset's type is, in the terms the schema promises.
struct TypeInfo {
  H5T_class_t type_class = H5T_NO_CLASS;
  std::size_t size = 0;
  bool is_signed = false;
  bool variable_string = false;
  bool utf8 = false;
  int members = 0;
};

inline TypeInfo describe_type(hid_t type) {
  TypeInfo info;
  info.type_class = H5Tget_class(type);
  info.size = H5Tget_size(type);
  if (info.type_class == H5T_INTEGER) info.is_signed = H5Tget_sign(type) == H5T_SGN_2;
  if (info.type_class == H5T_STRING) {
    info.variable_string = H5Tis_variable_str(type) > 0;
    info.utf8 = H5Tget_cset(type) == H5T_CSET_UTF8;
  }
  if (info.type_class == H5T_COMPOUND || info.type_class == H5T_ENUM) info.members = H5Tget_nmembers(type);
  return info;
}

inline TypeInfo attr_type(hid_t file, const std::string& object, const std::string& name) {
  const hid_t attr = H5Aopen_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
  if (attr < 0) throw std::runtime_error("no attribute " + object + "@" + name);
  const hid_t type = H5Aget_type(attr);
  TypeInfo info = describe_type(type);
  H5Tclose(type);
  H5Aclose(attr);
  return info;
}

inline TypeInfo dataset_type(hid_t file, const std::string& path) {
  const hid_t dataset = H5Dopen2(file, path.c_str(), H5P_DEFAULT);
  if (dataset < 0) throw std::runtime_error("no dataset " + path);
  const hid_t type = H5Dget_type(dataset);
  TypeInfo info = describe_type(type);
  H5Tclose(type);
  H5Dclose(dataset);
  return info;
}

/// The member names of a compound dataset, in file order.
inline std::vector<std::string> compound_fields(hid_t file, const std::string& path) {
  std::vector<std::string> names;
  const hid_t dataset = H5Dopen2(file, path.c_str(), H5P_DEFAULT);
  if (dataset < 0) throw std::runtime_error("no dataset " + path);
  const hid_t type = H5Dget_type(dataset);
  for (int i = 0; i < H5Tget_nmembers(type); ++i) {
    char* name = H5Tget_member_name(type, static_cast<unsigned>(i));
    names.emplace_back(name);
    H5free_memory(name);
  }
  H5Tclose(type);
  H5Dclose(dataset);
  return names;
}

/// Type of one member of a compound dataset.
inline TypeInfo member_type(hid_t file, const std::string& path, const std::string& member) {
  const hid_t dataset = H5Dopen2(file, path.c_str(), H5P_DEFAULT);
  if (dataset < 0) throw std::runtime_error("no dataset " + path);
  const hid_t type = H5Dget_type(dataset);
  const int index = H5Tget_member_index(type, member.c_str());
  if (index < 0) throw std::runtime_error("no member " + member + " in " + path);
  const hid_t mtype = H5Tget_member_type(type, static_cast<unsigned>(index));
  TypeInfo info = describe_type(mtype);
  H5Tclose(mtype);
  H5Tclose(type);
  H5Dclose(dataset);
  return info;
}

/// Chunk size (0 when not chunked) and filter ids of a dataset.
struct Layout {
  hsize_t chunk = 0;
  std::vector<H5Z_filter_t> filters;
};

inline Layout dataset_layout(hid_t file, const std::string& path) {
  Layout layout;
  const hid_t dataset = H5Dopen2(file, path.c_str(), H5P_DEFAULT);
  if (dataset < 0) throw std::runtime_error("no dataset " + path);
  const hid_t dcpl = H5Dget_create_plist(dataset);
  if (H5Pget_layout(dcpl) == H5D_CHUNKED) H5Pget_chunk(dcpl, 1, &layout.chunk);
  for (int i = 0; i < H5Pget_nfilters(dcpl); ++i) {
    unsigned flags = 0;
    std::size_t n = 0;
    unsigned config = 0;
    layout.filters.push_back(H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &n, nullptr, 0, nullptr, &config));
  }
  H5Pclose(dcpl);
  H5Dclose(dataset);
  return layout;
}

}  // namespace rk::record::test
