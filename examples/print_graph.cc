// print_graph: a graph built with the Graph API — not run — printed as a graph file (the JSON
// that `streamlib run` and `streamlib validate` read), after checking it through the library.
//
//   Camera --video--> VideoEncoder (H.264) --video_packets--> Mp4Writer
//   AudioCapture --audio------------------------------------> Mp4Writer (AAC)
//
//   print_graph [GRAPH.json]
//
// Prints the graph on stdout, every config complete with its defaults. Checks, on stderr: the
// graph validates (a DAG, ports, message types), and the JSON it prints reads back
// (Graph::from_json) into the same graph with the same checksum. With GRAPH.json it also checks
// that the file describes this same graph (examples/graphs/camera_encoder_mic.json does).
// Needs no device: nothing is opened. Exit code 0 when every check passed, 2 when GRAPH.json
// cannot be read or parsed, 1 when a check failed.
#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <streamlib/streamlib.h>

#include "ffmpeg/encoders.h"
#include "ffmpeg/file_writer.h"
#include "sdl/sdl_processors.h"
#include "v4l2/camera.h"

namespace {

using namespace streamlib;

// Typed configs, turned into the JSON a graph node holds (checked against the type's schema).
Result<Graph> build() {
  const ProcessorFactory& factory = ProcessorFactory::global();
  Graph g;
  auto add = [&](const char* id, const char* type, const nlohmann::json& config) -> Result<void> {
    STREAMLIB_ASSIGN_OR_RETURN(ProcessorNode node, factory.make_node(ProcessorId{id}, type, config));
    return g.add_processor(std::move(node));
  };
  auto link = [&](const char* from, const char* to, LinkConfig config) -> Result<void> {
    STREAMLIB_ASSIGN_OR_RETURN(LinkPortAddress source, LinkPortAddress::parse(from));
    STREAMLIB_ASSIGN_OR_RETURN(LinkPortAddress target, LinkPortAddress::parse(to));
    STREAMLIB_RETURN_IF_ERROR(g.add_link({.source = source, .target = target, .config = config}));
    return {};
  };
  STREAMLIB_RETURN_IF_ERROR(add("camera", "Camera", config_to_json(CameraConfig{.width = 1280, .height = 720})));
  STREAMLIB_RETURN_IF_ERROR(add("encoder", "VideoEncoder", config_to_json(VideoEncoderConfig{.preset = "veryfast"})));
  STREAMLIB_RETURN_IF_ERROR(add("mic", "AudioCapture", config_to_json(SdlAudioConfig{})));
  STREAMLIB_RETURN_IF_ERROR(add("recorder", "Mp4Writer", config_to_json(FileWriterConfig{.path = "camera_mic.mp4"})));
  STREAMLIB_RETURN_IF_ERROR(link("camera.video", "encoder.in", {.capacity = 8, .policy = LinkPolicy::kBlock}));
  STREAMLIB_RETURN_IF_ERROR(link("encoder.out", "recorder.video_packets", {}));  // the port's defaults
  STREAMLIB_RETURN_IF_ERROR(link("mic.audio", "recorder.audio", {}));
  STREAMLIB_RETURN_IF_ERROR(g.validate());
  return g;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2) {
    std::fprintf(stderr, "usage: print_graph [GRAPH.json]\n");
    return 2;
  }
  auto graph = build();
  if (!graph) {
    std::fprintf(stderr, "print_graph: %s\n", graph.error().message().c_str());
    return 1;
  }
  const std::string text = graph->to_json();
  fmt::print("{}\n", text);

  // What was printed reads back into the same graph: the file `streamlib run` would get.
  auto again = Graph::from_json(text);
  if (!again) {
    std::fprintf(stderr, "print_graph: the printed graph does not read back: %s\n", again.error().message().c_str());
    return 1;
  }
  if (!(*again == *graph) || again->checksum() != graph->checksum()) {
    std::fprintf(stderr, "print_graph: the printed graph reads back as another graph\n");
    return 1;
  }
  fmt::print(stderr, "valid: {} processors, {} links, checksum {:016x}\n", graph->processor_count(),
             graph->link_count(), graph->checksum());
  if (argc == 2) {
    auto file = Graph::from_file(argv[1]);
    if (!file) {
      std::fprintf(stderr, "print_graph: %s\n", file.error().message().c_str());
      return 2;
    }
    if (!(*file == *graph)) {
      std::fprintf(stderr, "print_graph: %s describes another graph:\n%s\n", argv[1], file->to_json().c_str());
      return 1;
    }
    fmt::print(stderr, "{} describes the same graph\n", argv[1]);
  }
  return 0;
}
