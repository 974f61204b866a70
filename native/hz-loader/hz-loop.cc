// The Hazelcast load loop (see hz-loop.h), on the call cycle of ../http-loader/call-loop.h. Every
// syscall failure becomes the call's error with its errno name; a failure of epoll itself ends the
// run with LoopEnd::error. The rules a call follows are the JS engine's (counters/hazelcast/*.ts),
// as method-steps.ts lays them out: lost races (a replaceIfSame or putIfAbsent that found another
// value) are retried with retry-backoff.ts's full-jitter backoff, a guarded step's failure runs the
// always steps (unlock) first, a lost connection is reopened by the next call.

#include "hz-loop.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <random>
#include <string_view>

namespace hz_loader {
namespace {

using http_loader::ErrnoText;
using http_loader::NowUs;

// The protocol's framing (ClientMessage.js): each frame is a little-endian int32 length (the
// 6-byte header included), uint16 flags, content; a message ends with its final frame. The first
// frame's content starts with the message type (int32) and the correlation id (int64).
constexpr size_t kFrameHeader = 6;
constexpr uint16_t kFinalFlag = 1 << 13;
constexpr uint16_t kNullFlag = 1 << 10;
constexpr uint16_t kEventFlag = 1 << 9;
constexpr size_t kCorrelationAt = kFrameHeader + 4;  // in a message
constexpr int32_t kErrorType = 0;                    // ErrorsCodec's message type
constexpr size_t kProtocolPrefix = 3;                // "CP2", before the authentication request

int64_t LittleLong(const char* p) {
  uint64_t v = 0;
  for (int k = 7; k >= 0; k--) v = (v << 8) | static_cast<uint8_t>(p[k]);
  return static_cast<int64_t>(v);
}

int64_t BigLong(const char* p) {
  uint64_t v = 0;
  for (int k = 0; k < 8; k++) v = (v << 8) | static_cast<uint8_t>(p[k]);
  return static_cast<int64_t>(v);
}

void PutLittleLong(char* p, int64_t value) {
  uint64_t v = static_cast<uint64_t>(value);
  for (int k = 0; k < 8; k++, v >>= 8) p[k] = static_cast<char>(v & 0xff);
}

void PutBigLong(char* p, int64_t value) {
  uint64_t v = static_cast<uint64_t>(value);
  for (int k = 7; k >= 0; k--, v >>= 8) p[k] = static_cast<char>(v & 0xff);
}

int32_t BigInt(const char* p) {
  uint32_t v = 0;
  for (int k = 0; k < 4; k++) v = (v << 8) | static_cast<uint8_t>(p[k]);
  return static_cast<int32_t>(v);
}

// One frame of a message: its flags and content.
struct Frame {
  uint16_t flags = 0;
  std::string_view content;
  bool null() const { return (flags & kNullFlag) != 0; }
};

// The frames of one whole message; false if a frame's length is impossible.
bool SplitFrames(std::string_view message, std::vector<Frame>* frames) {
  frames->clear();
  size_t pos = 0;
  while (pos < message.size()) {
    if (message.size() - pos < kFrameHeader) return false;
    uint32_t length = 0;
    std::memcpy(&length, message.data() + pos, 4);  // little-endian hosts only (x86, arm64)
    uint16_t flags = 0;
    std::memcpy(&flags, message.data() + pos + 4, 2);
    if (length < kFrameHeader || length > message.size() - pos) return false;
    frames->push_back({flags, message.substr(pos + kFrameHeader, length - kFrameHeader)});
    pos += length;
  }
  return !frames->empty();
}

// The length of the whole message at the start of `in`, or 0 while it is incomplete; npos when a
// frame's length is impossible.
size_t MessageLength(std::string_view in) {
  size_t pos = 0;
  while (in.size() - pos >= kFrameHeader) {
    uint32_t length = 0;
    uint16_t flags = 0;
    std::memcpy(&length, in.data() + pos, 4);
    std::memcpy(&flags, in.data() + pos + 4, 2);
    if (length < kFrameHeader) return std::string_view::npos;
    if (in.size() - pos < length) return 0;
    pos += length;
    if (flags & kFinalFlag) return pos;
  }
  return 0;
}

class Loop : public http_loader::CallLoop<Loop, Conn> {
 public:
  Loop(std::vector<Conn>* conns, const Rules& rules, const Plan& plan, Outbox* outbox, const std::atomic<bool>& stop)
      : CallLoop(conns, plan, outbox, stop), rules_(rules) {}

