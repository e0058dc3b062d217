// trainer.cc: the Trainer class (optimizer state; one step or one evaluation per call).
#include <memory>
#include <string>

#include "dataset.h"
#include "trainer.h"
#include "js_values.h"

namespace seedling {

Napi::Function TrainerWrap::Define(Napi::Env env) {
    return DefineClass(env, kName,
                       {
                           StaticMethod("create", &TrainerWrap::Create),
                           InstanceMethod("step", &TrainerWrap::Step),
                           InstanceMethod("evaluate", &TrainerWrap::Evaluate),
                           InstanceAccessor("stepCount", &TrainerWrap::StepCount, nullptr),
                           InstanceAccessor("tokensSeen", &TrainerWrap::TokensSeen, nullptr),
                           InstanceAccessor("options", &TrainerWrap::GetOptions, nullptr),
                           InstanceMethod("setOptions", &TrainerWrap::SetOptions),
                           InstanceAccessor("device", &TrainerWrap::GetDevice, nullptr),
                           InstanceMethod("setDevice", &TrainerWrap::SetDevice),
                           InstanceAccessor("model", &TrainerWrap::GetModel, nullptr),
                           InstanceMethod("dispose", &TrainerWrap::Dispose),
                           InstanceAccessor("disposed", &TrainerWrap::IsDisposed, nullptr),
                       });
}

Napi::Object TrainerWrap::NewFor(Napi::Env env, sl_trainer *trainer, Napi::Object model_object) {
    Napi::Object object = New(env, GetAddonData(env).trainer, trainer);
    Unwrap(object)->AttachModel(model_object);
    return object;
}

static std::string DeviceArg(Napi::Env env, Napi::Value v) {
    if (v.IsUndefined()) return "cpu";
    if (!v.IsString()) throw Napi::TypeError::New(env, "device must be \"auto\", \"cpu\" or \"cuda\"");
    return v.As<Napi::String>().Utf8Value();
}

// Trainer.create(model, options?, device?): Trainer. Options not given take the engine's defaults;
// device "auto" | "cpu" (default) | "cuda".
Napi::Value TrainerWrap::Create(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    ModelWrap *model = ModelWrap::From(env, info[0]);
    sl_model *m = model->GetIdle(env);
    sl_train_options opts;
    sl_train_options_default(&opts);
    TrainOptionsFromJs(env, info[1], &opts);
    std::string device = DeviceArg(env, info[2]);
    sl_trainer *trainer = nullptr;
    ThrowIfFailed(env, sl_trainer_create_on(m, &opts, device.c_str(), &trainer));
    return NewFor(env, trainer, info[0].As<Napi::Object>());
}

static Napi::Object StepStatsToJs(Napi::Env env, const sl_step_stats &s) {
    auto o = Napi::Object::New(env);
    o.Set("step", static_cast<double>(s.step));
    o.Set("tokensSeen", static_cast<double>(s.tokens_seen));
    o.Set("loss", s.loss);
    o.Set("gradNorm", s.grad_norm);
    o.Set("learningRate", s.learning_rate);
    o.Set("seconds", s.seconds);
    return o;
}

// step(dataset): Promise<{step, tokensSeen, loss, gradNorm, learningRate, seconds}>
Napi::Value TrainerWrap::Step(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    sl_trainer *trainer = Get(env);
    DatasetWrap *dataset = DatasetWrap::From(env, info[0]);
    const sl_dataset *data = dataset->Get(env);
    AcquireAll(env, {{&busy, "trainer"}, {&model_->busy, "model"}, {&dataset->busy, "dataset"}});
    auto stats = std::make_shared<sl_step_stats>();
    return EngineTask::Start(
        env, "seedling.trainer.step", {&busy, &model_->busy, &dataset->busy}, {Value(), info[0].As<Napi::Object>()},
        [trainer, data, stats]() { return sl_trainer_step(trainer, data, stats.get()); },
        [stats](Napi::Env env) -> Napi::Value { return StepStatsToJs(env, *stats); });
}

// evaluate(dataset, maxBatches): Promise<number> (mean loss, no FIM)
Napi::Value TrainerWrap::Evaluate(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    sl_trainer *trainer = Get(env);
    DatasetWrap *dataset = DatasetWrap::From(env, info[0]);
    const sl_dataset *data = dataset->Get(env);
    int max_batches = info[1].IsUndefined() ? 8 : static_cast<int>(IntegerInRange(env, info[1], "maxBatches", 1, INT32_MAX));
    AcquireAll(env, {{&busy, "trainer"}, {&model_->busy, "model"}, {&dataset->busy, "dataset"}});
    auto loss = std::make_shared<float>(0.0f);
    return EngineTask::Start(
        env, "seedling.trainer.evaluate", {&busy, &model_->busy, &dataset->busy}, {Value(), info[0].As<Napi::Object>()},
        [trainer, data, max_batches, loss]() { return sl_trainer_evaluate(trainer, data, max_batches, loss.get()); },
        [loss](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *loss); });
}

Napi::Value TrainerWrap::StepCount(const Napi::CallbackInfo &info) {
    return Napi::Number::New(info.Env(), static_cast<double>(sl_trainer_step_count(Get(info.Env()))));
}

Napi::Value TrainerWrap::TokensSeen(const Napi::CallbackInfo &info) {
    return Napi::Number::New(info.Env(), static_cast<double>(sl_trainer_tokens_seen(Get(info.Env()))));
}

Napi::Value TrainerWrap::GetOptions(const Napi::CallbackInfo &info) {
    return TrainOptionsToJs(info.Env(), sl_trainer_options(Get(info.Env())));
}

// setOptions(partial): fields given replace the current ones (e.g. a new schedule after resume).
Napi::Value TrainerWrap::SetOptions(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    sl_trainer *trainer = GetIdle(env);
    sl_train_options opts = sl_trainer_options(trainer);
    TrainOptionsFromJs(env, info[0], &opts);
    ThrowIfFailed(env, sl_trainer_set_options(trainer, &opts));
    return env.Undefined();
}

Napi::Value TrainerWrap::GetDevice(const Napi::CallbackInfo &info) {
    return Napi::String::New(info.Env(), sl_trainer_device(Get(info.Env())));
}

// setDevice(device): move the trainer, with everything learnt so far ("auto" | "cpu" | "cuda").
Napi::Value TrainerWrap::SetDevice(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    std::string device = DeviceArg(env, info[0]);
    ThrowIfFailed(env, sl_trainer_set_device(GetIdle(env), device.c_str()));
    return env.Undefined();
}

Napi::Value TrainerWrap::GetModel(const Napi::CallbackInfo &info) {
    Get(info.Env());
    return ModelObject();
}

}  // namespace seedling
