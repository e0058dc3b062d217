// js_values.h: conversions between JS values and the engine's C types (copied on the JS thread,
// so worker threads never touch JS memory).
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "seedling.h"

namespace seedling {

// A document list: an array of strings (sent as UTF-8) or Buffers/Uint8Arrays (sent as is).
std::vector<std::string> ReadDocuments(Napi::Env env, Napi::Value value, const char *what);
// Bytes of a string (UTF-8) or of a Buffer/Uint8Array.
std::string ReadBytes(Napi::Env env, Napi::Value value, const char *what);
// Token ids from an Int32Array or an array of numbers.
std::vector<int32_t> ReadTokens(Napi::Env env, Napi::Value value, const char *what);
Napi::Int32Array MakeInt32Array(Napi::Env env, const int32_t *data, size_t n);
Napi::Float32Array MakeFloat32Array(Napi::Env env, const float *data, size_t n);

// Optional numeric fields of an options object (absent or undefined: keep the default).
double OptionalNumber(Napi::Object object, const char *key, double fallback);

// Numbers from JavaScript are doubles: casting one outside the target type's range (1e12 to int32,
// 1e39 to float, NaN to anything) is undefined behaviour in C++, and Int32Value() silently wraps
// 2^32 + 5 to 5. These check first and throw a RangeError that names the value and the range.
int64_t IntegerInRange(Napi::Env env, Napi::Value value, const std::string &what, int64_t lo, int64_t hi);
int32_t OptionalInt32(Napi::Object object, const char *key, int32_t fallback, int32_t lo, int32_t hi);
// Finite and within float's range (the C side checks what makes sense, e.g. a positive learning rate).
float OptionalFloat(Napi::Object object, const char *key, float fallback);
// A seed: an integer in [0, 2^53] (larger doubles are not exact integers).
uint64_t OptionalSeed(Napi::Object object, const char *key, uint64_t fallback);

Napi::Object ConfigToJs(Napi::Env env, const sl_config &config);
sl_config ConfigFromJs(Napi::Env env, Napi::Value value);

Napi::Object TrainOptionsToJs(Napi::Env env, const sl_train_options &opts);
// Fields missing from value keep the values already in *opts.
void TrainOptionsFromJs(Napi::Env env, Napi::Value value, sl_train_options *opts);

}  // namespace seedling
