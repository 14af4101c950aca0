// Runtime and processor states, and the commit mode.
#pragma once

#include "streamlib/config.h"

namespace streamlib {

// Runtime: Idle --start--> Starting --> Running <--pause/resume--> Paused
//          Running --every sink finished (end of stream)--> Finished (a live change that adds a
//          sink still streaming goes back to Running)
//          Running/Paused/Finished --stop--> Stopping --> Idle
enum class RuntimeState { kIdle, kStarting, kRunning, kPaused, kStopping, kFinished };
STREAMLIB_ENUM_NAMES(RuntimeState, {RuntimeState::kIdle, "idle"}, {RuntimeState::kStarting, "starting"},
                     {RuntimeState::kRunning, "running"}, {RuntimeState::kPaused, "paused"},
                     {RuntimeState::kStopping, "stopping"}, {RuntimeState::kFinished, "finished"});

// Processor: Pending (thread started, setup running or waiting to be released) -> Running
// <-> Paused -> Stopping -> Stopped; Running -> Finished when its stream ended (finish() ran,
// its outputs ended); any of them -> Error when setup/process fails.
enum class ProcessorState { kPending, kRunning, kPaused, kStopping, kStopped, kError, kFinished };
STREAMLIB_ENUM_NAMES(ProcessorState, {ProcessorState::kPending, "pending"}, {ProcessorState::kRunning, "running"},
                     {ProcessorState::kPaused, "paused"}, {ProcessorState::kStopping, "stopping"},
                     {ProcessorState::kStopped, "stopped"}, {ProcessorState::kError, "error"},
                     {ProcessorState::kFinished, "finished"});

// Auto: every mutation is applied at once while running. Manual: mutations wait for commit().
// When the runtime is idle, changes wait for start() either way.
enum class CommitMode { kAuto, kManual };
STREAMLIB_ENUM_NAMES(CommitMode, {CommitMode::kAuto, "auto"}, {CommitMode::kManual, "manual"});

}  // namespace streamlib
