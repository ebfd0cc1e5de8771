// A small strict JSON parser for tests of what `ringkernel` prints and writes (no JSON library is a
// dependency): RFC 8259 values, throws std::runtime_error with the offset of the first error.
#pragma once

#include <cstdlib>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rk::harness_test {

struct Json {
  enum class Type { null, boolean, number, string, array, object } type = Type::null;
  bool b = false;
  double num = 0;
  std::string str;
  std::vector<Json> arr;
  std::map<std::string, Json> obj;

  bool has(const std::string& key) const { return type == Type::object && obj.count(key) != 0; }
  const Json& operator[](const std::string& key) const {
    if (!has(key)) throw std::runtime_error("no key '" + key + "'");
    return obj.at(key);
  }
};

class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : s_(text) {}
  Json parse() {
    Json v = value();
    ws();
    if (i_ != s_.size()) fail("trailing characters");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("JSON: " + what + " at offset " + std::to_string(i_));
  }
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
  }
  bool eat(std::string_view lit) {
    if (s_.substr(i_, lit.size()) != lit) return false;
    i_ += lit.size();
    return true;
  }
  Json value() {
    ws();
    if (i_ >= s_.size()) fail("unexpected end");
    Json v;
    const char c = s_[i_];
    if (c == '{') {
      v.type = Json::Type::object;
      ++i_;
      ws();
      if (eat("}")) return v;
      for (;;) {
        ws();
        if (i_ >= s_.size() || s_[i_] != '"') fail("expected a key");
        std::string k = string();
        ws();
        if (!eat(":")) fail("expected ':'");
        if (!v.obj.emplace(k, value()).second) fail("duplicate key " + k);
        ws();
        if (eat("}")) return v;
        if (!eat(",")) fail("expected ',' or '}'");
      }
    }
    if (c == '[') {
      v.type = Json::Type::array;
      ++i_;
      ws();
      if (eat("]")) return v;
      for (;;) {
        v.arr.push_back(value());
        ws();
        if (eat("]")) return v;
        if (!eat(",")) fail("expected ',' or ']'");
      }
    }
    if (c == '"') {
      v.type = Json::Type::string;
      v.str = string();
      return v;
    }
    if (eat("true")) { v.type = Json::Type::boolean; v.b = true; return v; }
    if (eat("false")) { v.type = Json::Type::boolean; return v; }
    if (eat("null")) return v;
    // Number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    const std::size_t start = i_;
    if (s_[i_] == '-') ++i_;
    const auto digits = [&] {
      const std::size_t d = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      if (i_ == d) fail("expected a digit");
    };
    if (i_ < s_.size() && s_[i_] == '0') ++i_;
    else digits();
    if (i_ < s_.size() && s_[i_] == '.') { ++i_; digits(); }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      digits();
    }
    v.type = Json::Type::number;
    v.num = std::strtod(std::string(s_.substr(start, i_ - start)).c_str(), nullptr);
    return v;
  }
  std::string string() {
    ++i_;  // "
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      const char c = s_[i_++];
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
      if (c != '\\') { out += c; continue; }
      if (i_ >= s_.size()) fail("unexpected end");
      const char e = s_[i_++];
      switch (e) {
        case '"': case '\\': case '/': out += e; break;
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          if (i_ + 4 > s_.size()) fail("short \\u escape");
          out += static_cast<char>(std::strtol(std::string(s_.substr(i_, 4)).c_str(), nullptr, 16));  // ASCII suffices here
          i_ += 4;
          break;
        }
        default: fail("bad escape");
      }
    }
    if (i_ >= s_.size()) fail("unterminated string");
    ++i_;
    return out;
  }
  std::string_view s_;
  std::size_t i_ = 0;
};

inline Json parse_json(std::string_view text) { return JsonParser(text).parse(); }

}  // namespace rk::harness_test