  LoopEnd Run();

 private:
  friend CallLoop;
  static bool InFlight(const Conn& c) {
    return c.state == ConnState::kBusy || c.state == ConnState::kConnecting || c.state == ConnState::kAuthenticating;
  }
  void Event(const epoll_event& event);
  void Scan(double now);
  void Attempt(size_t i);
  void Connect(size_t i);
  void Connected(size_t i);
  void SendStep(size_t i);
  void Send(size_t i, const std::string& bytes);
  void Flush(size_t i);
  void Readable(size_t i);
  void Answered(size_t i, std::string_view message);
  void Authenticated(size_t i, const std::vector<Frame>& frames);
  void Read(size_t i, const std::vector<Frame>& frames);
  bool Unwind(size_t i, Failure failure, std::string_view bytes);
  void NotALong(size_t i, std::string_view data) {
    if (!Unwind(i, kNotALong, data)) Fail(i, kNotALong, data, false);
  }
  void LostRace(size_t i) {
    if (!Retry(i, rules_.retry)) End(i, NAN, kGaveUp, "", true);
  }
  void Fail(size_t i, Failure failure, std::string_view bytes, bool lost);
  void Owe(size_t i);
  void Replay(size_t i);
  void NewCallLong(size_t i);
  void End(size_t i, double value, Failure failure, std::string_view bytes, bool failed);
  bool Watch(size_t i, uint32_t events);
  void Drop(size_t i);
  void Unwatch(size_t i);

  const Rules& rules_;
  std::vector<Frame> frames_;
  // The invocation UUIDs' source: 64 bits of seed, so that two loops hardly ever draw alike.
  std::mt19937_64 random_{static_cast<uint64_t>(std::random_device{}()) << 32 | std::random_device{}()};
};

LoopEnd Loop::Run() {
  return RunCalls([this](size_t i) {
    conns_[i].events = 0;
    if (conns_[i].fd >= 0 && !Watch(i, EPOLLIN)) Drop(i);
  });
}

void Loop::Unwatch(size_t i) {
  Conn& c = conns_[i];
  if (c.fd >= 0 && c.events != 0) epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
  c.events = 0;
}

void Loop::Event(const epoll_event& event) {
  size_t i = static_cast<size_t>(event.data.u64 & 0xffffffff);
  uint32_t generation = static_cast<uint32_t>(event.data.u64 >> 32);
  Conn& c = conns_[i];
  auto same = [&c, generation] { return c.fd >= 0 && c.generation == generation; };
  if (!same()) return;  // a socket dropped earlier in this batch
  if (c.state == ConnState::kConnecting) return Connected(i);
  if (event.events & EPOLLOUT) Flush(i);
  if (same() && (event.events & (EPOLLIN | EPOLLERR | EPOLLHUP))) Readable(i);
}

// An attempt from its first step: on a new connection when there is none.
void Loop::Attempt(size_t i) {
  Conn& c = conns_[i];
  c.step = 0;
  c.writing = c.retrying = c.readNull = false;
  c.value = NAN;
  // What a lost call owes runs first, as that call (its callLong): only the always steps, and before
  // them its lost resend step.
  c.unwinding = c.owed;
  c.replaying = c.owed && !c.replay.empty();
  if (!c.owed) NewCallLong(i);
  if (c.fd < 0) Connect(i);
  else SendStep(i);
}

void Loop::Connect(size_t i) {
  Conn& c = conns_[i];
  c.state = ConnState::kConnecting;
  c.sentUs = NowUs();
  c.authenticated = false;
  c.in.clear();
  c.out.clear();
  c.outSent = 0;
  const Client& client = rules_.clients[i];
  int fd = socket(client.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(i, kConnect, "socket: " + ErrnoText(errno), true);
  c.fd = fd;
  c.generation++;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&client.addr), client.addrLen) != 0 && errno != EINPROGRESS)
    return Fail(i, kConnect, "connect " + ErrnoText(errno) + " " + client.address, true);
  WakeBy(c.sentUs + rules_.connectTimeoutMs * 1000);
  if (!Watch(i, EPOLLOUT)) Fail(i, kConnect, "epoll_ctl: " + ErrnoText(errno), true);
}

