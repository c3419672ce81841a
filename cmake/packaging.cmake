# Installing and packaging: `cmake --install build [--prefix DIR]` installs the
# two programs, their man pages (gzipped at build time), the systemd unit and
# the example settings; `cpack -G DEB` (in build/) makes a .deb whose
# dependencies dpkg-shlibdeps derives from the binaries.
include(GNUInstallDirs)

install(TARGETS ferryd ferry RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Man pages: hand-written roff in man/, gzipped as Debian wants them.
find_program(GZIP_PROGRAM gzip REQUIRED)
set(man_pages ferryd.8 ferry.1)
set(man_outputs)
foreach(page ${man_pages})
  string(REGEX REPLACE "^.*\\." "" section ${page})
  set(out ${CMAKE_BINARY_DIR}/man/${page}.gz)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
    COMMAND ${GZIP_PROGRAM} -9nc ${PROJECT_SOURCE_DIR}/man/${page} > ${out}
    DEPENDS ${PROJECT_SOURCE_DIR}/man/${page} VERBATIM)
  list(APPEND man_outputs ${out})
  install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()
add_custom_target(man_pages ALL DEPENDS ${man_outputs})

# The systemd unit, with ExecStart pointing at the installed ferryd (the file
# in packaging/ names /usr/bin/ferryd, where the .deb puts it).
install(CODE "
  file(READ \"${PROJECT_SOURCE_DIR}/packaging/ferryd.service\" unit)
  string(REPLACE \"/usr/bin/ferryd\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/ferryd\" unit \"\${unit}\")
  file(WRITE \"${CMAKE_BINARY_DIR}/packaging/ferryd.service\" \"\${unit}\")
")
install(FILES ${CMAKE_BINARY_DIR}/packaging/ferryd.service DESTINATION lib/systemd/system)
# The example settings: default_config_text(), as `ferryd init` writes it
# (config_test fails if the two differ).
install(FILES packaging/ferryd.toml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES README.md docs/protocol.md docs/operations.md docs/security.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_PACKAGE_NAME ferry)
set(CPACK_PACKAGE_VENDOR "ferry developers")
set(CPACK_PACKAGE_CONTACT "ferry developers <ferry@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "multi-user file-transfer server (ferryd) and client (ferry)")
set(CPACK_PACKAGE_DESCRIPTION "ferryd serves each user a jailed home with a quota over a framed,\n\
SCRAM-authenticated protocol and FTP/FTPS; transfers resume and are verified.\n\
ferry is its client: shell, one-shot commands, batch files, UDP status ping.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)  # (with CPACK_SET_DESTDIR this is the prefix used)
# DESTDIR staging, so CMAKE_INSTALL_PREFIX is /usr while the unit is written.
set(CPACK_SET_DESTDIR ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/postinst)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
