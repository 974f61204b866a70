// The N-API side of the PostgreSQL load engine: the PgLoader class that native/pg-loader.ts
// types. It checks and copies its config (the method's steps, with their SQL, come from TS), runs
// the loop (pg-loop.h) on a thread of its own, and hands the calls over as typed arrays on the JS
// thread (../http-loader/calls-to-js.h), as the web loader does. A failed call goes to JS as a
// side whose status is its Failure code, whose flag says whether it may have committed, and whose
// bytes are "SQLSTATE\nmessage": JS writes the error the JS engine would have thrown.
//
// Built with NAPI_DISABLE_CPP_EXCEPTIONS: misuse sets a pending JS exception and the function returns.

#include <napi.h>

#include <atomic>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "../http-loader/calls-to-js.h"
#include "../http-loader/config-read.h"
#include "../http-loader/loader-binding.h"
#include "pg-loop.h"

namespace pg_loader {
namespace {

using http_loader::CodeOf;
using http_loader::ConfigArg;
using http_loader::NumberIn;
using http_loader::ReadRetry;
using http_loader::ThrowTypeError;

// { text, params: ParamName[] }; false with a pending TypeError.
bool ReadStatement(Napi::Env env, Napi::Value value, Statement* statement) {
  const char* shape = "a statement is { text: string, params: string[] } (params named by paramNames)";
  if (!value.IsObject()) return ThrowTypeError(env, shape), false;
  Napi::Object o = value.As<Napi::Object>();
  Napi::Value text = o.Get("text"), params = o.Get("params");
  if (!text.IsString() || !params.IsArray()) return ThrowTypeError(env, shape), false;
  statement->text = text.As<Napi::String>().Utf8Value();
  Napi::Array list = params.As<Napi::Array>();
  if (list.Length() > 4) return ThrowTypeError(env, "a statement binds at most 4 values"), false;
  for (uint32_t k = 0; k < list.Length(); k++) {
    int code = CodeOf(list.Get(k), kParamNames);
    if (code < 0) return ThrowTypeError(env, shape), false;
    statement->params.push_back(static_cast<Param>(code));
  }
  return true;
}

// { steps: [{ statement, use, commits }], upsert, transaction, rollback, retryErrors }
bool ReadMethod(Napi::Env env, Napi::Value value, Method* method) {
  const char* shape = "method is { steps: [{ statement, use, commits }], upsert, transaction, rollback, retryErrors }";
  if (!value.IsObject()) return ThrowTypeError(env, shape), false;
  Napi::Object o = value.As<Napi::Object>();
  Napi::Value steps = o.Get("steps"), transaction = o.Get("transaction"), retryErrors = o.Get("retryErrors");
  if (!steps.IsArray() || !transaction.IsBoolean() || !retryErrors.IsBoolean()) return ThrowTypeError(env, shape), false;
  Napi::Array list = steps.As<Napi::Array>();
  if (list.Length() == 0) return ThrowTypeError(env, "a method needs at least one step"), false;
  for (uint32_t k = 0; k < list.Length(); k++) {
    Napi::Value item = list.Get(k);
    if (!item.IsObject()) return ThrowTypeError(env, shape), false;
    Napi::Object s = item.As<Napi::Object>();
    Step step;
    int use = CodeOf(s.Get("use"), kUseNames);
    if (use < 0 || !s.Get("commits").IsBoolean()) return ThrowTypeError(env, shape), false;
    if (!ReadStatement(env, s.Get("statement"), &step.statement)) return false;
    step.use = static_cast<Use>(use);
    step.commits = s.Get("commits").As<Napi::Boolean>().Value();
    method->steps.push_back(std::move(step));
  }
  method->transaction = transaction.As<Napi::Boolean>().Value();
  method->retryErrors = retryErrors.As<Napi::Boolean>().Value();
  return ReadStatement(env, o.Get("upsert"), &method->upsert) && ReadStatement(env, o.Get("rollback"), &method->rollback);
}

class PgLoader : public http_loader::ProtocolBinding<PgLoader, Conn, Rules> {
 public:
  static constexpr const char* kName = "PgLoader";
  explicit PgLoader(const Napi::CallbackInfo& info);
};

// config: { conninfo, clientCount, connectTimeoutMs, statementTimeoutMs, refusedPauseMs, userId,
// shards, retry: { maxRetries, baseMs, capMs }, method }
PgLoader::PgLoader(const Napi::CallbackInfo& info) : ProtocolBinding(info) {
  Napi::Env env = info.Env();
  const char* usage =
      "new PgLoader({ conninfo, clientCount, connectTimeoutMs, statementTimeoutMs, refusedPauseMs, userId, shards, "
      "retry: { maxRetries, baseMs, capMs }, method })";
  Napi::Object config;
  if (!ConfigArg(info, usage, &config)) return;
  Napi::Value conninfo = config.Get("conninfo"), userId = config.Get("userId");
  double clientCount = NumberIn(config, "clientCount", 1);
  rules_.connectTimeoutMs = NumberIn(config, "connectTimeoutMs", 0);
  rules_.statementTimeoutMs = NumberIn(config, "statementTimeoutMs", 0);
  rules_.refusedPauseMs = NumberIn(config, "refusedPauseMs", 0);
  rules_.shards = NumberIn(config, "shards", 1);
  if (!conninfo.IsString() || !userId.IsNumber() || std::isnan(clientCount) ||
      std::isnan(rules_.connectTimeoutMs) || std::isnan(rules_.statementTimeoutMs) ||
      std::isnan(rules_.refusedPauseMs) || std::isnan(rules_.shards)) {
    ThrowTypeError(env, usage);
    return;
  }
  if (!ReadRetry(env, config.Get("retry"), &rules_.retry)) return;
  if (!ReadMethod(env, config.Get("method"), &rules_.method)) return;
  rules_.conninfo = conninfo.As<Napi::String>().Utf8Value();
  rules_.userId = std::to_string(userId.As<Napi::Number>().Int64Value());
  conns_.resize(static_cast<size_t>(clientCount));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("PgLoader", PgLoader::Define(env));
  // The codes' names, from their one home (steps.h).
  exports.Set("paramNames", http_loader::Names(env, kParamNames));
  exports.Set("useNames", http_loader::Names(env, kUseNames));
  exports.Set("failureNames", http_loader::Names(env, kFailureNames));
  return exports;
}

}  // namespace
}  // namespace pg_loader

using pg_loader::Init;
NODE_API_MODULE(pg_loader, Init)
