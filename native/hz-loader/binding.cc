// The N-API side of the Hazelcast load engine: the HzLoader class that native/hz-loader.ts types.
// It checks and copies its config (the method's requests, encoded by TS with hazelcast-client's
// codecs), runs the loop (hz-loop.h) on a thread of its own, and hands the calls over as typed
// arrays (../http-loader/calls-to-js.h), as the other loaders do. A failed call goes to JS as a
// side whose status is its Failure code, whose flag says whether it may have applied the
// increment, and whose bytes are an error answer, a Data, or a one-line reason.
//
// Built with NAPI_DISABLE_CPP_EXCEPTIONS: misuse sets a pending JS exception and the function returns.

#include <arpa/inet.h>
#include <napi.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "../http-loader/calls-to-js.h"
#include "../http-loader/config-read.h"
#include "../http-loader/loader-binding.h"
#include "hz-loop.h"

namespace hz_loader {
namespace {

using http_loader::CodeOf;
using http_loader::ConfigArg;
using http_loader::NumberIn;
using http_loader::ReadRetry;
using http_loader::ThrowTypeError;

std::string BytesOf(Napi::Value value) {
  Napi::Buffer<char> buffer = value.As<Napi::Buffer<char>>();
  return std::string(buffer.Data(), buffer.Length());
}

// { request: Buffer, patches: [{ at, what }], read, at, writes, ifNull, ifValue, guarded, always, resend,
// timeoutMs, keepFrame, backupAware }; false with a pending TypeError.
bool ReadStep(Napi::Env env, Napi::Value value, Step* step) {
  const char* shape =
      "a step is { request: Buffer, patches: [{ at, what }], read, at, writes, ifNull, ifValue, guarded, always, "
      "resend, timeoutMs, keepFrame, backupAware }";
  if (!value.IsObject()) return ThrowTypeError(env, shape), false;
  Napi::Object o = value.As<Napi::Object>();
  Napi::Value request = o.Get("request"), patches = o.Get("patches");
  int read = CodeOf(o.Get("read"), kReadNames);
  double at = NumberIn(o, "at", 0), keepFrame = NumberIn(o, "keepFrame", -1), timeoutMs = NumberIn(o, "timeoutMs", 0);
  if (!request.IsBuffer() || std::isnan(keepFrame) || std::isnan(timeoutMs) || !o.Get("guarded").IsBoolean() ||
      !o.Get("always").IsBoolean() || !o.Get("resend").IsBoolean() || !patches.IsArray() || read < 0 || std::isnan(at) || !o.Get("writes").IsBoolean() ||
      !o.Get("ifNull").IsBoolean() || !o.Get("ifValue").IsBoolean() || !o.Get("backupAware").IsBoolean())
    return ThrowTypeError(env, shape), false;
  step->request = BytesOf(request);
  step->read = static_cast<Read>(read);
  step->at = static_cast<uint32_t>(at);
  step->writes = o.Get("writes").As<Napi::Boolean>().Value();
  step->ifNull = o.Get("ifNull").As<Napi::Boolean>().Value();
  step->ifValue = o.Get("ifValue").As<Napi::Boolean>().Value();
  step->keepFrame = static_cast<int>(keepFrame);
  step->timeoutMs = timeoutMs;
  step->guarded = o.Get("guarded").As<Napi::Boolean>().Value();
  step->always = o.Get("always").As<Napi::Boolean>().Value();
  step->resend = o.Get("resend").As<Napi::Boolean>().Value();
  step->backupAware = o.Get("backupAware").As<Napi::Boolean>().Value();
  if (step->request.size() < 22) return ThrowTypeError(env, "a step's request is shorter than a message's first frame"), false;
  Napi::Array list = patches.As<Napi::Array>();
  for (uint32_t k = 0; k < list.Length(); k++) {
    if (!list.Get(k).IsObject()) return ThrowTypeError(env, shape), false;
    Napi::Object p = list.Get(k).As<Napi::Object>();
    int what = CodeOf(p.Get("what"), kPatchNames);
    double patchAt = NumberIn(p, "at", 0);
    size_t needs = what == kKeptFrame ? 6 : what == kFreshUuid ? 16 : 8;  // a frame's header, a UUID's longs, a long
    if (what < 0 || std::isnan(patchAt) || patchAt + needs > step->request.size())
      return ThrowTypeError(env, "a patch is { at, what: \"nextLong\" | \"lastData\" | \"keptFrame\" | \"callLong\" | \"freshUuid\" }, inside its request"), false;
    if (what == kKeptFrame) {
      uint32_t length = 0;
      std::memcpy(&length, step->request.data() + static_cast<size_t>(patchAt), 4);
      if (length < 6 || patchAt + length > step->request.size())
        return ThrowTypeError(env, "a keptFrame patch is at a frame's header"), false;
    }
    step->patches.push_back({static_cast<uint32_t>(patchAt), static_cast<Patch>(what)});
  }
  return true;
}

// "host:port" with a numeric IPv4 or IPv6 host; false with a pending TypeError.
bool ReadAddress(Napi::Env env, const std::string& address, Endpoint* client) {
  size_t colon = address.rfind(':');
  std::string host = colon == std::string::npos ? "" : address.substr(0, colon);
  int port = colon == std::string::npos ? 0 : std::atoi(address.c_str() + colon + 1);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::memset(&client->addr, 0, sizeof client->addr);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&client->addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&client->addr);
  if (port > 0 && port < 65536 && inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    client->addrLen = sizeof *v4;
  } else if (port > 0 && port < 65536 && inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    client->addrLen = sizeof *v6;
  } else {
    return ThrowTypeError(env, "address is \"ip:port\" (numeric, resolved by TS): " + address), false;
  }
  client->address = address;
  return true;
}

class HzLoader : public http_loader::ProtocolBinding<HzLoader, Conn, Rules> {
 public:
  static constexpr const char* kName = "HzLoader";
  explicit HzLoader(const Napi::CallbackInfo& info);
};

// An array of at most 254 "host:port" strings into `to`; false with a pending TypeError.
bool ReadAddresses(Napi::Env env, Napi::Value value, const char* shape, std::vector<Endpoint>* to) {
  if (!value.IsArray() || value.As<Napi::Array>().Length() > 254) return ThrowTypeError(env, shape), false;
  Napi::Array members = value.As<Napi::Array>();
  to->resize(members.Length());
  for (uint32_t k = 0; k < members.Length(); k++) {
    if (!members.Get(k).IsString()) return ThrowTypeError(env, shape), false;
    if (!ReadAddress(env, members.Get(k).As<Napi::String>().Utf8Value(), &(*to)[k])) return false;
  }
  return true;
}

// { address, hello: Buffer, steps: [step], backups: [address], failover: [address] }; false with a
// pending TypeError.
bool ReadClient(Napi::Env env, Napi::Value value, Client* client) {
  const char* shape =
      "a client is { address, hello: Buffer (\"CP2\" and an authentication request), steps, backups: [address], "
      "failover: [address] (at most 254 each) }";
  if (!value.IsObject()) return ThrowTypeError(env, shape), false;
  Napi::Object o = value.As<Napi::Object>();
  Napi::Value address = o.Get("address"), hello = o.Get("hello"), steps = o.Get("steps");
  if (!address.IsString() || !hello.IsBuffer() || hello.As<Napi::Buffer<char>>().Length() < 25 || !steps.IsArray())
    return ThrowTypeError(env, shape), false;
  if (!ReadAddress(env, address.As<Napi::String>().Utf8Value(), &client->member)) return false;
  if (!ReadAddresses(env, o.Get("backups"), shape, &client->backups)) return false;
  if (!ReadAddresses(env, o.Get("failover"), shape, &client->failover)) return false;
  client->hello = BytesOf(hello);
  Napi::Array list = steps.As<Napi::Array>();
  if (list.Length() == 0) return ThrowTypeError(env, "a method needs at least one step"), false;
  for (uint32_t k = 0; k < list.Length(); k++) {
    Step step;
    if (!ReadStep(env, list.Get(k), &step)) return false;
    client->steps.push_back(std::move(step));
  }
  return true;
}

// config: { clients: [{ address, hello, steps, backups, failover }], authStatusAt, connectTimeoutMs, refusedPauseMs,
// longTypeId, retry: { maxRetries, baseMs, capMs }, listenRequest, ackCorrelationAt, backupTimeoutMs }; false
// with a pending TypeError.
bool ReadRules(const Napi::CallbackInfo& info, Rules* rules) {
  const char* usage =
      "new HzLoader({ clients: [{ address, hello, steps, backups, failover }] (fewer than 2^24), authStatusAt, "
      "connectTimeoutMs, refusedPauseMs, longTypeId, retry: { maxRetries, baseMs, capMs }, listenRequest: Buffer, "
      "ackCorrelationAt, backupTimeoutMs })";
  Napi::Object config;
  if (!ConfigArg(info, usage, &config)) return false;
  Napi::Value clients = config.Get("clients"), longTypeId = config.Get("longTypeId"),
              listenRequest = config.Get("listenRequest");
  double authStatusAt = NumberIn(config, "authStatusAt", 0), ackCorrelationAt = NumberIn(config, "ackCorrelationAt", 0);
  rules->connectTimeoutMs = NumberIn(config, "connectTimeoutMs", 0);
  rules->refusedPauseMs = NumberIn(config, "refusedPauseMs", 0);
  rules->backupTimeoutMs = NumberIn(config, "backupTimeoutMs", 0);
  // The epoll tag has 24 bits for the client (Tag in hz-loop.cc).
  if (!clients.IsArray() || clients.As<Napi::Array>().Length() == 0 || clients.As<Napi::Array>().Length() >= (1u << 24) ||
      !longTypeId.IsNumber() || std::isnan(authStatusAt) || std::isnan(rules->connectTimeoutMs) ||
      std::isnan(rules->refusedPauseMs) || std::isnan(rules->backupTimeoutMs) || std::isnan(ackCorrelationAt) ||
      !listenRequest.IsBuffer() || listenRequest.As<Napi::Buffer<char>>().Length() < 22)
    return ThrowTypeError(info.Env(), usage), false;
  rules->authStatusAt = static_cast<uint32_t>(authStatusAt);
  rules->ackCorrelationAt = static_cast<uint32_t>(ackCorrelationAt);
  rules->listenRequest = BytesOf(listenRequest);
  rules->longTypeId = longTypeId.As<Napi::Number>().Int32Value();
  Napi::Array list = clients.As<Napi::Array>();
  rules->clients.resize(list.Length());
  for (uint32_t k = 0; k < list.Length(); k++)
    if (!ReadClient(info.Env(), list.Get(k), &rules->clients[k])) return false;
  return ReadRetry(info.Env(), config.Get("retry"), &rules->retry);
}

HzLoader::HzLoader(const Napi::CallbackInfo& info) : ProtocolBinding(info) {
  if (ReadRules(info, &rules_)) conns_.resize(rules_.clients.size());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("HzLoader", HzLoader::Define(env));
  // The failures' names, from their one home (steps.h); TS names patches and reads, checked here.
  exports.Set("failureNames", http_loader::Names(env, kFailureNames));
  return exports;
}

}  // namespace
}  // namespace hz_loader

using hz_loader::Init;
NODE_API_MODULE(hz_loader, Init)
