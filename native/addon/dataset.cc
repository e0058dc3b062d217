// dataset.cc: the Dataset class (tokenized training documents).
#include <memory>

#include "dataset.h"
#include "tokenizer.h"
#include "js_values.h"

namespace seedling {

Napi::Function DatasetWrap::Define(Napi::Env env) {
    return DefineClass(env, kName,
                       {
                           StaticMethod("create", &DatasetWrap::Create),
                           InstanceAccessor("numTokens", &DatasetWrap::NumTokens, nullptr),
                           InstanceMethod("dispose", &DatasetWrap::Dispose),
                           InstanceAccessor("disposed", &DatasetWrap::IsDisposed, nullptr),
                       });
}

// Dataset.create(tokenizer, docs): Promise<Dataset>. Tokenizing a corpus takes seconds.
Napi::Value DatasetWrap::Create(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    TokenizerWrap *tokenizer = TokenizerWrap::From(env, info[0]);
    sl_tokenizer *tok = tokenizer->Get(env);
    auto docs = std::make_shared<std::vector<std::string>>(ReadDocuments(env, info[1], "documents"));
    AcquireAll(env, {{&tokenizer->busy, "tokenizer"}});
    auto result = std::make_shared<sl_dataset *>(nullptr);
    return EngineTask::Start(
        env, "seedling.dataset.create", {&tokenizer->busy}, {info[0].As<Napi::Object>()},
        [tok, docs, result]() {
            std::vector<const char *> ptrs;
            std::vector<size_t> lens;
            for (const auto &d : *docs) {
                ptrs.push_back(d.data());
                lens.push_back(d.size());
            }
            return sl_dataset_create(tok, ptrs.data(), lens.data(), ptrs.size(), result.get());
        },
        [result](Napi::Env env) -> Napi::Value {
            sl_dataset *ds = *result;
            *result = nullptr;
            return New(env, GetAddonData(env).dataset, ds);
        });
}

Napi::Value DatasetWrap::NumTokens(const Napi::CallbackInfo &info) {
    return Napi::Number::New(info.Env(), static_cast<double>(sl_dataset_num_tokens(Get(info.Env()))));
}

}  // namespace seedling
