// The load loop: one epoll loop, on the thread the binding starts, drives a group of keep-alive
// HTTP/1.1 connections, one request in flight on each, and records every call (client, due,
// invoke, complete, value) in plain columns that become the typed-array history the checkers
// read; the calls it could not settle itself go to JS as sides. It knows no N-API: the binding
// (binding.cc) fills these structs from JS and hands the columns back.

#pragma once

#include <sys/socket.h>
#include <time.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "response-frame.h"

namespace http_loader {

// The same clock as monotonicUs(): libuv's hrtime reads CLOCK_MONOTONIC.
inline double NowUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

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

// A call the loop did not settle goes to JS as a side, which JS turns into the call's value or
// error: an answer other than ours, a failure, or bytes that cannot be framed. JS reads the codes
// of SideType and Kind only through the name tables below, which the binding exports: these
// lines are the codes' one home, and no number is written on the TS side.
enum SideType : uint8_t { kAnswer, kError, kUnframed };
constexpr const char* kSideTypeNames[] = {"answer", "error", "unframed"};
static_assert(sizeof kSideTypeNames / sizeof *kSideTypeNames == kUnframed + 1, "a name for each SideType");
// The error kinds the loop itself decides (counter-error.ts's ErrorKind); protocol for unframeable
// bytes. kNoKind (an answer) has no name.
enum Kind : uint8_t { kNoKind, kRefused, kReset, kTimeout, kProtocol };
constexpr const char* kKindNames[] = {nullptr, "refused", "reset", "timeout", "protocol"};
static_assert(sizeof kKindNames / sizeof *kKindNames == kProtocol + 1, "a name for each Kind");

// The calls the loop did not settle, as columns over one byte arena: a few N-API calls hand over
// any number of them.
struct Sides {
  std::vector<uint32_t> index, target, end;  // end: where this call's bytes end in the arena
  std::vector<uint16_t> status;
  std::vector<uint8_t> type, flag, kind;  // flag: kAnswer keep-alive, kUnframed the stream ended
  std::string bytes;                       // bodies, messages or raw streams
  void Add(uint32_t i, size_t t, SideType s, uint16_t code, bool f, Kind k, const std::string& b) {
    index.push_back(i);
    target.push_back(static_cast<uint32_t>(t));
    type.push_back(s);
    status.push_back(code);
    flag.push_back(f);
    kind.push_back(k);
    bytes.append(b);
    end.push_back(static_cast<uint32_t>(bytes.size()));
  }
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

struct Columns {
  std::vector<uint32_t> clients;
  std::vector<double> dueUs, invokeUs, completeUs, values;
  Sides sides;
  std::string error;  // a failure of the loop itself (epoll), not of a call
  double endUs = 0;
};

// Runs `plan` over `conns` (kept open between runs) until every call has ended or `stop` is set;
// `progress` is [done, errors], updated as calls end. Never throws: a failure of the loop itself
// is Columns::error.
Columns RunLoop(const std::vector<Target>& targets, std::vector<Conn>* conns, const Rules& rules, const Plan& plan,
                double* progress, const std::atomic<bool>& stop);

}  // namespace http_loader
