// SNAP parsing (parallel, at line boundaries), R-MAT and uniform generators, CSR-in construction.
#include "rk/workloads/pagerank/graph.hpp"
#include "rk/workloads/util.hpp"

#include "parallel.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <thread>

#include <cerrno>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rk::workloads::pagerank {

namespace {

unsigned resolve_threads(unsigned threads) {
  if (threads != 0) return threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

using detail::parallel;

struct ChunkResult {
  std::vector<std::uint32_t> src, dst;  // empty when only counting (scan_snap)
  std::uint64_t edges = 0;
  std::uint64_t lines = 0;     // lines fully or partly in this chunk
  std::uint64_t max_id = 0;
  bool any = false;
  std::optional<std::uint64_t> error_line;  // 1-based within the chunk
  std::string error;
};

std::string excerpt(const char* b, const char* e) {
  std::string s;
  for (const char* p = b; p < e && s.size() < 48; ++p) s += (static_cast<unsigned char>(*p) < 32 || *p == 127) ? '?' : *p;
  if (e - b > 48) s += "...";
  return s;
}

inline bool is_blank(char c) { return c == ' ' || c == '\t'; }

/// Parses one line [b, e) (without '\n'). Returns false with `why` set when it is malformed. Stores the
/// edge when `Store`, else only counts it.
template <bool Store>
bool parse_line(const char* b, const char* e, ChunkResult& r, std::string& why) {
  const char* p = b;
  while (p < e && is_blank(*p)) ++p;
  if (p == e || *p == '#' || (*p == '\r' && p + 1 == e)) return true;
  std::uint64_t ids[2];
  for (int k = 0; k < 2; ++k) {
    if (k == 1) {
      const char* q = p;
      while (p < e && is_blank(*p)) ++p;
      if (p == q) {
        why = (p == e || *p == '\r') ? "expected two vertex ids, found one" : "expected a space or tab between the vertex ids";
        return false;
      }
    }
    if (p == e || *p < '0' || *p > '9') {
      why = (p < e && *p == '-') ? "vertex ids must be non-negative" : "expected a non-negative integer vertex id";
      return false;
    }
    std::uint64_t v = 0;
    while (p < e && *p >= '0' && *p <= '9') {
      v = v * 10 + static_cast<std::uint64_t>(*p - '0');
      if (v >= kMaxVertices) {
        why = "vertex id is too large (at most " + std::to_string(kMaxVertices - 1) + ")";
        return false;
      }
      ++p;
    }
    ids[k] = v;
  }
  while (p < e && (is_blank(*p) || *p == '\r')) ++p;
  if (p != e) {
    why = "unexpected text after the edge (expected 'SRC DST')";
    return false;
  }
  if constexpr (Store) {
    r.src.push_back(static_cast<std::uint32_t>(ids[0]));
    r.dst.push_back(static_cast<std::uint32_t>(ids[1]));
  }
  ++r.edges;
  r.max_id = std::max({r.max_id, ids[0], ids[1]});
  r.any = true;
  return true;
}

template <bool Store>
void parse_chunk(const char* b, const char* e, ChunkResult& r) {
  if constexpr (Store) {
    r.src.reserve(static_cast<std::size_t>(e - b) / 10);
    r.dst.reserve(static_cast<std::size_t>(e - b) / 10);
  }
  const char* p = b;
  std::string why;
  while (p < e) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(e - p)));
    const char* end = nl ? nl : e;
    ++r.lines;
    if (!parse_line<Store>(p, end, r, why)) {
      r.error_line = r.lines;
      r.error = "malformed edge '" + excerpt(p, end) + "': " + why;
      return;
    }
    p = nl ? nl + 1 : e;
  }
}

/// SplitMix64 streams (rk/workloads/util.hpp), seeded per block.

SplitMix64 block_stream(std::uint64_t seed, std::uint64_t block) {
  SplitMix64 g{seed ^ 0x5851F42D4C957F2Dull};
  g.s ^= (block + 1) * 0xD1B54A32D192ED03ull;
  g.next();
  return g;
}

constexpr std::uint64_t kBlock = 1 << 16;

template <class EdgeFn>
void generate_blocks(std::uint64_t edges, std::uint64_t seed, unsigned threads, EdgeList& out, EdgeFn fn) {
  out.src.resize(edges);
  out.dst.resize(edges);
  const std::uint64_t blocks = (edges + kBlock - 1) / kBlock;
  const unsigned n = static_cast<unsigned>(std::min<std::uint64_t>(resolve_threads(threads), std::max<std::uint64_t>(blocks, 1)));
  parallel(n, [&](unsigned t) {
    for (std::uint64_t blk = t; blk < blocks; blk += n) {
      SplitMix64 g = block_stream(seed, blk);
      const std::uint64_t end = std::min(edges, (blk + 1) * kBlock);
      for (std::uint64_t i = blk * kBlock; i < end; ++i) fn(g, out.src[i], out.dst[i]);
    }
  });
}

}  // namespace

