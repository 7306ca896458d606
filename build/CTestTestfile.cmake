# CMake generated Testfile for 
# Source directory: /work/main
# Build directory: /work/main/build
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
subdirs("src/core")
subdirs("src/events")
subdirs("src/lake")
subdirs("src/model")
subdirs("src/warehouse")
subdirs("src/generate")
subdirs("src/pipeline")
subdirs("src/cli")
subdirs("tests")
