# The fuzz targets: tests/fuzz/<name>_fuzz.cc with its seed corpus in tests/fuzz/<name>/.
set(HOURGLASS_FUZZ_TARGETS request_line stores_csv stock_csv config journal snapshot zone_geojson)

# What every harness links: its scratch folder and the world it runs over (built once for all).
if(NOT TARGET hourglass_fuzz_support)
  add_library(hourglass_fuzz_support STATIC ${CMAKE_CURRENT_LIST_DIR}/fuzz_files.cc
                                            ${CMAKE_CURRENT_LIST_DIR}/fuzz_world.cc)
  target_include_directories(hourglass_fuzz_support PUBLIC ${CMAKE_SOURCE_DIR})
  target_link_libraries(hourglass_fuzz_support PUBLIC hourglass_io PRIVATE hourglass_warnings)
  target_compile_definitions(hourglass_fuzz_support PRIVATE
                             HOURGLASS_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
endif()
