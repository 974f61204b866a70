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
constexpr uint16_t kBackupAwareFlag = 1 << 8;  // a request's: ack backups to the client
constexpr uint16_t kBackupEventFlag = 1 << 7;  // an answer's: a backup ack, to a backup listener
constexpr size_t kFlagsAt = 4;                  // the first frame's flags, in a message
constexpr size_t kBackupAcksAt = 12;            // in an answer's first frame content: the acks to wait for
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

// An epoll tag: the client, its link (0: the connection for requests, k + 1: listener k) and the
// socket's generation.
uint64_t Tag(size_t i, size_t link, uint32_t generation) {
  return static_cast<uint64_t>(i) | static_cast<uint64_t>(link) << 24 | static_cast<uint64_t>(generation) << 32;
}

void CloseMain(Conn* c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  c->authenticated = false;
  c->held.clear();
  c->in.clear();
  c->out.clear();
  c->outSent = 0;
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

// Reads what the socket has into `in`: "" while it stays open, else how it ended.
std::string Receive(int fd, std::string* in) {
  char buffer[16384];
  for (;;) {
    ssize_t got = recv(fd, buffer, sizeof buffer, 0);
    if (got > 0) {
      in->append(buffer, static_cast<size_t>(got));
      if (static_cast<size_t>(got) < sizeof buffer) return "";
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return "";
    return got == 0 ? "the member closed the connection" : "recv: " + ErrnoText(errno);
  }
}

// Hands each whole message at the front of `*in` to `handle`, while `same()` (the socket is still
// the one read), then drops them from `*in`; false at a frame of impossible length. Each is a
// copy: handling it may close the socket, which clears `*in`.
template <typename Same, typename Handle>
bool EachMessage(std::string* in, Same same, Handle handle) {
  size_t used = 0;
  while (same()) {
    std::string_view rest = std::string_view(*in).substr(used);
    size_t length = MessageLength(rest);
    if (length == std::string_view::npos) return false;
    if (length == 0) break;
    used += length;
    handle(std::string(rest.substr(0, length)));
  }
  if (same()) in->erase(0, used);
  return true;
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
  bool Hold(size_t i, std::string_view message);
  void BackupAcked(size_t i, int64_t correlation);
  void Release(size_t i);
  void Proceed(size_t i, std::string_view message);
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
  void NewRequest(size_t i, bool backupAware);
  bool Watch(size_t i, uint32_t events);
  bool WatchFd(int fd, uint32_t* watched, uint64_t tag, uint32_t events);
  void Drop(size_t i);
  void Unwatch(size_t i);
  // The backup listeners (hz-loop.h's Listener).
  bool Listening(size_t i) const;
  const Endpoint& Target(size_t i) const;
  void OpenListeners(size_t i);
  void OpenListener(size_t i, size_t k);
  void ListenerEvent(size_t i, size_t k, uint32_t generation, uint32_t events);
  void ListenerSend(size_t i, size_t k, const std::string& bytes);
  void ListenerFlush(size_t i, size_t k);
  void ListenerRead(size_t i, size_t k);
  void ListenerMessage(size_t i, size_t k, std::string_view message);
  void CloseListener(size_t i, size_t k);

  const Rules& rules_;
  std::vector<Frame> frames_;
  // The invocation UUIDs' source: 64 bits of seed, so that two loops hardly ever draw alike.
  std::mt19937_64 random_{static_cast<uint64_t>(std::random_device{}()) << 32 | std::random_device{}()};
};

LoopEnd Loop::Run() {
  return RunCalls([this](size_t i) {
    Conn& c = conns_[i];
    c.events = 0;
    if (c.fd >= 0 && !Watch(i, EPOLLIN)) Drop(i);
    c.listeners.resize(rules_.clients[i].backups.size());
    for (size_t k = 0; k < c.listeners.size(); k++) {
      Listener& l = c.listeners[k];
      l.events = 0;
      if (l.fd >= 0 && !WatchFd(l.fd, &l.events, Tag(i, k + 1, l.generation), EPOLLIN)) CloseListener(i, k);
    }
  });
}

// Out of the run's epoll set: the connection for requests, kept; each listener, kept if it listens
// (one half-open could not go on unwatched: it is closed, and reopened by the next run's first call).
void Loop::Unwatch(size_t i) {
  Conn& c = conns_[i];
  if (c.fd >= 0 && c.events != 0) epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
  c.events = 0;
  for (size_t k = 0; k < c.listeners.size(); k++) {
    Listener& l = c.listeners[k];
    if (l.state != Listener::State::kListening) {
      CloseListener(i, k);
      l.retryAtUs = 0;
    } else if (l.events != 0) {
      epoll_ctl(epfd_, EPOLL_CTL_DEL, l.fd, nullptr);
      l.events = 0;
    }
  }
}

void Loop::Event(const epoll_event& event) {
  size_t i = static_cast<size_t>(event.data.u64 & 0xffffff);
  size_t link = static_cast<size_t>(event.data.u64 >> 24 & 0xff);
  uint32_t generation = static_cast<uint32_t>(event.data.u64 >> 32);
  if (link > 0) return ListenerEvent(i, link - 1, generation, event.events);
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
  OpenListeners(i);
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
  const Endpoint& to = Target(i);
  int fd = socket(to.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(i, kConnect, "socket: " + ErrnoText(errno), true);
  c.fd = fd;
  c.generation++;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&to.addr), to.addrLen) != 0 && errno != EINPROGRESS)
    return Fail(i, kConnect, "connect " + ErrnoText(errno) + " " + to.address, true);
  WakeBy(c.sentUs + rules_.connectTimeoutMs * 1000);
  if (!Watch(i, EPOLLOUT)) Fail(i, kConnect, "epoll_ctl: " + ErrnoText(errno), true);
}

