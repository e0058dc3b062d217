# Cross-compiling for linux-arm64 with Debian's cross toolchain (crossbuild-essential-arm64).
# Programs built here run under qemu-aarch64 (CTest's emulator below), with the arm64 C library
# found under /usr/aarch64-linux-gnu.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
find_program(SL_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(SL_QEMU_AARCH64)
  # -L: where the emulated programs' dynamic loader and libraries are (QEMU_LD_PREFIX also works).
  set(CMAKE_CROSSCOMPILING_EMULATOR ${SL_QEMU_AARCH64} -L /usr/aarch64-linux-gnu)
endif()
