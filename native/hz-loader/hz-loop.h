// The Hazelcast load loop: one epoll loop, on the thread the binding starts, drives one TCP
// connection per client to a member, speaking the Open Binary Client Protocol ("CP2", frames, an
// authentication first), one request in flight on each; each call a run of the method's steps
// (steps.h) with its retries, recorded into the outbox (../http-loader/outbox.h) from which JS
// takes them while it runs. It knows no N-API: the binding (binding.cc) fills these structs.

#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "../http-loader/call-loop.h"
#include "../http-loader/load-loop.h"
#include "../http-loader/outbox.h"
#include "steps.h"

namespace hz_loader {

using http_loader::Outbox;
using http_loader::Plan;

enum class ConnState { kIdle, kConnecting, kAuthenticating, kBusy, kPaused, kDone };

// A connection on which a client only listens for backup acks (steps.h's backupAware), to a member
// that may hold the partition's backup; kept open between runs once it listens.
struct Listener {
  enum class State { kDown, kConnecting, kAuthenticating, kRegistering, kListening } state = State::kDown;
  int fd = -1;
  uint32_t events = 0, generation = 0;
  std::string in, out;
  size_t outSent = 0;
  double sinceUs = 0;     // of the connect, for its timeout
  double retryAtUs = 0;   // after a failure, not reopened before this
};

// One client: its connection (kept open between runs) and the call it is making.
struct Conn {
  int fd = -1;
  uint32_t events = 0;  // what it is watched for
  uint32_t generation = 0;  // of the socket: one per connect, so that no event or bytes reach its successor
  size_t via = 0;  // where it connects: 0 the member, k its failover[k - 1]
  bool authenticated = false;
  ConnState state = ConnState::kIdle;
  std::string in, out;  // bytes received and not yet a whole message; bytes not yet sent
  size_t outSent = 0;
  int64_t correlation = 0;  // of the request in flight
  double dueUs = 0, invokeUs = 0, sentUs = 0, pauseUntilUs = 0, callCount = 0;
  // The call: its attempt's place in the steps, and what the attempt has read so far.
  size_t step = 0;
  bool writing = false, retrying = false, readNull = false;
  double retries = 0;
  double value = 0;
  int64_t next = 0;
  int64_t callLong = 0;  // the attempt's kCallLong
  uint32_t attempts = 0;
  std::string lastData;  // the Data frame the last kNextFromData step read
  std::string kept;      // the frame content the last keepFrame step kept
  double timeoutUs = 0;  // of the step in flight
  // A guarded step's failure, waiting for the always steps to run.
  bool unwinding = false;
  Failure pendingFailure = kErrorAnswer;
  std::string pendingBytes;
  // A call lost its connection after a resend step (steps.h): what it owes runs before the next call,
  // with its callLong: the lost resend step's request (`replay`, when it was the one in flight), then
  // the always steps.
  bool owed = false, replaying = false;
  size_t replayStep = 0;
  std::string replay;
  // The backup acks of the request in flight: an answer that expects more than have come is held
  // (`held`, empty when none is) until they do, or until the backup timeout (then taken as it is,
  // as hazelcast-client does).
  std::vector<Listener> listeners;
  uint32_t acksSeen = 0, acksExpected = 0;
  std::string held;
  double answeredUs = 0;
};

// Everything the loop takes from TS, each value from its one home there: nothing here has a default.
struct Rules {
  std::vector<Client> clients;  // one per connection
  uint32_t authStatusAt = 0;        // the status byte's offset in the authentication answer's first frame
  double connectTimeoutMs = 0, refusedPauseMs = 0;
  int32_t longTypeId = 0;           // a serialized Long's type id
  RetryPolicy retry;
  std::string listenRequest;        // ClientLocalBackupListener's request (correlation id 1)
  uint32_t ackCorrelationAt = 0;    // a backup event's source correlation id, in its first frame's content
  double backupTimeoutMs = 0;       // how long an answer waits for its backup acks
};

using LoopEnd = http_loader::CallLoopEnd;

// Runs `plan` over `conns` until every call has ended or `stop` is set. Never throws.
LoopEnd RunLoop(std::vector<Conn>* conns, const Rules& rules, const Plan& plan, Outbox* outbox,
                const std::atomic<bool>& stop);

// Closes a client's connection.
void Finish(Conn* conn);

}  // namespace hz_loader