// The TCP connect ended: authenticate, with this client's own request.
void Loop::Connected(size_t i) {
  Conn& c = conns_[i];
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) return Fail(i, kConnect, "connect " + ErrnoText(err) + " " + Target(i).address, true);
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
  NewRequest(i, step.backupAware);
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
  std::string why = Receive(fd, &c.in);
  if (!why.empty()) {
    // Idle: the member went away between calls; the next call reopens.
    if (c.state == ConnState::kIdle || c.state == ConnState::kPaused || c.state == ConnState::kDone) Drop(i);
    else Fail(i, c.authenticated ? kLost : kConnect, why, true);
    return;
  }
  if (!EachMessage(&c.in, same, [this, i](const std::string& message) { Answered(i, message); }))
    Fail(i, kLost, "a frame of impossible length from " + Target(i).address, true);
}

void Loop::Answered(size_t i, std::string_view message) {
  Conn& c = conns_[i];
  if (!SplitFrames(message, &frames_) || frames_[0].content.size() < 12)
    return Fail(i, kLost, "an unreadable message from " + Target(i).address, true);
  const Frame& first = frames_[0];
  if (first.flags & kEventFlag) return;  // no listener is registered: nothing to do with an event
  if (LittleLong(first.content.data() + 4) != c.correlation) return;  // not the request in flight
  if (c.state != ConnState::kBusy && c.state != ConnState::kAuthenticating) return;
  int32_t type = 0;
  std::memcpy(&type, first.content.data(), 4);
  if (c.state == ConnState::kBusy && type != kErrorType && Hold(i, message)) return;
  Proceed(i, message);
}

// An answer that expects more backup acks than have come waits for them (frames_ is its split).
bool Loop::Hold(size_t i, std::string_view message) {
  Conn& c = conns_[i];
  const Frame& first = frames_[0];
  uint32_t expected = first.content.size() > kBackupAcksAt ? static_cast<uint8_t>(first.content[kBackupAcksAt]) : 0;
  if (expected <= c.acksSeen) return false;
  c.acksExpected = expected;
  c.held.assign(message);
  c.answeredUs = NowUs();
  WakeBy(c.answeredUs + rules_.backupTimeoutMs * 1000);
  return true;
}

