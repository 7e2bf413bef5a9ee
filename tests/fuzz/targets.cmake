# The fuzz targets: tests/fuzz/<name>_fuzz.cc with its seed corpus in tests/fuzz/<name>/.
set(HOURGLASS_FUZZ_TARGETS request_line stores_csv stock_csv config journal)
# What every harness links with (paths relative to tests/fuzz).
set(HOURGLASS_FUZZ_SUPPORT fuzz_files.cc fuzz_world.cc)
