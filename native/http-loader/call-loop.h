// What the protocol loops (pg-loader/pg-loop.cc, hz-loader/hz-loop.cc) share: each client's calls
// in turn (closed loop) or from the group's one schedule (open loop, open-schedule.h), the epoll
// wait between events, lost races retried under retry-backoff.ts's policy with its full-jitter
// backoff, and pauses. A loop derives from CallLoop (CRTP) and adds its protocol:
//   void Attempt(size_t i);                 a call's attempt from its first step
//   static bool InFlight(const Conn& c);    a request or a connect is outstanding
//   void Event(const epoll_event& event);   a socket's event
//   void Scan(double now);                  timeouts and ended pauses (now >= wakeUs_)
//   void Drop(size_t i);                    closes a client's connection (a call in flight when stopped)
//   void Unwatch(size_t i);                 takes a kept connection out of the run's epoll set
// Its Conn has `state` (an enum with kIdle, kPaused, kDone), callCount, dueUs, invokeUs, retries,
// retrying and pauseUntilUs. Never throws.

#pragma once

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "load-loop.h"
#include "open-schedule.h"
#include "outbox.h"

namespace http_loader {

inline std::string ErrnoText(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? std::string(name) : "ERRNO" + std::to_string(err);
}

// retry-backoff.ts's RetryPolicy.
struct RetryPolicy {
  double maxRetries = 0, baseMs = 0, capMs = 0;
};

// How a protocol loop's run ended: its calls went to the outbox.
struct CallLoopEnd {
  std::string error;  // a failure of the loop itself (epoll), not of a call
  double endUs = 0;
  double retryCount = 0;  // lost races retried, every client's
};

template <typename Derived, typename Conn>
class CallLoop {
 protected:
  CallLoop(std::vector<Conn>* conns, const Plan& plan, Outbox* outbox, const std::atomic<bool>& stop)
      : conns_(*conns), plan_(plan), outbox_(*outbox), stop_(stop), random_(std::random_device{}()) {}

  using State = decltype(Conn::state);

  // The whole run: `prepare(i)` readies each client's connection kept from the last run (watched
  // again, or dropped), then the calls, until every one has ended or the run is stopped.
  template <typename Prepare>
  CallLoopEnd RunCalls(Prepare prepare) {
    CallLoopEnd end;
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) {
      end.error = "epoll_create1: " + ErrnoText(errno);
      return end;
    }
    for (size_t i = 0; i < conns_.size(); i++) {
      conns_[i].callCount = 0;
      conns_[i].state = State::kIdle;
      prepare(i);
    }
    Begin();
    end.error = Poll();
    for (size_t i = 0; i < conns_.size(); i++) {
      // An interrupted run leaves calls in flight: their connections cannot be reused. The others
      // stay open for the next run, out of this run's epoll set.
      if (Derived::InFlight(conns_[i])) self().Drop(i);
      self().Unwatch(i);
    }
    close(epfd_);
    epfd_ = -1;
    end.endUs = NowUs();
    end.retryCount = retryCount_;
    return end;
  }

  // Starts the run's calls: each client's first (closed loop), or the schedule (open loop).
  void Begin() {
    open_ = plan_.intervalUs > 0;
    if (open_) schedule_.Reset(plan_, conns_.size());
    else
      for (size_t i = 0; i < conns_.size(); i++) Next(i);
  }

  // Waits for and hands over events until every call has ended or the run is stopped; the
  // failure of epoll itself, or "".
  std::string Poll() {
    constexpr int kMaxEvents = 256;
    // The longest the loop sleeps without checking whether it should stop.
    constexpr double kMaxWaitUs = 1e6;
    epoll_event events[kMaxEvents];
    while (!Finished() && !stop_.load(std::memory_order_relaxed)) {
      double now = NowUs();
      if (open_) Dispatch(now);
      // No spinning: the servers need the CPU more than the loop needs a fast wake-up.
      double waitUs = std::min(std::min(wakeUs_, schedule_.nextDueUs()) - now, kMaxWaitUs);
      timespec wait{};
      if (waitUs > 0) {
        wait.tv_sec = static_cast<time_t>(waitUs / 1e6);
        wait.tv_nsec = static_cast<long>(std::fmod(waitUs, 1e6) * 1e3);
      }
      int count = epoll_pwait2(epfd_, events, kMaxEvents, &wait, nullptr);
      if (count < 0 && errno != EINTR) return "epoll_pwait2: " + ErrnoText(errno);
      for (int k = 0; k < count; k++) self().Event(events[k]);
      now = NowUs();
      if (now >= wakeUs_) self().Scan(now);
    }
    return "";
  }

  bool Finished() const {
    for (const Conn& c : conns_) {
      if (Derived::InFlight(c)) return false;
      if (c.state == State::kPaused && c.retrying) return false;  // a call waiting for its retry
      if (!open_ && c.state != State::kDone) return false;
    }
    return !open_ || schedule_.Over();
  }

  // Open loop, as in the web loop (load-loop.cc): one schedule for the group, each due call to a free client.
  void Dispatch(double now) {
    schedule_.Dispatch(now, [this](size_t i, double dueUs) { Start(i, dueUs); });
  }

  // The client's next call, now (closed loop), or its return to the free list (open loop).
  void Next(size_t i) {
    Conn& c = conns_[i];
    c.state = State::kIdle;
    if (open_) {
      schedule_.Free(i);
      Dispatch(NowUs());
      return;
    }
    if (c.callCount >= plan_.callsPerClient || NowUs() > plan_.deadlineUs) {
      c.state = State::kDone;
      return;
    }
    Start(i, NowUs());
  }

  void Start(size_t i, double dueUs) {
    Conn& c = conns_[i];
    c.callCount++;
    c.dueUs = dueUs;
    c.invokeUs = outbox_.Invoke(i);
    c.retries = 0;
    self().Attempt(i);
  }

  // retry-backoff.ts's retryLostRaces after a lost race: false when the retries are spent, else the
  // attempt again now or after a full-jitter wait.
  bool Retry(size_t i, const RetryPolicy& policy) {
    Conn& c = conns_[i];
    if (c.retries >= policy.maxRetries) return false;
    double window = std::min(policy.capMs, policy.baseMs * std::pow(2, std::min(c.retries, 30.0)));
    double delayMs = std::uniform_real_distribution<double>(0, 1)(random_) * window;
    c.retries++;
    retryCount_++;
    if (delayMs < 1) self().Attempt(i);
    else Pause(i, delayMs, true);
    return true;
  }

  // The client waits `ms`, then retries its call (`retrying`) or makes its next.
  void Pause(size_t i, double ms, bool retrying) {
    Conn& c = conns_[i];
    c.state = State::kPaused;
    c.retrying = retrying;
    c.pauseUntilUs = NowUs() + ms * 1000;
    WakeBy(c.pauseUntilUs);
  }

  // Scan's part for a paused client whose pause has ended.
  void Resume(size_t i, double now) {
    Conn& c = conns_[i];
    if (c.state != State::kPaused || now < c.pauseUntilUs) return;
    if (c.retrying) self().Attempt(i);
    else Next(i);
  }

  void WakeBy(double us) { wakeUs_ = std::min(wakeUs_, us); }

  std::vector<Conn>& conns_;
  Plan plan_;
  Outbox& outbox_;
  const std::atomic<bool>& stop_;
  int epfd_ = -1;
  std::mt19937_64 random_;
  bool open_ = false;
  double wakeUs_ = INFINITY;
  double retryCount_ = 0;
  OpenSchedule schedule_;

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
};

}  // namespace http_loader
