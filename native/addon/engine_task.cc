// engine_task.cc: promise-returning worker-thread tasks and engine error conversion.
#include "engine_task.h"

#include <new>

namespace seedling {

Napi::Error MakeCodedError(Napi::Env env, const char *code, const std::string &message) {
    Napi::Error error = Napi::Error::New(env, message);
    error.Set("code", Napi::String::New(env, code));
    return error;
}

Napi::Error MakeEngineError(Napi::Env env, sl_status status, const std::string &message) {
    // An engine that failed without a message still gets a readable error.
    std::string text = message.empty() ? std::string("engine error: ") + sl_status_name(status) : message;
    return MakeCodedError(env, sl_status_name(status), text);
}

void ThrowIfFailed(Napi::Env env, sl_status status) {
    if (status != SL_OK) throw MakeEngineError(env, status, sl_last_error());
}

void AcquireAll(Napi::Env env, const std::vector<std::pair<BusyFlag *, const char *>> &flags) {
    for (size_t i = 0; i < flags.size(); i++) {
        if (!flags[i].first->TryAcquire()) {
            for (size_t j = 0; j < i; j++) flags[j].first->Release();
            throw MakeCodedError(env, "busy", std::string("the ") + flags[i].second +
                                                  " is busy with another operation; await it first");
        }
    }
}

EngineTask::EngineTask(Napi::Env env, const char *name, std::vector<BusyFlag *> held, Work work, Resolve resolve)
    : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)), held_(std::move(held)),
      work_(std::move(work)), resolve_(std::move(resolve)) {}

Napi::Promise EngineTask::Start(Napi::Env env, const char *name, std::vector<BusyFlag *> held,
                                std::vector<Napi::Object> keep_alive, Work work, Resolve resolve) {
    auto *task = new EngineTask(env, name, std::move(held), std::move(work), std::move(resolve));
    for (auto &object : keep_alive) task->keep_alive_.push_back(Napi::Persistent(object));
    Napi::Promise promise = task->deferred_.Promise();
    task->Queue();  // the AsyncWorker deletes itself after OnOK/OnError
    return promise;
}

void EngineTask::Execute() {
    // sl_last_error() is per thread: it must be read here, on the thread that failed.
    try {
        status_ = work_();
        if (status_ != SL_OK) message_ = sl_last_error();
    } catch (const std::bad_alloc &) {
        status_ = SL_ERR_OUT_OF_MEMORY;
        message_ = "out of memory in the binding";
    } catch (const std::exception &e) {
        status_ = SL_ERR_INTERNAL;
        message_ = e.what();
    }
    if (status_ != SL_OK) SetError(message_);
}

void EngineTask::ReleaseFlags() {
    for (BusyFlag *flag : held_) flag->Release();
    held_.clear();
}

void EngineTask::OnOK() {
    ReleaseFlags();
    Napi::HandleScope scope(Env());
    try {
        deferred_.Resolve(resolve_(Env()));
    } catch (const Napi::Error &e) {
        deferred_.Reject(e.Value());
    }
}

void EngineTask::OnError(const Napi::Error &) {
    ReleaseFlags();
    Napi::HandleScope scope(Env());
    deferred_.Reject(MakeEngineError(Env(), status_, message_).Value());
}

}  // namespace seedling
