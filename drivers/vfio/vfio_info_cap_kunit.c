// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the capability chains that VFIO INFO ioctls return.
 */
#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/vfio.h>

/* A capability with a 4-byte payload: 12 bytes, like DMA_AVAIL. */
struct test_cap_12 {
	struct vfio_info_cap_header header;
	u32 value;
};

static struct vfio_info_cap_header *cap_at(struct vfio_info_cap *caps,
					   u32 offset)
{
	return (void *)caps->buf + offset;
}

static void chains_capabilities_in_insertion_order(struct kunit *test)
{
	struct vfio_info_cap caps = { };
	struct vfio_info_cap_header *hdr;
	u32 offset = 0;
	u16 id;

	for (id = 1; id <= 3; id++)
		KUNIT_ASSERT_FALSE(test, IS_ERR(vfio_info_cap_add(&caps, 8 * id, id, 1)));

	for (id = 1; id <= 3; id++) {
		hdr = cap_at(&caps, offset);
		KUNIT_EXPECT_EQ(test, hdr->id, id);
		KUNIT_EXPECT_EQ(test, hdr->version, 1);
		offset = hdr->next;
		if (id < 3)
			KUNIT_EXPECT_NE(test, offset, 0);
	}
	KUNIT_EXPECT_EQ(test, offset, 0);
	KUNIT_EXPECT_EQ(test, caps.size, 8 + 16 + 24);
	kfree(caps.buf);
}

static void pads_capabilities_to_8_bytes(struct kunit *test)
{
	struct vfio_info_cap caps = { };
	struct vfio_info_cap_header *hdr;
	u32 offset = 0;
	int n = 0;

	/* 12 bytes, like DMA_AVAIL, then an 8-byte aligned one behind it. */
	KUNIT_ASSERT_FALSE(test, IS_ERR(vfio_info_cap_add(&caps, 12, 1, 1)));
	KUNIT_ASSERT_FALSE(test, IS_ERR(vfio_info_cap_add(&caps, 76, 2, 1)));
	KUNIT_ASSERT_FALSE(test, IS_ERR(vfio_info_cap_add(&caps, 16, 3, 1)));

	do {
		hdr = cap_at(&caps, offset);
		KUNIT_EXPECT_EQ_MSG(test, offset % 8, 0,
				    "capability %u at offset %u", hdr->id, offset);
		offset = hdr->next;
		n++;
	} while (offset && n < 3);
	KUNIT_EXPECT_EQ(test, n, 3);
	KUNIT_EXPECT_EQ(test, caps.size % 8, 0);
	kfree(caps.buf);
}

static void zeroes_padding_copied_to_user(struct kunit *test)
{
	struct test_cap_12 cap = {
		.header = { .id = 7, .version = 2 },
		.value = 0x5a5a5a5a,
	};
	struct vfio_info_cap caps = { };
	u8 *bytes;
	size_t i;

	KUNIT_ASSERT_EQ(test, vfio_info_add_capability(&caps, &cap.header,
						       offsetofend(struct test_cap_12, value)), 0);
	KUNIT_EXPECT_EQ(test, caps.size, 16);
	bytes = (u8 *)caps.buf;
	KUNIT_EXPECT_EQ(test, ((struct test_cap_12 *)bytes)->value, 0x5a5a5a5a);
	for (i = offsetofend(struct test_cap_12, value); i < caps.size; i++)
		KUNIT_EXPECT_EQ_MSG(test, bytes[i], 0, "padding byte %zu", i);
	kfree(caps.buf);
}

static void shift_moves_every_link_but_the_last(struct kunit *test)
{
	struct vfio_info_cap caps = { };
	u32 first_next, second_next;

	KUNIT_ASSERT_FALSE(test, IS_ERR(vfio_info_cap_add(&caps, 16, 1, 1)));
	KUNIT_ASSERT_FALSE(test, IS_ERR(vfio_info_cap_add(&caps, 16, 2, 1)));
	KUNIT_ASSERT_FALSE(test, IS_ERR(vfio_info_cap_add(&caps, 16, 3, 1)));
	first_next = cap_at(&caps, 0)->next;
	second_next = cap_at(&caps, first_next)->next;

	vfio_info_cap_shift(&caps, 24);

	KUNIT_EXPECT_EQ(test, cap_at(&caps, 0)->next, first_next + 24);
	KUNIT_EXPECT_EQ(test, cap_at(&caps, first_next)->next, second_next + 24);
	KUNIT_EXPECT_EQ(test, cap_at(&caps, second_next)->next, 0);
	kfree(caps.buf);
}

static struct kunit_case vfio_info_cap_test_cases[] = {
	KUNIT_CASE(chains_capabilities_in_insertion_order),
	KUNIT_CASE(pads_capabilities_to_8_bytes),
	KUNIT_CASE(zeroes_padding_copied_to_user),
	KUNIT_CASE(shift_moves_every_link_but_the_last),
	{}
};

static struct kunit_suite vfio_info_cap_test_suite = {
	.name = "vfio_info_cap",
	.test_cases = vfio_info_cap_test_cases,
};

kunit_test_suite(vfio_info_cap_test_suite);

MODULE_DESCRIPTION("KUnit tests of VFIO info capability chains");
MODULE_LICENSE("GPL");
