// Column descriptions for writing plain row structs as HDF5 compound datasets ("tables"), without
// exposing HDF5 types: a Table<Row> lists which members of a trivially copyable struct become fields.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "rk/record/error.hpp"

namespace rk::record {

/// Element types the writer stores. `boolean` is stored the way h5py stores numpy bools (an int8 enum
/// FALSE=0/TRUE=1), so h5py reads it back as `bool`. `fixed_string` is a `char[N]` member, stored as an
/// N-byte null-padded string.
enum class ScalarType : std::uint8_t { u8, u16, u32, u64, i8, i16, i32, i64, f32, f64, boolean, fixed_string };

/// One field of a table: its name in the file, where it lives in the row struct and what it holds.
struct Column {
  std::string name;
  std::size_t offset = 0;
  ScalarType type = ScalarType::u64;
  std::size_t size = 0;  ///< Bytes the member occupies (the string length for fixed_string).
};

namespace detail {

template <class T>
struct ScalarTypeOf {
  static constexpr ScalarType type() {
    using U = std::remove_cv_t<T>;
    if constexpr (std::is_same_v<U, bool>) {
      return ScalarType::boolean;
    } else if constexpr (std::is_enum_v<U>) {
      return ScalarTypeOf<std::underlying_type_t<U>>::type();
    } else if constexpr (std::is_floating_point_v<U>) {
      static_assert(sizeof(U) == 4 || sizeof(U) == 8, "only float and double are supported");
      return sizeof(U) == 4 ? ScalarType::f32 : ScalarType::f64;
    } else if constexpr (std::is_integral_v<U> && std::is_signed_v<U>) {
      constexpr ScalarType by_size[] = {ScalarType::i8, ScalarType::i16, ScalarType::i32, ScalarType::i32,
                                        ScalarType::i64, ScalarType::i64, ScalarType::i64, ScalarType::i64};
      return by_size[sizeof(U) - 1];
    } else if constexpr (std::is_integral_v<U>) {
      constexpr ScalarType by_size[] = {ScalarType::u8, ScalarType::u16, ScalarType::u32, ScalarType::u32,
                                        ScalarType::u64, ScalarType::u64, ScalarType::u64, ScalarType::u64};
      return by_size[sizeof(U) - 1];
    } else {
      static_assert(sizeof(U) == 0, "unsupported column type: use an arithmetic type, an enum or char[N]");
      return ScalarType::u8;
    }
  }
};

template <std::size_t N>
struct ScalarTypeOf<char[N]> {
  static constexpr ScalarType type() { return ScalarType::fixed_string; }
};

/// True for the element types write_array/ValueSeries accept (arithmetic types without char-like ones).
template <class T>
inline constexpr bool is_value_type_v = std::is_arithmetic_v<T> && !std::is_same_v<T, char>;

}  // namespace detail

/// The on-file type used for values of type T (e.g. ScalarType::u64 for std::uint64_t).
template <class T>
[[nodiscard]] constexpr ScalarType scalar_type_of() {
  return detail::ScalarTypeOf<T>::type();
}

/// The fields of a compound dataset, described from a row struct:
/// @code
///   struct Trade { std::uint32_t symbol; std::uint64_t symbol_seq; std::int64_t price; };
///   auto table = Table<Trade>{}.add("symbol", &Trade::symbol).add("price", &Trade::price);
/// @endcode
/// Members not listed are not stored; field order in the file is the order of add().
template <class Row>
class Table {
  static_assert(std::is_trivially_copyable_v<Row>, "table rows are copied as bytes");
  static_assert(std::is_standard_layout_v<Row>, "member offsets must be well defined");

 public:
  /// Adds the member `member` as field `name`.
  template <class M>
  Table& add(std::string name, M Row::*member) & {
    static_assert(std::is_default_constructible_v<Row>, "use add(name, offset, type, size) for this row");
    static const Row probe{};
    const auto* base = reinterpret_cast<const unsigned char*>(&probe);
    const auto* field = reinterpret_cast<const unsigned char*>(&(probe.*member));
    return add(std::move(name), static_cast<std::size_t>(field - base), scalar_type_of<M>(), sizeof(M));
  }
  template <class M>
  Table&& add(std::string name, M Row::*member) && {
    return std::move(add(std::move(name), member));
  }

  /// Adds a field by explicit offset (e.g. `offsetof(Row, x)`), type and size in bytes.
  Table& add(std::string name, std::size_t offset, ScalarType type, std::size_t size) & {
    if (offset + size > sizeof(Row)) throw RecordError("Table::add: field '" + name + "' lies outside the row");
    columns_.push_back(Column{std::move(name), offset, type, size});
    return *this;
  }
  Table&& add(std::string name, std::size_t offset, ScalarType type, std::size_t size) && {
    return std::move(add(std::move(name), offset, type, size));
  }

  [[nodiscard]] const std::vector<Column>& columns() const { return columns_; }

 private:
  std::vector<Column> columns_;
};

}  // namespace rk::record