// A backup member acked a request: the one in flight's, or an older one's (ignored). It may come
// before the owner's answer.
void Loop::BackupAcked(size_t i, int64_t correlation) {
  Conn& c = conns_[i];
  if (c.state != ConnState::kBusy || correlation != c.correlation) return;
  c.acksSeen++;
  if (!c.held.empty() && c.acksSeen >= c.acksExpected) Release(i);
}

// The held answer goes on: its acks came, the backup timeout passed, or a listener went away (the
// ack it might have carried will not come).
void Loop::Release(size_t i) {
  Conn& c = conns_[i];
  if (c.held.empty() || c.state != ConnState::kBusy) return;
  std::string message = std::move(c.held);
  c.held.clear();
  if (SplitFrames(message, &frames_)) Proceed(i, message);
}

// An answer to the request in flight (frames_ is its split), its backups acked.
void Loop::Proceed(size_t i, std::string_view message) {
  Conn& c = conns_[i];
  int32_t type = 0;
  std::memcpy(&type, frames_[0].content.data(), 4);
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
    return Fail(i, kConnect, "authentication refused by " + Target(i).address + " (status " + std::to_string(status) + ")",
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
      return Fail(i, kLost, "a short answer from " + Target(i).address, true);
    c.kept.assign(frames[step.keepFrame].content);
  }
  switch (step.read) {
    case kNothing:
      break;
    case kLongAt:
      if (first.content.size() < step.at + 8) return Fail(i, kLost, "a short answer from " + Target(i).address, true);
      c.value = static_cast<double>(LittleLong(first.content.data() + step.at));
      break;
    case kSwapped:
      if (first.content.size() <= step.at) return Fail(i, kLost, "a short answer from " + Target(i).address, true);
      if (first.content[step.at] == 0) return LostRace(i);
      break;
    case kNullData:
      if (frames.size() < 2) return Fail(i, kLost, "a short answer from " + Target(i).address, true);
      if (!frames[1].null()) return LostRace(i);
      break;
    case kNextFromData: {
      if (frames.size() < 2) return Fail(i, kLost, "a short answer from " + Target(i).address, true);
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
  // Unreachable: the next connect tries the next member (after the refused pause), round the list.
  if (failure == kConnect) conns_[i].via = (conns_[i].via + 1) % (1 + rules_.clients[i].failover.size());
  End(i, NAN, failure, copy, true);
}

const Endpoint& Loop::Target(size_t i) const {
  const Client& client = rules_.clients[i];
  size_t via = conns_[i].via;
  return via == 0 ? client.member : client.failover[via - 1];
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
  NewRequest(i, rules_.clients[i].steps[c.replayStep].backupAware);
  c.outSent = 0;
  Flush(i);
}

// The request in c.out gets the next correlation id, and asks for backup acks when it may.
void Loop::NewRequest(size_t i, bool backupAware) {
  Conn& c = conns_[i];
  c.correlation++;
  PutLittleLong(c.out.data() + kCorrelationAt, c.correlation);
  c.acksSeen = 0;
  c.held.clear();
  if (!backupAware || !Listening(i)) return;
  uint16_t flags = 0;
  std::memcpy(&flags, c.out.data() + kFlagsAt, 2);
  flags |= kBackupAwareFlag;
  std::memcpy(c.out.data() + kFlagsAt, &flags, 2);
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
  return WatchFd(c.fd, &c.events, Tag(i, 0, c.generation), events);
}

bool Loop::WatchFd(int fd, uint32_t* watched, uint64_t tag, uint32_t events) {
  if (events == *watched) return true;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag;
  int op = *watched == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
  if (epoll_ctl(epfd_, op, fd, &ev) != 0) return false;
  *watched = events;
  return true;
}

void Loop::Drop(size_t i) {
  Conn& c = conns_[i];
  if (c.fd >= 0 && epfd_ >= 0 && c.events != 0) epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
  c.events = 0;
  CloseMain(&c);
}

bool Loop::Listening(size_t i) const {
  const std::vector<Listener>& listeners = conns_[i].listeners;
  for (const Listener& l : listeners)
    if (l.state != Listener::State::kListening) return false;
  return !listeners.empty();
}

// Calls never wait for a listener: until every one listens, requests go without the flag.
void Loop::OpenListeners(size_t i) {
  std::vector<Listener>& listeners = conns_[i].listeners;
  double now = NowUs();
  for (size_t k = 0; k < listeners.size(); k++)
    if (listeners[k].state == Listener::State::kDown && now >= listeners[k].retryAtUs) OpenListener(i, k);
}

void Loop::OpenListener(size_t i, size_t k) {
  const Endpoint& at = rules_.clients[i].backups[k];
  Listener& l = conns_[i].listeners[k];
  l.sinceUs = NowUs();
  int fd = socket(at.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return CloseListener(i, k);
  l.fd = fd;
  l.generation++;
  l.state = Listener::State::kConnecting;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&at.addr), at.addrLen) != 0 && errno != EINPROGRESS)
    return CloseListener(i, k);
  WakeBy(l.sinceUs + rules_.connectTimeoutMs * 1000);
  if (!WatchFd(fd, &l.events, Tag(i, k + 1, l.generation), EPOLLOUT)) CloseListener(i, k);
}

