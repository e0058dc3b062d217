// js_values.cc: JS <-> C conversions for the binding.
#include "js_values.h"

#include <cfloat>
#include <cstdio>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace seedling {

std::string ReadBytes(Napi::Env env, Napi::Value value, const char *what) {
    if (value.IsString()) return value.As<Napi::String>().Utf8Value();
    if (value.IsTypedArray()) {
        auto array = value.As<Napi::TypedArray>();
        if (array.TypedArrayType() == napi_uint8_array) {
            auto bytes = value.As<Napi::Uint8Array>();
            return std::string(reinterpret_cast<const char *>(bytes.Data()), bytes.ByteLength());
        }
    }
    throw Napi::TypeError::New(env, std::string(what) + " must be a string or a Uint8Array");
}

std::vector<std::string> ReadDocuments(Napi::Env env, Napi::Value value, const char *what) {
    if (!value.IsArray()) throw Napi::TypeError::New(env, std::string(what) + " must be an array");
    auto array = value.As<Napi::Array>();
    std::vector<std::string> docs;
    docs.reserve(array.Length());
    for (uint32_t i = 0; i < array.Length(); i++) docs.push_back(ReadBytes(env, array.Get(i), what));
    return docs;
}

std::vector<int32_t> ReadTokens(Napi::Env env, Napi::Value value, const char *what) {
    if (value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
        auto ids = value.As<Napi::Int32Array>();
        return std::vector<int32_t>(ids.Data(), ids.Data() + ids.ElementLength());
    }
    if (value.IsArray()) {
        auto array = value.As<Napi::Array>();
        std::vector<int32_t> ids(array.Length());
        for (uint32_t i = 0; i < array.Length(); i++) {
            Napi::Value v = array.Get(i);
            if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(what) + " must hold numbers");
            ids[i] = static_cast<int32_t>(IntegerInRange(env, v, std::string(what) + "[" + std::to_string(i) + "]", INT32_MIN, INT32_MAX));
        }
        return ids;
    }
    throw Napi::TypeError::New(env, std::string(what) + " must be an Int32Array or an array of numbers");
}

Napi::Int32Array MakeInt32Array(Napi::Env env, const int32_t *data, size_t n) {
    auto array = Napi::Int32Array::New(env, n);
    if (n) std::memcpy(array.Data(), data, n * sizeof(int32_t));
    return array;
}

Napi::Float32Array MakeFloat32Array(Napi::Env env, const float *data, size_t n) {
    auto array = Napi::Float32Array::New(env, n);
    if (n) std::memcpy(array.Data(), data, n * sizeof(float));
    return array;
}

double OptionalNumber(Napi::Object object, const char *key, double fallback) {
    Napi::Value v = object.Get(key);
    if (v.IsUndefined() || v.IsNull()) return fallback;
    if (!v.IsNumber() || !std::isfinite(v.As<Napi::Number>().DoubleValue()))
        throw Napi::TypeError::New(object.Env(), std::string("option ") + key + " must be a finite number");
    return v.As<Napi::Number>().DoubleValue();
}

int64_t IntegerInRange(Napi::Env env, Napi::Value value, const std::string &what, int64_t lo, int64_t hi) {
    if (!value.IsNumber()) throw Napi::TypeError::New(env, what + " must be a number");
    double d = value.As<Napi::Number>().DoubleValue();
    // The comparisons are on doubles: lo and hi are exact in a double for every range used here.
    if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
        char got[64];
        std::snprintf(got, sizeof got, "%.17g", d);
        throw Napi::RangeError::New(env, what + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + got);
    }
    return static_cast<int64_t>(d);
}

int32_t OptionalInt32(Napi::Object object, const char *key, int32_t fallback, int32_t lo, int32_t hi) {
    Napi::Value v = object.Get(key);
    if (v.IsUndefined() || v.IsNull()) return fallback;
    return static_cast<int32_t>(IntegerInRange(object.Env(), v, std::string("option ") + key, lo, hi));
}

float OptionalFloat(Napi::Object object, const char *key, float fallback) {
    double d = OptionalNumber(object, key, fallback);
    if (std::fabs(d) > static_cast<double>(FLT_MAX))
        throw Napi::RangeError::New(object.Env(), std::string("option ") + key + " is outside the range of a float");
    return static_cast<float>(d);
}