DataFileError::DataFileError(std::string file, std::uint64_t line, const std::string& message)
    : InputError(file + (line ? ":" + std::to_string(line) : std::string()) + ": error: " + message),
      file_(std::move(file)),
      line_(line) {}

std::uint64_t Graph::dangling() const {
  return static_cast<std::uint64_t>(std::count(out_degree.begin(), out_degree.end(), 0u));
}

namespace {

constexpr char kBom[] = "\xEF\xBB\xBF";

/// Splits [data, data + size) at line boundaries into chunks parsed concurrently; throws DataFileError
/// for the first malformed line (or when there are no edges), else returns the chunks in order.
template <bool Store>
std::vector<ChunkResult> parse_chunks(const std::string& name, const char* data, std::size_t size, unsigned threads,
                                      std::uint64_t& max_id) {
  if (size >= 3 && std::memcmp(data, kBom, 3) == 0) {  // a UTF-8 byte order mark (Windows tools write one)
    data += 3;
    size -= 3;
  }
  const unsigned n = static_cast<unsigned>(std::min<std::size_t>(resolve_threads(threads), std::max<std::size_t>(1, size / (1 << 16))));
  // Chunk boundaries: just after the first '\n' at or after i·size/n.
  std::vector<std::size_t> start(n + 1, size);
  start[0] = 0;
  for (unsigned i = 1; i < n; ++i) {
    std::size_t pos = std::max(start[i - 1], size / n * i);
    const void* nl = pos < size ? std::memchr(data + pos, '\n', size - pos) : nullptr;
    start[i] = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - data) + 1 : size;
  }
  std::vector<ChunkResult> chunks(n);
  parallel(n, [&](unsigned t) { parse_chunk<Store>(data + start[t], data + start[t + 1], chunks[t]); });
  std::uint64_t lines_before = 0;
  bool any = false;
  max_id = 0;
  for (const auto& c : chunks) {
    if (c.error_line) throw DataFileError(name, lines_before + *c.error_line, c.error);
    lines_before += c.lines;
    max_id = std::max(max_id, c.max_id);
    any = any || c.any;
  }
  if (!any) throw DataFileError(name, 0, "the graph has no edges");
  return chunks;
}

/// The file mapped read-only (no copy; pages are read by the parsing threads in parallel), passed to f.
template <class F>
auto with_mapped_file(const std::string& path, F&& f) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw DataFileError(path, 0, std::string("cannot open the graph file: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw DataFileError(path, 0, "cannot read the graph file (not a regular file)");
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    throw DataFileError(path, 0, "the graph has no edges");
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) throw DataFileError(path, 0, std::string("cannot map the graph file: ") + std::strerror(errno));
  struct Unmap {
    void* p;
    std::size_t n;
    ~Unmap() { ::munmap(p, n); }
  } unmap{map, size};
  ::madvise(map, size, MADV_SEQUENTIAL);
  return f(static_cast<const char*>(map), size);
}

}  // namespace

EdgeList parse_snap(const std::string& name, const char* data, std::size_t size, unsigned threads) {
  std::uint64_t max_id = 0;
  std::vector<ChunkResult> chunks = parse_chunks<true>(name, data, size, threads, max_id);
  const auto n = static_cast<unsigned>(chunks.size());
  std::uint64_t edges = 0;
  for (const auto& c : chunks) edges += c.src.size();
  EdgeList out;
  out.vertices = max_id + 1;
  out.src.resize(edges);
  out.dst.resize(edges);
  std::vector<std::uint64_t> at(n + 1, 0);
  for (unsigned t = 0; t < n; ++t) at[t + 1] = at[t] + chunks[t].src.size();
  parallel(n, [&](unsigned t) {  // each chunk copies itself into place
    std::copy(chunks[t].src.begin(), chunks[t].src.end(), out.src.begin() + static_cast<std::ptrdiff_t>(at[t]));
    std::copy(chunks[t].dst.begin(), chunks[t].dst.end(), out.dst.begin() + static_cast<std::ptrdiff_t>(at[t]));
    std::vector<std::uint32_t>().swap(chunks[t].src);
    std::vector<std::uint32_t>().swap(chunks[t].dst);
  });
  return out;
}

GraphShape scan_snap_text(const std::string& name, const char* data, std::size_t size, unsigned threads) {
  std::uint64_t max_id = 0;
  const std::vector<ChunkResult> chunks = parse_chunks<false>(name, data, size, threads, max_id);
  GraphShape shape;
  shape.vertices = max_id + 1;
  for (const auto& c : chunks) shape.edges += c.edges;
  return shape;
}

GraphShape scan_snap(const std::string& path, unsigned threads) {
  return with_mapped_file(path, [&](const char* data, std::size_t size) { return scan_snap_text(path, data, size, threads); });
}

