// Framing of HTTP/1.x responses for the load loop, rule for rule as counters/web/response-parser.ts
// frames them: an answer the loop settles is one the JS client would have settled the same way,
// and bytes it refuses go to JS raw, for the JS parser to name the fault.

#pragma once

#include <cstddef>
#include <string>

namespace http_loader {

enum class FrameState { kNeedMore, kDone, kError };

struct Frame {
  FrameState state = FrameState::kNeedMore;
  int status = 0;
  bool keepAlive = true;
  std::string body;
  size_t end = 0;
};

// A longer head (or chunked trailer) or body is refused, not buffered. The values are
// response-parser.ts's MAX_HEAD_BYTES and MAX_BODY_BYTES, handed in from there: no copy here.
struct FrameLimits {
  size_t maxHead = 0;
  size_t maxBody = 0;
};

// One response from the start of p[0, n); `ended`: the server closed after these bytes.
Frame FrameResponse(const char* p, size_t n, bool ended, const FrameLimits& limits);

// Our own server's answer, read without JS: prefix, 1 to maxDigits digits, suffix. The shape is
// answer-count.ts's OWN_ANSWER, handed in from there.
struct OwnAnswer {
  std::string prefix, suffix;
  size_t maxDigits = 0;  // at most 15, so N is exact in a double
};

// N of exactly that answer; -1 otherwise.
double OwnCount(const std::string& body, const OwnAnswer& own);

}  // namespace http_loader
