# Install rules for libclams: the shared and static library, the public
# headers, the `clams` tool, its templates and man pages, a pkg-config file
# and a CMake package (clams::clams, clams::clams_static), so an app outside
# this tree builds with find_package(clams) or `pkg-config clams`.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The library targets carry the source tree's include folder; installed
# consumers need the installed one instead, or install(EXPORT) refuses them.
foreach(t clams_static clams_shared)
  set_property(TARGET ${t} PROPERTY INTERFACE_INCLUDE_DIRECTORIES
               "$<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include>"
               "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>")
endforeach()
set_target_properties(clams_shared PROPERTIES EXPORT_NAME clams)
set_target_properties(clams_static PROPERTIES EXPORT_NAME clams_static)

install(TARGETS clams_shared clams_static EXPORT clamsTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/clams
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")

# `clams new` looks for its templates next to the tool (../share/clams/templates)
# and falls back to the source tree, so the tool also works uninstalled.
if(TARGET clams_cli)
  install(TARGETS clams_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  target_compile_definitions(clams_cli PRIVATE
    CLAMS_TEMPLATE_SRC_DIR="${CMAKE_SOURCE_DIR}/templates"
    CLAMS_TEMPLATE_REL_DIR="${CMAKE_INSTALL_DATADIR}/clams/templates"
    CLAMS_INSTALL_LIBDIR="${CMAKE_INSTALL_LIBDIR}")
endif()
install(DIRECTORY ${CMAKE_SOURCE_DIR}/templates/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/clams/templates)
# The Python shim of `clams serve` (found next to the tool: ../share/clams/python).
install(FILES ${CMAKE_SOURCE_DIR}/src/host/clams_host.py
        DESTINATION ${CMAKE_INSTALL_DATADIR}/clams/python)
install(FILES ${CMAKE_SOURCE_DIR}/man/clams.1 ${CMAKE_SOURCE_DIR}/man/clams-app.1
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# pkg-config: the file names the prefix given at install time (--prefix or
# CMAKE_INSTALL_PREFIX), without DESTDIR, as packagers expect. jansson is
# public (the headers expose json_t); libmicrohttpd, dl and m only matter
# for static links.
set(CLAMS_PC_PREFIX "@CLAMS_PC_PREFIX@") # kept for the install-time pass
set(CLAMS_PC_RPATH "@CLAMS_PC_RPATH@")
configure_file(${CMAKE_SOURCE_DIR}/cmake/clams.pc.in ${CMAKE_BINARY_DIR}/clams.pc.in @ONLY)
# Each install run writes its clams.pc in a scratch directory of its own:
# installs into different prefixes may run at once from one build tree (the
# test suite does), and a shared build/clams.pc let one run install the other's.
install(CODE "
  set(CLAMS_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  # A private prefix gets a run path in Libs, so a binary linked with
  # pkg-config runs without LD_LIBRARY_PATH; the system prefixes need none.
  set(CLAMS_PC_RPATH \"-Wl,-rpath,\\\${libdir} \")
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\" OR CMAKE_INSTALL_PREFIX STREQUAL \"/usr/local\")
    set(CLAMS_PC_RPATH \"\")
  endif()
  string(RANDOM LENGTH 16 _clams_pc_run)
  set(_clams_pc_dir \"${CMAKE_BINARY_DIR}/pc-install/\${_clams_pc_run}\")
  configure_file(\"${CMAKE_BINARY_DIR}/clams.pc.in\" \"\${_clams_pc_dir}/clams.pc\" @ONLY)
  file(INSTALL \"\${_clams_pc_dir}/clams.pc\"
       DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig\")
  file(REMOVE_RECURSE \"\${_clams_pc_dir}\")
")

# CMake package.
set(CLAMS_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/clams)
install(EXPORT clamsTargets NAMESPACE clams:: DESTINATION ${CLAMS_CMAKE_DIR})
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/clamsConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/clamsConfig.cmake
                              INSTALL_DESTINATION ${CLAMS_CMAKE_DIR}
                              PATH_VARS CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/clamsConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/clamsConfig.cmake ${CMAKE_BINARY_DIR}/clamsConfigVersion.cmake
        DESTINATION ${CLAMS_CMAKE_DIR})
# The CUDA build helper (clams_add_cuda_objects) and the header its .cu files
# include, so an app outside the tree builds its CUDA path as the examples do.
install(FILES ${CMAKE_SOURCE_DIR}/cmake/cuda.cmake ${CMAKE_SOURCE_DIR}/cmake/clams_cuda.h
        DESTINATION ${CLAMS_CMAKE_DIR})
