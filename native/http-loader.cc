// The web counter's load engine: one epoll loop on a thread of its own drives a
// group of keep-alive HTTP/1.1 connections, one request in flight on each, and
// records every call (client, due, invoke, complete, value, outcome) in plain
// columns that become the typed-array history the checkers read.
//
// Answer semantics stay in JS (counters/web/): this loop only frames answers
// (the rules of response-parser.ts) and reads the one exact answer our servers
// send, {"count":N}. Any other answer goes back as status + body, an answer it
// cannot frame as its raw bytes, so the JS parser judges it as the JS client
// would have.
//
// Built with NAPI_DISABLE_CPP_EXCEPTIONS: misuse sets a pending JS exception
// and the function returns; failed syscalls while running become the call's
// error, named as Node names them ("connect ECONNREFUSED 127.0.0.1:8080").

#include <napi.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

// Limits of response-parser.ts: a longer head or body is refused, not buffered.
constexpr size_t kMaxHead = 16 * 1024;
constexpr size_t kMaxBody = 64 * 1024;
// A server that is down refuses at once: pause, as client-loop.ts does.
constexpr double kRefusedPauseUs = 20000;
constexpr int kMaxEvents = 256;
// How long the loop polls for an answer before it sleeps.
constexpr double kSpinUs = 50;
// The longest the loop sleeps without checking whether it should stop.
constexpr double kMaxWaitUs = 1e6;

// Outcome codes of history.ts, plus one for answers JS judges.
constexpr uint8_t kOk = 0;
constexpr uint8_t kFailed = 1;
constexpr uint8_t kIndeterminate = 2;
constexpr uint8_t kJudgeInJs = 3;

// The same clock as monotonicUs(): libuv's hrtime reads CLOCK_MONOTONIC.
double NowUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? std::string(name) : "ERRNO" + std::to_string(err);
}

// ---- Framing (response-parser.ts, rule for rule) ---------------------------

enum class FrameState { kNeedMore, kDone, kError };

struct Frame {
  FrameState state = FrameState::kNeedMore;
  int status = 0;
  bool keepAlive = true;
  std::string body;
  size_t end = 0;
};

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (Lower(c) >= 'a' && Lower(c) <= 'f'); }

// Offset of the first CRLF in [from, to), or npos. memchr: memmem is slow on needles this short.
size_t FindCrlf(const char* p, size_t from, size_t to) {
  for (size_t at = from; at + 1 < to;) {
    const void* cr = memchr(p + at, '\r', to - at - 1);
    if (cr == nullptr) return std::string::npos;
    at = static_cast<const char*>(cr) - p;
    if (p[at + 1] == '\n') return at;
    at++;
  }
  return std::string::npos;
}

// Offset of the first CRLF CRLF in [0, n), or npos.
size_t FindHeadEnd(const char* p, size_t n) {
  for (size_t at = FindCrlf(p, 0, n); at != std::string::npos; at = FindCrlf(p, at + 2, n)) {
    if (at + 3 < n && p[at + 2] == '\r' && p[at + 3] == '\n') return at;
  }
  return std::string::npos;
}

// Whether [from, to) starts with `name` (lower case), case-insensitively.
bool StartsNoCase(const char* p, size_t from, size_t to, const char* name) {
  size_t n = strlen(name);
  if (to - from < n) return false;
  for (size_t k = 0; k < n; k++)
    if (Lower(p[from + k]) != name[k]) return false;
  return true;
}

// What framing needs from the head, read in one pass over its lines as response-parser.ts's
// regexes read it: the first Connection and Transfer-Encoding values (up to the first CR), and
// the first Content-Length line holding only digits.
struct Head {
  bool hasConnection = false, hasEncoding = false;
  std::string connection, encoding;
  long long length = -1;  // -1: none; -2: over kMaxBody
};

// The Content-Length of [from, to) when the line is only digits and blanks, else -1 (or -2).
long long CleanLength(const char* p, size_t from, size_t to) {
  size_t i = from;
  while (i < to && (p[i] == ' ' || p[i] == '\t')) i++;
  size_t digits = i;
  long long length = 0;
  while (i < to && IsDigit(p[i])) {
    if (length <= static_cast<long long>(kMaxBody)) length = length * 10 + (p[i] - '0');
    i++;
  }
  bool some = i > digits;
  while (i < to && (p[i] == ' ' || p[i] == '\t')) i++;
  if (!some || i != to) return -1;
  return length > static_cast<long long>(kMaxBody) ? -2 : length;
}

