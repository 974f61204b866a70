// The load loop (see load-loop.h). Failed syscalls become the call's error, named as Node names
// them ("connect ECONNREFUSED 127.0.0.1:8080"); a failure of epoll itself ends the run with
// LoopEnd::error. Answers are framed by response-frame.cc; only {"count":N} is read here, every
// other answer goes back to JS as a side.

#include "load-loop.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "open-schedule.h"
#include "response-frame.h"

namespace http_loader {
namespace {

constexpr int kMaxEvents = 256;
// How long the loop polls for an answer before it sleeps.
constexpr double kSpinUs = 50;
// The longest the loop sleeps without checking whether it should stop.
constexpr double kMaxWaitUs = 1e6;

std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? std::string(name) : "ERRNO" + std::to_string(err);
}

class Loop {
 public:
  Loop(const std::vector<Target>& targets, std::vector<Conn>* conns, const Rules& rules, const Plan& plan,
       Outbox* outbox, const std::atomic<bool>& stop)
      : targets_(targets), conns_(*conns), rules_(rules), timeoutMs_(rules.timeoutMs), plan_(plan),
        outbox_(*outbox), stop_(stop) {}

  LoopEnd Run();

 private:
  bool Setup();
  void Start(size_t i, double dueUs);
  void Connect(size_t i);
  void Connected(size_t i);
  void Send(size_t i);
  void Readable(size_t i);
  void Answer(size_t i);
  void Fail(size_t i, Kind kind, const std::string& message);
  void Record(size_t i, double value, const Side* side);
  void Drop(size_t i);
  void Next(size_t i);
  void Scan(double now);
  void WakeBy(double us) { wakeUs_ = us < wakeUs_ ? us : wakeUs_; }
  void Dispatch(double now);
  bool Finished() const;
  bool Watch(size_t i, uint32_t events, int op);
  int Poll(epoll_event* events, double waitUs);

  const std::vector<Target>& targets_;
  std::vector<Conn>& conns_;
  const Rules& rules_;
  double timeoutMs_;
  Plan plan_;
  Outbox& outbox_;
  const std::atomic<bool>& stop_;
  LoopEnd end_;
  int epfd_ = -1;
  // Open loop: one schedule for the group, the next call due goes to any free connection.
  bool open_ = false;
  OpenSchedule schedule_;
  // Open loop: when the next call is due, if a connection is free for it.
  // The earliest timeout or end of a pause: the loop sleeps until then, not on a short tick, which
  // cost a third of the rate at one connection.
  double wakeUs_ = INFINITY;
  char buf_[65536];
};

bool Loop::Setup() {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) {
    end_.error = "epoll_create1: " + ErrnoName(errno);
    return false;
  }
  // The default 50 us slack on the loop's timeouts would be charged to the server as latency.
  if (open_) prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  return true;
}

bool Loop::Watch(size_t i, uint32_t events, int op) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = i;
  return epoll_ctl(epfd_, op, conns_[i].fd, &ev) == 0;
}

// epoll_pwait2: its nanosecond timeout lets the open loop send on time.
int Loop::Poll(epoll_event* events, double waitUs) {
  timespec wait{};
  if (waitUs > 0) {
    wait.tv_sec = static_cast<time_t>(waitUs / 1e6);
    wait.tv_nsec = static_cast<long>(std::fmod(waitUs, 1e6) * 1e3);
  }
  return epoll_pwait2(epfd_, events, kMaxEvents, &wait, nullptr);
}

