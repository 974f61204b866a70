// What the Hazelcast loop runs: each method as a list of steps, each a request TS encoded once with
// hazelcast-client's own codecs (counters/hazelcast/method-steps.ts), the places the loop writes
// into it per call, and what its answer means. The loop knows Hazelcast's framing (frames, flags,
// the correlation id, an error answer) and no method: these codes are its whole vocabulary, named
// in the tables below; TS gives patches and reads by name, and reads failures through the names the
// binding exports.

#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../http-loader/call-loop.h"

namespace hz_loader {

// A value the loop writes into a request at an offset.
enum Patch : uint8_t {
  kNextLong,    // the value to write (read + 1), a big-endian long: a serialized Long's payload
  kLastData,    // the serialized value the last read step answered (a Data frame's content, same length)
  kKeptFrame,   // the frame at `at` (its header's offset) takes the content of the last kept answer frame
  kCallLong,    // a little-endian long of the attempt's own, the same in each of its steps and unique in the
                // loop (a CP lock's thread id: each acquire its own, as hazelcast-client's FencedLock)
  kFreshUuid,   // 16 random bytes, new for each request sent (a CP invocation UUID, by which the member
                // tells a retry from a new call)
};
constexpr const char* kPatchNames[] = {"nextLong", "lastData", "keptFrame", "callLong", "freshUuid"};
static_assert(sizeof kPatchNames / sizeof *kPatchNames == kFreshUuid + 1, "a name for each Patch");

// What an answer means for the attempt.
enum Read : uint8_t {
  kNothing,      // an answer that is not an error is all
  kNextFromData, // its second frame is a nullable serialized Long: its value + 1 (null: 1) is the value
  kLongAt,       // a little-endian long at `at` in its first frame is the increment's value
  kSwapped,      // a boolean at `at` in its first frame: false is a lost race (retried)
  kNullData,     // its second frame must be null (putIfAbsent found nothing): else a lost race
};
constexpr const char* kReadNames[] = {"nothing", "nextFromData", "longAt", "swapped", "nullData"};
static_assert(sizeof kReadNames / sizeof *kReadNames == kNullData + 1, "a name for each Read");

// Why a call failed, as it goes to JS (which writes the error the JS engine would have thrown).
enum Failure : uint8_t {
  kErrorAnswer,  // the member answered with an error: the side's bytes are the whole message
  kLost,         // the connection broke or closed: the side's bytes say how
  kConnect,      // the connection (or its authentication) could not be made: how
  kNoAnswer,     // no answer within the invocation timeout (the connection is given up)
  kNotALong,     // the entry holds something other than a Long: the side's bytes are its Data
  kGaveUp,       // lost every race the retry policy allows
};
constexpr const char* kFailureNames[] = {"errorAnswer", "lost", "connect", "noAnswer", "notALong", "gaveUp"};
static_assert(sizeof kFailureNames / sizeof *kFailureNames == kGaveUp + 1, "a name for each Failure");

struct PatchAt {
  uint32_t at;
  Patch what;
};

struct Step {
  std::string request;  // a whole message, frames and all; its correlation id is the loop's to write
  std::vector<PatchAt> patches;
  Read read = kNothing;
  uint32_t at = 0;
  // From this step on, a failure may have applied the increment.
  bool writes = false;
  // Run only when the last read found null (`ifNull`) or a value (`ifValue`); both false: always.
  bool ifNull = false, ifValue = false;
  // A failure of a `guarded` step (an error answer, the connection alive) runs the `always` steps
  // that follow it before the call fails with it, as a `finally` would (the map lock's unlock).
  bool guarded = false, always = false;
  // Lost in flight (the connection broke, or no answer came), a `resend` step may still take effect
  // (a CP lock, granted when its turn comes): on the next connection it is sent again as it was, which
  // the member answers as the first (by its invocation UUID), and the always steps after it run (the
  // unlock), before the next call. A guarded step lost after it owes the always steps alone.
  bool resend = false;
  // No answer within this long fails the call (Infinity: waits, as hazelcast-client's lock()).
  double timeoutMs = 0;
  // The answer frame whose content the client keeps for a later kKeptFrame patch (PN replica
  // timestamps, carried from answer to request); -1: none. Kept across calls, until the connection goes.
  int keepFrame = -1;
  // A partition's operation (the map's): sent backup-aware while the client listens on every other
  // member, so the owner answers at once and each backup member acks to the client, as smart clients
  // are served, instead of the owner answering only once its backups have acked to it.
  bool backupAware = false;
};

// A member's address, resolved by TS.
struct Endpoint {
  sockaddr_storage addr{};
  socklen_t addrLen = 0;
  std::string address;  // "127.0.0.1:5701", for messages
};

// One client: where it connects, how it authenticates, what each call sends.
struct Client {
  Endpoint member;
  std::string hello;  // "CP2" and its authentication request (its own client UUID)
  std::vector<Step> steps;
  // Where it listens for backup acks, as the same client (its hello): every member, as the
  // partition's backup may be on any (the member it sends to included, after a migration); none
  // when no step is backupAware.
  std::vector<Endpoint> backups;
  // Where it connects, in turn, while `member` cannot be reached: members that forward its requests
  // to the partition's owner, as a client fails over; none where no other member can answer for it.
  std::vector<Endpoint> failover;
};

using http_loader::RetryPolicy;

}  // namespace hz_loader
