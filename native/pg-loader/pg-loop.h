// The PostgreSQL load loop: one epoll loop, on the thread the binding starts, drives one libpq
// connection per client through its asynchronous API, one statement in flight on each (one
// transaction per client), each call a run of the method's steps (steps.h) with its retries, and
// records every call into the outbox (../http-loader/outbox.h) from which JS takes them while it
// runs. It knows no N-API: the binding (binding.cc) fills these structs from JS.

#pragma once

#include <libpq-fe.h>

#include <atomic>
#include <string>
#include <vector>

#include "../http-loader/call-loop.h"
#include "../http-loader/load-loop.h"
#include "../http-loader/outbox.h"
#include "steps.h"

namespace pg_loader {

using http_loader::Outbox;
using http_loader::Plan;

enum class ConnState { kIdle, kConnecting, kBusy, kPaused, kDone };

// One client: its connection (kept open between runs) and the call it is making.
struct Conn {
  PGconn* pg = nullptr;
  int fd = -1;            // the socket in the epoll set
  uint32_t events = 0;    // what it is watched for
  std::vector<bool> prepared;  // by statement id (steps, then the upsert)
  ConnState state = ConnState::kIdle;
  double dueUs = 0, invokeUs = 0, sentUs = 0, pauseUntilUs = 0, callCount = 0;
  // The call: its attempt's place in the steps, and what the attempt has read so far.
  size_t step = 0;
  bool upserting = false, preparing = false, committing = false, retrying = false;
  double retries = 0;
  double value = 0;
  long long next = 0;
  std::string version, slot;
  PGresult* result = nullptr;  // the statement's answer until libpq says it is complete
  // A failure waiting for its transaction's ROLLBACK to be answered.
  bool rollingBack = false;
  struct Loss {
    Failure failure = kStatement;
    std::string sqlState, message;
    bool lost = false;
  } pending;
};

// Everything the loop takes from TS, each value from its one home there: nothing here has a default.
struct Rules {
  std::string conninfo;
  double connectTimeoutMs = 0, statementTimeoutMs = 0, refusedPauseMs = 0;
  std::string userId;
  double shards = 1;
  RetryPolicy retry;
  Method method;
};

using LoopEnd = http_loader::CallLoopEnd;

// Runs `plan` over `conns` until every call has ended or `stop` is set. Never throws.
LoopEnd RunLoop(std::vector<Conn>* conns, const Rules& rules, const Plan& plan, Outbox* outbox,
                const std::atomic<bool>& stop);

// Closes a client's connection (a failed connect's too: libpq holds its socket until then).
void Finish(Conn* conn);

}  // namespace pg_loader
