// handles.h: the engine's opaque handles as JS objects.
//
// Each class owns one engine handle and frees it in its finalizer (or earlier through dispose()).
// JS code never constructs them with `new`: factories (Tokenizer.train, Model.create,
// checkpointLoad, ...) make them. A Trainer or Session keeps its Model alive (a strong reference)
// and a Model refuses dispose() while any of them still uses it.
#pragma once

#include <napi.h>

#include <string>

#include "engine_task.h"
#include "seedling.h"

namespace seedling {

// Constructors of the classes, per addon instance (one per worker_thread/environment).
struct AddonData {
    Napi::FunctionReference tokenizer, model, dataset, trainer, session, cancel_token;
};
AddonData &GetAddonData(Napi::Env env);

// The common part: one owned handle, a busy flag, dispose().
template <typename Self, typename Handle, void (*FreeHandle)(Handle *)>
class HandleWrap : public Napi::ObjectWrap<Self> {
public:
    explicit HandleWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Self>(info) {
        if (info.Length() < 1 || !info[0].IsExternal())
            throw Napi::TypeError::New(info.Env(), std::string(Self::kName) +
                                                       " objects come from factory functions, not `new`");
        handle_ = info[0].As<Napi::External<Handle>>().Data();
    }
    ~HandleWrap() override { Release(); }

    Handle *Get(Napi::Env env) {
        if (!handle_) throw MakeCodedError(env, "disposed", std::string("this ") + Self::kName + " was disposed");
        return handle_;
    }
    // Throws "busy" when a task is using this handle (for synchronous calls).
    Handle *GetIdle(Napi::Env env) {
        Handle *h = Get(env);
        if (busy.IsBusy())
            throw MakeCodedError(env, "busy", std::string("the ") + Self::kName + " is busy with another operation");
        return h;
    }
    Napi::Value Dispose(const Napi::CallbackInfo &info) {
        if (handle_) {
            GetIdle(info.Env());
            static_cast<Self *>(this)->BeforeDispose(info.Env());
            Release();
        }
        return info.Env().Undefined();
    }
    Napi::Value IsDisposed(const Napi::CallbackInfo &info) { return Napi::Boolean::New(info.Env(), handle_ == nullptr); }

    // Wrap a new handle (ownership passes to the JS object).
    static Napi::Object New(Napi::Env env, Napi::FunctionReference &ctor, Handle *handle) {
        return ctor.New({Napi::External<Handle>::New(env, handle)});
    }
    static Self *UnwrapChecked(Napi::Env env, Napi::Value value, Napi::FunctionReference &ctor) {
        if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(ctor.Value()))
            throw Napi::TypeError::New(env, std::string("expected a ") + Self::kName);
        return Napi::ObjectWrap<Self>::Unwrap(value.As<Napi::Object>());
    }

    BusyFlag busy;
    void BeforeDispose(Napi::Env) {}  // a class may refuse dispose() by throwing

protected:
    virtual void OnRelease() {}
    void Release() {
        if (handle_) {
            FreeHandle(handle_);
            handle_ = nullptr;
            OnRelease();
        }
    }
    Handle *handle_ = nullptr;
};

class TokenizerWrap : public HandleWrap<TokenizerWrap, sl_tokenizer, sl_tokenizer_free> {
public:
    static constexpr const char *kName = "Tokenizer";
    static Napi::Function Define(Napi::Env env);
    using HandleWrap::HandleWrap;
    static TokenizerWrap *From(Napi::Env env, Napi::Value v) { return UnwrapChecked(env, v, GetAddonData(env).tokenizer); }

private:
    static Napi::Value Train(const Napi::CallbackInfo &info);
    static Napi::Value Bytes(const Napi::CallbackInfo &info);
    static Napi::Value Deserialize(const Napi::CallbackInfo &info);
    Napi::Value VocabSize(const Napi::CallbackInfo &info);
    Napi::Value Encode(const Napi::CallbackInfo &info);
    Napi::Value Decode(const Napi::CallbackInfo &info);
    Napi::Value TokenBytes(const Napi::CallbackInfo &info);
    Napi::Value Serialize(const Napi::CallbackInfo &info);
};

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

class DatasetWrap : public HandleWrap<DatasetWrap, sl_dataset, sl_dataset_free> {
public:
    static constexpr const char *kName = "Dataset";
    static Napi::Function Define(Napi::Env env);
    using HandleWrap::HandleWrap;
    static DatasetWrap *From(Napi::Env env, Napi::Value v) { return UnwrapChecked(env, v, GetAddonData(env).dataset); }

private:
    static Napi::Value Create(const Napi::CallbackInfo &info);
    Napi::Value NumTokens(const Napi::CallbackInfo &info);
};

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

// A flag JS raises to stop a running generation between tokens (sl_generate_options.cancel).
class CancelTokenWrap : public Napi::ObjectWrap<CancelTokenWrap> {
public:
    static constexpr const char *kName = "CancelToken";
    static Napi::Function Define(Napi::Env env);
    explicit CancelTokenWrap(const Napi::CallbackInfo &info);
    static CancelTokenWrap *From(Napi::Env env, Napi::Value v);
    const volatile int32_t *flag() const { return &flag_; }

private:
    Napi::Value Cancel(const Napi::CallbackInfo &info);
    Napi::Value Reset(const Napi::CallbackInfo &info);
    Napi::Value IsCancelled(const Napi::CallbackInfo &info);
    volatile int32_t flag_ = 0;
};

class SessionWrap : public ModelDependentWrap<SessionWrap, sl_session, sl_session_free> {
public:
    static constexpr const char *kName = "Session";
    static Napi::Function Define(Napi::Env env);
    using ModelDependentWrap::ModelDependentWrap;

private:
    static Napi::Value Create(const Napi::CallbackInfo &info);
    Napi::Value Reset(const Napi::CallbackInfo &info);
    Napi::Value Generate(const Napi::CallbackInfo &info);
    Napi::Value Complete(const Napi::CallbackInfo &info);
    Napi::Value Logits(const Napi::CallbackInfo &info);
    Napi::Value Score(const Napi::CallbackInfo &info);
};

// Free functions: checkpoint save/load.
Napi::Value CheckpointSave(const Napi::CallbackInfo &info);
Napi::Value CheckpointLoad(const Napi::CallbackInfo &info);

}  // namespace seedling