Head ReadHead(const char* p, size_t headEnd) {
  Head h;
  for (size_t lineEnd = FindCrlf(p, 0, headEnd); lineEnd != std::string::npos;) {
    size_t from = lineEnd + 2;
    lineEnd = FindCrlf(p, from, headEnd);
    size_t to = lineEnd == std::string::npos ? headEnd : lineEnd;
    auto value = [&](size_t skip) {
      size_t start = from + skip, stop = start;
      while (stop < headEnd && p[stop] != '\r') stop++;
      return std::string(p + start, stop - start);
    };
    if (!h.hasConnection && StartsNoCase(p, from, to, "connection:")) {
      h.hasConnection = true;
      h.connection = value(11);
    } else if (!h.hasEncoding && StartsNoCase(p, from, to, "transfer-encoding:")) {
      h.hasEncoding = true;
      h.encoding = value(18);
    } else if (h.length == -1 && StartsNoCase(p, from, to, "content-length:")) {
      h.length = CleanLength(p, from + 15, to);
    }
  }
  return h;
}

bool KeepsAlive(const char* p, const Head& h) {
  std::string connection = h.connection;
  for (char& c : connection) c = Lower(c);
  if (h.hasConnection && connection.find("close") != std::string::npos) return false;
  return strncmp(p, "HTTP/1.1", 8) == 0 || (h.hasConnection && connection.find("keep-alive") != std::string::npos);
}

// JS String.prototype.trim on a latin1 string, for the whitespace a header can hold.
std::string Trim(const std::string& s) {
  auto space = [](unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0; };
  size_t a = 0, b = s.size();
  while (a < b && space(s[a])) a++;
  while (b > a && space(s[b - 1])) b--;
  return s.substr(a, b - a);
}

bool ChunkSizeLine(const char* p, size_t from, size_t to, size_t* size) {
  size_t i = from;
  while (i < to && i - from < 8 && IsHex(p[i])) i++;
  if (i == from || (i < to && IsHex(p[i]))) return false;
  *size = strtoul(std::string(p + from, i - from).c_str(), nullptr, 16);
  while (i < to && (p[i] == ' ' || p[i] == '\t')) i++;
  if (i == to) return true;
  if (p[i] != ';') return false;
  for (size_t k = i; k < to; k++)
    if (p[k] == '\n' || p[k] == '\r') return false;
  return true;
}

void ChunkedBody(const char* p, size_t n, size_t bodyStart, Frame* f) {
  size_t offset = bodyStart;
  std::string body;
  for (;;) {
    size_t lineEnd = FindCrlf(p, offset, n);
    if (lineEnd == std::string::npos) return;
    size_t size;
    if (!ChunkSizeLine(p, offset, lineEnd, &size)) {
      f->state = FrameState::kError;
      return;
    }
    if (size == 0) {
      size_t start = lineEnd + 2;
      for (size_t line = start;;) {
        size_t end = FindCrlf(p, line, n);
        if (end == std::string::npos) {
          if (n - start > kMaxHead) f->state = FrameState::kError;
          return;
        }
        if (end == line) {
          f->body = std::move(body);
          f->end = end + 2;
          f->state = FrameState::kDone;
          return;
        }
        line = end + 2;
      }
    }
    if (body.size() + size > kMaxBody) {
      f->state = FrameState::kError;
      return;
    }
    size_t dataEnd = lineEnd + 2 + size;
    if (n < dataEnd + 2) return;
    if (p[dataEnd] != '\r' || p[dataEnd + 1] != '\n') {
      f->state = FrameState::kError;
      return;
    }
    body.append(p + lineEnd + 2, size);
    offset = dataEnd + 2;
  }
}

