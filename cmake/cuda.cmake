# cuda.cmake: builds an app's .cu files with nvcc through add_custom_command,
# for apps with a CUDA path beside their CPU path (examples/tone-detector,
# shot-detector, gpu-alloc). Included by the top-level CMakeLists.txt and, as
# part of the installed package, by find_package(clams), so an app outside
# this tree gets the same function. CMake's own CUDA language support is not
# used: the cmake on our build hosts (3.25) predates the CUDA 13 toolkit.
# Without nvcc CLAMS_HAVE_NVCC is OFF and apps build their CPU-only variant.
#
# Sets CLAMS_HAVE_NVCC, CLAMS_NVCC, CLAMS_CUDART_STATIC, CLAMS_CUDA_INCLUDE.
# Set before it: CLAMS_CUDA (ON; OFF skips nvcc), CLAMS_CUDA_ARCH_FLAGS,
# CUDAToolkit_ROOT (where to look for nvcc besides /usr/local/cuda).
include_guard(GLOBAL)

option(CLAMS_CUDA "Build the CUDA paths of apps when nvcc is found" ON)
set(CLAMS_CUDA_ARCH_FLAGS "-gencode=arch=compute_90,code=[sm_90,compute_90]"
    CACHE STRING "nvcc -gencode flags for CUDA objects (sm_90 = H100/H200, plus PTX)")
# clams_cuda.h sits beside this file, in the tree and installed; the clams
# headers are the tree's (set by the caller) or the installed ones.
set(CLAMS_CUDA_HELPER_DIR "${CMAKE_CURRENT_LIST_DIR}")

set(_clams_cuda_hints /usr/local/cuda/bin)
if(CUDAToolkit_ROOT)
  list(PREPEND _clams_cuda_hints ${CUDAToolkit_ROOT}/bin)
endif()
if(DEFINED ENV{CUDAToolkit_ROOT})
  list(PREPEND _clams_cuda_hints $ENV{CUDAToolkit_ROOT}/bin)
endif()
find_program(CLAMS_NVCC nvcc HINTS ${_clams_cuda_hints})

set(CLAMS_HAVE_NVCC OFF)
if(CLAMS_CUDA AND CLAMS_NVCC)
  get_filename_component(_clams_cuda_root "${CLAMS_NVCC}" DIRECTORY)
  get_filename_component(_clams_cuda_root "${_clams_cuda_root}" DIRECTORY)
  find_library(CLAMS_CUDART_STATIC NAMES libcudart_static.a cudart_static
               HINTS ${_clams_cuda_root}/lib64 ${_clams_cuda_root}/lib
                     ${_clams_cuda_root}/targets/x86_64-linux/lib NO_DEFAULT_PATH)
  if(CLAMS_CUDART_STATIC)
    set(CLAMS_HAVE_NVCC ON)
    set(CLAMS_CUDA_INCLUDE "${_clams_cuda_root}/include")
    message(STATUS "clams: CUDA objects built with ${CLAMS_NVCC} (${CLAMS_CUDA_ARCH_FLAGS})")
  else()
    message(STATUS "clams: nvcc found but no libcudart_static.a; CPU-only builds")
  endif()
else()
  message(STATUS "clams: no nvcc (or CLAMS_CUDA=OFF); CPU-only builds of CUDA apps")
endif()

# clams_add_cuda_objects(<target> <extra nvcc flags (a list, may be "")> <file.cu>...)
# Compiles each .cu (relative to the calling folder) into an object linked
# into <target>, and links the static CUDA runtime (no libcudart.so needed
# where the binary runs). The .cu files see the calling folder, the clams
# headers and clams_cuda.h. Call it only when CLAMS_HAVE_NVCC is ON, and
# define a macro of your own for the C side (SHOT_HAVE_CUDA and the like).
function(clams_add_cuda_objects target extra_flags)
  if(NOT CLAMS_HAVE_NVCC)
    message(FATAL_ERROR "clams_add_cuda_objects(${target}): no nvcc; test CLAMS_HAVE_NVCC first")
  endif()
  set(incs -I${CLAMS_CUDA_HELPER_DIR} -I${CMAKE_CURRENT_SOURCE_DIR})
  foreach(d ${CLAMS_CUDA_CLAMS_INCLUDE})
    list(APPEND incs -I${d})
  endforeach()
  set(objs)
  foreach(cu ${ARGN})
    get_filename_component(base ${cu} NAME_WE)
    set(obj ${CMAKE_CURRENT_BINARY_DIR}/${base}.cu.o)
    add_custom_command(
      OUTPUT ${obj}
      COMMAND ${CLAMS_NVCC} -c -O2 -std=c++17 ${CLAMS_CUDA_ARCH_FLAGS} ${extra_flags}
              -Xcompiler=-fPIC ${incs} -o ${obj} ${CMAKE_CURRENT_SOURCE_DIR}/${cu}
      DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${cu} ${CLAMS_CUDA_HELPER_DIR}/clams_cuda.h
      COMMENT "nvcc ${cu}"
      VERBATIM)
    list(APPEND objs ${obj})
  endforeach()
  target_sources(${target} PRIVATE ${objs})
  set_source_files_properties(${objs} PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  target_link_libraries(${target} PRIVATE ${CLAMS_CUDART_STATIC} stdc++ rt dl pthread)
  target_include_directories(${target} PRIVATE ${CLAMS_CUDA_INCLUDE})
endfunction()
