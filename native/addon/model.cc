// model.cc: the Model class (weights, loss, attention maps).
#include <memory>

#include "model.h"
#include "js_values.h"

namespace seedling {

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
    uint64_t seed = info[1].IsNumber() ? static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value()) : 0;
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
    int B = info[2].ToNumber().Int32Value(), T = info[3].ToNumber().Int32Value();
    if (B <= 0 || T <= 0 || inputs->size() != static_cast<size_t>(B) * T || targets->size() != inputs->size())
        throw Napi::RangeError::New(env, "inputs and targets must each hold B*T tokens");
    AcquireAll(env, {{&busy, "model"}});
    auto loss = std::make_shared<float>(0.0f);
    return EngineTask::Start(
        env, "seedling.model.loss", {&busy}, {Value()},
        [=]() { return sl_model_loss(model, inputs->data(), targets->data(), B, T, loss.get()); },
        [loss](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *loss); });
}

// attention(tokens): Promise<{weights: Float32Array [L][H][T][T], nextLogits: Float32Array}>
Napi::Value ModelWrap::Attention(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    sl_model *model = Get(env);
    auto tokens = std::make_shared<std::vector<int32_t>>(ReadTokens(env, info[0], "tokens"));
    sl_config c = sl_model_config(model);
    int T = static_cast<int>(tokens->size());
    if (T < 1 || T > c.context_length)
        throw Napi::RangeError::New(env, "attention needs 1.." + std::to_string(c.context_length) + " tokens");
    AcquireAll(env, {{&busy, "model"}});
    auto weights = std::make_shared<std::vector<float>>(static_cast<size_t>(c.n_layers) * c.n_heads * T * T);
    auto logits = std::make_shared<std::vector<float>>(static_cast<size_t>(c.vocab_size));
    return EngineTask::Start(
        env, "seedling.model.attention", {&busy}, {Value()},
        [=]() { return sl_model_attention(model, tokens->data(), T, weights->data(), logits->data()); },
        [weights, logits](Napi::Env env) -> Napi::Value {
            auto out = Napi::Object::New(env);
            out.Set("weights", MakeFloat32Array(env, weights->data(), weights->size()));
            out.Set("nextLogits", MakeFloat32Array(env, logits->data(), logits->size()));
            return out;
        });
}

}  // namespace seedling
