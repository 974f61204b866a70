// The PostgreSQL load loop (see pg-loop.h), on the call cycle of ../http-loader/call-loop.h. Every
// libpq or syscall failure becomes the call's error with its text; a failure of epoll itself ends
// the run with LoopEnd::error. The rules a call follows are the JS engine's
// (counters/postgresql/methods.ts): a failure inside a transaction rolls it back while the
// connection lives, serialization failures and version conflicts are retried with
// retry-backoff.ts's full-jitter backoff, a lost connection is reopened by the next call.

#include "pg-loop.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>

namespace pg_loader {
namespace {

using http_loader::ErrnoText;
using http_loader::NowUs;

// libpq prints notices (and a server's goodbye to an idle session) to stderr unless told otherwise.
void Quiet(void*, const char*) {}

// isConnectionLost's SQLSTATEs (backends/postgresql/errors.ts): connection exceptions, shutdowns.
bool LostState(const std::string& s) {
  return s.rfind("08", 0) == 0 || s == "57P01" || s == "57P02" || s == "57P03";
}

bool RetryableState(const std::string& s) { return s == "40001" || s == "40P01"; }

class Loop : public http_loader::CallLoop<Loop, Conn> {
 public:
  Loop(std::vector<Conn>* conns, const Rules& rules, const Plan& plan, Outbox* outbox, const std::atomic<bool>& stop)
      : CallLoop(conns, plan, outbox, stop), rules_(rules), method_(rules.method) {}

  LoopEnd Run();

 private:
  friend CallLoop;
  using Loss = Conn::Loss;
  static bool InFlight(const Conn& c) { return c.state == ConnState::kBusy || c.state == ConnState::kConnecting; }
  void Event(const epoll_event& event);
  void Attempt(size_t i);
  void Connect(size_t i);
  void PollConnect(size_t i);
  void Send(size_t i);
  void Flush(size_t i);
  void Readable(size_t i);
  void Answered(size_t i, const PGresult* result);
  void Advance(size_t i);
  void Failed(size_t i, Loss loss);
  void Resolve(size_t i, const Loss& loss);
  void LostRace(size_t i, const Loss& loss);
  void End(size_t i, double value, const Loss* loss);
  void ConnectionFailed(size_t i, Failure failure);
  bool Watch(size_t i, uint32_t events);
  void Drop(size_t i);
  void Unwatch(size_t i);
  void Scan(double now);
  const Statement& Current(const Conn& c) const;
  size_t CurrentId(const Conn& c) const { return c.upserting ? method_.steps.size() : c.step; }