// One response from the start of p[0, n); `ended`: the server closed after these bytes.
Frame FrameResponse(const char* p, size_t n, bool ended) {
  Frame f;
  size_t headEnd = FindHeadEnd(p, n);
  if (headEnd == std::string::npos) {
    if (n > kMaxHead) f.state = FrameState::kError;
    return f;
  }
  f.state = FrameState::kError;
  if (headEnd < 7 || strncmp(p, "HTTP/1.", 7) != 0) return f;
  bool statusLine = headEnd >= 12 && IsDigit(p[7]) && p[8] == ' ' && IsDigit(p[9]) && IsDigit(p[10]) &&
                    IsDigit(p[11]) && (headEnd == 12 || p[12] == ' ' || p[12] == '\r');
  if (!statusLine) return f;
  f.status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
  if (f.status < 100 || f.status > 599) return f;
  Head h = ReadHead(p, headEnd);
  f.keepAlive = KeepsAlive(p, h);
  size_t bodyStart = headEnd + 4;
  f.state = FrameState::kNeedMore;
  if (h.hasEncoding) {
    std::string trimmed = Trim(h.encoding);
    for (char& c : trimmed) c = Lower(c);
    if (trimmed != "chunked") {
      f.state = FrameState::kError;
      return f;
    }
    ChunkedBody(p, n, bodyStart, &f);
    return f;
  }
  long long length = h.length;
  if (length == -2) {
    f.state = FrameState::kError;
    return f;
  }
  if (length == -1 && (f.status < 200 || f.status == 204 || f.status == 304)) length = 0;
  if (length >= 0) {
    if (n < bodyStart + length) return f;
    f.body.assign(p + bodyStart, length);
    f.end = bodyStart + length;
    f.state = FrameState::kDone;
    return f;
  }
  // No length: the close ends the body, which only a closing connection may do.
  if (f.keepAlive || n - bodyStart > kMaxBody) {
    f.state = FrameState::kError;
  } else if (ended) {
    f.body.assign(p + bodyStart, n - bodyStart);
    f.end = n;
    f.state = FrameState::kDone;
  }
  return f;
}

// N of exactly {"count":N}, N of 1 to 15 digits (answer-count.ts's OWN_ANSWER); -1 otherwise.
double OwnCount(const std::string& body) {
  const char prefix[] = "{\"count\":";
  size_t n = body.size();
  if (n < 11 || n > 25 || body.compare(0, 9, prefix) != 0 || body[n - 1] != '}') return -1;
  double value = 0;
  for (size_t i = 9; i < n - 1; i++) {
    if (!IsDigit(body[i])) return -1;
    value = value * 10 + (body[i] - '0');
  }
  return value;
}

// ---- The loop --------------------------------------------------------------

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

// What JS turns into a call's outcome: an answer other than ours, a failure, or bytes that cannot be framed.
enum SideType : uint8_t { kAnswer, kError, kUnframed };
// The error kinds the loop itself decides (counter-error.ts); protocol for unframeable bytes.
enum Kind : uint8_t { kNoKind, kRefused, kReset, kTimeout, kProtocol };

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

struct Plan {
  double startUs = 0;
  double deadlineUs = INFINITY;
  double callsPerClient = INFINITY;
  double intervalUs = 0;  // per client; 0 = closed loop
};

struct Columns {
  std::vector<uint32_t> clients;
  std::vector<double> dueUs, invokeUs, completeUs, values;
  std::vector<uint8_t> outcomes;
  Sides sides;
  std::string error;  // a failure of the loop itself (epoll), not of a call
  double endUs = 0;
};

class Loop {
 public:
  Loop(std::vector<Target>* targets, std::vector<Conn>* conns, double timeoutMs, bool fastCount,
       const Plan& plan, double* progress, std::atomic<bool>* stop)
      : targets_(*targets), conns_(*conns), timeoutMs_(timeoutMs), fastCount_(fastCount), plan_(plan),
        progress_(progress), stop_(*stop) {}

  Columns Run();

 private:
  bool Setup();
  void Start(size_t i, double dueUs);
  void Connect(size_t i);
  void Connected(size_t i);
  void Send(size_t i);
  void Readable(size_t i);
  void Answer(size_t i);
  void Fail(size_t i, uint8_t outcome, Kind kind, const std::string& message);
  // `failing`: a call JS has yet to judge that will fail whatever it holds (a status outside 2xx).
  void Record(size_t i, uint8_t outcome, double value, bool failing = false);
  void Drop(size_t i);
  void Next(size_t i);
  void Scan(double now);
  void WakeBy(double us) { wakeUs_ = us < wakeUs_ ? us : wakeUs_; }
  void Dispatch(double now);
  bool Finished() const;
  bool Watch(size_t i, uint32_t events, int op);
  int Poll(epoll_event* events, double waitUs);

