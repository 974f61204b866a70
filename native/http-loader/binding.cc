// The N-API side of the web counter's load engine: the HttpLoader class that native/http-loader.ts
// types. It checks and copies its config, runs the loop (load-loop.h) on a thread of its own, and
// hands the calls over as typed arrays on the JS thread: those ended so far whenever JS drains
// them during the run (outbox.h), the rest when the run ends.
//
// Answer semantics stay in JS (counters/web/): the loop only frames answers and reads the one exact
// answer our servers send, {"count":N}. Any other answer goes back as status + body, an answer it
// cannot frame as its raw bytes, so the JS parser judges it as the JS client would have.
//
// Built with NAPI_DISABLE_CPP_EXCEPTIONS: misuse sets a pending JS exception and the function
// returns; failed syscalls while running become the call's error (load-loop.cc).

#include <napi.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "calls-to-js.h"
#include "loader-binding.h"
#include "load-loop.h"

namespace http_loader {
namespace {

class HttpLoader : public LoaderBinding<HttpLoader, Conn, LoopEnd> {
 public:
  static constexpr const char* kName = "HttpLoader";
  explicit HttpLoader(const Napi::CallbackInfo& info);

  LoopEnd Loop(const Plan& plan, Outbox* outbox, const std::atomic<bool>& stop) {
    return RunLoop(targets_, &conns_, rules_, plan, outbox, stop);
  }
  static void AddEnd(Napi::Object, const LoopEnd&) {}
  static void CloseConn(Conn* conn) {
    if (conn->fd >= 0) close(conn->fd);
  }

 private:
  std::vector<Target> targets_;
  Rules rules_;
};

void ThrowTypeError(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
}

// A whole number in [min, max], else NAN.
double WholeIn(Napi::Value v, double min, double max) {
  if (!v.IsNumber()) return NAN;
  double d = v.As<Napi::Number>().DoubleValue();
  return d >= min && d <= max && std::floor(d) == d ? d : NAN;
}

// The rules the loop shares with the JS client (load-loop.h). All are required: a default here
// would be a second home for a value that lives on the TS side. False with a pending TypeError.
bool ReadRules(Napi::Env env, Napi::Object config, Rules* rules) {
  Napi::Value timeoutMs = config.Get("timeoutMs"), pauseMs = config.Get("refusedPauseMs");
  // A limit past 2^30 cannot be meant, and keeps the framing's arithmetic far from overflow.
  double maxHead = WholeIn(config.Get("maxHeadBytes"), 1, 1 << 30);
  double maxBody = WholeIn(config.Get("maxBodyBytes"), 1, 1 << 30);
  bool numbers = timeoutMs.IsNumber() && pauseMs.IsNumber() && pauseMs.As<Napi::Number>().DoubleValue() >= 0;
  if (!numbers || std::isnan(maxHead) || std::isnan(maxBody)) {
    ThrowTypeError(env,
                   "timeoutMs, refusedPauseMs (>= 0), maxHeadBytes and maxBodyBytes (whole, 1 to 2^30) are required");
    return false;
  }
  rules->timeoutMs = timeoutMs.As<Napi::Number>().DoubleValue();
  rules->refusedPauseMs = pauseMs.As<Napi::Number>().DoubleValue();
  rules->limits.maxHead = static_cast<size_t>(maxHead);
  rules->limits.maxBody = static_cast<size_t>(maxBody);
  Napi::Value own = config.Get("ownAnswer");
  rules->readOwnAnswer = !own.IsNull();
  if (own.IsNull()) return true;
  const char* shape = "ownAnswer must be null or { prefix, maxDigits (1 to 15), suffix }";
  if (!own.IsObject()) {
    ThrowTypeError(env, shape);
    return false;
  }
  Napi::Object o = own.As<Napi::Object>();
  Napi::Value prefix = o.Get("prefix"), suffix = o.Get("suffix");
  // More than 15 digits would not be exact in a double.
  double maxDigits = WholeIn(o.Get("maxDigits"), 1, 15);
  if (!prefix.IsString() || !suffix.IsString() || std::isnan(maxDigits)) {
    ThrowTypeError(env, shape);
    return false;
  }
  rules->ownAnswer.prefix = prefix.As<Napi::String>().Utf8Value();
  rules->ownAnswer.suffix = suffix.As<Napi::String>().Utf8Value();
  rules->ownAnswer.maxDigits = static_cast<size_t>(maxDigits);
  return true;
}

// config: { targets: [{ name, address, port, request: Buffer }], clientCount, and the Rules:
// timeoutMs, refusedPauseMs, maxHeadBytes, maxBodyBytes, ownAnswer }
HttpLoader::HttpLoader(const Napi::CallbackInfo& info) : LoaderBinding(info) {
  Napi::Env env = info.Env();
  const char* usage =
      "new HttpLoader({ targets, clientCount, timeoutMs, refusedPauseMs, maxHeadBytes, maxBodyBytes, ownAnswer })";
  if (info.Length() != 1 || !info[0].IsObject()) {
    ThrowTypeError(env, usage);
    return;
  }
  Napi::Object config = info[0].As<Napi::Object>();
  Napi::Value targets = config.Get("targets");
  Napi::Value clientCount = config.Get("clientCount");
  if (!targets.IsArray() || !clientCount.IsNumber()) {
    ThrowTypeError(env, usage);
    return;
  }
  if (!ReadRules(env, config, &rules_)) return;
  Napi::Array list = targets.As<Napi::Array>();
  for (uint32_t k = 0; k < list.Length(); k++) {
    Napi::Value item = list.Get(k);
    if (!item.IsObject()) {
      ThrowTypeError(env, usage);
      return;
    }
    Napi::Object t = item.As<Napi::Object>();
    Napi::Value name = t.Get("name"), address = t.Get("address"), port = t.Get("port"), request = t.Get("request");
    if (!name.IsString() || !address.IsString() || !port.IsNumber() || !request.IsBuffer()) {
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
      ThrowTypeError(env, "target address " + ip + " is not an IP address");
      return;
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
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("HttpLoader", HttpLoader::Define(env));
  // The side codes' names, from their one home (load-loop.h): JS never writes a code's number.
  exports.Set("sideTypes", Names(env, kSideTypeNames));
  exports.Set("errorKinds", Names(env, kKindNames));
  return exports;
}

}  // namespace
}  // namespace http_loader

using http_loader::Init;
NODE_API_MODULE(http_loader, Init)