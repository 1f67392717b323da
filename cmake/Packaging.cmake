# Installation layout and the Debian package (`cpack -G DEB` in a build directory):
#   /usr/bin/splitledger                        the binary
#   /usr/lib/splitledger/adapters/psp_*.so      the bundled PSP adapters
#   /usr/include/splitledger/psp_adapter.h(pp)  the plugin SDK header, for third-party adapters
#   /lib/systemd/system/splitledger.service     the unit (runs as user splitledger)
#   /etc/splitledger/splitledger.json           the configuration (a conffile)
#   /usr/share/doc/splitledger/                 README and docs
# Data: /var/lib/splitledger (made by postinst and by the unit's StateDirectory).
include(GNUInstallDirs)

install(TARGETS splitledger RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS splitledger_adapter_sandbox splitledger_adapter_njiapay
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/splitledger/adapters)
install(FILES plugins/sdk/include/splitledger/psp_adapter.h
              plugins/sdk/include/splitledger/psp_adapter.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/splitledger)
install(FILES packaging/splitledger.service DESTINATION /lib/systemd/system)
install(FILES packaging/splitledger.json DESTINATION /etc/splitledger)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME splitledger)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "splitledger maintainers <maintainers@splitledger.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Marketplace split payments: Mangopay-compatible REST API over a double-entry ledger")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: from the binary's and adapters' libraries
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${CMAKE_CURRENT_SOURCE_DIR}/packaging/debian/postinst;${CMAKE_CURRENT_SOURCE_DIR}/packaging/debian/prerm;${CMAKE_CURRENT_SOURCE_DIR}/packaging/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# /etc/splitledger/splitledger.json is a conffile: an upgrade keeps the operator's edits.
file(WRITE "${CMAKE_CURRENT_BINARY_DIR}/conffiles" "/etc/splitledger/splitledger.json\n")
list(APPEND CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${CMAKE_CURRENT_BINARY_DIR}/conffiles")
include(CPack)