  std::vector<Target>& targets_;
  std::vector<Conn>& conns_;
  double timeoutMs_;
  bool fastCount_;
  Plan plan_;
  double* progress_;
  std::atomic<bool>& stop_;
  Columns out_;
  int epfd_ = -1;
  // Open loop: one schedule for the group, the next call due goes to any free connection.
  bool open_ = false;
  double groupIntervalUs_ = 0;
  double callLimit_ = INFINITY;
  double issued_ = 0;
  std::vector<size_t> free_;
  // Open loop: when the next call is due, if a connection is free for it.
  double nextDueUs_ = INFINITY;
  // The earliest timeout or end of a pause: the loop sleeps until then, not on a short tick, which
  // cost a third of the rate at one connection.
  double wakeUs_ = INFINITY;
  char buf_[65536];
};

bool Loop::Setup() {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) {
    out_.error = "epoll_create1: " + ErrnoName(errno);
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

Columns Loop::Run() {
  open_ = plan_.intervalUs > 0;
  if (!Setup()) return std::move(out_);
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
    groupIntervalUs_ = plan_.intervalUs / n;
    callLimit_ = plan_.callsPerClient * n;
    for (size_t i = n; i-- > 0;) free_.push_back(i);
  } else {
    for (size_t i = 0; i < n; i++) Next(i);
  }
  epoll_event events[kMaxEvents];
  while (!Finished()) {
    if (stop_.load(std::memory_order_relaxed)) break;
    double now = NowUs();
    if (open_) Dispatch(now);
    double wakeAt = std::min(wakeUs_, nextDueUs_);
    // An answer due within microseconds is polled for rather than slept on: waking a thread from
    // an idle CPU costs more than the round trip of one request to a fast local server.
    double spinEnd = std::min(now + kSpinUs, wakeAt);
    int count = Poll(events, 0);
    while (count == 0 && NowUs() < spinEnd) count = Poll(events, 0);
    // A call due later is slept on until shortly before it, then polled for, for the same reason.
    double sleepUntil = nextDueUs_ <= wakeUs_ ? nextDueUs_ - kSpinUs : wakeUs_;
    if (count == 0) count = Poll(events, std::min(sleepUntil - NowUs(), kMaxWaitUs));
    if (count < 0 && errno != EINTR) {
      out_.error = "epoll_pwait2: " + ErrnoName(errno);
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
  out_.endUs = NowUs();
  return std::move(out_);
}

bool Loop::Finished() const {
  for (const Conn& c : conns_) {
    if (c.state == ConnState::kAwaiting || c.state == ConnState::kConnecting) return false;
    if (!open_ && c.state != ConnState::kDone) return false;
  }
  if (!open_) return true;
  double due = plan_.startUs + issued_ * groupIntervalUs_;
  // Calls still due at the deadline are not made, as client-loop.ts stops at it.
  return issued_ >= callLimit_ || due > plan_.deadlineUs || NowUs() > plan_.deadlineUs;
}

// Open loop: every call that is due goes out on a free connection; the loop sleeps until the next.
void Loop::Dispatch(double now) {
  nextDueUs_ = INFINITY;
  while (issued_ < callLimit_ && !free_.empty()) {
    double due = plan_.startUs + issued_ * groupIntervalUs_;
    if (due > plan_.deadlineUs || now > plan_.deadlineUs) return;
    if (due > now) {
      nextDueUs_ = due;
      return;
    }
    size_t i = free_.back();
    free_.pop_back();
    issued_++;
    Start(i, due);
    now = NowUs();
  }
}

// Closed loop: the connection's next call, now, unless its calls or the run are over.
void Loop::Next(size_t i) {
  Conn& c = conns_[i];
  if (open_) {
    c.state = ConnState::kIdle;
    free_.push_back(i);
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
  c.invokeUs = NowUs();
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
    Fail(i, kFailed, kRefused, "cannot connect to " + t.name + ": socket " + ErrnoName(errno));
    return;
  }
  int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int r = connect(c.fd, reinterpret_cast<const sockaddr*>(&t.addr), t.addrLen);
  if (r < 0 && errno != EINPROGRESS) {
    Fail(i, kFailed, kRefused, "cannot connect to " + t.name + ": connect " + ErrnoName(errno) + " " + t.address);
    return;
  }
  c.state = ConnState::kConnecting;
  WakeBy(c.invokeUs + timeoutMs_ * 1000);
  if (!Watch(i, EPOLLOUT, EPOLL_CTL_ADD)) {
    Fail(i, kFailed, kRefused, "cannot connect to " + t.name + ": epoll_ctl " + ErrnoName(errno));
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
    Fail(i, kFailed, kRefused, "cannot connect to " + t.name + ": connect " + ErrnoName(err) + " " + t.address);
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
    Fail(i, kIndeterminate, kReset, "connection error: write " + ErrnoName(errno));
  } else if (static_cast<size_t>(sent) != request.size()) {
    // One small request on an idle connection fits its send buffer; anything else is broken.
    Fail(i, kIndeterminate, kReset, "connection error: short write");
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
    Fail(i, kIndeterminate, kReset, "connection error: read " + ErrnoName(errno));
    return;
  }
  if (r == 0) c.ended = true;
  else c.in.append(buf_, r);
  Answer(i);
}

void Loop::Answer(size_t i) {
  Conn& c = conns_[i];
  Frame f = FrameResponse(c.in.data(), c.in.size(), c.ended);
  if (f.state == FrameState::kNeedMore) {
    if (c.ended) Fail(i, kIndeterminate, kReset, "connection closed by server");
    return;
  }
  uint32_t index = static_cast<uint32_t>(out_.outcomes.size());
  if (f.state == FrameState::kError) {
    out_.sides.Add(index, c.target, kUnframed, 0, c.ended, kProtocol, c.in);
    Record(i, kIndeterminate, NAN);
    Drop(i);
    Next(i);
    return;
  }
  double own = fastCount_ && f.status >= 200 && f.status < 300 ? OwnCount(f.body) : -1;
  if (own >= 0) {
    Record(i, kOk, own);
  } else {
    out_.sides.Add(index, c.target, kAnswer, static_cast<uint16_t>(f.status), f.keepAlive, kNoKind, f.body);
    // A status outside 2xx fails in JS whatever the body: the progress bar shows it as an error now,
    // not only once the run is over.
    Record(i, kJudgeInJs, NAN, f.status < 200 || f.status >= 300);
  }
  c.in.erase(0, f.end);
  bool reusable = f.keepAlive && !c.ended;
  // Bytes after the answer: a whole unrequested response, or bytes the stream cannot frame, end the
  // connection; a partial one waits, as in the JS parser.
  if (reusable && !c.in.empty()) {
    reusable = FrameResponse(c.in.data(), c.in.size(), false).state == FrameState::kNeedMore;
  }
  if (!reusable) Drop(i);
  Next(i);
}

void Loop::Fail(size_t i, uint8_t outcome, Kind kind, const std::string& message) {
  Conn& c = conns_[i];
  uint32_t index = static_cast<uint32_t>(out_.outcomes.size());
  out_.sides.Add(index, c.target, kError, 0, false, kind, message);
  Record(i, outcome, NAN);
  Drop(i);
  if (outcome == kFailed) {
    c.state = ConnState::kPaused;
    c.pauseUntilUs = NowUs() + kRefusedPauseUs;
    WakeBy(c.pauseUntilUs);
    return;
  }
  Next(i);
}

void Loop::Record(size_t i, uint8_t outcome, double value, bool failing) {
  Conn& c = conns_[i];
  out_.clients.push_back(static_cast<uint32_t>(i));
  out_.dueUs.push_back(c.dueUs);
  out_.invokeUs.push_back(c.invokeUs);
  out_.completeUs.push_back(NowUs());
  out_.values.push_back(value);
  out_.outcomes.push_back(outcome);
  if (!failing && (outcome == kOk || outcome == kJudgeInJs)) progress_[0]++;
  else progress_[1]++;
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
      Fail(i, kIndeterminate, kTimeout, "no answer within " + ms + " ms");
    } else if (c.state == ConnState::kConnecting && now - c.invokeUs > timeoutUs) {
      Fail(i, kFailed, kRefused, "cannot connect to " + targets_[c.target].name + ": connect timed out");
    } else if (c.state == ConnState::kPaused && now >= c.pauseUntilUs) {
      Next(i);
    }
    if (c.state == ConnState::kAwaiting) WakeBy(c.sentUs + timeoutUs);
    if (c.state == ConnState::kConnecting) WakeBy(c.invokeUs + timeoutUs);
    if (c.state == ConnState::kPaused) WakeBy(c.pauseUntilUs);
  }
}

