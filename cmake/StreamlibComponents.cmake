# The media processor libraries are CMake components of the streamlib package:
#   find_package(streamlib REQUIRED COMPONENTS ffmpeg sdl)
#   target_link_libraries(app PRIVATE streamlib::streamlib streamlib::ffmpeg streamlib::sdl)
# The core library (streamlib::streamlib) depends on no media library; each component is a
# library of processors that registers them through STREAMLIB_MODULE(<name>), and linking the
# component is what puts its processors in the global factory.
include_guard(GLOBAL)
find_package(PkgConfig REQUIRED)

# pkg_check_modules(<prefix> REQUIRED IMPORTED_TARGET <modules>), remembered so that the
# installed package config recreates PkgConfig::<prefix> for the exported targets.
macro(streamlib_pkg_modules prefix)
  pkg_check_modules(${prefix} REQUIRED IMPORTED_TARGET ${ARGN})
  string(REPLACE ";" " " _streamlib_pkg_list "${ARGN}")
  set_property(GLOBAL APPEND PROPERTY STREAMLIB_PKG_DEPENDENCIES "${prefix}|${_streamlib_pkg_list}")
endmacro()

# A helper library that components build on (ffmpeg_common, sdl_common, ...): installed and
# exported so that the components' link interfaces resolve in an installed tree.
function(streamlib_add_layer target)
  install(TARGETS ${target} EXPORT streamlibTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
endfunction()

# streamlib_add_component(<name> <target>): <target> holds STREAMLIB_MODULE(<name>). It becomes
# streamlib::<name>; every program that links it references streamlib_module_<name>, which
# pulls the module's object file (and with it the registrations) into the program.
function(streamlib_add_component name target)
  add_library(streamlib::${name} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
  target_link_options(${target} INTERFACE "LINKER:--undefined=streamlib_module_${name}")
  set_property(GLOBAL APPEND PROPERTY STREAMLIB_COMPONENTS ${name})
  streamlib_add_layer(${target})
endfunction()

# streamlib_layer_warnings(<target>): the project's warnings on a layer's library or test
# target (streamlib_warnings), or the same flags when the layer is configured on its own.
function(streamlib_layer_warnings target)
  if(TARGET streamlib_warnings)
    target_link_libraries(${target} PRIVATE $<BUILD_INTERFACE:streamlib_warnings>)
  else()
    target_compile_options(${target} PRIVATE
      -Wall -Wextra -Wpedantic -Wshadow -Wold-style-cast $<$<CXX_COMPILER_ID:GNU>:-Wno-missing-field-initializers>)
  endif()
endfunction()