  const Rules& rules_;
  const Method& method_;
};

LoopEnd Loop::Run() {
  return RunCalls([this](size_t i) {
    Conn& c = conns_[i];
    c.fd = -1;
    c.events = 0;
    // A connection the server closed between runs is dropped unnoticed; the next call reopens it.
    if (c.pg != nullptr && (PQconsumeInput(c.pg) == 0 || PQstatus(c.pg) != CONNECTION_OK)) Drop(i);
    if (c.pg != nullptr && !Watch(i, EPOLLIN)) Drop(i);
  });
}

void Loop::Unwatch(size_t i) {
  Conn& c = conns_[i];
  if (c.fd >= 0) epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
  c.fd = -1;
  c.events = 0;
}

void Loop::Event(const epoll_event& event) {
  size_t i = static_cast<size_t>(event.data.u64 & 0xffffffff);
  int fd = static_cast<int>(event.data.u64 >> 32);
  Conn& c = conns_[i];
  // An event of a socket dropped earlier in this batch.
  if (c.pg == nullptr || c.fd != fd) return;
  if (c.state == ConnState::kConnecting) return PollConnect(i);
  if (event.events & EPOLLOUT) Flush(i);
  if (c.pg != nullptr && c.fd == fd && (event.events & (EPOLLIN | EPOLLERR | EPOLLHUP))) Readable(i);
}

// An attempt from its first step: on a new connection when the last one was lost.
void Loop::Attempt(size_t i) {
  Conn& c = conns_[i];
  c.step = 0;
  c.upserting = c.preparing = c.committing = c.retrying = c.rollingBack = false;
  c.value = NAN;
  c.slot = std::to_string(std::uniform_int_distribution<long long>(0, static_cast<long long>(rules_.shards) - 1)(random_));
  if (c.pg == nullptr) Connect(i);
  else Send(i);
}

void Loop::Connect(size_t i) {
  Conn& c = conns_[i];
  c.state = ConnState::kConnecting;
  c.sentUs = NowUs();
  c.pg = PQconnectStart(rules_.conninfo.c_str());
  if (c.pg == nullptr) {
    Loss loss{kConnect, "", "out of memory", true};
    End(i, NAN, &loss);
    return;
  }
  if (PQstatus(c.pg) == CONNECTION_BAD) {
    ConnectionFailed(i, kConnect);
    return;
  }
  PQsetNoticeProcessor(c.pg, Quiet, nullptr);
  c.prepared.assign(method_.steps.size() + 1, false);
  WakeBy(c.sentUs + rules_.connectTimeoutMs * 1000);
  // libpq: poll as if PQconnectPoll had said "writing" first.
  if (!Watch(i, EPOLLOUT)) ConnectionFailed(i, kConnect);
}

void Loop::PollConnect(size_t i) {
  Conn& c = conns_[i];
  switch (PQconnectPoll(c.pg)) {
    case PGRES_POLLING_READING:
      if (!Watch(i, EPOLLIN)) ConnectionFailed(i, kConnect);
      return;
    case PGRES_POLLING_WRITING:
      if (!Watch(i, EPOLLOUT)) ConnectionFailed(i, kConnect);
      return;
    case PGRES_POLLING_OK:
      if (PQsetnonblocking(c.pg, 1) != 0 || !Watch(i, EPOLLIN)) {
        ConnectionFailed(i, kConnect);
        return;
      }
      Send(i);
      return;
    default:
      ConnectionFailed(i, kConnect);
  }
}

const Statement& Loop::Current(const Conn& c) const {
  if (c.rollingBack) return method_.rollback;
  if (c.upserting) return method_.upsert;
  return method_.steps[c.step].statement;
}

// Sends the attempt's current statement, preparing it first on this connection if needed.
void Loop::Send(size_t i) {
  Conn& c = conns_[i];
  const Statement& st = Current(c);
  if (!c.rollingBack && !c.upserting && method_.steps[c.step].commits) c.committing = true;
  c.state = ConnState::kBusy;
  c.sentUs = NowUs();
  WakeBy(c.sentUs + rules_.statementTimeoutMs * 1000);
  int ok;
  if (st.params.empty()) {
    ok = PQsendQuery(c.pg, st.text.c_str());
  } else {
    size_t id = c.rollingBack ? 0 : CurrentId(c);
    std::string name = "cnt_native_" + std::to_string(id);
    if (!c.prepared[id]) {
      c.preparing = true;
      ok = PQsendPrepare(c.pg, name.c_str(), st.text.c_str(), static_cast<int>(st.params.size()), nullptr);
    } else {
      const std::string next = std::to_string(c.next);
      const char* values[4];
      for (size_t k = 0; k < st.params.size() && k < 4; k++) {
        switch (st.params[k]) {
          case kUserId: values[k] = rules_.userId.c_str(); break;
          case kNext: values[k] = next.c_str(); break;
          case kVersion: values[k] = c.version.c_str(); break;
          case kSlot: values[k] = c.slot.c_str(); break;
        }
      }
      ok = PQsendQueryPrepared(c.pg, name.c_str(), static_cast<int>(st.params.size()), values, nullptr, nullptr, 0);
    }
  }
  if (ok == 0) {
    ConnectionFailed(i, kStatement);
    return;
  }
  Flush(i);
}

// Sends what libpq still holds; watches for writability until it is all out.
void Loop::Flush(size_t i) {
  Conn& c = conns_[i];
  int r = PQflush(c.pg);
  if (r < 0) ConnectionFailed(i, kStatement);
  else if (!Watch(i, r == 1 ? EPOLLIN | EPOLLOUT : EPOLLIN)) ConnectionFailed(i, kStatement);
}

void Loop::Readable(size_t i) {
  Conn& c = conns_[i];
  if (PQconsumeInput(c.pg) == 0) {
    // Idle: the server closed it between calls (a shutdown, pg_terminate_backend); the next call reopens.
    if (c.state != ConnState::kBusy) Drop(i);
    else ConnectionFailed(i, kStatement);
    return;
  }
  if (c.state != ConnState::kBusy) {
    if (PQstatus(c.pg) != CONNECTION_OK) Drop(i);
    return;
  }
  while (c.pg != nullptr && c.state == ConnState::kBusy && PQisBusy(c.pg) == 0) {
    PGresult* r = PQgetResult(c.pg);
    if (r != nullptr) {
      // One statement, one result: keep the first (an error, if any, comes first and alone).
      if (c.result == nullptr) c.result = r;
      else PQclear(r);
      continue;
    }
    PGresult* result = c.result;
    c.result = nullptr;
    Answered(i, result);
    PQclear(result);
  }
}

void Loop::Answered(size_t i, const PGresult* result) {
  Conn& c = conns_[i];
  ExecStatusType status = result == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result);
  if (c.rollingBack) {
    // Whatever ROLLBACK answered, no transaction is left open: settle the failure that sent it.
    c.rollingBack = false;
    Resolve(i, c.pending);
    return;
  }
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    const char* state = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const char* message = result == nullptr ? PQerrorMessage(c.pg) : PQresultErrorMessage(result);
    Loss loss{kStatement, state != nullptr ? state : "", message, false};
    loss.lost = PQstatus(c.pg) != CONNECTION_OK || LostState(loss.sqlState);
    if (loss.lost && loss.sqlState.empty()) loss.sqlState = "08006";
    Failed(i, loss);
    return;
  }
  if (c.preparing) {
    c.preparing = false;
    c.prepared[CurrentId(c)] = true;
    Send(i);
    return;
  }
  if (c.upserting) {
    End(i, c.value, nullptr);
    return;
  }
  bool row = PQntuples(result) > 0;
  switch (method_.steps[c.step].use) {
    case kNothing:
      break;
    case kReadNext:
    case kReadVersion:
      if (!row) return Failed(i, Loss{kMissingRow, "", "", false});
      c.next = std::strtoll(PQgetvalue(result, 0, 0), nullptr, 10) + 1;
      c.value = static_cast<double>(c.next);
      if (method_.steps[c.step].use == kReadVersion) c.version = PQgetvalue(result, 0, 1);
      break;
    case kReturned:
      if (!row) return Failed(i, Loss{kMissingRow, "", "", false});
      c.value = static_cast<double>(std::strtoll(PQgetvalue(result, 0, 0), nullptr, 10));
      break;
    case kVersionCheck:
      if (!row) return LostRace(i, Loss{kGaveUp, "", "", false});
      break;
    case kSlotOrUpsert:
      // The slot is missing only when PG_SHARDS grew since the last reset: create it.
      if (!row) {
        c.upserting = true;
        Send(i);
        return;
      }
      break;
  }
  Advance(i);
}

