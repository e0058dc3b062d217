// suffix_sort.cc: sl_suffix_sort for the engine process. A workspace of 64 MiB is about 24 million
// tokens and seconds of sorting, so it runs on a libuv worker thread, never on the JS thread. The
// tokens are copied first (the caller's array may be changed meanwhile); the order is written
// straight into the ArrayBuffer that the promise resolves with.
#include "suffix_sort.h"
#include "js_values.h"

#include <cstring>
#include <memory>
#include <vector>

#include "engine_task.h"
#include "seedling.h"

namespace seedling {

Napi::Value SuffixSort(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint16_array)
        throw Napi::TypeError::New(env, "suffixSort: tokens must be a Uint16Array");
    if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "suffixSort: depth must be a number");
    auto array = info[0].As<Napi::Uint16Array>();
    int32_t d = static_cast<int32_t>(IntegerInRange(env, info[1], "suffixSort: depth", 1, 1 << 20));
    size_t n = array.ElementLength();
    if (n > 0x7fffffffu) throw Napi::RangeError::New(env, "suffixSort: more than 2^31 - 1 tokens");
    auto tokens = std::make_shared<std::vector<uint16_t>>(array.Data(), array.Data() + n);
    Napi::ArrayBuffer out = Napi::ArrayBuffer::New(env, (n ? n : 1) * sizeof(int32_t));
    auto *order = static_cast<int32_t *>(out.Data());
    auto result = std::make_shared<Napi::Reference<Napi::ArrayBuffer>>(Napi::Persistent(out));
    return EngineTask::Start(
        env, "seedling.suffixSort", {}, {out.As<Napi::Object>()},
        [tokens, d, order]() { return sl_suffix_sort(tokens->data(), tokens->size(), d, order); },
        [result, n](Napi::Env env) -> Napi::Value { return Napi::Int32Array::New(env, n, result->Value(), 0); });
}

}  // namespace seedling