// A listener connects, authenticates as its client (the same hello), registers, then reads acks.
void Loop::ListenerEvent(size_t i, size_t k, uint32_t generation, uint32_t events) {
  Listener& l = conns_[i].listeners[k];
  auto same = [&l, generation] { return l.fd >= 0 && l.generation == generation; };
  if (!same()) return;
  if (l.state == Listener::State::kConnecting) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(l.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) return CloseListener(i, k);
    l.state = Listener::State::kAuthenticating;
    return ListenerSend(i, k, rules_.clients[i].hello);
  }
  if (events & EPOLLOUT) ListenerFlush(i, k);
  if (same() && (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) ListenerRead(i, k);
}

void Loop::ListenerSend(size_t i, size_t k, const std::string& bytes) {
  conns_[i].listeners[k].out.append(bytes);
  ListenerFlush(i, k);
}

void Loop::ListenerFlush(size_t i, size_t k) {
  Listener& l = conns_[i].listeners[k];
  uint64_t tag = Tag(i, k + 1, l.generation);
  while (l.outSent < l.out.size()) {
    ssize_t sent = send(l.fd, l.out.data() + l.outSent, l.out.size() - l.outSent, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!WatchFd(l.fd, &l.events, tag, EPOLLIN | EPOLLOUT)) CloseListener(i, k);
      return;
    }
    if (sent < 0) return CloseListener(i, k);
    l.outSent += static_cast<size_t>(sent);
  }
  l.out.clear();
  l.outSent = 0;
  if (!WatchFd(l.fd, &l.events, tag, EPOLLIN)) CloseListener(i, k);
}

void Loop::ListenerRead(size_t i, size_t k) {
  Listener& l = conns_[i].listeners[k];
  int fd = l.fd;
  uint32_t generation = l.generation;
  auto same = [&l, fd, generation] { return l.fd == fd && l.generation == generation; };
  if (!Receive(fd, &l.in).empty() ||
      !EachMessage(&l.in, same, [this, i, k](const std::string& message) { ListenerMessage(i, k, message); }))
    CloseListener(i, k);
}

