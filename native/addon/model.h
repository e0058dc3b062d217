// model.h: the Model class (model.cc), and the base of the classes that borrow a model.
#pragma once

#include "handle_wrap.h"

namespace seedling {

class ModelWrap : public HandleWrap<ModelWrap, sl_model, sl_model_free> {
public:
    static constexpr const char *kName = "Model";
    static Napi::Function Define(Napi::Env env);
    using HandleWrap::HandleWrap;
    static ModelWrap *From(Napi::Env env, Napi::Value v) { return UnwrapChecked(env, v, GetAddonData(env).model); }
    void BeforeDispose(Napi::Env env);
    int dependents = 0;  // live trainers and sessions that point at this model

private:
    static Napi::Value Create(const Napi::CallbackInfo &info);
    Napi::Value Config(const Napi::CallbackInfo &info);
    Napi::Value NumParams(const Napi::CallbackInfo &info);
    Napi::Value Loss(const Napi::CallbackInfo &info);
    Napi::Value Attention(const Napi::CallbackInfo &info);
};

// Objects that borrow a model: hold a strong reference to it and count as its dependent.
template <typename Self, typename Handle, void (*FreeHandle)(Handle *)>
class ModelDependentWrap : public HandleWrap<Self, Handle, FreeHandle> {
public:
    using HandleWrap<Self, Handle, FreeHandle>::HandleWrap;
    ~ModelDependentWrap() override { this->Release(); }
    void AttachModel(Napi::Object model_object) {
        model_ref_ = Napi::Persistent(model_object);
        model_ = Napi::ObjectWrap<ModelWrap>::Unwrap(model_object);
        model_->dependents++;
    }
    ModelWrap *model() const { return model_; }
    Napi::Object ModelObject() { return model_ref_.Value(); }

protected:
    void OnRelease() override {
        if (model_) {
            model_->dependents--;
            model_ = nullptr;
            model_ref_.Reset();
        }
    }
    ModelWrap *model_ = nullptr;
    Napi::ObjectReference model_ref_;
};

}  // namespace seedling