void Loop::Advance(size_t i) {
  Conn& c = conns_[i];
  if (++c.step == method_.steps.size()) End(i, c.value, nullptr);
  else Send(i);
}

// A failed step: inside an open transaction (after BEGIN, before COMMIT) ROLLBACK goes first.
void Loop::Failed(size_t i, Loss loss) {
  Conn& c = conns_[i];
  if (loss.lost) Drop(i);
  bool open = method_.transaction && c.step > 0 && c.step + 1 < method_.steps.size();
  if (open && !loss.lost) {
    c.pending = loss;
    c.rollingBack = true;
    Send(i);
    return;
  }
  Resolve(i, loss);
}

// A serialization failure or deadlock is a lost race when the method retries them; else the call fails.
void Loop::Resolve(size_t i, const Loss& loss) {
  if (loss.failure == kStatement && RetryableState(loss.sqlState) && method_.retryErrors) LostRace(i, loss);
  else End(i, NAN, &loss);
}

// retry-backoff.ts's retryLostRaces: give up after maxRetries, else a full-jitter wait, then again.
void Loop::LostRace(size_t i, const Loss& loss) {
  if (Retry(i, rules_.retry)) return;
  Loss gaveUp{kGaveUp, loss.sqlState, loss.message, false};
  End(i, NAN, &gaveUp);
}

