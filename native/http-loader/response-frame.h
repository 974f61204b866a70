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

// One response from the start of p[0, n); `ended`: the server closed after these bytes.
Frame FrameResponse(const char* p, size_t n, bool ended);

// N of exactly {"count":N}, N of 1 to 15 digits (answer-count.ts's OWN_ANSWER); -1 otherwise.
double OwnCount(const std::string& body);

}  // namespace http_loader
