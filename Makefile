# The bench of the vfio type1 / s390 PCI-IOMMU series.  See README.
#
#   make          the main job: build and boot the patched kernel, report
#   make check    every test: series checks, patched and base kernels booted
#
# Other targets: deps tree export kernel base-kernel selftests initramfs
# vm bench bisect sparse clean.

SHELL := /bin/bash
BUILD := build
LINUX := $(BUILD)/linux
LINUX_BASE := $(BUILD)/linux-base
OBJ := $(BUILD)/obj/series
OBJ_BASE := $(BUILD)/obj/base
KSELFTEST := $(BUILD)/kselftest
INITRD := $(BUILD)/guest/initramfs.cpio
BZIMAGE := $(OBJ)/arch/s390/boot/bzImage
BZIMAGE_BASE := $(OBJ_BASE)/arch/s390/boot/bzImage

# make vm [KERNEL=base] [RUN=static-s390x-program ARGS="..."] [APPEND="..."]
KERNEL ?= series
RUN ?=
ARGS ?=
APPEND ?=

.PHONY: all check deps tree export kernel base-kernel selftests initramfs \
	vm bench bisect sparse clean

all:
	@tools/main.sh

check:
	@tools/check.sh

deps:
	@tools/deps.sh

tree: deps
	@tools/tree.sh

export:
	@tools/export.sh

kernel: tree
	@tools/kernel.sh $(LINUX) $(OBJ) series

base-kernel: tree
	@tools/base-tree.sh $(LINUX) $(LINUX_BASE)
	@tools/kernel.sh $(LINUX_BASE) $(OBJ_BASE) base

selftests: kernel
	@tools/selftests.sh $(LINUX) $(OBJ) $(KSELFTEST)

initramfs: selftests
	@tools/initramfs.sh $(INITRD) $(KSELFTEST)

vm: initramfs $(if $(filter base,$(KERNEL)),base-kernel)
	@tools/vm.sh --kernel $(if $(filter base,$(KERNEL)),$(BZIMAGE_BASE),$(BZIMAGE)) \
		--initrd $(INITRD) --log $(BUILD)/guest/vm.log \
		$(if $(RUN),--run $(RUN) --args "$(ARGS)") \
		$(if $(APPEND),--append "$(APPEND)")

bench: tree
	@tools/base-tree.sh $(LINUX) $(LINUX_BASE)
	@tools/bench/bench.sh

bisect: tree
	@tools/walk.sh $(LINUX) $(BUILD)/bisect

sparse: kernel
	@tools/sparse.sh $(LINUX) $(OBJ)

clean:
	rm -rf $(BUILD)
