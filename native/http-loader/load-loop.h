// The load loop: one epoll loop, on the thread the binding starts, drives a group of keep-alive
// HTTP/1.1 connections, one request in flight on each, and records every call (client, due,
// invoke, complete, value) into the outbox (outbox.h), from which JS takes them while it runs; the
// calls it could not settle itself go to JS as sides. It knows no N-API: the binding (binding.cc)
// fills these structs from JS and hands the calls over.

#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "outbox.h"
#include "response-frame.h"

namespace http_loader {

struct Target {
  sockaddr_storage addr;
  socklen_t addrLen;
  std::string name;     // "localhost:8080", as errors name the target
  std::string address;  // "127.0.0.1:8080", as Node names the peer of a failed connect
  std::string request;
};

enum class ConnState { kIdle, kConnecting, kAwaiting, kPaused, kDone };

struct Conn {
  int fd = -1;
  size_t target = 0;
  ConnState state = ConnState::kIdle;
  std::string in;
  bool ended = false;
  double dueUs = 0, invokeUs = 0, sentUs = 0, pauseUntilUs = 0;
  double callCount = 0;
};

// What the loop shares with the JS client. The binding takes every value from the TS caller
// (counters/web/native-engine.ts), which takes each from its one home on the TS side: nothing
// here has a default that could drift from it.
struct Rules {
  double timeoutMs = 0;
  // After a refused connect, a client waits this long before its next call (REFUSED_PAUSE_MS).
  double refusedPauseMs = 0;
  FrameLimits limits;
  // False: every answer goes to JS (the user names another count field).
  bool readOwnAnswer = false;
  OwnAnswer ownAnswer;
};

struct Plan {
  double startUs = 0;
  double deadlineUs = INFINITY;
  double callsPerClient = INFINITY;
  double intervalUs = 0;  // per client; 0 = closed loop
};

// How a run ended: its calls went to the outbox.
struct LoopEnd {
  std::string error;  // a failure of the loop itself (epoll), not of a call
  double endUs = 0;
};

// Runs `plan` over `conns` (kept open between runs) until every call has ended or `stop` is set,
// adding each call to `outbox` as it ends. Never throws: a failure of the loop itself is
// LoopEnd::error.
LoopEnd RunLoop(const std::vector<Target>& targets, std::vector<Conn>* conns, const Rules& rules, const Plan& plan,
                Outbox* outbox, const std::atomic<bool>& stop);

}  // namespace http_loader
