// PageRank input at its limits: an allocation that fails in a worker thread (parsing, partitioning) reaches the caller as std::bad_alloc instead of ending the process; the streaming scan
// (what configure() and `validate` do) agrees with the parser without keeping edges; a UTF-8 byte order
// mark is skipped; the memory estimate of a graph with id 2^31−1 is far beyond any machine's memory.
//
// This executable replaces the global operator new so that a test can make every allocation of at least
// N bytes fail (in any thread); it is its own executable so that no other test runs with it.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "rk/workloads/pagerank/graph.hpp"
#include "rk/workloads/pagerank/reference.hpp"
#include "rk/workloads/pagerank/ring.hpp"

namespace {
std::atomic<std::size_t> g_fail_from{SIZE_MAX};  // allocations of at least this many bytes throw
std::atomic<std::size_t> g_failed{0};
}  // namespace

// The replacements pair malloc with free on purpose; GCC flags the inlined pair as mismatched.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t n) {
  if (n >= g_fail_from.load(std::memory_order_relaxed)) {
    g_failed.fetch_add(1, std::memory_order_relaxed);
    throw std::bad_alloc();
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace pr = rk::workloads::pagerank;

namespace {

/// Allocations of `bytes` or more fail while this lives.
class FailLargeAllocations {
 public:
  explicit FailLargeAllocations(std::size_t bytes) {
    g_failed = 0;
    g_fail_from = bytes;
  }
  ~FailLargeAllocations() { g_fail_from = SIZE_MAX; }
  FailLargeAllocations(const FailLargeAllocations&) = delete;
  FailLargeAllocations& operator=(const FailLargeAllocations&) = delete;
};

std::string edge_text(int lines) {
  std::string text;
  for (int i = 0; i < lines; ++i) text += std::to_string(i % 977) + " " + std::to_string((i * 31) % 1013) + "\n";
  return text;
}

TEST(PageRankLimits, BadAllocInParsingThreadsReachesTheCaller) {
  const std::string text = edge_text(200000);  // ~2 MB: four chunks of ~500 KB, each reserving ~200 KB
  {
    FailLargeAllocations fail(64 << 10);
    EXPECT_THROW(pr::parse_snap("g", text.data(), text.size(), 4), std::bad_alloc);
  }
  EXPECT_GE(g_failed.load(), 1u);
  EXPECT_EQ(pr::parse_snap("g", text.data(), text.size(), 4).edges(), 200000u);  // and it works again
}

TEST(PageRankLimits, BadAllocInPartitioningThreadsReachesTheCaller) {
  pr::RmatParams p;
  p.scale = 16;  // 65536 vertices: each partitioning thread's scratch vector is 256 KiB
  p.edge_factor = 4;
  const pr::Graph g = pr::build_graph(pr::generate_rmat(p, 2));
  {
    FailLargeAllocations fail(200 << 10);
    EXPECT_THROW(pr::PartitionedGraph(g, {0, 1, 2, 3}, 0.85), std::bad_alloc);
  }
  EXPECT_GE(g_failed.load(), 1u);
  const pr::PartitionedGraph parts(g, {0, 1, 2, 3}, 0.85);
  EXPECT_EQ(parts.parts(), 4u);
}

TEST(PageRankLimits, ScanAgreesWithTheParserAndKeepsNoEdges) {
  const std::string text = "# comment\n\n" + edge_text(150000) + "7 2000000\n";
  const pr::EdgeList parsed = pr::parse_snap("g", text.data(), text.size(), 4);
  pr::GraphShape scanned;
  {
    // The parser needs ~1 MB per chunk; the scan allocates nothing of that size.
    FailLargeAllocations fail(64 << 10);
    scanned = pr::scan_snap_text("g", text.data(), text.size(), 4);
  }
  EXPECT_EQ(scanned.vertices, parsed.vertices);
  EXPECT_EQ(scanned.vertices, 2000001u);
  EXPECT_EQ(scanned.edges, parsed.edges());
  // The same errors, at the same line.
  const std::string bad = text + "1 x\n";
  try {
    pr::scan_snap_text("g", bad.data(), bad.size(), 4);
    ADD_FAILURE() << "no error";
  } catch (const pr::DataFileError& e) {
    EXPECT_EQ(e.line(), 150004u);
    EXPECT_STREQ(e.what(), "g:150004: error: malformed edge '1 x': expected a non-negative integer vertex id");
  }
  EXPECT_THROW(pr::scan_snap_text("g", "# nothing\n", 10), pr::DataFileError);
}

TEST(PageRankLimits, ByteOrderMarkIsSkipped) {
  const std::string text = "\xEF\xBB\xBF# a graph saved by a Windows tool\r\n0 1\r\n1 2\r\n";
  const pr::EdgeList el = pr::parse_snap("g", text.data(), text.size());
  EXPECT_EQ(el.edges(), 2u);
  EXPECT_EQ(el.vertices, 3u);
  EXPECT_EQ(pr::scan_snap_text("g", text.data(), text.size()), (pr::GraphShape{3, 2}));
  const std::string first_line_edge = "\xEF\xBB\xBF" "5 6\n";
  EXPECT_EQ(pr::parse_snap("g", first_line_edge.data(), first_line_edge.size()).src.at(0), 5u);
  // Only at the start of the file, and only whole.
  const std::string later = "0 1\n\xEF\xBB\xBF" "1 2\n";
  try {
    pr::parse_snap("g", later.data(), later.size());
    ADD_FAILURE() << "no error";
  } catch (const pr::DataFileError& e) {
    EXPECT_EQ(e.line(), 2u);
  }
  const std::string partial = "\xEF\xBB" "0 1\n";
  EXPECT_THROW(pr::parse_snap("g", partial.data(), partial.size()), pr::DataFileError);
}

TEST(PageRankLimits, EstimateOfTheLargestIdIsFarBeyondAnyMachine) {
  // Two edges, one of them to vertex 2^31 − 1: every vertex-indexed vector has 2^31 entries.
  const std::uint64_t big = pr::estimate_pagerank_bytes({std::uint64_t{1} << 31, 2}, 4, true, 2);
  EXPECT_GT(big, std::uint64_t{100} << 30);
  // A small graph stays small, and the estimate covers what the run keeps (graph + partitions + ranks).
  const std::uint64_t small = pr::estimate_pagerank_bytes({65536, 1 << 20}, 4, false, 2);
  EXPECT_LT(small, std::uint64_t{64} << 20);
  EXPECT_GT(small, std::uint64_t{65536} * 8 * 4 + (std::uint64_t{1} << 20) * 8);
  // More vertices, edges or partitions never need less.
  EXPECT_LE(small, pr::estimate_pagerank_bytes({65536 * 2, 1 << 20}, 4, false, 2));
  EXPECT_LE(small, pr::estimate_pagerank_bytes({65536, 1 << 21}, 4, false, 2));
  EXPECT_LE(small, pr::estimate_pagerank_bytes({65536, 1 << 20}, 8, false, 2));
  EXPECT_LE(small, pr::estimate_pagerank_bytes({65536, 1 << 20}, 4, true, 2));
  // No overflow at absurd sizes.
  EXPECT_EQ(pr::estimate_pagerank_bytes({std::uint64_t{1} << 31, UINT64_MAX / 2}, 1024, true, 64), UINT64_MAX);
}

}  // namespace
