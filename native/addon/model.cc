// model.cc: the Model class (weights, loss, attention maps).
#include <memory>

#include "model.h"
#include "js_values.h"
#include "session.h"

namespace seedling {

// 64M floats (256 MB): a bound on one attention map's weights, whatever the model.
constexpr size_t kMaxAttentionFloats = size_t{1} << 26;

Napi::Function ModelWrap::Define(Napi::Env env) {
    return DefineClass(env, kName,
                       {
                           StaticMethod("create", &ModelWrap::Create),
                           InstanceAccessor("config", &ModelWrap::Config, nullptr),
                           InstanceAccessor("numParams", &ModelWrap::NumParams, nullptr),
                           InstanceMethod("loss", &ModelWrap::Loss),
                           InstanceMethod("attention", &ModelWrap::Attention),
                           InstanceMethod("dispose", &ModelWrap::Dispose),
                           InstanceAccessor("disposed", &ModelWrap::IsDisposed, nullptr),
                       });
}

void ModelWrap::BeforeDispose(Napi::Env env) {
    if (dependents > 0)
        throw MakeCodedError(env, "busy", "this Model is still used by a Trainer or Session; dispose those first");
}

// Model.create(config, seed): Promise<Model> (initialising millions of weights is not instant).
Napi::Value ModelWrap::Create(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    sl_config config = ConfigFromJs(env, info[0]);
    uint64_t seed = info[1].IsNumber() ? static_cast<uint64_t>(IntegerInRange(env, info[1], "seed", 0, int64_t{1} << 53)) : 0;
    auto result = std::make_shared<sl_model *>(nullptr);
    return EngineTask::Start(
        env, "seedling.model.create", {}, {}, [config, seed, result]() { return sl_model_create(&config, seed, result.get()); },
        [result](Napi::Env env) -> Napi::Value {
            sl_model *model = *result;
            *result = nullptr;
            return New(env, GetAddonData(env).model, model);
        });
}

Napi::Value ModelWrap::Config(const Napi::CallbackInfo &info) {
    return ConfigToJs(info.Env(), sl_model_config(Get(info.Env())));
}

Napi::Value ModelWrap::NumParams(const Napi::CallbackInfo &info) {
    return Napi::Number::New(info.Env(), static_cast<double>(sl_model_num_params(Get(info.Env()))));
}

// loss(inputs, targets, B, T): Promise<number>
Napi::Value ModelWrap::Loss(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    sl_model *model = Get(env);
    auto inputs = std::make_shared<std::vector<int32_t>>(ReadTokens(env, info[0], "inputs"));
    auto targets = std::make_shared<std::vector<int32_t>>(ReadTokens(env, info[1], "targets"));
    int B = static_cast<int>(IntegerInRange(env, info[2], "B", 1, INT32_MAX));
    int T = static_cast<int>(IntegerInRange(env, info[3], "T", 1, INT32_MAX));
    if (B <= 0 || T <= 0 || inputs->size() != static_cast<size_t>(B) * T || targets->size() != inputs->size())
        throw Napi::RangeError::New(env, "inputs and targets must each hold B*T tokens");
    AcquireAll(env, {{&busy, "model"}});
    auto loss = std::make_shared<float>(0.0f);
    return EngineTask::Start(
        env, "seedling.model.loss", {&busy}, {Value()},
        [=]() { return sl_model_loss(model, inputs->data(), targets->data(), B, T, loss.get()); },
        [loss](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *loss); });
}

// attention(tokens, {cancel}?): Promise<{weights: Float32Array [L][H][T][T], nextLogits: Float32Array}>
// The weights grow with layers × heads × T²; past kMaxAttentionFloats the request is refused before
// anything is allocated (the engine asks for less: src/engine/attentionLimits.ts).
Napi::Value ModelWrap::Attention(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    sl_model *model = Get(env);
    auto tokens = std::make_shared<std::vector<int32_t>>(ReadTokens(env, info[0], "tokens"));
    sl_config c = sl_model_config(model);
    if (tokens->empty() || tokens->size() > static_cast<size_t>(c.context_length))
        throw Napi::RangeError::New(env, "attention needs 1.." + std::to_string(c.context_length) + " tokens");
    int T = static_cast<int>(tokens->size());
    size_t floats = static_cast<size_t>(c.n_layers) * c.n_heads * T * T;
    if (floats > kMaxAttentionFloats)
        throw Napi::RangeError::New(env, "attention over " + std::to_string(T) + " tokens of a " + std::to_string(c.n_layers) +
                                             "-layer, " + std::to_string(c.n_heads) + "-head model needs " + std::to_string(floats) +
                                             " weights, more than the limit of " + std::to_string(kMaxAttentionFloats));
    std::vector<Napi::Object> keep = {Value()};
    const sl_cancel_flag *cancel = ReadCancel(env, info[1], &keep);
    AcquireAll(env, {{&busy, "model"}});
    auto weights = std::make_shared<std::vector<float>>(floats);
    auto logits = std::make_shared<std::vector<float>>(static_cast<size_t>(c.vocab_size));
    return EngineTask::Start(
        env, "seedling.model.attention", {&busy}, keep,
        [=]() { return sl_model_attention(model, tokens->data(), T, weights->data(), logits->data(), cancel); },
        [weights, logits](Napi::Env env) -> Napi::Value {
            auto out = Napi::Object::New(env);
            out.Set("weights", MakeFloat32Array(env, weights->data(), weights->size()));
            out.Set("nextLogits", MakeFloat32Array(env, logits->data(), logits->size()));
            return out;
        });
}

}  // namespace seedling
