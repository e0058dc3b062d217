// handle_wrap.h: the engine's opaque handles as JS objects: what every wrapper class shares.
//
// Each class owns one engine handle and frees it in its finalizer (or earlier through dispose()).
// JS code never constructs them with `new`: factories (Tokenizer.train, Model.create,
// checkpointLoad, ...) make them. A Trainer or Session keeps its Model alive (a strong reference)
// and a Model refuses dispose() while any of them still uses it (model.h).
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

}  // namespace seedling