// The TCP connect ended: authenticate, with this client's own request.
void Loop::Connected(size_t i) {
  Conn& c = conns_[i];
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) return Fail(i, kConnect, "connect " + ErrnoText(err) + " " + rules_.clients[i].address, true);
  const std::string& hello = rules_.clients[i].hello;
  c.state = ConnState::kAuthenticating;
  c.correlation = LittleLong(hello.data() + kProtocolPrefix + kCorrelationAt);
  Send(i, hello);
}

// Sends the attempt's current step, skipping those for the other outcome of the last read.
void Loop::SendStep(size_t i) {
  Conn& c = conns_[i];
  const std::vector<Step>& steps = rules_.clients[i].steps;
  if (c.replaying) return Replay(i);
  while (c.step < steps.size()) {
    const Step& s = steps[c.step];
    if ((s.ifNull && !c.readNull) || (s.ifValue && c.readNull) || (c.unwinding && !s.always)) c.step++;
    else break;
  }
  if (c.step == steps.size()) {
    if (c.owed) {  // paid: the call itself, from its first step
      c.owed = c.unwinding = false;
      c.step = 0;
      NewCallLong(i);
      return SendStep(i);
    }
    if (!c.unwinding) return End(i, c.value, kErrorAnswer, "", false);
    c.unwinding = false;
    return End(i, NAN, c.pendingFailure, c.pendingBytes, true);
  }
  const Step& step = steps[c.step];
  if (step.writes) c.writing = true;
  c.state = ConnState::kBusy;
  c.sentUs = NowUs();
  c.timeoutUs = step.timeoutMs * 1000;
  WakeBy(c.sentUs + c.timeoutUs);
  std::string& out = c.out;
  out.assign(step.request);
  c.correlation++;
  PutLittleLong(out.data() + kCorrelationAt, c.correlation);
  // From the last offset back: a kept frame may change the length of what follows it.
  for (auto p = step.patches.rbegin(); p != step.patches.rend(); ++p) {
    if (p->what == kNextLong) {
      PutBigLong(out.data() + p->at, c.next);
    } else if (p->what == kCallLong) {
      PutLittleLong(out.data() + p->at, c.callLong);
    } else if (p->what == kFreshUuid) {
      PutLittleLong(out.data() + p->at, static_cast<int64_t>(random_()));
      PutLittleLong(out.data() + p->at + 8, static_cast<int64_t>(random_()));
    } else if (p->what == kLastData) {
      if (c.lastData.size() <= out.size() - p->at) out.replace(p->at, c.lastData.size(), c.lastData);
    } else {
      uint32_t length = 0;
      std::memcpy(&length, out.data() + p->at, 4);
      out.replace(p->at + kFrameHeader, length - kFrameHeader, c.kept);
      length = static_cast<uint32_t>(kFrameHeader + c.kept.size());
      std::memcpy(out.data() + p->at, &length, 4);
    }
  }
  c.outSent = 0;
  Flush(i);
}

void Loop::Send(size_t i, const std::string& bytes) {
  Conn& c = conns_[i];
  c.out.assign(bytes);
  c.outSent = 0;
  c.sentUs = NowUs();
  Flush(i);
}

