// engine_task.h: how the binding runs engine work and reports engine failures.
//
// Anything that may take more than about a millisecond runs in an EngineTask on a libuv worker
// thread and settles a Promise; the JS thread never waits on the engine. Engine handles are not
// thread safe, so a task holds the busy flags of every handle it touches, and a second call on a
// busy handle is rejected at once (code "busy") rather than racing.
#pragma once

#include <napi.h>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "seedling.h"

namespace seedling {

// A JS Error with the engine's message and `code` = sl_status_name(status).
Napi::Error MakeEngineError(Napi::Env env, sl_status status, const std::string &message);
// Same with an arbitrary code (e.g. "busy", "disposed").
Napi::Error MakeCodedError(Napi::Env env, const char *code, const std::string &message);
// Throw the last error of this thread when status is not SL_OK (for calls made on the JS thread).
void ThrowIfFailed(Napi::Env env, sl_status status);

// Marks a handle as in use by a running task.
class BusyFlag {
public:
    bool TryAcquire() { return !busy_.exchange(true); }
    void Release() { busy_.store(false); }
    bool IsBusy() const { return busy_.load(); }

private:
    std::atomic<bool> busy_{false};
};

// Acquires all flags or none; throws a "busy" Error naming what was busy.
void AcquireAll(Napi::Env env, const std::vector<std::pair<BusyFlag *, const char *>> &flags);

class EngineTask : public Napi::AsyncWorker {
public:
    using Work = std::function<sl_status()>;                // runs on a worker thread
    using Resolve = std::function<Napi::Value(Napi::Env)>;  // runs on the JS thread after success

    // Queue `work`. The flags must already be held (AcquireAll); they are released when the task
    // settles. keep_alive: JS objects whose native handles the work uses (kept from GC until then).
    static Napi::Promise Start(Napi::Env env, const char *name, std::vector<BusyFlag *> held,
                               std::vector<Napi::Object> keep_alive, Work work, Resolve resolve);

protected:
    void Execute() override;
    void OnOK() override;
    void OnError(const Napi::Error &error) override;

private:
    EngineTask(Napi::Env env, const char *name, std::vector<BusyFlag *> held, Work work, Resolve resolve);
    void ReleaseFlags();

    Napi::Promise::Deferred deferred_;
    std::vector<BusyFlag *> held_;
    std::vector<Napi::ObjectReference> keep_alive_;
    Work work_;
    Resolve resolve_;
    sl_status status_ = SL_OK;
    std::string message_;
};

}  // namespace seedling
