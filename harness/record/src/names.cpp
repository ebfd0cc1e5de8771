// Escaping of user-supplied names into HDF5 link names (see names.hpp).
#include "rk/record/names.hpp"

#include "rk/record/error.hpp"

namespace rk::record {

std::string escape_name(std::string_view name) {
  if (name.empty()) throw RecordError("empty name: probes, kernel ids, workloads and datasets need a name");
  if (name == ".") return "%2E";
  if (name == "..") return "%2E%2E";
  std::string out;
  out.reserve(name.size());
  for (const char c : name) {
    if (c == '%') {
      out += "%25";
    } else if (c == '/') {
      out += "%2F";
    } else {
      out += c;
    }
  }
  return out;
}

std::string unescape_name(std::string_view link_name) {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(link_name.size());
  for (std::size_t i = 0; i < link_name.size(); ++i) {
    if (link_name[i] == '%' && i + 2 < link_name.size() && hex(link_name[i + 1]) >= 0 && hex(link_name[i + 2]) >= 0) {
      out += static_cast<char>(hex(link_name[i + 1]) * 16 + hex(link_name[i + 2]));
      i += 2;
    } else {
      out += link_name[i];
    }
  }
  return out;
}

}  // namespace rk::record
