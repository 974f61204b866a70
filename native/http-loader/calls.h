// What the load loop records of each call, as plain columns: the client, when it was due, sent and
// ended, its value, and for a call the loop did not settle, the side JS settles it from. The loop
// (load-loop.cc) fills them, the outbox (outbox.h) hands them to JS, the binding turns them into
// typed arrays.

#pragma once

#include <time.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace http_loader {

// The same clock as monotonicUs(): libuv's hrtime reads CLOCK_MONOTONIC.
inline double NowUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

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

// One call's side. flag: kAnswer keep-alive, kUnframed the stream ended. bytes: the body, the
// message or the raw stream.
struct Side {
  SideType type;
  uint16_t status;
  bool flag;
  Kind kind;
  std::string_view bytes;
};

// The sides of a batch of calls, as columns over one byte arena: a few N-API calls hand over any
// number of them.
struct Sides {
  std::vector<uint32_t> index, target, end;  // end: where this call's bytes end in the arena
  std::vector<uint16_t> status;
  std::vector<uint8_t> type, flag, kind;
  std::string bytes;
  void Add(uint32_t i, size_t t, const Side& side) {
    index.push_back(i);
    target.push_back(static_cast<uint32_t>(t));
    type.push_back(side.type);
    status.push_back(side.status);
    flag.push_back(side.flag);
    kind.push_back(side.kind);
    bytes.append(side.bytes);
    end.push_back(static_cast<uint32_t>(bytes.size()));
  }
};

// Calls in the order they ended; side k belongs to call sides.index[k].
struct Calls {
  std::vector<uint32_t> clients;
  std::vector<double> dueUs, invokeUs, completeUs, values;
  Sides sides;
};

}  // namespace http_loader
