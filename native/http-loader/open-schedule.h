// The open loop's one schedule for a group of connections, shared by both loaders' loops
// (load-loop.cc, pg-loader/pg-loop.cc): the group's k-th call is due at startUs + k * intervalUs / n,
// each due call going to a free connection, and no call falls due past the deadline.

#pragma once

#include <cmath>
#include <vector>

#include "calls.h"
#include "load-loop.h"

namespace http_loader {

class OpenSchedule {
 public:
  // For `n` connections, all free.
  void Reset(const Plan& plan, size_t n) {
    plan_ = plan;
    intervalUs_ = plan.intervalUs / n;
    limit_ = plan.callsPerClient * n;
    issued_ = 0;
    nextDueUs_ = INFINITY;
    free_.clear();
    for (size_t i = n; i-- > 0;) free_.push_back(i);
  }

  void Free(size_t i) { free_.push_back(i); }

  // Starts every call due by `now` on a free connection, start(i, dueUs); notes when the next falls due.
  template <typename Start>
  void Dispatch(double now, Start start) {
    nextDueUs_ = INFINITY;
    while (issued_ < limit_ && !free_.empty()) {
      double due = DueUs();
      if (due > plan_.deadlineUs || now > plan_.deadlineUs) return;
      if (due > now) {
        nextDueUs_ = due;
        return;
      }
      size_t i = free_.back();
      free_.pop_back();
      issued_++;
      start(i, due);
      now = NowUs();
    }
  }

  // No call is left to make: all made, or the next would fall past the deadline (calls still due
  // at the deadline are not made, as client-loop.ts stops at it).
  bool Over() const { return issued_ >= limit_ || DueUs() > plan_.deadlineUs || NowUs() > plan_.deadlineUs; }

  double nextDueUs() const { return nextDueUs_; }

 private:
  double DueUs() const { return plan_.startUs + issued_ * intervalUs_; }

  Plan plan_;
  double intervalUs_ = 0, limit_ = INFINITY, issued_ = 0, nextDueUs_ = INFINITY;
  std::vector<size_t> free_;
};

}  // namespace http_loader
