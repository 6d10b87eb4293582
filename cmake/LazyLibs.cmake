# LazyLibs.cmake - do not link the heavy optional libraries; src/util/lazylib.c
# loads each one on the first call of one of its functions (why and how: there).
# Included at the end of src/CMakeLists.txt, once every pkg_check_modules ran.
# NW_LAZY_LIBS=OFF (or a non-x86-64 target, or a soname that cannot be read)
# links them normally.
option(NW_LAZY_LIBS "Load libcurl, libxml2, libyaml, libssh, libmariadb, libpq, pango/cairo and libpcap on first use" ON)

# ID:pkg-config prefix:library name, as in lazylib_syms.h
set(NW_LAZY_LIST CURL:CURL:curl XML2:LIBXML2:xml2 YAML:YAML:yaml SSH:LIBSSH:ssh
    MARIADB:MARIADB:mariadb PQ:LIBPQ:pq PANGOCAIRO:PANGOCAIRO:pangocairo-1.0
    PANGO:PANGOCAIRO:pango-1.0 GOBJECT:PANGOCAIRO:gobject-2.0 GLIB:PANGOCAIRO:glib-2.0
    CAIRO:PANGOCAIRO:cairo PCAP:PCAP:pcap)
set(NW_LAZY_PKGS CURL LIBXML2 YAML LIBSSH MARIADB LIBPQ PANGOCAIRO PCAP)

set(_nw_lazy_ok OFF)
if(NW_LAZY_LIBS AND CMAKE_SYSTEM_NAME STREQUAL "Linux" AND CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(_nw_lazy_ok ON)
  find_program(NW_READELF NAMES readelf)
  set(_nw_lazy_defs)
  foreach(_e ${NW_LAZY_LIST})
    string(REPLACE ":" ";" _e "${_e}")
    list(GET _e 0 _id)
    list(GET _e 1 _pkg)
    list(GET _e 2 _lib)
    set(_path "")
    foreach(_p ${${_pkg}_LINK_LIBRARIES})
      get_filename_component(_n "${_p}" NAME)
      if(_n STREQUAL "lib${_lib}.so")
        set(_path "${_p}")
      endif()
    endforeach()
    set(_soname "")
    if(_path AND NW_READELF)
      execute_process(COMMAND ${NW_READELF} -d "${_path}" OUTPUT_VARIABLE _out
                      RESULT_VARIABLE _rc ERROR_QUIET)
      if(_rc EQUAL 0 AND _out MATCHES "Library soname: \\[([^]]+)\\]")
        set(_soname "${CMAKE_MATCH_1}")
      endif()
    endif()
    if(_soname STREQUAL "")
      message(STATUS "NW_LAZY_LIBS: no soname for lib${_lib} ('${_path}'); linking every library normally")
      set(_nw_lazy_ok OFF)
      break()
    endif()
    list(APPEND _nw_lazy_defs "NW_SONAME_${_id}=\"${_soname}\"")
  endforeach()
endif()

if(_nw_lazy_ok)
  find_package(Threads REQUIRED)
  message(STATUS "NW_LAZY_LIBS: loading ${NW_LAZY_PKGS} on first use")
  target_sources(nwcore PRIVATE ${CMAKE_SOURCE_DIR}/src/util/lazylib.c)
  # top-level asm defines the functions: keep it out of LTO, whose symbol table would miss them
  set_source_files_properties(${CMAKE_SOURCE_DIR}/src/util/lazylib.c PROPERTIES
      COMPILE_DEFINITIONS "${_nw_lazy_defs}" COMPILE_OPTIONS "-fno-lto")
  foreach(_pkg ${NW_LAZY_PKGS})
    set_property(TARGET PkgConfig::${_pkg} PROPERTY INTERFACE_LINK_LIBRARIES "")
  endforeach()
  target_link_libraries(nwcore PUBLIC ${CMAKE_DL_LIBS} Threads::Threads)
endif()
