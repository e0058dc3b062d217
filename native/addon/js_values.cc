// js_values.cc: JS <-> C conversions for the binding.
#include "js_values.h"

#include <cmath>
#include <cstring>

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
            ids[i] = v.As<Napi::Number>().Int32Value();
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
        Napi::Value v = o.Get(key);
        if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string("config.") + key + " must be a number");
        return v.As<Napi::Number>().Int32Value();
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
    t->batch_size = static_cast<int32_t>(OptionalNumber(o, "batchSize", t->batch_size));
    t->seq_len = static_cast<int32_t>(OptionalNumber(o, "seqLen", t->seq_len));
    t->grad_accum_steps = static_cast<int32_t>(OptionalNumber(o, "gradAccumSteps", t->grad_accum_steps));
    t->learning_rate = static_cast<float>(OptionalNumber(o, "learningRate", t->learning_rate));
    t->min_lr_ratio = static_cast<float>(OptionalNumber(o, "minLrRatio", t->min_lr_ratio));
    t->warmup_steps = static_cast<int32_t>(OptionalNumber(o, "warmupSteps", t->warmup_steps));
    t->total_steps = static_cast<int32_t>(OptionalNumber(o, "totalSteps", t->total_steps));
    t->weight_decay = static_cast<float>(OptionalNumber(o, "weightDecay", t->weight_decay));
    t->beta1 = static_cast<float>(OptionalNumber(o, "beta1", t->beta1));
    t->beta2 = static_cast<float>(OptionalNumber(o, "beta2", t->beta2));
    t->eps = static_cast<float>(OptionalNumber(o, "eps", t->eps));
    t->grad_clip = static_cast<float>(OptionalNumber(o, "gradClip", t->grad_clip));
    t->fim_rate = static_cast<float>(OptionalNumber(o, "fimRate", t->fim_rate));
    t->fim_spm_rate = static_cast<float>(OptionalNumber(o, "fimSpmRate", t->fim_spm_rate));
    t->seed = static_cast<uint64_t>(OptionalNumber(o, "seed", static_cast<double>(t->seed)));
}

}  // namespace seedling
