// The outbox (see outbox.h).

#include "outbox.h"

#include <cmath>
#include <utility>

namespace http_loader {

void Outbox::Reset(size_t connCount) {
  std::lock_guard<std::mutex> lock(mutex_);
  calls_ = Calls();
  inFlightUs_.assign(connCount, INFINITY);
}

double Outbox::Invoke(size_t conn) {
  std::lock_guard<std::mutex> lock(mutex_);
  double now = NowUs();
  inFlightUs_[conn] = now;
  return now;
}

void Outbox::End(size_t conn, size_t target, double dueUs, double invokeUs, double value, const Side* side) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (side != nullptr) calls_.sides.Add(static_cast<uint32_t>(calls_.clients.size()), target, *side);
  calls_.clients.push_back(static_cast<uint32_t>(conn));
  calls_.dueUs.push_back(dueUs);
  calls_.invokeUs.push_back(invokeUs);
  calls_.completeUs.push_back(NowUs());
  calls_.values.push_back(value);
  inFlightUs_[conn] = INFINITY;
}

Calls Outbox::Take(double* watermarkUs) {
  Calls taken;
  std::lock_guard<std::mutex> lock(mutex_);
  double oldest = NowUs();
  for (double us : inFlightUs_) oldest = us < oldest ? us : oldest;
  *watermarkUs = oldest;
  std::swap(taken, calls_);
  return taken;
}

}  // namespace http_loader
