// suffix_sort.h: the repository ∞-gram's suffix array sort as a free function (suffix_sort.cc).
#pragma once

#include <napi.h>

namespace seedling {

// exports.suffixSort(tokens: Uint16Array, depth: number): Promise<Int32Array>, on a worker thread.
Napi::Value SuffixSort(const Napi::CallbackInfo &info);

}  // namespace seedling
