# VM images: tools/cv-sign (make and check signed images, docs/image-format.md)
# and its end-to-end test against the core on the hosted machine.
#
#   make cv-sign          build/tools/cv-sign
#   make test-cv-sign     keygen, sign, verify; boot the image in a hosted VM;
#                         a tampered image, a wrong key and a wrong load
#                         address are refused by cv-sign and by the core

CV_SIGN := $(BUILD)/tools/cv-sign
$(CV_SIGN): tools/cv-sign.c include/corevisor/image.h | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -Iinclude $< -o $@ -lsodium
cv-sign: $(CV_SIGN)

CV_BOOT_IMAGE := $(HB)/tests/boot/cv-boot-image
$(CV_BOOT_IMAGE): $(HB)/tests/boot/cv_boot_image.o $(HOSTED_LIB)
	$(CC) -o $@ $< $(HOSTED_LIB) $(HOSTED_LIBS)

test-cv-sign: $(CV_SIGN) $(CV_BOOT_IMAGE)
	@bash tests/boot/test-cv-sign.sh $(CV_SIGN) $(CV_BOOT_IMAGE)

EXTRA_ALL += $(CV_SIGN)
TESTS += test-cv-sign
.PHONY: cv-sign test-cv-sign
