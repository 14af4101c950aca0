// DataFrame: immutable, reference-counted bytes with a schema name — encoded packets, JSON,
// detections, sequence numbers.
//
//   DataFramePool pool;
//   WritableDataFrame w = pool.acquire("json", text.size());
//   std::memcpy(w.bytes().data(), text.data(), text.size());
//   out.push(std::move(w).freeze());
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "streamlib/frames/frame_pool.h"
#include "streamlib/frames/message.h"

namespace streamlib {

namespace internal {
struct DataFrameStorage final : FrameStorageBase {
  void reset() override;
  std::string schema;
  std::vector<std::uint8_t> bytes;
};
}  // namespace internal

class DataFrame {
 public:
  DataFrame() = default;

  explicit operator bool() const { return static_cast<bool>(ref_); }
  std::string_view schema() const { return ref_->schema; }
  std::span<const std::uint8_t> bytes() const { return ref_->bytes; }
  std::string_view text() const { return {reinterpret_cast<const char*>(ref_->bytes.data()), ref_->bytes.size()}; }
  std::int64_t timestamp_ns() const { return ref_->timestamp_ns; }
  std::uint64_t frame_number() const { return ref_->frame_number; }
  const FrameMetadata& metadata() const { return ref_->metadata; }

  const void* buffer_id() const { return ref_.get(); }
  std::uint32_t use_count() const { return ref_.use_count(); }

 private:
  friend class WritableDataFrame;
  explicit DataFrame(internal::FrameRef<internal::DataFrameStorage> ref) : ref_(std::move(ref)) {}
  internal::FrameRef<internal::DataFrameStorage> ref_;
};

class WritableDataFrame {
 public:
  // Allocates outside any pool.
  WritableDataFrame(std::string_view schema, std::size_t size);

  std::string_view schema() const { return ref_->schema; }
  std::span<std::uint8_t> bytes() { return ref_->bytes; }
  void resize(std::size_t size) { ref_->bytes.resize(size); }
  void assign(std::string_view text) { ref_->bytes.assign(text.begin(), text.end()); }
  void set_timestamp_ns(std::int64_t ns) { ref_->timestamp_ns = ns; }
  void set_frame_number(std::uint64_t n) { ref_->frame_number = n; }
  FrameMetadata& metadata() { return ref_->metadata; }

  DataFrame freeze() && { return DataFrame(std::move(ref_)); }

 private:
  friend class DataFramePool;
  explicit WritableDataFrame(internal::FrameRef<internal::DataFrameStorage> ref) : ref_(std::move(ref)) {}
  internal::FrameRef<internal::DataFrameStorage> ref_;
};

class DataFramePool {
 public:
  // Acquire from one thread (the producer); frames may be released anywhere. Keeps every
  // buffer it made for reuse.
  explicit DataFramePool(std::size_t max_in_flight = 0) { impl_.set_max_in_flight(max_in_flight); }
  WritableDataFrame acquire(std::string_view schema, std::size_t size);
  std::optional<WritableDataFrame> try_acquire(std::string_view schema, std::size_t size);
  void set_max_in_flight(std::size_t max) { impl_.set_max_in_flight(max); }
  std::size_t in_flight() const { return impl_.in_flight(); }
  std::uint64_t allocated() const { return impl_.allocated(); }
  std::uint64_t reused() const { return impl_.reused(); }

 private:
  internal::FramePoolImpl<internal::DataFrameStorage> impl_;
};

STREAMLIB_MESSAGE_TYPE(DataFrame, 16, LinkPolicy::kBlock);

}  // namespace streamlib
