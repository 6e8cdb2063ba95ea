# cuda.cmake: builds .cu files with nvcc through add_custom_command, for the
# examples that have a CUDA path (tone-detector, gpu-alloc). CMake's own CUDA
# language support is not used: the cmake on our build hosts (3.25) predates
# the CUDA 13 toolkit. Without nvcc the examples build their CPU-only variant.
# Included by each example folder (variables are per directory scope).

option(CLAMS_EXAMPLES_CUDA "Build the CUDA paths of the examples when nvcc is found" ON)
set(CLAMS_CUDA_ARCH_FLAGS "-gencode=arch=compute_90,code=[sm_90,compute_90]"
    CACHE STRING "nvcc -gencode flags for the examples (sm_90 = H100/H200, plus PTX)")

set(_clams_cuda_hints /usr/local/cuda/bin)
if(CUDAToolkit_ROOT)
  list(PREPEND _clams_cuda_hints ${CUDAToolkit_ROOT}/bin)
endif()
if(DEFINED ENV{CUDAToolkit_ROOT})
  list(PREPEND _clams_cuda_hints $ENV{CUDAToolkit_ROOT}/bin)
endif()
find_program(CLAMS_NVCC nvcc HINTS ${_clams_cuda_hints})

set(CLAMS_HAVE_NVCC OFF)
if(CLAMS_EXAMPLES_CUDA AND CLAMS_NVCC)
  get_filename_component(_clams_cuda_root "${CLAMS_NVCC}" DIRECTORY)
  get_filename_component(_clams_cuda_root "${_clams_cuda_root}" DIRECTORY)
  find_library(CLAMS_CUDART_STATIC NAMES libcudart_static.a cudart_static
               HINTS ${_clams_cuda_root}/lib64 ${_clams_cuda_root}/lib
                     ${_clams_cuda_root}/targets/x86_64-linux/lib NO_DEFAULT_PATH)
  if(CLAMS_CUDART_STATIC)
    set(CLAMS_HAVE_NVCC ON)
    set(CLAMS_CUDA_INCLUDE "${_clams_cuda_root}/include")
    message(STATUS "examples: CUDA paths built with ${CLAMS_NVCC} (${CLAMS_CUDA_ARCH_FLAGS})")
  else()
    message(STATUS "examples: nvcc found but no libcudart_static.a; CPU-only builds")
  endif()
else()
  message(STATUS "examples: no nvcc (or CLAMS_EXAMPLES_CUDA=OFF); CPU-only builds of the CUDA examples")
endif()

# clams_add_cuda_objects(<target> <extra nvcc flags (a list)> <file.cu>...)
# Compiles each .cu into an object linked into <target>, links the static CUDA
# runtime (no libcudart.so needed where the binary runs) and defines
# <TARGET>_HAVE_CUDA-style macros through the caller.
function(clams_add_cuda_objects target extra_flags)
  set(objs)
  foreach(cu ${ARGN})
    get_filename_component(base ${cu} NAME_WE)
    set(obj ${CMAKE_CURRENT_BINARY_DIR}/${base}.cu.o)
    add_custom_command(
      OUTPUT ${obj}
      COMMAND ${CLAMS_NVCC} -c -O2 -std=c++17 ${CLAMS_CUDA_ARCH_FLAGS} ${extra_flags}
              -Xcompiler=-fPIC -I${CMAKE_SOURCE_DIR}/include
              -I${CMAKE_CURRENT_SOURCE_DIR} -o ${obj} ${CMAKE_CURRENT_SOURCE_DIR}/${cu}
      DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${cu}
      COMMENT "nvcc ${cu}"
      VERBATIM)
    list(APPEND objs ${obj})
  endforeach()
  target_sources(${target} PRIVATE ${objs})
  set_source_files_properties(${objs} PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  target_link_libraries(${target} PRIVATE ${CLAMS_CUDART_STATIC} stdc++ rt dl pthread)
  target_include_directories(${target} PRIVATE ${CLAMS_CUDA_INCLUDE})
endfunction()