void Loop::ListenerMessage(size_t i, size_t k, std::string_view message) {
  Listener& l = conns_[i].listeners[k];
  if (!SplitFrames(message, &frames_) || frames_[0].content.size() < kBackupAcksAt) return CloseListener(i, k);
  std::string_view first = frames_[0].content;
  if (frames_[0].flags & kBackupEventFlag) {
    if (first.size() >= rules_.ackCorrelationAt + 8) BackupAcked(i, LittleLong(first.data() + rules_.ackCorrelationAt));
    return;
  }
  if (frames_[0].flags & kEventFlag) return;
  int32_t type = 0;
  std::memcpy(&type, first.data(), 4);
  if (type == kErrorType) return CloseListener(i, k);
  if (l.state == Listener::State::kAuthenticating) {
    if (first.size() <= rules_.authStatusAt || first[rules_.authStatusAt] != 0) return CloseListener(i, k);
    l.state = Listener::State::kRegistering;
    return ListenerSend(i, k, rules_.listenRequest);
  }
  if (l.state == Listener::State::kRegistering) l.state = Listener::State::kListening;
}

// A listener failed or timed out: retried after the pause for a member that refuses. A call
// holding its answer goes on at once: the ack it waits for may have been this listener's.
void Loop::CloseListener(size_t i, size_t k) {
  Listener& l = conns_[i].listeners[k];
  if (l.fd >= 0 && epfd_ >= 0 && l.events != 0) epoll_ctl(epfd_, EPOLL_CTL_DEL, l.fd, nullptr);
  if (l.fd >= 0) close(l.fd);
  l.fd = -1;
  l.events = 0;
  l.state = Listener::State::kDown;
  l.in.clear();
  l.out.clear();
  l.outSent = 0;
  l.retryAtUs = NowUs() + rules_.refusedPauseMs * 1000;
  Release(i);
}

void Loop::Scan(double now) {
  wakeUs_ = INFINITY;
  double connectUs = rules_.connectTimeoutMs * 1000;
  double backupUs = rules_.backupTimeoutMs * 1000;
  for (size_t i = 0; i < conns_.size(); i++) {
    Conn& c = conns_[i];
    for (size_t k = 0; k < c.listeners.size(); k++) {
      Listener& l = c.listeners[k];
      if (l.state == Listener::State::kDown || l.state == Listener::State::kListening) continue;
      if (now - l.sinceUs > connectUs) CloseListener(i, k);
      else WakeBy(l.sinceUs + connectUs);
    }
    bool connecting = c.state == ConnState::kConnecting || c.state == ConnState::kAuthenticating;
    if (c.state == ConnState::kBusy && !c.held.empty()) {
      if (now - c.answeredUs >= backupUs) Release(i);
    } else if (c.state == ConnState::kBusy && now - c.sentUs > c.timeoutUs) {
      Fail(i, kNoAnswer, "", true);
    } else if (connecting && now - c.sentUs > connectUs) {
      Fail(i, kConnect, "no answer from " + Target(i).address + " within the connect timeout", true);
    } else {
      Resume(i, now);
    }
    if (c.state == ConnState::kBusy) WakeBy(!c.held.empty() ? c.answeredUs + backupUs : c.sentUs + c.timeoutUs);
    if (c.state == ConnState::kConnecting || c.state == ConnState::kAuthenticating) WakeBy(c.sentUs + connectUs);
    if (c.state == ConnState::kPaused) WakeBy(c.pauseUntilUs);
  }
}

}  // namespace

void Finish(Conn* c) {
  CloseMain(c);
  for (Listener& l : c->listeners) {
    if (l.fd >= 0) close(l.fd);
    l = Listener{};
  }
}

LoopEnd RunLoop(std::vector<Conn>* conns, const Rules& rules, const Plan& plan, Outbox* outbox,
                const std::atomic<bool>& stop) {
  Loop loop(conns, rules, plan, outbox, stop);
  return loop.Run();
}

}  // namespace hz_loader