// ---- The JS class ----------------------------------------------------------

class HttpLoader : public Napi::ObjectWrap<HttpLoader> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "HttpLoader",
                       {InstanceMethod("run", &HttpLoader::RunMethod), InstanceMethod("close", &HttpLoader::Close)});
  }
  explicit HttpLoader(const Napi::CallbackInfo& info);
  ~HttpLoader() override { Release(); }

 private:
  Napi::Value RunMethod(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  void Deliver(Napi::Env env, Napi::Function done);
  void Release();

  std::vector<Target> targets_;
  std::vector<Conn> conns_;
  double timeoutMs_ = 0;
  bool fastCount_ = true;
  std::thread thread_;
  bool running_ = false;
  std::atomic<bool> stop_{false};
  Columns result_;
  Napi::ThreadSafeFunction tsfn_;
  Napi::Reference<Napi::Float64Array> progress_;
};

void ThrowTypeError(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
}

// config: { targets: [{ name, address, family, port, request: Buffer }], clientCount, timeoutMs, fastCount }
HttpLoader::HttpLoader(const Napi::CallbackInfo& info) : Napi::ObjectWrap<HttpLoader>(info) {
  Napi::Env env = info.Env();
  const char* usage = "new HttpLoader({ targets, clientCount, timeoutMs, fastCount })";
  if (info.Length() != 1 || !info[0].IsObject()) {
      ThrowTypeError(env, usage);
      return;
    }
  Napi::Object config = info[0].As<Napi::Object>();
  Napi::Value targets = config.Get("targets");
  Napi::Value clientCount = config.Get("clientCount");
  Napi::Value timeoutMs = config.Get("timeoutMs");
  if (!targets.IsArray() || !clientCount.IsNumber() || !timeoutMs.IsNumber()) {
      ThrowTypeError(env, usage);
      return;
    }
  Napi::Array list = targets.As<Napi::Array>();
  for (uint32_t k = 0; k < list.Length(); k++) {
    Napi::Value item = list.Get(k);
    if (!item.IsObject()) {
      ThrowTypeError(env, usage);
      return;
    }
    Napi::Object t = item.As<Napi::Object>();
    Napi::Value name = t.Get("name"), address = t.Get("address"), port = t.Get("port"), request = t.Get("request");
    if (!name.IsString() || !address.IsString() || !port.IsNumber() || !request.IsBuffer())
      {
      ThrowTypeError(env, "each target needs name, address, port and request (a Buffer)");
      return;
    }
    Target target{};
    std::string ip = address.As<Napi::String>().Utf8Value();
    uint16_t portNumber = static_cast<uint16_t>(port.As<Napi::Number>().Uint32Value());
    auto* v4 = reinterpret_cast<sockaddr_in*>(&target.addr);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&target.addr);
    if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(portNumber);
      target.addrLen = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(portNumber);
      target.addrLen = sizeof(sockaddr_in6);
    } else {
      {
      ThrowTypeError(env, "target address " + ip + " is not an IP address");
      return;
    }
    }
    target.name = name.As<Napi::String>().Utf8Value();
    target.address = ip + ":" + std::to_string(portNumber);
    Napi::Buffer<char> bytes = request.As<Napi::Buffer<char>>();
    target.request.assign(bytes.Data(), bytes.Length());
    targets_.push_back(std::move(target));
  }
  uint32_t count = clientCount.As<Napi::Number>().Uint32Value();
  if (targets_.empty() || count == 0) {
      ThrowTypeError(env, "need at least one target and one client");
      return;
    }
  conns_.resize(count);
  for (uint32_t i = 0; i < count; i++) conns_[i].target = i % targets_.size();
  timeoutMs_ = timeoutMs.As<Napi::Number>().DoubleValue();
  Napi::Value fast = config.Get("fastCount");
  fastCount_ = !fast.IsBoolean() || fast.As<Napi::Boolean>().Value();
}

