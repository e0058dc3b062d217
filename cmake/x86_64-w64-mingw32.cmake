# Cross-compiling for Windows x64 with Debian's mingw-w64 (gcc-mingw-w64-x86-64). Programs built
# here run under Wine (CTest's emulator below); set WINEPREFIX to a fresh folder and WINEDEBUG=-all.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR AMD64)
# The win32 thread model: the engine uses Win32 threads itself (platform_win32.c), so nothing
# needs winpthreads.
find_program(SL_MINGW_CC NAMES x86_64-w64-mingw32-gcc-win32 x86_64-w64-mingw32-gcc)
find_program(SL_MINGW_CXX NAMES x86_64-w64-mingw32-g++-win32 x86_64-w64-mingw32-g++)
set(CMAKE_C_COMPILER ${SL_MINGW_CC})
set(CMAKE_CXX_COMPILER ${SL_MINGW_CXX})
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# C99 printf formats (%zu, %lld) from mingw's own stdio rather than the old msvcrt's.
add_compile_definitions(__USE_MINGW_ANSI_STDIO=1)
# No libgcc DLL to ship or to find under Wine.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static-libgcc")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static-libgcc")
find_program(SL_WINE NAMES wine64 wine PATHS /usr/lib/wine)
if(SL_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${SL_WINE})
endif()
# GCC keeps Windows' 16-byte stack alignment but spills AVX and AVX-512 registers with aligned
# moves (GCC bug 54412): the kernels would crash at random. The assembler makes every such move an
# unaligned one, which costs nothing on aligned data.
add_compile_options(-Wa,-muse-unaligned-vector-move)
