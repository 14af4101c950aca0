#include "runtime/finish_tracker.h"

#include <algorithm>

namespace streamlib::internal {

void FinishTracker::processor_finished(const ProcessorId& id) {
  std::unique_lock lock(mutex_);
  // Kept even when the processor is not (yet) in the graph the tracker knows: during start()
  // or a live add, a fast source and its sink can finish before set_graph() has run. A
  // processor removed from the graph is pruned by the next set_graph().
  finished_.insert(id);
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
  finished_.insert(id);
  update_locked(lock);
}

void FinishTracker::processor_unfinished(const ProcessorId& id) {
  std::unique_lock lock(mutex_);
  std::erase_if(failures_, [&](const auto& f) { return f.first == id; });
  if (finished_.erase(id) == 0) return;
  update_locked(lock);
}

void FinishTracker::set_graph(const Graph& running) {
  std::unique_lock lock(mutex_);
  present_.clear();
  for (const ProcessorNode& n : running.processors()) present_.insert(n.id);
  std::erase_if(finished_, [&](const ProcessorId& id) { return !present_.count(id); });
  std::erase_if(failures_, [&](const auto& f) { return !present_.count(f.first); });
  sinks_.clear();
  for (const ProcessorId& id : running.find_sinks()) sinks_.insert(id);
  update_locked(lock);
}

void FinishTracker::clear() {
  std::lock_guard lock(mutex_);
  sinks_.clear();
  present_.clear();
  finished_.clear();
  failures_.clear();
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
  bool done = !sinks_.empty();
  for (const ProcessorId& id : sinks_) done = done && finished_.count(id);
  if (done == done_) return;
  done_ = done;
  lock.unlock();
  changed_(done);
}

}  // namespace streamlib::internal