Napi::Value NumberOr(Napi::Object plan, const char* key, double fallback) {
  Napi::Value v = plan.Get(key);
  return v.IsNumber() ? v : Napi::Number::New(plan.Env(), fallback);
}

// run(plan, progress: Float64Array(2), done: (result) => void)
Napi::Value HttpLoader::RunMethod(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3 || !info[0].IsObject() || !info[1].IsTypedArray() || !info[2].IsFunction()) {
    ThrowTypeError(env, "run(plan, progress: Float64Array, done: function)");
    return env.Undefined();
  }
  Napi::TypedArray progress = info[1].As<Napi::TypedArray>();
  if (progress.TypedArrayType() != napi_float64_array || progress.ElementLength() < 2) {
    ThrowTypeError(env, "progress must be a Float64Array of 2");
    return env.Undefined();
  }
  if (running_ || conns_.empty()) {
    Napi::Error::New(env, running_ ? "HttpLoader is running" : "HttpLoader is closed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object p = info[0].As<Napi::Object>();
  Plan plan;
  plan.startUs = NumberOr(p, "startUs", NowUs()).As<Napi::Number>().DoubleValue();
  plan.deadlineUs = NumberOr(p, "deadlineUs", INFINITY).As<Napi::Number>().DoubleValue();
  plan.callsPerClient = NumberOr(p, "callsPerClient", INFINITY).As<Napi::Number>().DoubleValue();
  plan.intervalUs = NumberOr(p, "intervalUs", 0).As<Napi::Number>().DoubleValue();
  progress_ = Napi::Persistent(progress.As<Napi::Float64Array>());
  double* counters = progress.As<Napi::Float64Array>().Data();
  tsfn_ = Napi::ThreadSafeFunction::New(env, info[2].As<Napi::Function>(), "http-loader", 0, 1);
  if (env.IsExceptionPending()) {
    progress_.Reset();
    return env.Undefined();
  }
  running_ = true;
  stop_ = false;
  Ref();
  thread_ = std::thread([this, plan, counters]() {
    Loop loop(&targets_, &conns_, timeoutMs_, fastCount_, plan, counters, &stop_);
    result_ = loop.Run();
    tsfn_.BlockingCall([this](Napi::Env env, Napi::Function done) { Deliver(env, done); });
    tsfn_.Release();
  });
  return env.Undefined();
}

template <typename T, typename Array>
Array Column(Napi::Env env, const std::vector<T>& values) {
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, values.size() * sizeof(T));
  if (!values.empty()) memcpy(buffer.Data(), values.data(), values.size() * sizeof(T));
  return Array::New(env, values.size(), buffer, 0);
}

