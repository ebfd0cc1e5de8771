// Declared parameters: reading against the declaration (defaults, computed defaults, ranges, choices,
// undeclared keys), and the declarations of every registered workload and kernel type are sound.
#include <gtest/gtest.h>

#include <set>

#include "rk/harness/driver.hpp"
#include "rk/workloads/declared_params.hpp"

namespace rk::harness {
namespace {

using workloads::InputError;
using workloads::MapParams;

std::vector<ParamSpec> specs() {
  return {ParamSpec::integer("window", 256, 1, 1024, "messages in flight"),
          ParamSpec::integer_computed("vertices", "2^scale", 1, 1 << 20, "vertices"),
          ParamSpec::real("damping", 0.85, 0.0, 1.0, "damping"),
          ParamSpec::flag("baseline", true, "baseline"),
          ParamSpec::text("kind", "rmat", {"rmat", "uniform"}, "generator"),
          ParamSpec::path("graph", "the generator's graph", "edge list")};
}

TEST(DeclaredParams, DefaultsComeFromTheDeclaration) {
  const MapParams p(specs());
  EXPECT_EQ(p.get_int("window"), 256);
  EXPECT_EQ(p.get_int("vertices", 4096), 4096);
  EXPECT_DOUBLE_EQ(p.get_double("damping"), 0.85);
  EXPECT_TRUE(p.get_bool("baseline"));
  EXPECT_EQ(p.get_string("kind"), "rmat");
  EXPECT_FALSE(p.has("graph"));
}

TEST(DeclaredParams, ValuesAreCheckedAgainstTheDeclaration) {
  MapParams p(specs());
  p.values = {{"window", "512"}, {"vertices", "7"}, {"damping", "0.5"}, {"baseline", "false"}, {"kind", "uniform"}, {"graph", "/g"}};
  EXPECT_EQ(p.get_int("window"), 512);
  EXPECT_EQ(p.get_int("vertices", 4096), 7);
  EXPECT_FALSE(p.get_bool("baseline"));
  EXPECT_EQ(p.get_string("graph"), "/g");
  for (const auto& [key, bad] : std::vector<std::pair<std::string, std::string>>{
           {"window", "0"}, {"window", "2048"}, {"window", "x"}, {"damping", "1.5"}, {"baseline", "yes"}, {"kind", "erdos"}}) {
    MapParams q(specs());
    q.values[key] = bad;
    const auto read = [&] {
      if (key == "window") (void)q.get_int(key);
      if (key == "damping") (void)q.get_double(key);
      if (key == "baseline") (void)q.get_bool(key);
      if (key == "kind") (void)q.get_string(key);
    };
    EXPECT_THROW(read(), InputError) << key << "=" << bad;
  }
}

TEST(DeclaredParams, ReadingOutsideTheDeclarationIsAProgrammingError) {
  const MapParams p(specs());
  EXPECT_THROW((void)p.get_int("windw"), std::logic_error);          // not declared
  EXPECT_THROW((void)p.has("windw"), std::logic_error);
  EXPECT_THROW((void)p.get_double("window"), std::logic_error);      // declared int
  EXPECT_THROW((void)p.get_int("vertices"), std::logic_error);       // computed: the caller must pass it
  EXPECT_THROW((void)p.get_int("window", 5), std::logic_error);      // declared default: no fallback
  EXPECT_THROW((void)p.get_string("graph"), std::logic_error);       // optional and absent: has() first
}

/// Every declaration of the executable: unique names, defaults inside their ranges, a doc line.
void check_specs(const std::string& owner, const std::vector<ParamSpec>& all) {
  std::set<std::string> names;
  for (const ParamSpec& s : all) {
    EXPECT_TRUE(names.insert(s.name).second) << owner << ": " << s.name << " declared twice";
    EXPECT_FALSE(s.doc.empty()) << owner << "." << s.name;
    if (s.type == ParamSpec::Type::Int && s.has_default) {
      EXPECT_GE(s.int_default, s.int_min) << owner << "." << s.name;
      EXPECT_LE(s.int_default, s.int_max) << owner << "." << s.name;
    }
    if (s.type == ParamSpec::Type::Real) {
      EXPECT_GE(s.real_default, s.real_min) << owner << "." << s.name;
      EXPECT_LE(s.real_default, s.real_max) << owner << "." << s.name;
    }
  }
}

TEST(DeclaredParams, EveryRegisteredDeclarationIsSound) {
  for (const auto& w : registered_workloads()) {
    check_specs(w.name, w.params);
    check_specs(w.name + ".generator", w.generator_params);
  }
  for (const auto& t : registered_kernel_types()) check_specs(t, kernel_type_params(t));
  EXPECT_FALSE(kernel_type_params("ballast").empty());
}

}  // namespace
}  // namespace rk::harness