// Sends what is left of the request; watches for writability until it is all out.
void Loop::Flush(size_t i) {
  Conn& c = conns_[i];
  while (c.outSent < c.out.size()) {
    ssize_t sent = send(c.fd, c.out.data() + c.outSent, c.out.size() - c.outSent, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!Watch(i, EPOLLIN | EPOLLOUT)) Fail(i, kLost, "epoll_ctl: " + ErrnoText(errno), true);
      return;
    }
    if (sent < 0) return Fail(i, c.authenticated ? kLost : kConnect, "send: " + ErrnoText(errno), true);
    c.outSent += static_cast<size_t>(sent);
  }
  if (!Watch(i, EPOLLIN)) Fail(i, kLost, "epoll_ctl: " + ErrnoText(errno), true);
}

void Loop::Readable(size_t i) {
  Conn& c = conns_[i];
  int fd = c.fd;
  uint32_t generation = c.generation;
  auto same = [&c, fd, generation] { return c.fd == fd && c.generation == generation; };
  char buffer[16384];
  for (;;) {
    ssize_t got = recv(fd, buffer, sizeof buffer, 0);
    if (got > 0) {
      c.in.append(buffer, static_cast<size_t>(got));
      if (static_cast<size_t>(got) < sizeof buffer) break;
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    std::string why = got == 0 ? "the member closed the connection" : "recv: " + ErrnoText(errno);
    // Idle: the member went away between calls; the next call reopens.
    if (c.state == ConnState::kIdle || c.state == ConnState::kPaused || c.state == ConnState::kDone) Drop(i);
    else Fail(i, c.authenticated ? kLost : kConnect, why, true);
    return;
  }
  size_t used = 0;
  while (same()) {
    std::string_view rest = std::string_view(c.in).substr(used);
    size_t length = MessageLength(rest);
    if (length == std::string_view::npos) {
      c.in.clear();
      return Fail(i, kLost, "a frame of impossible length from " + rules_.clients[i].address, true);
    }
    if (length == 0) break;
    used += length;
    // The message is copied out: handling it may reconnect, which clears `in`.
    std::string message(rest.substr(0, length));
    Answered(i, message);
  }
  if (same()) c.in.erase(0, used);
}

void Loop::Answered(size_t i, std::string_view message) {
  Conn& c = conns_[i];
  if (!SplitFrames(message, &frames_) || frames_[0].content.size() < 12)
    return Fail(i, kLost, "an unreadable message from " + rules_.clients[i].address, true);
  const Frame& first = frames_[0];
  if (first.flags & kEventFlag) return;  // no listener is registered: nothing to do with an event
  if (LittleLong(first.content.data() + 4) != c.correlation) return;  // not the request in flight
  if (c.state != ConnState::kBusy && c.state != ConnState::kAuthenticating) return;
  int32_t type = 0;
  std::memcpy(&type, first.content.data(), 4);
  if (c.state == ConnState::kBusy && c.owed) {
    // What was owed answered; an error says there was nothing to undo (a lock not held): on with it.
    if (c.replaying) c.replaying = false, c.replay.clear();
    else c.step++;
    return SendStep(i);
  }
  if (type == kErrorType) {
    if (c.state == ConnState::kBusy && Unwind(i, kErrorAnswer, message)) return;
    return Fail(i, c.authenticated ? kErrorAnswer : kConnect, message, false);
  }
  if (c.state == ConnState::kAuthenticating) return Authenticated(i, frames_);
  if (c.unwinding) {  // an always step answered: the next one, or the failure that sent them
    c.step++;
    return SendStep(i);
  }
  Read(i, frames_);
}

void Loop::Authenticated(size_t i, const std::vector<Frame>& frames) {
  Conn& c = conns_[i];
  const Frame& first = frames[0];
  if (first.content.size() <= rules_.authStatusAt) return Fail(i, kConnect, "an unreadable authentication answer", true);
  int status = static_cast<uint8_t>(first.content[rules_.authStatusAt]);
  if (status != 0)
    return Fail(i, kConnect, "authentication refused by " + rules_.clients[i].address + " (status " + std::to_string(status) + ")",
                true);
  c.authenticated = true;
  SendStep(i);
}

// What the answer to the current step says; then the next step.
void Loop::Read(size_t i, const std::vector<Frame>& frames) {
  Conn& c = conns_[i];
  const Step& step = rules_.clients[i].steps[c.step];
  const Frame& first = frames[0];
  if (step.keepFrame >= 0) {
    if (frames.size() <= static_cast<size_t>(step.keepFrame))
      return Fail(i, kLost, "a short answer from " + rules_.clients[i].address, true);
    c.kept.assign(frames[step.keepFrame].content);
  }
  switch (step.read) {
    case kNothing:
      break;
    case kLongAt:
      if (first.content.size() < step.at + 8) return Fail(i, kLost, "a short answer from " + rules_.clients[i].address, true);
      c.value = static_cast<double>(LittleLong(first.content.data() + step.at));
      break;
    case kSwapped:
      if (first.content.size() <= step.at) return Fail(i, kLost, "a short answer from " + rules_.clients[i].address, true);
      if (first.content[step.at] == 0) return LostRace(i);
      break;
    case kNullData:
      if (frames.size() < 2) return Fail(i, kLost, "a short answer from " + rules_.clients[i].address, true);
      if (!frames[1].null()) return LostRace(i);
      break;
    case kNextFromData: {
      if (frames.size() < 2) return Fail(i, kLost, "a short answer from " + rules_.clients[i].address, true);
      const Frame& data = frames[1];
      c.readNull = data.null();
      if (c.readNull) {
        c.next = 1;
      } else {
        // A HeapData: partition hash, type id (big-endian ints), then a Long's 8 bytes, big-endian.
        if (data.content.size() != 16 || BigInt(data.content.data() + 4) != rules_.longTypeId)
          return NotALong(i, data.content);
        int64_t stored = BigLong(data.content.data() + 8);
        if (stored >= (int64_t{1} << 53) || stored < -(int64_t{1} << 53)) return NotALong(i, data.content);
        c.next = stored + 1;
        c.lastData.assign(data.content);
      }
      c.value = static_cast<double>(c.next);
      break;
    }
  }
  c.step++;
  SendStep(i);
}

// A guarded step failed with the connection alive: the always steps run before the call fails
// with `failure` (an always step's own error answer replaces it, as a failing finally does).
bool Loop::Unwind(size_t i, Failure failure, std::string_view bytes) {
  Conn& c = conns_[i];
  const std::vector<Step>& steps = rules_.clients[i].steps;
  if (c.unwinding || !steps[c.step].guarded) return false;
  c.unwinding = true;
  c.pendingFailure = failure;
  c.pendingBytes.assign(bytes);
  c.step++;
  SendStep(i);
  return true;
}

// A failed call: `lost` drops the connection (the next call reopens it).
void Loop::Fail(size_t i, Failure failure, std::string_view bytes, bool lost) {
  std::string copy(bytes);  // `bytes` may live in the buffers Drop clears
  if (lost) {
    Owe(i);
    Drop(i);
  }
  End(i, NAN, failure, copy, true);
}

// The connection is lost with a step in flight: after a resend step, the call owes its always steps
// and, when the resend step itself was in flight, that request as it was sent (see steps.h).
void Loop::Owe(size_t i) {
  Conn& c = conns_[i];
  if (c.state != ConnState::kBusy) return;
  const std::vector<Step>& steps = rules_.clients[i].steps;
  if (c.replaying) return;  // owed already, its replay lost again: still owed as it was
  bool resent = false;
  for (size_t k = 0; k <= c.step && k < steps.size(); k++) resent = resent || steps[k].resend;
  if (!resent) return;
  c.owed = true;
  if (steps[c.step].resend && !c.unwinding) {
    c.replay.assign(c.out);
    c.replayStep = c.step;
  } else {
    c.replay.clear();
  }
}

// Sends the owed resend step's request again, as it was but for its correlation id.
void Loop::Replay(size_t i) {
  Conn& c = conns_[i];
  c.state = ConnState::kBusy;
  c.sentUs = NowUs();
  c.timeoutUs = rules_.clients[i].steps[c.replayStep].timeoutMs * 1000;
  WakeBy(c.sentUs + c.timeoutUs);
  c.out.assign(c.replay);
  c.correlation++;
  PutLittleLong(c.out.data() + kCorrelationAt, c.correlation);
  c.outSent = 0;
  Flush(i);
}

void Loop::NewCallLong(size_t i) {
  Conn& c = conns_[i];
  // The client's index above its attempt count: unique in the loop, and never 0 (no thread id).
  c.callLong = static_cast<int64_t>((static_cast<uint64_t>(i) + 1) << 32 | ++c.attempts);
}

// The call ends. A failure that certainly applied nothing because the member is unreachable
// (what JS calls 'refused') pauses the client, as client-loop.ts does.
void Loop::End(size_t i, double value, Failure failure, std::string_view bytes, bool failed) {
  Conn& c = conns_[i];
  if (!failed) {
    outbox_.End(i, 0, c.dueUs, c.invokeUs, value, nullptr);
    return Next(i);
  }
  http_loader::Side side{http_loader::kError, failure, c.writing, http_loader::kNoKind, bytes};
  outbox_.End(i, 0, c.dueUs, c.invokeUs, NAN, &side);
  bool refused = failure == kConnect || (failure == kLost && !c.writing);
  if (refused) Pause(i, rules_.refusedPauseMs, false);
  else Next(i);
}

bool Loop::Watch(size_t i, uint32_t events) {
  Conn& c = conns_[i];
  if (events == c.events) return true;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = static_cast<uint64_t>(i) | (static_cast<uint64_t>(c.generation) << 32);
  int op = c.events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
  if (epoll_ctl(epfd_, op, c.fd, &ev) != 0) return false;
  c.events = events;
  return true;
}

void Loop::Drop(size_t i) {
  Conn& c = conns_[i];
  if (c.fd >= 0 && epfd_ >= 0 && c.events != 0) epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
  c.events = 0;
  Finish(&c);
}

void Loop::Scan(double now) {
  wakeUs_ = INFINITY;
  double connectUs = rules_.connectTimeoutMs * 1000;
  for (size_t i = 0; i < conns_.size(); i++) {
    Conn& c = conns_[i];
    bool connecting = c.state == ConnState::kConnecting || c.state == ConnState::kAuthenticating;
    if (c.state == ConnState::kBusy && now - c.sentUs > c.timeoutUs) {
      Fail(i, kNoAnswer, "", true);
    } else if (connecting && now - c.sentUs > connectUs) {
      Fail(i, kConnect, "no answer from " + rules_.clients[i].address + " within the connect timeout", true);
    } else {
      Resume(i, now);
    }
    if (c.state == ConnState::kBusy) WakeBy(c.sentUs + c.timeoutUs);
    if (c.state == ConnState::kConnecting || c.state == ConnState::kAuthenticating) WakeBy(c.sentUs + connectUs);
    if (c.state == ConnState::kPaused) WakeBy(c.pauseUntilUs);
  }
}

}  // namespace

void Finish(Conn* c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  c->authenticated = false;
  c->in.clear();
  c->out.clear();
  c->outSent = 0;
}

LoopEnd RunLoop(std::vector<Conn>* conns, const Rules& rules, const Plan& plan, Outbox* outbox,
                const std::atomic<bool>& stop) {
  Loop loop(conns, rules, plan, outbox, stop);
  return loop.Run();
}

}  // namespace hz_loader
