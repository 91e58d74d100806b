# Installation: the dmf command, the header, libdmf.so (and libdmf.a with
# DMF_INSTALL_STATIC), dmf.pc and the CMake package dmf::dmf.
include(CMakePackageConfigHelpers)

set(DMF_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/dmf)
# The installed dmf finds its libdmf.so wherever the prefix is moved.
set_target_properties(dmf_cli PROPERTIES INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")

install(TARGETS dmf_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES include/dmf.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS dmf EXPORT dmfTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Development
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(DMF_INSTALL_STATIC)
  install(FILES $<TARGET_FILE:dmf_static> DESTINATION ${CMAKE_INSTALL_LIBDIR})
endif()
install(EXPORT dmfTargets NAMESPACE dmf:: DESTINATION ${DMF_INSTALL_CMAKEDIR})

configure_package_config_file(cmake/dmfConfig.cmake.in ${PROJECT_BINARY_DIR}/dmfConfig.cmake
                              INSTALL_DESTINATION ${DMF_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/dmfConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/dmfConfig.cmake ${PROJECT_BINARY_DIR}/dmfConfigVersion.cmake
        DESTINATION ${DMF_INSTALL_CMAKEDIR})

# pkg-config: -ldmf is all a program needs against the shared library; the
# static library's own needs are listed for `pkg-config --static`.
set(DMF_PC_LIBS_PRIVATE "-llapacke -lopenblas -lcjson -lm -fopenmp")
if(DMF_HAVE_CUDA)
  string(APPEND DMF_PC_LIBS_PRIVATE " -L${CUDAToolkit_LIBRARY_DIR} -lcudart_static -ldl -lrt -lpthread -lstdc++")
endif()
if(DMF_HAVE_MPI)
  foreach(lib ${MPI_C_LIBRARIES})
    string(APPEND DMF_PC_LIBS_PRIVATE " ${lib}")
  endforeach()
endif()
# The prefix is found from where dmf.pc lies, so an installed tree can move
# (and `cmake --install --prefix` need not match the configured prefix).
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(DMF_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(DMF_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(DMF_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH DMF_PC_UP "/root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/root")
  set(DMF_PC_PREFIX "\${pcfiledir}/${DMF_PC_UP}")
  set(DMF_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(DMF_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(cmake/dmf.pc.in ${PROJECT_BINARY_DIR}/dmf.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/dmf.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
