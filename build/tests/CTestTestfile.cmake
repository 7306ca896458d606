# CMake generated Testfile for 
# Source directory: /work/main/tests
# Build directory: /work/main/build/tests
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
include("/work/main/build/tests/d2d_core_tests[1]_include.cmake")
include("/work/main/build/tests/d2d_events_tests[1]_include.cmake")
include("/work/main/build/tests/d2d_lake_tests[1]_include.cmake")
include("/work/main/build/tests/d2d_model_tests[1]_include.cmake")
include("/work/main/build/tests/d2d_generate_tests[1]_include.cmake")
subdirs("integration")
