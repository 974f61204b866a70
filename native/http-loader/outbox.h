// The hand-off of ended calls from the loop thread to JS while the loop runs: the loop adds each
// call as it ends, JS takes what has ended on a timer, so neither side keeps a run's calls.

#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

#include "calls.h"

namespace http_loader {

class Outbox {
 public:
  // Empty, for a run of `connCount` connections.
  void Reset(size_t connCount);
  // A call starts on `conn`: returns its invoke time, read under the lock so that no Take can
  // announce a watermark past it before the call is known to be in flight.
  double Invoke(size_t conn);
  // The call on `conn` ended; `side` is null when the loop settled it (its value in `value`).
  void End(size_t conn, size_t target, double dueUs, double invokeUs, double value, const Side* side);
  // The calls ended since the last Take; *watermarkUs: every call invoked before it has ended and
  // is in this batch or an earlier one (the oldest invoke still in flight, else now).
  Calls Take(double* watermarkUs);

 private:
  // Blocking, but each holder only stores a few values (Take swaps the vectors): the loop waits
  // at most a few hundred nanoseconds for JS, JS as long for the loop.
  std::mutex mutex_;
  Calls calls_;
  // The invoke time of each connection's call in flight; INFINITY when none is.
  std::vector<double> inFlightUs_;
};

}  // namespace http_loader
