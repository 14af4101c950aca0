#include "executor/stats_view.h"

#include <algorithm>
#include <vector>

namespace streamlib::internal {

void StatsView::add_processor(const std::shared_ptr<ProcessorCore>& core) {
  std::lock_guard lock(mutex_);
  processors_[core->id()] = core;
}

void StatsView::remove_processor(const ProcessorId& id) {
  std::lock_guard lock(mutex_);
  processors_.erase(id);
}

void StatsView::add_link(const std::shared_ptr<LinkChannelBase>& channel) {
  std::lock_guard lock(mutex_);
  links_[channel->id()] = channel;
}

void StatsView::remove_link(const LinkId& id) {
  std::lock_guard lock(mutex_);
  links_.erase(id);
}

void StatsView::clear() {
  std::lock_guard lock(mutex_);
  processors_.clear();
  links_.clear();
}

void StatsView::collect(RuntimeStats& out) const {
  std::vector<std::shared_ptr<ProcessorCore>> cores;
  std::vector<std::shared_ptr<LinkChannelBase>> channels;
  {
    std::lock_guard lock(mutex_);
    cores.reserve(processors_.size());
    for (const auto& [id, core] : processors_) cores.push_back(core);
    channels.reserve(links_.size());
    for (const auto& [id, channel] : links_) channels.push_back(channel);
  }
  for (const auto& core : cores) out.processors.push_back(core->stats());
  for (const auto& channel : channels) out.links.push_back(channel->stats());
  std::sort(out.processors.begin(), out.processors.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  std::sort(out.links.begin(), out.links.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
}

}  // namespace streamlib::internal
