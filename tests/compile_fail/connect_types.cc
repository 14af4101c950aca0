// Compiled twice by ctest: with STREAMLIB_MATCHING it must compile; with STREAMLIB_MISMATCHED
// connect() must fail with StreamLib's static_assert (a VideoFrame output into an AudioFrame
// input).
#include <streamlib/streamlib.h>

namespace {

class VideoOut : public streamlib::Processor<streamlib::EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(VideoOut, "test source", streamlib::Continuous{});
  streamlib::LinkOutput<streamlib::VideoFrame> video{this, "video"};
  streamlib::Result<void> process() override { return {}; }
};

class Sinks : public streamlib::Processor<streamlib::EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(Sinks, "test sink", streamlib::Reactive{});
  streamlib::LinkInput<streamlib::VideoFrame> video{this, "video"};
  streamlib::LinkInput<streamlib::AudioFrame> audio{this, "audio"};
  streamlib::Result<void> process() override { return {}; }
};

}  // namespace

int main() {
  streamlib::StreamRuntime rt;
  auto src = rt.add_processor<VideoOut>({}).value();
  auto sink = rt.add_processor<Sinks>({}).value();
#if defined(STREAMLIB_MATCHING)
  auto link = rt.connect(src.output(&VideoOut::video), sink.input(&Sinks::video));
#elif defined(STREAMLIB_MISMATCHED)
  auto link = rt.connect(src.output(&VideoOut::video), sink.input(&Sinks::audio));
#endif
  return link.has_value() ? 0 : 1;
}
