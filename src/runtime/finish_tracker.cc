#include "runtime/finish_tracker.h"

#include <algorithm>

namespace streamlib::internal {

void FinishTracker::processor_finished(const ProcessorId& id) {
  std::unique_lock lock(mutex_);
  // Kept even when the processor is not (yet) in the graph the tracker knows: during start()
  // or a live add, a fast source and its sink can finish before update_graph() has run. A
  // processor removed from the graph is pruned by the next update_graph().
  if (finished_.insert(id).second && sinks_.count(id) != 0) --unfinished_sinks_;
  update_locked(lock);
}

void FinishTracker::processor_failed(const ProcessorId& id, const Error& error) {
  std::unique_lock lock(mutex_);
  // Failing again (a rebuild whose setup failed) keeps its place, with the newer error.
  auto it = std::find_if(failures_.begin(), failures_.end(), [&](const auto& f) { return f.first == id; });
  if (it != failures_.end()) {
    it->second = error;
  } else {
    failures_.emplace_back(id, error);
  }
  if (finished_.insert(id).second && sinks_.count(id) != 0) --unfinished_sinks_;
  update_locked(lock);
}

void FinishTracker::processor_unfinished(const ProcessorId& id) {
  std::unique_lock lock(mutex_);
  std::erase_if(failures_, [&](const auto& f) { return f.first == id; });
  if (finished_.erase(id) == 0) return;
  if (sinks_.count(id) != 0) ++unfinished_sinks_;
  update_locked(lock);
}

std::vector<ProcessorId> FinishTracker::touched_by(const Graph& running, const GraphDelta& delta) {
  std::vector<ProcessorId> touched;
  for (const ProcessorId& id : delta.processors_to_remove) {
    touched.push_back(id);
    for (const Link* l : running.links_to(id)) touched.push_back(l->source.processor);
  }
  for (const ProcessorId& id : delta.processors_to_add) touched.push_back(id);
  for (const auto& c : delta.processors_to_update) touched.push_back(c.id);
  for (const LinkId& id : delta.links_to_remove) {
    if (const Link* l = running.find_link(id)) touched.push_back(l->source.processor);
  }
  return touched;
}

void FinishTracker::update_graph(const Graph& running, const std::vector<ProcessorId>& touched) {
  std::unique_lock lock(mutex_);
  for (const ProcessorId& id : touched) refresh_locked(running, id);
  update_locked(lock);
}

void FinishTracker::refresh_locked(const Graph& running, const ProcessorId& id) {
  if (running.find_processor(id) == nullptr) {
    set_sink_locked(id, false);
    finished_.erase(id);
    std::erase_if(failures_, [&](const auto& f) { return f.first == id; });
    return;
  }
  set_sink_locked(id, running.links_from(id).empty());
}

void FinishTracker::set_sink_locked(const ProcessorId& id, bool sink) {
  if (sink) {
    if (sinks_.insert(id).second && finished_.count(id) == 0) ++unfinished_sinks_;
  } else if (sinks_.erase(id) != 0 && finished_.count(id) == 0) {
    --unfinished_sinks_;
  }
}

void FinishTracker::clear() {
  std::lock_guard lock(mutex_);
  sinks_.clear();
  finished_.clear();
  failures_.clear();
  unfinished_sinks_ = 0;
  done_ = false;
}

std::optional<Error> FinishTracker::first_failure() const {
  std::lock_guard lock(mutex_);
  if (failures_.empty()) return std::nullopt;
  return failures_.front().second;
}

bool FinishTracker::all_done() const {
  std::lock_guard lock(mutex_);
  return done_;
}

void FinishTracker::update_locked(std::unique_lock<std::mutex>& lock) {
  const bool done = !sinks_.empty() && unfinished_sinks_ == 0;
  if (done == done_) return;
  done_ = done;
  lock.unlock();
  changed_(done);
}

}  // namespace streamlib::internal
