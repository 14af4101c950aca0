# Installs headers, the library and a package config so that a separate project can do
#   find_package(streamlib) + target_link_libraries(app streamlib::streamlib)
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/streamlib DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/generated/streamlib/version.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/streamlib)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/processors/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/streamlib/processors
  FILES_MATCHING PATTERN "*.h")
install(TARGETS streamlib EXPORT streamlibTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TARGET streamlib_cli)
  install(TARGETS streamlib_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(EXPORT streamlibTargets NAMESPACE streamlib:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/streamlib)

# The media components' own dependencies, recreated as the same PkgConfig:: imported targets.
get_property(_streamlib_pkg_deps GLOBAL PROPERTY STREAMLIB_PKG_DEPENDENCIES)
get_property(STREAMLIB_COMPONENT_LIST GLOBAL PROPERTY STREAMLIB_COMPONENTS)
set(STREAMLIB_PKG_DEPENDENCY_LINES "")
if(_streamlib_pkg_deps)
  string(APPEND STREAMLIB_PKG_DEPENDENCY_LINES "find_dependency(PkgConfig)\n")
  list(REMOVE_DUPLICATES _streamlib_pkg_deps)
  foreach(dep IN LISTS _streamlib_pkg_deps)
    string(REPLACE "|" ";" dep "${dep}")
    list(GET dep 0 prefix)
    list(GET dep 1 modules)
    string(APPEND STREAMLIB_PKG_DEPENDENCY_LINES
      "if(NOT TARGET PkgConfig::${prefix})\n  pkg_check_modules(${prefix} REQUIRED IMPORTED_TARGET ${modules})\nendif()\n")
  endforeach()
endif()

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/streamlibConfig.cmake.in
  ${PROJECT_BINARY_DIR}/streamlibConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/streamlib)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/streamlibConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/streamlibConfig.cmake ${PROJECT_BINARY_DIR}/streamlibConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/streamlib)

# pkg-config: the core library (the installed prefix is substituted at install time).
install(CODE "
  set(CMAKE_INSTALL_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  set(CMAKE_INSTALL_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")
  set(CMAKE_INSTALL_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
  set(PROJECT_VERSION \"${PROJECT_VERSION}\")
  configure_file(\"${PROJECT_SOURCE_DIR}/cmake/streamlib.pc.in\" \"${PROJECT_BINARY_DIR}/streamlib.pc.installed\" @ONLY)
  file(INSTALL \"${PROJECT_BINARY_DIR}/streamlib.pc.installed\" DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig\"
       RENAME streamlib.pc)
")
