// The appendable series of a results file: buffering, chunked writes and the summaries written at
// finish (exact nearest-rank percentiles, throughput rates).
#include <algorithm>
#include <array>
#include <bit>
#include <chrono>

#include "file_state.hpp"
#include "records.hpp"
#include "rk/record/series.hpp"

namespace rk::record::detail {
namespace {

// Log-linear histogram of latency samples, counted while appending, so finish() knows which narrow value
// range holds each requested rank and re-reads the samples counting only those ranges: exact percentiles
// with memory bounded by a few counters, not by the number of samples.
constexpr unsigned sub_bucket_bits = 7;
constexpr std::uint64_t sub_buckets = std::uint64_t{1} << sub_bucket_bits;
constexpr std::size_t bucket_count = sub_buckets + (64 - sub_bucket_bits) * sub_buckets;

std::size_t bucket_of(std::uint64_t v) {
  if (v < sub_buckets) return static_cast<std::size_t>(v);
  const unsigned exponent = static_cast<unsigned>(std::bit_width(v)) - 1;
  const unsigned shift = exponent - sub_bucket_bits;
  return static_cast<std::size_t>(sub_buckets + shift * sub_buckets + ((v >> shift) & (sub_buckets - 1)));
}

/// Smallest value of bucket `b` and the number of distinct values it spans.
std::pair<std::uint64_t, std::uint64_t> bucket_range(std::size_t b) {
  if (b < sub_buckets) return {b, 1};
  const std::uint64_t shift = (b - sub_buckets) / sub_buckets;
  const std::uint64_t mantissa = (b - sub_buckets) % sub_buckets;
  return {(sub_buckets + mantissa) << shift, std::uint64_t{1} << shift};
}

struct Percentile {
  const char* attr;
  std::uint64_t numerator;
  std::uint64_t denominator;
};
constexpr std::array<Percentile, 4> percentiles{{{"p50_ns", 50, 100},
                                                  {"p90_ns", 90, 100},
                                                  {"p99_ns", 99, 100},
                                                  {"p999_ns", 999, 1000}}};

}  // namespace

void AppendDataset::write(const void* rows, std::size_t count, const FileState& file) {
  append_1d(dataset_.get(), memory_type_.get(), rows_, rows, count, file.where(path_));
}

// ---------------------------------------------------------------------------------------------------------

LatencyState::LatencyState(FileState& file, const std::string& group_path, const std::string& probe)
    : SeriesState(file), chunk_(std::max<std::size_t>(file.options.latency_chunk_samples, 1)),
      histogram_(bucket_count, 0) {
  Handle group = owned(H5Gcreate2(file.file.get(), group_path.c_str(), file.lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                       H5Gclose, "H5Gcreate2", file.where(group_path));
  write_attr(group.get(), "probe", probe, file.where(group_path));
  const std::string path = group_path + "/samples_ns";
  Handle type = scalar_type(ScalarType::u64, 8);
  Handle dataset = create_appendable(group.get(), "samples_ns", type.get(), chunk_, file.options.deflate_level,
                                     file.lcpl.get(), file.where(path));
  data_ = AppendDataset(std::move(dataset), std::move(type), path);
  buffer_.reserve(chunk_);
}

void LatencyState::append(std::span<const std::uint64_t> samples) {
  for (const std::uint64_t v : samples) {
    ++histogram_[bucket_of(v)];
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
    sum_ += v;
  }
  count_ += samples.size();
  while (!samples.empty()) {
    if (buffer_.empty() && samples.size() >= chunk_) {
      const std::size_t whole = samples.size() - samples.size() % chunk_;
      data_.write(samples.data(), whole, file_);
      samples = samples.subspan(whole);
      continue;
    }
    const std::size_t take = std::min(samples.size(), chunk_ - buffer_.size());
    buffer_.insert(buffer_.end(), samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(take));
    samples = samples.subspan(take);
    if (buffer_.size() == chunk_) flush_buffers();
  }
}

void LatencyState::flush_buffers() {
  data_.write(buffer_.data(), buffer_.size(), file_);
  buffer_.clear();
}

void LatencyState::finalize() {
  flush_buffers();
  const hid_t dataset = data_.id();
  const std::string where = file_.where(data_.path());
  write_attr(dataset, "count", count_, where);
  write_attr(dataset, "percentile_method", std::string("nearest-rank"), where);
  if (count_ == 0) return;
  write_attr(dataset, "min_ns", min_, where);
  write_attr(dataset, "max_ns", max_, where);
  write_attr(dataset, "mean_ns", static_cast<double>(sum_) / static_cast<double>(count_), where);

  // Each wanted rank lies in one histogram bucket. Its exact value is found by re-reading the samples and
  // counting those in the range still in question, split into at most 2^16 equal parts, then narrowing
  // the range to the part that holds the rank, until it is one value wide: one pass for buckets up to
  // 2^16 wide (every value below 2^24 ns), at most four for the widest. Memory: the counters (at most
  // 2 MiB) and one block of samples, however many samples there are.
  struct Target {
    std::uint64_t lowest = 0;    // the range still in question: [lowest, lowest + width)
    std::uint64_t width = 1;     // a power of two
    std::uint64_t rank = 0;      // 1-based rank within the range
    std::uint64_t expected = 0;  // samples the appends put in the range
  };
  std::array<Target, percentiles.size()> targets{};
  for (std::size_t i = 0; i < percentiles.size(); ++i) {
    const auto& p = percentiles[i];
    const auto wide_rank = (static_cast<unsigned __int128>(count_) * p.numerator + p.denominator - 1) / p.denominator;
    const std::uint64_t rank = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(wide_rank), 1, count_);
    std::uint64_t below = 0;
    std::size_t b = 0;
    while (below + histogram_[b] < rank) below += histogram_[b++];
    const auto [lowest, width] = bucket_range(b);
    targets[i] = {lowest, width, rank - below, histogram_[b]};
  }
  // log2 of the width of one part of a target's range.
  const auto part_bits = [](const Target& t) {
    constexpr unsigned max_parts_bits = 16;
    const auto bits = static_cast<unsigned>(std::countr_zero(t.width));
    return bits > max_parts_bits ? bits - max_parts_bits : 0u;
  };

  const hsize_t block = std::max<hsize_t>(chunk_, hsize_t{1} << 16);
  std::vector<std::uint64_t> values;
  std::array<std::vector<std::uint64_t>, percentiles.size()> counts;
  while (std::any_of(targets.begin(), targets.end(), [](const Target& t) { return t.width > 1; })) {
    for (std::size_t i = 0; i < targets.size(); ++i)
      if (targets[i].width > 1) counts[i].assign(static_cast<std::size_t>(targets[i].width >> part_bits(targets[i])), 0);
    if (values.empty()) values.resize(static_cast<std::size_t>(std::min<hsize_t>(block, data_.rows())));
    for (hsize_t offset = 0; offset < data_.rows(); offset += block) {
      const hsize_t n = std::min(block, data_.rows() - offset);
      read_1d(dataset, data_.memory_type(), offset, n, values.data(), where);
      for (std::size_t i = 0; i < targets.size(); ++i) {
        const Target& t = targets[i];
        if (t.width == 1) continue;
        const unsigned shift = part_bits(t);
        auto& c = counts[i];
        for (hsize_t k = 0; k < n; ++k) {
          const std::uint64_t d = values[k] - t.lowest;  // wraps around to a huge value below the range
          if (d < t.width) ++c[static_cast<std::size_t>(d >> shift)];
        }
      }
    }
    for (std::size_t i = 0; i < targets.size(); ++i) {
      Target& t = targets[i];
      if (t.width == 1) continue;
      const auto& c = counts[i];
      std::uint64_t total = 0;
      for (const std::uint64_t v : c) total += v;
      if (total != t.expected) {
        throw RecordError("latency samples read back from " + where + " do not match the samples appended");
      }
      std::uint64_t below = 0;
      std::size_t k = 0;
      while (below + c[k] < t.rank) below += c[k++];
      const unsigned shift = part_bits(t);
      t.lowest += std::uint64_t{k} << shift;
      t.width = std::uint64_t{1} << shift;
      t.rank -= below;
      t.expected = c[k];
    }
  }
  for (std::size_t i = 0; i < percentiles.size(); ++i) write_attr(dataset, percentiles[i].attr, targets[i].lowest, where);
}

// ---------------------------------------------------------------------------------------------------------

ThroughputState::ThroughputState(FileState& file, std::string group_path, const std::string& probe)
    : SeriesState(file), group_path_(std::move(group_path)) {
  Handle group = owned(H5Gcreate2(file.file.get(), group_path_.c_str(), file.lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                       H5Gclose, "H5Gcreate2", file.where(group_path_));
  write_attr(group.get(), "probe", probe, file.where(group_path_));
  const auto make = [&](const char* name) {
    const std::string path = group_path_ + "/" + name;
    Handle type = scalar_type(ScalarType::u64, 8);
    Handle dataset = create_appendable(group.get(), name, type.get(), file.options.row_chunk, file.options.deflate_level,
                                       file.lcpl.get(), file.where(path));
    return AppendDataset(std::move(dataset), std::move(type), path);
  };
  t_ns_ = make("t_ns");
  messages_ = make("messages");
  bytes_ = make("bytes");
}

void ThroughputState::append(std::uint64_t t_ns, std::uint64_t messages, std::uint64_t bytes) {
  if (count_ == 0) {
    first_t_ = t_ns;
    first_messages_ = messages;
    first_bytes_ = bytes;
  }
  last_t_ = t_ns;
  total_messages_ += messages;
  total_bytes_ += bytes;
  ++count_;
  t_buffer_.push_back(t_ns);
  messages_buffer_.push_back(messages);
  bytes_buffer_.push_back(bytes);
  if (t_buffer_.size() >= file_.options.row_chunk) flush_buffers();
}

void ThroughputState::flush_buffers() {
  t_ns_.write(t_buffer_.data(), t_buffer_.size(), file_);
  messages_.write(messages_buffer_.data(), messages_buffer_.size(), file_);
  bytes_.write(bytes_buffer_.data(), bytes_buffer_.size(), file_);
  t_buffer_.clear();
  messages_buffer_.clear();
  bytes_buffer_.clear();
}

void ThroughputState::finalize() {
  flush_buffers();
  const std::string where = file_.where(group_path_);
  Handle group = owned(H5Gopen2(file_.file.get(), group_path_.c_str(), H5P_DEFAULT), H5Gclose, "H5Gopen2", where);
  write_attr(group.get(), "count", count_, where);
  write_attr(group.get(), "messages_total", total_messages_, where);
  write_attr(group.get(), "bytes_total", total_bytes_, where);
  if (count_ < 2 || last_t_ <= first_t_) return;
  const std::uint64_t duration = last_t_ - first_t_;
  const double seconds = static_cast<double>(duration) * 1e-9;
  write_attr(group.get(), "duration_ns", duration, where);
  write_attr(group.get(), "messages_per_second", static_cast<double>(total_messages_ - first_messages_) / seconds, where);
  write_attr(group.get(), "bytes_per_second", static_cast<double>(total_bytes_ - first_bytes_) / seconds, where);
}

void ThroughputState::close() noexcept {
  t_ns_.close();
  messages_.close();
  bytes_.close();
}

// ---------------------------------------------------------------------------------------------------------

RowSeriesState::RowSeriesState(FileState& file, AppendDataset data, std::size_t row_size)
    : SeriesState(file), data_(std::move(data)), row_size_(row_size) {}

void RowSeriesState::append(const void* rows, std::size_t count, std::size_t row_size) {
  if (row_size != row_size_) {
    throw RecordError("row of " + std::to_string(row_size) + " bytes appended to " + file_.where(data_.path()) +
                      " whose rows have " + std::to_string(row_size_) + " bytes");
  }
  const auto* bytes = static_cast<const unsigned char*>(rows);
  buffer_.insert(buffer_.end(), bytes, bytes + count * row_size);
  if (buffer_.size() >= file_.options.row_chunk * row_size_) flush_buffers();
}

void RowSeriesState::flush_buffers() {
  data_.write(buffer_.data(), buffer_.size() / row_size_, file_);
  buffer_.clear();
}

// ---------------------------------------------------------------------------------------------------------

EventState::EventState(FileState& file) : SeriesState(file) {
  const std::string path = "/events";
  CompoundTypes types = event_types(file.where(path));
  Handle dataset = create_appendable(file.file.get(), path, types.file.get(), std::min<std::size_t>(file.options.row_chunk, 1024),
                                     file.options.deflate_level, file.lcpl.get(), file.where(path));
  data_ = AppendDataset(std::move(dataset), std::move(types.memory), path);
}

void EventState::append(const Event& event) {
  buffer_.push_back(event);
  if (buffer_.back().wall_ns == 0) {
    buffer_.back().wall_ns = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
  }
  if (buffer_.size() >= std::min<std::size_t>(file_.options.row_chunk, 1024)) flush_buffers();
}

void EventState::flush_buffers() {
  std::vector<EventRecord> records;
  records.reserve(buffer_.size());
  for (const auto& e : buffer_) {
    records.push_back(EventRecord{e.wall_ns, e.hlc.physical, e.hlc.logical, e.hlc.node, to_string(e.severity).data(),
                                  e.kind.c_str(), e.kernel.c_str(), e.message.c_str()});
  }
  data_.write(records.data(), records.size(), file_);
  buffer_.clear();
}

// ---------------------------------------------------------------------------------------------------------

void append_rows(const std::shared_ptr<FileState>& file, const std::shared_ptr<RowSeriesState>& state,
                 const void* rows, std::size_t count, std::size_t row_size) {
  if (!file || !state) throw RecordError("append to an empty series handle");
  ApiLock lock;
  file->require_open("append");
  const IoWatch watch(*file);
  state->append(rows, count, row_size);
  file->after_append();
}

std::uint64_t row_count(const std::shared_ptr<FileState>& file, const std::shared_ptr<RowSeriesState>& state) {
  if (!file || !state) throw RecordError("count of an empty series handle");
  ApiLock lock;
  return state->count();
}

}  // namespace rk::record::detail

namespace rk::record {

namespace {

template <class State>
void require_handle(const std::shared_ptr<detail::FileState>& file, const std::shared_ptr<State>& state,
                    const char* what) {
  if (!file || !state) throw RecordError(std::string(what) + " on an empty handle");
}

}  // namespace

LatencySeries::LatencySeries(std::shared_ptr<detail::FileState> file, std::shared_ptr<detail::LatencyState> state)
    : file_(std::move(file)), state_(std::move(state)) {}

void LatencySeries::append(std::span<const std::uint64_t> samples_ns) {
  require_handle(file_, state_, "LatencySeries::append");
  detail::ApiLock lock;
  file_->require_open("LatencySeries::append");
  const detail::IoWatch watch(*file_);
  state_->append(samples_ns);
  file_->after_append();
}

std::uint64_t LatencySeries::count() const {
  require_handle(file_, state_, "LatencySeries::count");
  detail::ApiLock lock;
  return state_->count();
}

ThroughputSeries::ThroughputSeries(std::shared_ptr<detail::FileState> file,
                                   std::shared_ptr<detail::ThroughputState> state)
    : file_(std::move(file)), state_(std::move(state)) {}

void ThroughputSeries::append(std::uint64_t t_ns, std::uint64_t messages, std::uint64_t bytes) {
  require_handle(file_, state_, "ThroughputSeries::append");
  detail::ApiLock lock;
  file_->require_open("ThroughputSeries::append");
  const detail::IoWatch watch(*file_);
  state_->append(t_ns, messages, bytes);
  file_->after_append();
}

std::uint64_t ThroughputSeries::count() const {
  require_handle(file_, state_, "ThroughputSeries::count");
  detail::ApiLock lock;
  return state_->count();
}

TelemetrySeries::TelemetrySeries(std::shared_ptr<detail::FileState> file,
                                 std::shared_ptr<detail::RowSeriesState> state)
    : file_(std::move(file)), state_(std::move(state)) {}

void TelemetrySeries::append(std::span<const TelemetryRow> rows) {
  detail::append_rows(file_, state_, rows.data(), rows.size(), sizeof(TelemetryRow));
}

std::uint64_t TelemetrySeries::count() const { return detail::row_count(file_, state_); }

EventLog::EventLog(std::shared_ptr<detail::FileState> file, std::shared_ptr<detail::EventState> state)
    : file_(std::move(file)), state_(std::move(state)) {}

void EventLog::append(const Event& event) {
  require_handle(file_, state_, "EventLog::append");
  detail::ApiLock lock;
  file_->require_open("EventLog::append");
  const detail::IoWatch watch(*file_);
  state_->append(event);
  file_->after_append();
}

std::uint64_t EventLog::count() const {
  require_handle(file_, state_, "EventLog::count");
  detail::ApiLock lock;
  return state_->count();
}

}  // namespace rk::record