LoopEnd Loop::Run() {
  open_ = plan_.intervalUs > 0;
  if (!Setup()) return end_;
  size_t n = conns_.size();
  for (size_t i = 0; i < n; i++) {
    Conn& c = conns_[i];
    c.callCount = 0;
    c.state = ConnState::kIdle;
    // A connection the server closed while idle is dropped unnoticed, as in the JS client.
    if (c.fd >= 0) {
      char probe;
      ssize_t r = recv(c.fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
      if ((r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) || r >= 0) Drop(i);
    }
    if (c.fd >= 0 && !Watch(i, EPOLLIN, EPOLL_CTL_ADD)) Drop(i);
  }
  if (open_) {
    schedule_.Reset(plan_, n);
  } else {
    for (size_t i = 0; i < n; i++) Next(i);
  }
  epoll_event events[kMaxEvents];
  while (!Finished()) {
    if (stop_.load(std::memory_order_relaxed)) break;
    double now = NowUs();
    if (open_) Dispatch(now);
    double nextDueUs = schedule_.nextDueUs();
    double wakeAt = std::min(wakeUs_, nextDueUs);
    // An answer due within microseconds is polled for rather than slept on: waking a thread from
    // an idle CPU costs more than the round trip of one request to a fast local server.
    double spinEnd = std::min(now + kSpinUs, wakeAt);
    int count = Poll(events, 0);
    while (count == 0 && NowUs() < spinEnd) count = Poll(events, 0);
    // A call due later is slept on until shortly before it, then polled for, for the same reason.
    double sleepUntil = nextDueUs <= wakeUs_ ? nextDueUs - kSpinUs : wakeUs_;
    if (count == 0) count = Poll(events, std::min(sleepUntil - NowUs(), kMaxWaitUs));
    if (count < 0 && errno != EINTR) {
      end_.error = "epoll_pwait2: " + ErrnoName(errno);
      break;
    }
    for (int k = 0; k < count; k++) {
      uint64_t i = events[k].data.u64;
      if (conns_[i].state == ConnState::kConnecting) Connected(i);
      else Readable(i);
    }
    now = NowUs();
    if (now >= wakeUs_) Scan(now);
  }
  for (size_t i = 0; i < n; i++) {
    // An interrupted run leaves calls in flight: their connections cannot be reused.
    if (conns_[i].state == ConnState::kAwaiting || conns_[i].state == ConnState::kConnecting) Drop(i);
    if (conns_[i].fd >= 0) epoll_ctl(epfd_, EPOLL_CTL_DEL, conns_[i].fd, nullptr);
  }
  close(epfd_);
  end_.endUs = NowUs();
  return end_;
}

bool Loop::Finished() const {
  for (const Conn& c : conns_) {
    if (c.state == ConnState::kAwaiting || c.state == ConnState::kConnecting) return false;
    if (!open_ && c.state != ConnState::kDone) return false;
  }
  return !open_ || schedule_.Over();
}

// Open loop: every call that is due goes out on a free connection; the loop sleeps until the next.
void Loop::Dispatch(double now) {
  schedule_.Dispatch(now, [this](size_t i, double dueUs) { Start(i, dueUs); });
}

// Closed loop: the connection's next call, now, unless its calls or the run are over.
void Loop::Next(size_t i) {
  Conn& c = conns_[i];
  if (open_) {
    c.state = ConnState::kIdle;
    schedule_.Free(i);
    Dispatch(NowUs());
    return;
  }
  double now = NowUs();
  if (c.callCount >= plan_.callsPerClient || now > plan_.deadlineUs) {
    c.state = ConnState::kDone;
    return;
  }
  Start(i, now);
}

void Loop::Start(size_t i, double dueUs) {
  Conn& c = conns_[i];
  c.callCount++;
  c.dueUs = dueUs;
  c.invokeUs = outbox_.Invoke(i);
  if (c.fd < 0) Connect(i);
  else Send(i);
}

void Loop::Connect(size_t i) {
  Conn& c = conns_[i];
  const Target& t = targets_[c.target];
  c.in.clear();
  c.ended = false;
  c.fd = socket(t.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) {
    Fail(i, kRefused, "cannot connect to " + t.name + ": socket " + ErrnoName(errno));
    return;
  }
  int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int r = connect(c.fd, reinterpret_cast<const sockaddr*>(&t.addr), t.addrLen);
  if (r < 0 && errno != EINPROGRESS) {
    Fail(i, kRefused, "cannot connect to " + t.name + ": connect " + ErrnoName(errno) + " " + t.address);
    return;
  }
  c.state = ConnState::kConnecting;
  WakeBy(c.invokeUs + timeoutMs_ * 1000);
  if (!Watch(i, EPOLLOUT, EPOLL_CTL_ADD)) {
    Fail(i, kRefused, "cannot connect to " + t.name + ": epoll_ctl " + ErrnoName(errno));
    return;
  }
  if (r == 0) Connected(i);
}

void Loop::Connected(size_t i) {
  Conn& c = conns_[i];
  const Target& t = targets_[c.target];
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  if (err == 0 && !Watch(i, EPOLLIN, EPOLL_CTL_MOD)) err = errno;
  if (err != 0) {
    Fail(i, kRefused, "cannot connect to " + t.name + ": connect " + ErrnoName(err) + " " + t.address);
    return;
  }
  Send(i);
}

void Loop::Send(size_t i) {
  Conn& c = conns_[i];
  const std::string& request = targets_[c.target].request;
  c.state = ConnState::kAwaiting;
  c.sentUs = NowUs();
  WakeBy(c.sentUs + timeoutMs_ * 1000);
  ssize_t sent = send(c.fd, request.data(), request.size(), MSG_NOSIGNAL);
  if (sent < 0) {
    Fail(i, kReset, "connection error: write " + ErrnoName(errno));
  } else if (static_cast<size_t>(sent) != request.size()) {
    // One small request on an idle connection fits its send buffer; anything else is broken.
    Fail(i, kReset, "connection error: short write");
  }
}

void Loop::Readable(size_t i) {
  Conn& c = conns_[i];
  if (c.fd < 0) return;
  ssize_t r = recv(c.fd, buf_, sizeof buf_, 0);
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (c.state != ConnState::kAwaiting) {
    // Bytes or a close while no call is in flight: the JS client drops such a connection.
    Drop(i);
    return;
  }
  if (r < 0) {
    Fail(i, kReset, "connection error: read " + ErrnoName(errno));
    return;
  }
  if (r == 0) c.ended = true;
  else c.in.append(buf_, r);
  Answer(i);
}

void Loop::Answer(size_t i) {
  Conn& c = conns_[i];
  Frame f = FrameResponse(c.in.data(), c.in.size(), c.ended, rules_.limits);
  if (f.state == FrameState::kNeedMore) {
    if (c.ended) Fail(i, kReset, "connection closed by server");
    return;
  }
  if (f.state == FrameState::kError) {
    Side unframed{kUnframed, 0, c.ended, kProtocol, c.in};
    Record(i, NAN, &unframed);
    Drop(i);
    Next(i);
    return;
  }
  bool own2xx = rules_.readOwnAnswer && f.status >= 200 && f.status < 300;
  double own = own2xx ? OwnCount(f.body, rules_.ownAnswer) : -1;
  if (own >= 0) {
    Record(i, own, nullptr);
  } else {
    Side answer{kAnswer, static_cast<uint16_t>(f.status), f.keepAlive, kNoKind, f.body};
    Record(i, NAN, &answer);
  }
  c.in.erase(0, f.end);
  bool reusable = f.keepAlive && !c.ended;
  // Bytes after the answer: a whole unrequested response, or bytes the stream cannot frame, end the
  // connection; a partial one waits, as in the JS parser.
  if (reusable && !c.in.empty()) {
    reusable = FrameResponse(c.in.data(), c.in.size(), false, rules_.limits).state == FrameState::kNeedMore;
  }
  if (!reusable) Drop(i);
  Next(i);
}

void Loop::Fail(size_t i, Kind kind, const std::string& message) {
  Conn& c = conns_[i];
  Side error{kError, 0, false, kind, message};
  Record(i, NAN, &error);
  Drop(i);
  if (kind == kRefused) {
    c.state = ConnState::kPaused;
    // A server that is down refuses at once: without the pause a timed run would spin.
    c.pauseUntilUs = NowUs() + rules_.refusedPauseMs * 1000;
    WakeBy(c.pauseUntilUs);
    return;
  }
  Next(i);
}

// `side`: what JS settles the call from; null when the loop read its value.
void Loop::Record(size_t i, double value, const Side* side) {
  Conn& c = conns_[i];
  outbox_.End(i, c.target, c.dueUs, c.invokeUs, value, side);
  c.state = ConnState::kIdle;
}

void Loop::Drop(size_t i) {
  Conn& c = conns_[i];
  if (c.fd >= 0) close(c.fd);  // close also leaves the epoll set
  c.fd = -1;
  c.in.clear();
  c.ended = false;
}

void Loop::Scan(double now) {
  double timeoutUs = timeoutMs_ * 1000;
  wakeUs_ = INFINITY;
  for (size_t i = 0; i < conns_.size(); i++) {
    Conn& c = conns_[i];
    if (c.state == ConnState::kAwaiting && now - c.sentUs > timeoutUs) {
      std::string ms = std::to_string(static_cast<long long>(timeoutMs_));
      Fail(i, kTimeout, "no answer within " + ms + " ms");
    } else if (c.state == ConnState::kConnecting && now - c.invokeUs > timeoutUs) {
      Fail(i, kRefused, "cannot connect to " + targets_[c.target].name + ": connect timed out");
    } else if (c.state == ConnState::kPaused && now >= c.pauseUntilUs) {
      Next(i);
    }
    if (c.state == ConnState::kAwaiting) WakeBy(c.sentUs + timeoutUs);
    if (c.state == ConnState::kConnecting) WakeBy(c.invokeUs + timeoutUs);
    if (c.state == ConnState::kPaused) WakeBy(c.pauseUntilUs);
  }
}

}  // namespace

LoopEnd RunLoop(const std::vector<Target>& targets, std::vector<Conn>* conns, const Rules& rules, const Plan& plan,
                Outbox* outbox, const std::atomic<bool>& stop) {
  Loop loop(targets, conns, rules, plan, outbox, stop);
  return loop.Run();
}

}  // namespace http_loader
