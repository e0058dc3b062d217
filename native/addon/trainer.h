// trainer.h: the Trainer class (trainer.cc).
#pragma once

#include "model.h"

namespace seedling {

class TrainerWrap : public ModelDependentWrap<TrainerWrap, sl_trainer, sl_trainer_free> {
public:
    static constexpr const char *kName = "Trainer";
    static Napi::Function Define(Napi::Env env);
    using ModelDependentWrap::ModelDependentWrap;
    static TrainerWrap *From(Napi::Env env, Napi::Value v) { return UnwrapChecked(env, v, GetAddonData(env).trainer); }
    // Wrap a trainer attached to the model held by model_object.
    static Napi::Object NewFor(Napi::Env env, sl_trainer *trainer, Napi::Object model_object);

private:
    static Napi::Value Create(const Napi::CallbackInfo &info);
    Napi::Value Step(const Napi::CallbackInfo &info);
    Napi::Value Evaluate(const Napi::CallbackInfo &info);
    Napi::Value StepCount(const Napi::CallbackInfo &info);
    Napi::Value TokensSeen(const Napi::CallbackInfo &info);
    Napi::Value GetOptions(const Napi::CallbackInfo &info);
    Napi::Value SetOptions(const Napi::CallbackInfo &info);
    Napi::Value GetModel(const Napi::CallbackInfo &info);
    Napi::Value GetDevice(const Napi::CallbackInfo &info);
    Napi::Value SetDevice(const Napi::CallbackInfo &info);
};

}  // namespace seedling
