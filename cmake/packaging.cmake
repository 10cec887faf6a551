# Install rules and the Debian package (`cmake --build build --target package`, or `cpack -G DEB`
# in the build dir): warren_<version>-<release>_<arch>.deb with warrend, warrenctl, the plugin in
# /usr/lib/cni (postinst links it into /opt/cni/bin: Debian packages may not ship files in /opt),
# the systemd units, /etc/warren/warrend.json as a conffile and maintainer scripts that enable
# the sockets.
include(GNUInstallDirs)

set(WARREN_DEB_RELEASE 1)
set(WARREN_DEB_VERSION "${PROJECT_VERSION}-${WARREN_DEB_RELEASE}")
set(WARREN_DEB_DIR ${PROJECT_SOURCE_DIR}/packaging/debian)

install(TARGETS warrend warrenctl RUNTIME DESTINATION bin COMPONENT warren)
install(TARGETS warren RUNTIME DESTINATION lib/cni COMPONENT warren)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/warrend.service ${PROJECT_SOURCE_DIR}/systemd/warrend.socket
              ${PROJECT_SOURCE_DIR}/systemd/warrend-admin.socket
        DESTINATION /lib/systemd/system COMPONENT warren)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/warrend.example.json DESTINATION /etc/warren
        RENAME warrend.json COMPONENT warren)

# /usr/share/doc/warren: README, copyright and the Debian changelog (gzip -9n: no timestamp).
set(WARREN_DEB_MAINTAINER "warren maintainers <maintainers@users.noreply.r-seed-83d929c7.example>")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${WARREN_DEB_MAINTAINER}")
set(changelog ${CMAKE_BINARY_DIR}/packaging/changelog.Debian)
configure_file(${WARREN_DEB_DIR}/changelog.in ${changelog} @ONLY)
execute_process(COMMAND gzip -9nf ${changelog} RESULT_VARIABLE gzip_rc)
if(NOT gzip_rc EQUAL 0)
  message(FATAL_ERROR "packaging: gzip -9n ${changelog} failed (${gzip_rc}); install gzip")
endif()
install(FILES ${WARREN_DEB_DIR}/lintian-overrides DESTINATION share/lintian/overrides RENAME warren
        COMPONENT warren)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${WARREN_DEB_DIR}/copyright ${changelog}.gz
        DESTINATION share/doc/warren COMPONENT warren)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME warren)
set(CPACK_PACKAGE_VENDOR "the warren authors")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${WARREN_DEB_RELEASE})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.invalid/warren")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "containernetworking-plugins")
# One string: a CMake list would put ';' between the lines.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "node-local IPAM agent and CNI plugin
warren replaces the CNI host-local IPAM plugin: the warrend daemon keeps the
node's pod address pools in memory, journals every change and frees the
addresses of pods that are gone, which it learns from network namespaces,
eBPF traffic counters and netlink. The warren CNI plugin asks it over a Unix
socket that systemd holds open, so requests wait while the agent restarts.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${WARREN_DEB_DIR}/conffiles ${WARREN_DEB_DIR}/postinst
                                       ${WARREN_DEB_DIR}/prerm ${WARREN_DEB_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
