// How the loaders' bindings read their config from JS: a TypeError for what does not fit, a
// number with its floor, a code by its name in its enum's name table, the retry policy.
//
// Built with NAPI_DISABLE_CPP_EXCEPTIONS: misuse sets a pending JS exception and the caller returns.

#pragma once

#include <napi.h>

#include <cmath>
#include <string>

#include "call-loop.h"

namespace http_loader {

inline void ThrowTypeError(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
}

// The code named `name` in `names`, or -1.
template <size_t N>
int CodeOf(Napi::Value name, const char* const (&names)[N]) {
  if (!name.IsString()) return -1;
  std::string text = name.As<Napi::String>().Utf8Value();
  for (size_t k = 0; k < N; k++)
    if (text == names[k]) return static_cast<int>(k);
  return -1;
}

// o[key] when it is a number at least `min`, else NAN.
inline double NumberIn(Napi::Object o, const char* key, double min) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) return NAN;
  double d = v.As<Napi::Number>().DoubleValue();
  return d >= min ? d : NAN;
}

// The one config object a loader's constructor takes: false, with a TypeError showing `usage`, for anything else.
inline bool ConfigArg(const Napi::CallbackInfo& info, const char* usage, Napi::Object* config) {
  if (info.Length() != 1 || !info[0].IsObject()) return ThrowTypeError(info.Env(), usage), false;
  *config = info[0].As<Napi::Object>();
  return true;
}

// { maxRetries, baseMs, capMs }, each >= 0; false with a pending TypeError.
inline bool ReadRetry(Napi::Env env, Napi::Value value, RetryPolicy* retry) {
  const char* shape = "retry is { maxRetries, baseMs, capMs }, each >= 0";
  if (!value.IsObject()) return ThrowTypeError(env, shape), false;
  Napi::Object policy = value.As<Napi::Object>();
  *retry = {NumberIn(policy, "maxRetries", 0), NumberIn(policy, "baseMs", 0), NumberIn(policy, "capMs", 0)};
  if (std::isnan(retry->maxRetries) || std::isnan(retry->baseMs) || std::isnan(retry->capMs))
    return ThrowTypeError(env, shape), false;
  return true;
}

}  // namespace http_loader
