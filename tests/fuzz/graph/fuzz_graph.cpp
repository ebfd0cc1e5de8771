// libFuzzer target for the SNAP edge-list reader (workloads/pagerank/src/graph.cpp). Input: the file's
// bytes. The only exception allowed is DataFileError, with "fuzz.txt:LINE: error: ..." (or no line for
// whole-file errors) and a line that exists. The streaming scan (what configure() and `validate` run)
// must agree with the parser: the same error, or the same vertices and edges. A byte order mark in front
// changes nothing. A graph that parses builds a consistent CSR.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "rk/workloads/pagerank/graph.hpp"

namespace pr = rk::workloads::pagerank;

namespace {

[[noreturn]] void bug(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  std::abort();
}

struct Outcome {
  std::optional<pr::EdgeList> edges;
  std::string error;
};

Outcome parse(const std::string& text) {
  Outcome o;
  try {
    o.edges = pr::parse_snap("fuzz.txt", text.data(), text.size(), 1);
  } catch (const pr::DataFileError& e) {
    o.error = e.what();
    std::uint64_t lines = 1;
    for (const char c : text) lines += c == '\n';
    if (e.file() != "fuzz.txt" || e.line() > lines || o.error.find(": error: ") == std::string::npos)
      bug("bad error location: " + o.error);
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const Outcome o = parse(text);

  std::string scan_error;
  pr::GraphShape shape;
  try {
    shape = pr::scan_snap_text("fuzz.txt", text.data(), text.size(), 1);
  } catch (const pr::DataFileError& e) {
    scan_error = e.what();
  }
  if (scan_error != o.error) bug("scan and parse disagree: '" + scan_error + "' vs '" + o.error + "'");

  const std::string bom = "\xEF\xBB\xBF";
  if (text.rfind(bom, 0) != 0) {
    const Outcome with_bom = parse(bom + text);
    if (with_bom.error != o.error || with_bom.edges.has_value() != o.edges.has_value() ||
        (o.edges && (with_bom.edges->src != o.edges->src || with_bom.edges->dst != o.edges->dst)))
      bug("a byte order mark changed the result");
  }
  if (!o.edges) return 0;

  const pr::EdgeList& el = *o.edges;
  if (shape.vertices != el.vertices || shape.edges != el.edges()) bug("scan shape differs from the parsed graph");
  if (el.vertices == 0 || el.vertices > pr::kMaxVertices || el.src.size() != el.dst.size() || el.edges() == 0)
    bug("bad edge list");
  std::uint32_t max_id = 0;
  for (std::size_t i = 0; i < el.edges(); ++i) max_id = std::max({max_id, el.src[i], el.dst[i]});
  if (max_id + std::uint64_t{1} != el.vertices) bug("vertices is not max id + 1");
  if (pr::estimate_pagerank_bytes(shape, 4, true, 2) < el.vertices * 8) bug("estimate below the rank vector");
  if (el.vertices > (1u << 16)) return 0;  // the CSR of a larger id space is only memory
  const pr::Graph g = pr::build_graph(el);
  if (g.in_offsets.size() != g.vertices + 1 || g.in_offsets.back() != g.edges || g.in_sources.size() != g.edges)
    bug("inconsistent CSR");
  std::uint64_t out = 0;
  for (const std::uint32_t d : g.out_degree) out += d;
  if (out != g.edges) bug("out-degrees do not sum to the edges");
  return 0;
}
