// PageRank input: directed graphs from SNAP edge-list files (parsed in parallel) or from seeded
// generators (R-MAT/Kronecker, uniform random), and the CSR-in form every PageRank variant reads.
// Host-only.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "rk/workloads/workload.hpp"

namespace rk::workloads::pagerank {

/// A malformed or unreadable data file: what() is "FILE:LINE: error: MESSAGE" (or "FILE: error: MESSAGE"
/// when no line applies). An input error: the harness maps it to exit code 2.
class DataFileError : public InputError {
 public:
  DataFileError(std::string file, std::uint64_t line, const std::string& message);
  const std::string& file() const { return file_; }
  /// 1-based line number, 0 when the error is about the whole file.
  std::uint64_t line() const { return line_; }
  static constexpr int exit_code = 2;

 private:
  std::string file_;
  std::uint64_t line_;
};

/// Largest number of vertices a graph may have (ids are 32-bit; vertex count = max id + 1).
inline constexpr std::uint64_t kMaxVertices = std::uint64_t{1} << 31;

/// Directed edges in input order; vertices are 0..vertices-1 (ids that never appear are vertices
/// without edges). Duplicate edges and self-loops are kept (a multigraph: each copy is one edge).
struct EdgeList {
  std::uint64_t vertices = 0;
  std::vector<std::uint32_t> src, dst;
  std::uint64_t edges() const { return src.size(); }
};

/// The graph as PageRank reads it: in-edges in CSR form (for each vertex v, the sources of the edges
/// into v, in input order) and out-degrees.
struct Graph {
  std::uint64_t vertices = 0;
  std::uint64_t edges = 0;
  std::vector<std::uint64_t> in_offsets;  ///< vertices + 1 entries
  std::vector<std::uint32_t> in_sources;  ///< edges entries
  std::vector<std::uint32_t> out_degree;  ///< vertices entries
  std::uint64_t dangling() const;         ///< vertices without out-edges
};

/// Parse a SNAP edge list: one `src dst` pair of non-negative integers per line, separated by spaces
/// or tabs (trailing whitespace and CR allowed); blank lines and lines whose first non-blank character
/// is '#' are skipped; a UTF-8 byte order mark at the start of the file is skipped. The file is split at
/// line boundaries into `threads` chunks parsed concurrently (0: hardware threads). Throws DataFileError
/// naming the first malformed line (1-based); an exception in a parsing thread (std::bad_alloc) is
/// rethrown to the caller.
EdgeList load_snap(const std::string& path, unsigned threads = 0);
/// The same parser over text in memory (`name` appears in errors).
EdgeList parse_snap(const std::string& name, const char* data, std::size_t size, unsigned threads = 0);

/// The size of a graph, known before its edges are in memory.
struct GraphShape {
  std::uint64_t vertices = 0;  ///< max id + 1
  std::uint64_t edges = 0;
  friend bool operator==(const GraphShape&, const GraphShape&) = default;
};
/// A streaming pass over a SNAP edge list: the same checks and errors as load_snap, but no edge is kept
/// (memory does not grow with the file), so a graph can be checked against memory before it is loaded.
GraphShape scan_snap(const std::string& path, unsigned threads = 0);
/// The same pass over text in memory.
GraphShape scan_snap_text(const std::string& name, const char* data, std::size_t size, unsigned threads = 0);

/// Host memory, in bytes, that PageRank on a graph of this shape in `partitions` partitions needs at its
/// peak: loading (`from_file`: the parser's per-thread chunks and the edge list), CSR construction, the
/// partitioned state with its gather arena (plus one vertex-indexed scratch vector per partitioning thread,
/// `threads`, 0: hardware threads), and the rank vectors of the run, the baseline and the reference. An
/// estimate that errs on the high side; the harness refuses a run whose estimate exceeds the machine's
/// available memory.
std::uint64_t estimate_pagerank_bytes(const GraphShape& shape, std::uint32_t partitions, bool from_file,
                                      unsigned threads = 0);

/// Seeded R-MAT (Kronecker) generator: 2^scale vertices, edge_factor·2^scale edges; each edge picks a
/// quadrant with probabilities a, b, c, d = 1-a-b-c at each of `scale` levels. Deterministic for a
/// seed, independent of the number of threads (edges are generated in fixed blocks, each with its own
/// stream). Self-loops and duplicates are kept; vertex ids are not permuted.
struct RmatParams {
  std::uint32_t scale = 16;
  std::uint32_t edge_factor = 16;
  double a = 0.57, b = 0.19, c = 0.19;
  std::uint64_t seed = 1;
};
EdgeList generate_rmat(const RmatParams& p, unsigned threads = 0);

/// Seeded uniform random graph: `edges` edges with source and destination uniform over `vertices`.
EdgeList generate_uniform(std::uint64_t vertices, std::uint64_t edges, std::uint64_t seed, unsigned threads = 0);

/// Build CSR-in and out-degrees (stable: the in-edges of each vertex keep input order).
Graph build_graph(const EdgeList& edges);

}  // namespace rk::workloads::pagerank