EdgeList load_snap(const std::string& path, unsigned threads) {
  return with_mapped_file(path, [&](const char* data, std::size_t size) { return parse_snap(path, data, size, threads); });
}

std::uint64_t estimate_pagerank_bytes(const GraphShape& shape, std::uint32_t partitions, bool from_file, unsigned threads) {
  using W = unsigned __int128;
  const W V = shape.vertices, E = shape.edges, K = std::max<std::uint32_t>(partitions, 1);
  const W T = std::min<W>(K, resolve_threads(threads));
  const W G = std::min<W>(E, (K - 1) * V);  // ghost vertices over all partitions (each pulls a value)
  // Input: the edge list (src + dst); from a file also the parsing threads' chunks (reserved from the
  // file size, grown by doubling: counted as twice the edges).
  const W input = from_file ? 8 * E + 16 * E : 8 * E;
  // build_graph: the edge list, in_offsets (8V), out_degree (4V), in_sources (4E), the fill cursor (8V).
  const W csr = 8 * E + 4 * E + 20 * V;
  const W graph = 4 * E + 12 * V;  // what stays: in_offsets, in_sources, out_degree
  // PartitionedGraph: per partition in_offsets, in_cols, out_degree, ranks (8 + 4 + 4 + 8 per vertex,
  // 4 per edge); ghost lists and send indices (4 + 4 per ghost); the gather arena, two parities of
  // (owned + ghost) doubles (16 per vertex and per ghost); while building, one vertex-indexed scratch
  // vector (4V) per thread.
  const W parts = 24 * V + 4 * E + 8 * G + 16 * (V + G);
  const W partitioning = graph + parts + 4 * V * T;
  // The run: the ring result's ranks, the baseline's three vectors, the reference's three (8V each),
  // with the graph and the partitions still alive.
  const W run = graph + parts + 7 * 8 * V;
  const W peak = std::max({input, csr, partitioning, run});
  return peak > W{UINT64_MAX} ? UINT64_MAX : static_cast<std::uint64_t>(peak);
}

EdgeList generate_rmat(const RmatParams& p, unsigned threads) {
  if (p.scale < 1 || p.scale > 30) throw std::invalid_argument("R-MAT scale must be 1..30");
  if (!(p.a >= 0 && p.b >= 0 && p.c >= 0 && p.a + p.b + p.c <= 1.0))
    throw std::invalid_argument("R-MAT probabilities a, b, c must be non-negative with a + b + c <= 1");
  EdgeList out;
  out.vertices = std::uint64_t{1} << p.scale;
  const std::uint64_t edges = std::uint64_t{p.edge_factor} << p.scale;
  const double ab = p.a + p.b, abc = p.a + p.b + p.c;
  const std::uint32_t scale = p.scale;
  const double a = p.a;
  generate_blocks(edges, p.seed, threads, out, [=](SplitMix64& g, std::uint32_t& s, std::uint32_t& d) {
    std::uint32_t u = 0, v = 0;
    for (std::uint32_t l = 0; l < scale; ++l) {
      const std::uint32_t bit = 1u << (scale - 1 - l);
      const double r = g.unit();
      if (r < a) continue;
      if (r < ab) v |= bit;
      else if (r < abc) u |= bit;
      else {
        u |= bit;
        v |= bit;
      }
    }
    s = u;
    d = v;
  });
  return out;
}

EdgeList generate_uniform(std::uint64_t vertices, std::uint64_t edges, std::uint64_t seed, unsigned threads) {
  if (vertices < 1 || vertices > kMaxVertices) throw std::invalid_argument("uniform graph: vertices must be 1..2^31");
  EdgeList out;
  out.vertices = vertices;
  generate_blocks(edges, seed, threads, out, [=](SplitMix64& g, std::uint32_t& s, std::uint32_t& d) {
    s = static_cast<std::uint32_t>((static_cast<unsigned __int128>(g.next()) * vertices) >> 64);
    d = static_cast<std::uint32_t>((static_cast<unsigned __int128>(g.next()) * vertices) >> 64);
  });
  return out;
}

Graph build_graph(const EdgeList& el) {
  Graph g;
  g.vertices = el.vertices;
  g.edges = el.edges();
  g.in_offsets.assign(g.vertices + 1, 0);
  g.out_degree.assign(g.vertices, 0);
  for (std::uint64_t i = 0; i < g.edges; ++i) {
    ++g.in_offsets[el.dst[i] + 1];
    ++g.out_degree[el.src[i]];
  }
  for (std::uint64_t v = 0; v < g.vertices; ++v) g.in_offsets[v + 1] += g.in_offsets[v];
  g.in_sources.resize(g.edges);
  std::vector<std::uint64_t> fill(g.in_offsets.begin(), g.in_offsets.end() - 1);
  for (std::uint64_t i = 0; i < g.edges; ++i) g.in_sources[fill[el.dst[i]]++] = el.src[i];
  return g;
}

}  // namespace rk::workloads::pagerank