uint64_t OptionalSeed(Napi::Object object, const char *key, uint64_t fallback) {
    Napi::Value v = object.Get(key);
    if (v.IsUndefined() || v.IsNull()) return fallback;
    return static_cast<uint64_t>(IntegerInRange(object.Env(), v, std::string("option ") + key, 0, int64_t{1} << 53));
}

Napi::Object ConfigToJs(Napi::Env env, const sl_config &c) {
    auto o = Napi::Object::New(env);
    o.Set("vocabSize", c.vocab_size);
    o.Set("contextLength", c.context_length);
    o.Set("dModel", c.d_model);
    o.Set("nLayers", c.n_layers);
    o.Set("nHeads", c.n_heads);
    return o;
}

sl_config ConfigFromJs(Napi::Env env, Napi::Value value) {
    if (!value.IsObject()) throw Napi::TypeError::New(env, "config must be an object");
    auto o = value.As<Napi::Object>();
    auto field = [&](const char *key) {
        // sl_config_validate judges the values; here only that they are int32s at all.
        return static_cast<int32_t>(IntegerInRange(env, o.Get(key), std::string("config.") + key, 0, INT32_MAX));
    };
    sl_config c;
    c.vocab_size = field("vocabSize");
    c.context_length = field("contextLength");
    c.d_model = field("dModel");
    c.n_layers = field("nLayers");
    c.n_heads = field("nHeads");
    return c;
}

Napi::Object TrainOptionsToJs(Napi::Env env, const sl_train_options &t) {
    auto o = Napi::Object::New(env);
    o.Set("batchSize", t.batch_size);
    o.Set("seqLen", t.seq_len);
    o.Set("gradAccumSteps", t.grad_accum_steps);
    o.Set("learningRate", t.learning_rate);
    o.Set("minLrRatio", t.min_lr_ratio);
    o.Set("warmupSteps", t.warmup_steps);
    o.Set("totalSteps", t.total_steps);
    o.Set("weightDecay", t.weight_decay);
    o.Set("beta1", t.beta1);
    o.Set("beta2", t.beta2);
    o.Set("eps", t.eps);
    o.Set("gradClip", t.grad_clip);
    o.Set("fimRate", t.fim_rate);
    o.Set("fimSpmRate", t.fim_spm_rate);
    o.Set("seed", static_cast<double>(t.seed));
    return o;
}

void TrainOptionsFromJs(Napi::Env env, Napi::Value value, sl_train_options *t) {
    if (value.IsUndefined() || value.IsNull()) return;
    if (!value.IsObject()) throw Napi::TypeError::New(env, "train options must be an object");
    auto o = value.As<Napi::Object>();
    t->batch_size = OptionalInt32(o, "batchSize", t->batch_size, 0, INT32_MAX);
    t->seq_len = OptionalInt32(o, "seqLen", t->seq_len, 0, INT32_MAX);
    t->grad_accum_steps = OptionalInt32(o, "gradAccumSteps", t->grad_accum_steps, 0, INT32_MAX);
    t->learning_rate = OptionalFloat(o, "learningRate", t->learning_rate);
    t->min_lr_ratio = OptionalFloat(o, "minLrRatio", t->min_lr_ratio);
    t->warmup_steps = OptionalInt32(o, "warmupSteps", t->warmup_steps, 0, INT32_MAX);
    t->total_steps = OptionalInt32(o, "totalSteps", t->total_steps, 0, INT32_MAX);
    t->weight_decay = OptionalFloat(o, "weightDecay", t->weight_decay);
    t->beta1 = OptionalFloat(o, "beta1", t->beta1);
    t->beta2 = OptionalFloat(o, "beta2", t->beta2);
    t->eps = OptionalFloat(o, "eps", t->eps);
    t->grad_clip = OptionalFloat(o, "gradClip", t->grad_clip);
    t->fim_rate = OptionalFloat(o, "fimRate", t->fim_rate);
    t->fim_spm_rate = OptionalFloat(o, "fimSpmRate", t->fim_spm_rate);
    t->seed = OptionalSeed(o, "seed", t->seed);
}

}  // namespace seedling
