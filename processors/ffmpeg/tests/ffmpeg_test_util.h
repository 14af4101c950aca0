// Helpers for the FFmpeg processors' tests: run a harness to its end, concatenate audio,
// and decode a written file back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ffmpeg_common/media_reader.h"
#include "streamlib/testing/processor_harness.h"
#include "test_media.h"

namespace streamlib::testing {

using ffmpeg::testing::ffprobe;
using ffmpeg::testing::media;
using ffmpeg::testing::out_path;
using ffmpeg::testing::probe_number;
using ffmpeg::testing::probe_stream;

// Runs a harness until its processor's stream ended (sources call end_stream()).
template <class P>
void run_to_end(ProcessorHarness<P>& h, std::size_t max_rounds = 100000) {
  for (std::size_t i = 0; i < max_rounds && !h.finished(); ++i) ASSERT_TRUE(h.run()) << "round " << i;
  ASSERT_TRUE(h.finished());
}

// Everything a file decodes to, in order (MediaReader, the layer FileSource uses).
struct Decoded {
  std::vector<VideoFrame> video;
  std::vector<AudioFrame> audio;
};
inline Decoded decode_file(const std::string& path, ffmpeg::MediaReaderOptions options = {}) {
  Decoded d;
  auto reader = ffmpeg::MediaReader::open(path, options);
  EXPECT_TRUE(reader) << (reader ? "" : reader.error().message());
  if (!reader) return d;
  while (true) {
    auto f = reader->read();
    EXPECT_TRUE(f) << (f ? "" : f.error().message());
    if (!f || f->end_of_stream()) break;
    if (const VideoFrame* v = f->video()) d.video.push_back(*v);
    if (const AudioFrame* a = f->audio()) d.audio.push_back(*a);
  }
  return d;
}

inline std::vector<float> concat(const std::vector<AudioFrame>& blocks) {
  std::vector<float> all;
  for (const AudioFrame& b : blocks) all.insert(all.end(), b.samples().begin(), b.samples().end());
  return all;
}

inline std::int64_t probe_int(const nlohmann::json& object, const std::string& key) {
  return static_cast<std::int64_t>(probe_number(object, key));
}

}  // namespace streamlib::testing
