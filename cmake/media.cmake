# libclams-media: video frames, audio samples, images and TimeFrame sampling
# over FFmpeg (libavformat, libavcodec, libswscale, libswresample).
# A library of its own so that only apps that read media link FFmpeg; it uses
# nothing but libclams's public API, so the shared one links the shared libclams.
# Targets: clams_media_static and clams_media_shared (alias clams::media, the
# installed CMake package clams-media), pkg-config file clams-media.pc.
include(GNUInstallDirs) # before any CMAKE_INSTALL_* below
pkg_check_modules(CLAMS_AV REQUIRED IMPORTED_TARGET
                  libavformat libavcodec libavutil libswscale libswresample)

file(GLOB CLAMS_MEDIA_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/media/*.c)

add_library(clams_media_objects OBJECT ${CLAMS_MEDIA_SOURCES})
# The area reduction's row loops are written for the auto-vectoriser, which
# gcc runs at -O3 only (measured: the scalar loops cost as much as libswscale).
if(NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
  set_source_files_properties(${CMAKE_SOURCE_DIR}/src/media/area.c PROPERTIES COMPILE_OPTIONS -O3)
endif()
target_include_directories(clams_media_objects PRIVATE ${CMAKE_SOURCE_DIR}/include)
target_link_libraries(clams_media_objects PUBLIC PkgConfig::JANSSON PkgConfig::CLAMS_AV)
set_target_properties(clams_media_objects PROPERTIES C_VISIBILITY_PRESET hidden)

add_library(clams_media_static STATIC $<TARGET_OBJECTS:clams_media_objects>)
target_link_libraries(clams_media_static PUBLIC clams_static PkgConfig::CLAMS_AV m)
set_target_properties(clams_media_static PROPERTIES OUTPUT_NAME clams-media)

add_library(clams_media_shared SHARED $<TARGET_OBJECTS:clams_media_objects>)
target_link_libraries(clams_media_shared PUBLIC clams_shared PkgConfig::CLAMS_AV m)
# $ORIGIN: the installed libclams-media finds the libclams installed beside
# it, also when an app's run path names only its own directory or the app
# does not link libclams itself (--as-needed).
set_target_properties(clams_media_shared PROPERTIES OUTPUT_NAME clams-media
                      VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
                      INSTALL_RPATH "$ORIGIN")
add_library(clams::media ALIAS clams_media_shared)

foreach(t clams_media_static clams_media_shared)
  set_property(TARGET ${t} PROPERTY INTERFACE_INCLUDE_DIRECTORIES
               "$<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include>"
               "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>")
endforeach()

# The media benchmark (bench/media/, run by bench/40-media.sh).
if(EXISTS ${CMAKE_SOURCE_DIR}/bench/media/media_bench.c)
  add_executable(media_bench ${CMAKE_SOURCE_DIR}/bench/media/media_bench.c)
  target_link_libraries(media_bench PRIVATE clams_media_static)
  set_target_properties(media_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
endif()

# ---- Installation ------------------------------------------------------------
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
set_target_properties(clams_media_shared PROPERTIES EXPORT_NAME media)
set_target_properties(clams_media_static PROPERTIES EXPORT_NAME media_static)
install(TARGETS clams_media_shared clams_media_static EXPORT clamsMediaTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

# pkg-config: clams-media.pc, written at install time with the install prefix.
set(_clams_media_pc [=[prefix=@CLAMS_PC_PREFIX@
exec_prefix=${prefix}
libdir=${prefix}/@CMAKE_INSTALL_LIBDIR@
includedir=${prefix}/@CMAKE_INSTALL_INCLUDEDIR@

Name: clams-media
Description: CLAMS SDK for C, media: video frames, audio, images, TimeFrame sampling (FFmpeg)
Version: @PROJECT_VERSION@
URL: https://github.com/clamsproject/clams-c
Requires: clams
Requires.private: libavformat libavcodec libavutil libswscale libswresample
Cflags: -I${includedir}
Libs: -L${libdir} @CLAMS_PC_RPATH@-lclams-media
Libs.private: -lm
]=])
string(REPLACE "@CMAKE_INSTALL_LIBDIR@" "${CMAKE_INSTALL_LIBDIR}" _clams_media_pc "${_clams_media_pc}")
string(REPLACE "@CMAKE_INSTALL_INCLUDEDIR@" "${CMAKE_INSTALL_INCLUDEDIR}" _clams_media_pc "${_clams_media_pc}")
string(REPLACE "@PROJECT_VERSION@" "${PROJECT_VERSION}" _clams_media_pc "${_clams_media_pc}")
file(WRITE ${CMAKE_BINARY_DIR}/clams-media.pc.in "${_clams_media_pc}")
install(CODE "
  set(CLAMS_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  # A private prefix gets a run path, as clams.pc does (cmake/install.cmake).
  set(CLAMS_PC_RPATH \"-Wl,-rpath,\\\${libdir} \")
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\" OR CMAKE_INSTALL_PREFIX STREQUAL \"/usr/local\")
    set(CLAMS_PC_RPATH \"\")
  endif()
  string(RANDOM LENGTH 16 _clams_media_pc_run)
  set(_clams_media_pc_dir \"${CMAKE_BINARY_DIR}/pc-install/media-\${_clams_media_pc_run}\")
  configure_file(\"${CMAKE_BINARY_DIR}/clams-media.pc.in\" \"\${_clams_media_pc_dir}/clams-media.pc\" @ONLY)
  file(INSTALL \"\${_clams_media_pc_dir}/clams-media.pc\"
       DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig\")
  file(REMOVE_RECURSE \"\${_clams_media_pc_dir}\")
")

# CMake package clams-media: find_package(clams-media) gives clams::media.
set(CLAMS_MEDIA_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/clams-media)
install(EXPORT clamsMediaTargets NAMESPACE clams:: DESTINATION ${CLAMS_MEDIA_CMAKE_DIR})
file(WRITE ${CMAKE_BINARY_DIR}/clams-mediaConfig.cmake [=[
# clams-media: imported targets clams::media (shared) and clams::media_static.
include(CMakeFindDependencyMacro)
find_dependency(clams)
find_dependency(PkgConfig)
pkg_check_modules(CLAMS_AV REQUIRED IMPORTED_TARGET
                  libavformat libavcodec libavutil libswscale libswresample)
include("${CMAKE_CURRENT_LIST_DIR}/clamsMediaTargets.cmake")
]=])
write_basic_package_version_file(${CMAKE_BINARY_DIR}/clams-mediaConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/clams-mediaConfig.cmake
              ${CMAKE_BINARY_DIR}/clams-mediaConfigVersion.cmake
        DESTINATION ${CLAMS_MEDIA_CMAKE_DIR})