void HttpLoader::Deliver(Napi::Env env, Napi::Function done) {
  thread_.join();
  running_ = false;
  progress_.Reset();
  Columns columns = std::move(result_);
  Napi::Object result = Napi::Object::New(env);
  result.Set("clientIndex", Column<uint32_t, Napi::Uint32Array>(env, columns.clients));
  result.Set("dueUs", Column<double, Napi::Float64Array>(env, columns.dueUs));
  result.Set("invokeUs", Column<double, Napi::Float64Array>(env, columns.invokeUs));
  result.Set("completeUs", Column<double, Napi::Float64Array>(env, columns.completeUs));
  result.Set("values", Column<double, Napi::Float64Array>(env, columns.values));
  result.Set("outcomes", Column<uint8_t, Napi::Uint8Array>(env, columns.outcomes));
  const Sides& s = columns.sides;
  Napi::Object sides = Napi::Object::New(env);
  sides.Set("index", Column<uint32_t, Napi::Uint32Array>(env, s.index));
  sides.Set("target", Column<uint32_t, Napi::Uint32Array>(env, s.target));
  sides.Set("end", Column<uint32_t, Napi::Uint32Array>(env, s.end));
  sides.Set("status", Column<uint16_t, Napi::Uint16Array>(env, s.status));
  sides.Set("type", Column<uint8_t, Napi::Uint8Array>(env, s.type));
  sides.Set("flag", Column<uint8_t, Napi::Uint8Array>(env, s.flag));
  sides.Set("kind", Column<uint8_t, Napi::Uint8Array>(env, s.kind));
  sides.Set("bytes", Napi::Buffer<char>::Copy(env, s.bytes.data(), s.bytes.size()));
  result.Set("sides", sides);
  result.Set("endUs", columns.endUs);
  if (!columns.error.empty()) result.Set("error", columns.error);
  Unref();
  done.Call({result});
}

Napi::Value HttpLoader::Close(const Napi::CallbackInfo& info) {
  if (running_) {
    Napi::Error::New(info.Env(), "HttpLoader.close: a run is in progress").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  Release();
  return info.Env().Undefined();
}

void HttpLoader::Release() {
  if (thread_.joinable()) {
    stop_ = true;
    thread_.join();
  }
  for (Conn& c : conns_)
    if (c.fd >= 0) close(c.fd);
  conns_.clear();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("HttpLoader", HttpLoader::Define(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(http_loader, Init)