// The connection failed under libpq (connect, send, receive): its message is the call's error.
void Loop::ConnectionFailed(size_t i, Failure failure) {
  Conn& c = conns_[i];
  Loss loss{failure, failure == kConnect ? "" : "08006", c.pg != nullptr ? PQerrorMessage(c.pg) : "out of memory", true};
  Drop(i);
  if (failure == kConnect) End(i, NAN, &loss);
  else Failed(i, loss);
}

// The call ends: `loss` null for a success. A failure that certainly applied nothing because the
// server is unreachable (what JS calls 'refused') pauses the client, as client-loop.ts does.
void Loop::End(size_t i, double value, const Loss* loss) {
  Conn& c = conns_[i];
  if (loss == nullptr) {
    outbox_.End(i, 0, c.dueUs, c.invokeUs, value, nullptr);
    Next(i);
    return;
  }
  std::string bytes = loss->sqlState + "\n" + loss->message;
  http_loader::Side side{http_loader::kError, loss->failure, c.committing, http_loader::kNoKind, bytes};
  outbox_.End(i, 0, c.dueUs, c.invokeUs, NAN, &side);
  bool refused = loss->failure == kConnect ||
                 (loss->lost && !c.committing && !RetryableState(loss->sqlState) && loss->sqlState != "57014");
  if (!refused) {
    Next(i);
    return;
  }
  Pause(i, rules_.refusedPauseMs, false);
}

// Watches the connection's current socket (libpq may change it while connecting) for `events`.
bool Loop::Watch(size_t i, uint32_t events) {
  Conn& c = conns_[i];
  int fd = PQsocket(c.pg);
  if (fd < 0) return false;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = static_cast<uint64_t>(i) | (static_cast<uint64_t>(fd) << 32);
  if (fd == c.fd) {
    if (events == c.events) return true;
    if (epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) != 0) return false;
  } else {
    if (c.fd >= 0) epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);  // fails harmlessly if libpq closed it
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) return false;
    c.fd = fd;
  }
  c.events = events;
  return true;
}

void Loop::Drop(size_t i) {
  Conn& c = conns_[i];
  if (c.fd >= 0 && epfd_ >= 0) epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
  c.fd = -1;
  c.events = 0;
  Finish(&c);
}

void Loop::Scan(double now) {
  wakeUs_ = INFINITY;
  double statementUs = rules_.statementTimeoutMs * 1000, connectUs = rules_.connectTimeoutMs * 1000;
  for (size_t i = 0; i < conns_.size(); i++) {
    Conn& c = conns_[i];
    if (c.state == ConnState::kBusy && now - c.sentUs > statementUs) {
      Drop(i);
      Loss loss{kNoAnswer, "08006", "", true};
      End(i, NAN, &loss);
    } else if (c.state == ConnState::kConnecting && now - c.sentUs > connectUs) {
      // libpq's own words for connect_timeout, which only its blocking connect enforces.
      Loss loss{kConnect, "", "timeout expired", true};
      Drop(i);
      End(i, NAN, &loss);
    } else {
      Resume(i, now);
    }
    if (c.state == ConnState::kBusy) WakeBy(c.sentUs + statementUs);
    if (c.state == ConnState::kConnecting) WakeBy(c.sentUs + connectUs);
    if (c.state == ConnState::kPaused) WakeBy(c.pauseUntilUs);
  }
}

}  // namespace

void Finish(Conn* c) {
  if (c->result != nullptr) PQclear(c->result);
  c->result = nullptr;
  if (c->pg != nullptr) PQfinish(c->pg);
  c->pg = nullptr;
  c->prepared.clear();
}

LoopEnd RunLoop(std::vector<Conn>* conns, const Rules& rules, const Plan& plan, Outbox* outbox,
                const std::atomic<bool>& stop) {
  Loop loop(conns, rules, plan, outbox, stop);
  return loop.Run();
}

}  // namespace pg_loader
