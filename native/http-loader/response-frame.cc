// Response framing (see response-frame.h): pure functions over bytes, no I/O.

#include "response-frame.h"

#include <cstdlib>
#include <cstring>
#include <string>

namespace http_loader {
namespace {

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
  long long length = -1;  // -1: none; -2: over maxBody
};

// The Content-Length of [from, to) when the line is only digits and blanks, else -1 (or -2).
long long CleanLength(const char* p, size_t from, size_t to, size_t maxBody) {
  size_t i = from;
  while (i < to && (p[i] == ' ' || p[i] == '\t')) i++;
  size_t digits = i;
  long long length = 0;
  while (i < to && IsDigit(p[i])) {
    if (length <= static_cast<long long>(maxBody)) length = length * 10 + (p[i] - '0');
    i++;
  }
  bool some = i > digits;
  while (i < to && (p[i] == ' ' || p[i] == '\t')) i++;
  if (!some || i != to) return -1;
  return length > static_cast<long long>(maxBody) ? -2 : length;
}

Head ReadHead(const char* p, size_t headEnd, size_t maxBody) {
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
      h.length = CleanLength(p, from + 15, to, maxBody);
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

void ChunkedBody(const char* p, size_t n, size_t bodyStart, const FrameLimits& limits, Frame* f) {
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
          if (n - start > limits.maxHead) f->state = FrameState::kError;
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
    if (body.size() + size > limits.maxBody) {
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

}  // namespace

Frame FrameResponse(const char* p, size_t n, bool ended, const FrameLimits& limits) {
  Frame f;
  size_t headEnd = FindHeadEnd(p, n);
  if (headEnd == std::string::npos) {
    if (n > limits.maxHead) f.state = FrameState::kError;
    return f;
  }
  f.state = FrameState::kError;
  if (headEnd < 7 || strncmp(p, "HTTP/1.", 7) != 0) return f;
  bool statusLine = headEnd >= 12 && IsDigit(p[7]) && p[8] == ' ' && IsDigit(p[9]) && IsDigit(p[10]) &&
                    IsDigit(p[11]) && (headEnd == 12 || p[12] == ' ' || p[12] == '\r');
  if (!statusLine) return f;
  f.status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
  if (f.status < 100 || f.status > 599) return f;
  Head h = ReadHead(p, headEnd, limits.maxBody);
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
    ChunkedBody(p, n, bodyStart, limits, &f);
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
  if (f.keepAlive || n - bodyStart > limits.maxBody) {
    f.state = FrameState::kError;
  } else if (ended) {
    f.body.assign(p + bodyStart, n - bodyStart);
    f.end = n;
    f.state = FrameState::kDone;
  }
  return f;
}

double OwnCount(const std::string& body, const OwnAnswer& own) {
  size_t n = body.size(), head = own.prefix.size(), tail = own.suffix.size();
  if (n < head + 1 + tail || n > head + own.maxDigits + tail) return -1;
  if (body.compare(0, head, own.prefix) != 0 || body.compare(n - tail, tail, own.suffix) != 0) return -1;
  double value = 0;
  for (size_t i = head; i < n - tail; i++) {
    if (!IsDigit(body[i])) return -1;
    value = value * 10 + (body[i] - '0');
  }
  return value;
}

}  // namespace http_loader
