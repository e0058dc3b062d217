// checkpoint.cc: checkpointSave / checkpointLoad (atomic file writes and validated loads, on a
// worker thread: a small model is megabytes, a large one hundreds).
#include <memory>

#include "checkpoint.h"
#include "model.h"
#include "tokenizer.h"
#include "trainer.h"
#include "js_values.h"

namespace seedling {

// checkpointSave(path, model, tokenizer, trainer?): Promise<void>. With a trainer, the optimizer
// state and progress are saved too, so training can resume.
Napi::Value CheckpointSave(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString()) throw Napi::TypeError::New(env, "checkpoint path must be a string");
    auto path = std::make_shared<std::string>(info[0].As<Napi::String>().Utf8Value());
    ModelWrap *model = ModelWrap::From(env, info[1]);
    TokenizerWrap *tokenizer = TokenizerWrap::From(env, info[2]);
    const sl_model *m = model->Get(env);
    const sl_tokenizer *tok = tokenizer->Get(env);
    TrainerWrap *trainer = nullptr;
    const sl_trainer *t = nullptr;
    std::vector<Napi::Object> keep = {info[1].As<Napi::Object>(), info[2].As<Napi::Object>()};
    std::vector<std::pair<BusyFlag *, const char *>> flags = {{&model->busy, "model"}, {&tokenizer->busy, "tokenizer"}};
    if (info.Length() > 3 && !info[3].IsUndefined() && !info[3].IsNull()) {
        trainer = TrainerWrap::From(env, info[3]);
        t = trainer->Get(env);
        if (trainer->model() != model) throw Napi::TypeError::New(env, "the trainer belongs to another model");
        keep.push_back(info[3].As<Napi::Object>());
        flags.push_back({&trainer->busy, "trainer"});
    }
    AcquireAll(env, flags);
    std::vector<BusyFlag *> held;
    for (auto &f : flags) held.push_back(f.first);
    return EngineTask::Start(
        env, "seedling.checkpoint.save", held, keep, [path, m, tok, t]() { return sl_checkpoint_save(path->c_str(), m, tok, t); },
        [](Napi::Env env) -> Napi::Value { return env.Undefined(); });
}

// checkpointLoad(path, {trainer: boolean}?): Promise<{model, tokenizer, trainer: Trainer|null}>
Napi::Value CheckpointLoad(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString()) throw Napi::TypeError::New(env, "checkpoint path must be a string");
    auto path = std::make_shared<std::string>(info[0].As<Napi::String>().Utf8Value());
    bool want_trainer = info.Length() > 1 && info[1].IsObject() &&
                        info[1].As<Napi::Object>().Get("trainer").ToBoolean().Value();
    struct Loaded {
        sl_model *model = nullptr;
        sl_tokenizer *tok = nullptr;
        sl_trainer *trainer = nullptr;
        // Whatever was not handed to JS (a failed load, an exception while wrapping) is freed here.
        ~Loaded() {
            sl_trainer_free(trainer);
            sl_model_free(model);
            sl_tokenizer_free(tok);
        }
    };
    auto loaded = std::make_shared<Loaded>();
    return EngineTask::Start(
        env, "seedling.checkpoint.load", {}, {},
        [path, want_trainer, loaded]() {
            return sl_checkpoint_load(path->c_str(), &loaded->model, &loaded->tok,
                                      want_trainer ? &loaded->trainer : nullptr);
        },
        [loaded](Napi::Env env) -> Napi::Value {
            AddonData &data = GetAddonData(env);
            auto out = Napi::Object::New(env);
            Napi::Object model = ModelWrap::New(env, data.model, loaded->model);
            loaded->model = nullptr;
            out.Set("model", model);
            out.Set("tokenizer", TokenizerWrap::New(env, data.tokenizer, loaded->tok));
            loaded->tok = nullptr;
            if (loaded->trainer) {
                out.Set("trainer", TrainerWrap::NewFor(env, loaded->trainer, model));
                loaded->trainer = nullptr;
            } else {
                out.Set("trainer", env.Null());
            }
            return out;
        });
}

}  // namespace seedling
