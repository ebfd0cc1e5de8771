// How user-supplied names (probes, kernel ids, workload and dataset names) become HDF5 link names.
#pragma once

#include <string>
#include <string_view>

namespace rk::record {

/// Turns an arbitrary non-empty name into one HDF5 link name. `%` becomes `%25` and `/` becomes `%2F`;
/// the names `.` and `..` become `%2E` and `%2E%2E`. Every other byte (including `[`, `]`, spaces and
/// UTF-8) is kept, so `book[3]` stays `book[3]`. Python's `urllib.parse.unquote` reverses it.
/// @throws RecordError when `name` is empty.
[[nodiscard]] std::string escape_name(std::string_view name);

/// Reverses escape_name (decodes every `%XX`; a `%` not followed by two hex digits is kept as is).
[[nodiscard]] std::string unescape_name(std::string_view link_name);

}  // namespace rk::record
