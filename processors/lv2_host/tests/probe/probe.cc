// A test plugin that reports what the host gave it: the options (block lengths, sample rate),
// the length of each run, whether its atom input held a valid sequence, and its CV input. It
// multiplies its audio input by `gain`. Three URIs share this binary:
//   .../probe        needs urid:map, options, boundedBlockLength
//   .../probe-fixed  also needs fixedBlockLength and powerOf2BlockLength, counts runs of
//                    another length than maxBlockLength as bad_runs
//   .../probe-weird  described with a port of an unknown type (never instantiated)
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <lv2/atom/atom.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/core/lv2.h>
#include <lv2/log/log.h>
#include <lv2/options/options.h>
#include <lv2/parameters/parameters.h>
#include <lv2/urid/urid.h>

namespace {

enum Port : std::uint32_t {
  kIn = 0,
  kOut,
  kGain,
  kMaxBlock,
  kMinBlock,
  kSampleRate,
  kLastBlock,
  kBadRuns,
  kAtomOk,
  kCvInSum,
  kEvents,
  kCvIn,
  kCvOut,
  kRelative,
  kMode,
  kBypass,
  kPortCount
};

struct Probe {
  bool fixed = false;
  LV2_URID sequence = 0;
  LV2_URID atom_int = 0;
  LV2_URID atom_float = 0;
  float max_block = -1.0f;
  float min_block = -1.0f;
  float option_rate = -1.0f;
  float bad_runs = 0.0f;
  void* ports[kPortCount] = {};
};

float* control(Probe* p, Port port) { return static_cast<float*>(p->ports[port]); }

LV2_Handle instantiate(const LV2_Descriptor* descriptor, double, const char*, const LV2_Feature* const* features) {
  LV2_URID_Map* map = nullptr;
  const LV2_Options_Option* options = nullptr;
  LV2_Log_Log* log = nullptr;
  for (int i = 0; features != nullptr && features[i] != nullptr; ++i) {
    if (std::strcmp(features[i]->URI, LV2_URID__map) == 0) map = static_cast<LV2_URID_Map*>(features[i]->data);
    if (std::strcmp(features[i]->URI, LV2_OPTIONS__options) == 0) {
      options = static_cast<const LV2_Options_Option*>(features[i]->data);
    }
    if (std::strcmp(features[i]->URI, LV2_LOG__log) == 0) log = static_cast<LV2_Log_Log*>(features[i]->data);
  }
  if (map == nullptr || options == nullptr) return nullptr;
  auto* p = new Probe();
  p->fixed = std::strstr(descriptor->URI, "probe-fixed") != nullptr;
  p->sequence = map->map(map->handle, LV2_ATOM__Sequence);
  p->atom_int = map->map(map->handle, LV2_ATOM__Int);
  p->atom_float = map->map(map->handle, LV2_ATOM__Float);
  const LV2_URID max_key = map->map(map->handle, LV2_BUF_SIZE__maxBlockLength);
  const LV2_URID min_key = map->map(map->handle, LV2_BUF_SIZE__minBlockLength);
  const LV2_URID rate_key = map->map(map->handle, LV2_PARAMETERS__sampleRate);
  for (const LV2_Options_Option* o = options; o->key != 0; ++o) {
    if (o->key == max_key && o->type == p->atom_int)
      p->max_block = static_cast<float>(*static_cast<const int32_t*>(o->value));
    if (o->key == min_key && o->type == p->atom_int)
      p->min_block = static_cast<float>(*static_cast<const int32_t*>(o->value));
    if (o->key == rate_key && o->type == p->atom_float) p->option_rate = *static_cast<const float*>(o->value);
  }
  if (log != nullptr) {
    const LV2_URID note = map->map(map->handle, LV2_LOG__Note);
    log->printf(log->handle, note, "probe ready, max block %d\n", static_cast<int>(p->max_block));
  }
  return p;
}

void connect_port(LV2_Handle instance, uint32_t port, void* data) {
  if (port < kPortCount) static_cast<Probe*>(instance)->ports[port] = data;
}

void run(LV2_Handle instance, uint32_t n) {
  auto* p = static_cast<Probe*>(instance);
  const auto* in = static_cast<const float*>(p->ports[kIn]);
  auto* out = static_cast<float*>(p->ports[kOut]);
  const float gain = *control(p, kGain);
  for (uint32_t i = 0; i < n; ++i) out[i] = in[i] * gain;
  *control(p, kMaxBlock) = p->max_block;
  *control(p, kMinBlock) = p->min_block;
  *control(p, kSampleRate) = p->option_rate;
  *control(p, kLastBlock) = static_cast<float>(n);
  if (p->fixed && static_cast<float>(n) != p->max_block) p->bad_runs += 1.0f;
  *control(p, kBadRuns) = p->bad_runs;
  const auto* seq = static_cast<const LV2_Atom_Sequence*>(p->ports[kEvents]);
  *control(p, kAtomOk) =
      (seq != nullptr && seq->atom.type == p->sequence && seq->atom.size >= sizeof(LV2_Atom_Sequence_Body)) ? 1.0f
                                                                                                            : 0.0f;
  const auto* cv_in = static_cast<const float*>(p->ports[kCvIn]);
  auto* cv_out = static_cast<float*>(p->ports[kCvOut]);
  float sum = 0.0f;
  for (uint32_t i = 0; i < n; ++i) {
    sum += cv_in[i];
    cv_out[i] = 1.0f;
  }
  *control(p, kCvInSum) = sum;
}

void cleanup(LV2_Handle instance) { delete static_cast<Probe*>(instance); }

const LV2_Descriptor kProbe = {
    "http://streamlib.dev/test/probe", instantiate, connect_port, nullptr, run, nullptr, cleanup, nullptr};
const LV2_Descriptor kProbeFixed = {
    "http://streamlib.dev/test/probe-fixed", instantiate, connect_port, nullptr, run, nullptr, cleanup, nullptr};

}  // namespace

extern "C" LV2_SYMBOL_EXPORT const LV2_Descriptor* lv2_descriptor(uint32_t index) {
  switch (index) {
    case 0:
      return &kProbe;
    case 1:
      return &kProbeFixed;
    default:
      return nullptr;
  }
}
