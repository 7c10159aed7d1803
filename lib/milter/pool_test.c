/* lib/milter/pool_test.c - the pool's blocks: every allocation zeroed,
 * aligned, apart from every other, the ceiling kept, large ones on their
 * own. pool.c is included with MLT_POOL_ONE_BY_ONE 0 so the carving is
 * what runs here even under AddressSanitizer (which the daemons' pool
 * answers with one calloc per allocation). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define MLT_POOL_ONE_BY_ONE 0
#include "pool.c"

#define NALLOC 600

static void
allocations_are_zeroed_aligned_and_apart(void **state)
{
	static const size_t sizes[] = {0, 1, 7, 16, 17, 100, 1000, 1025, 5000};
	struct mlt_pool p;
	unsigned char *a[NALLOC];
	size_t n[NALLOC], i, j, k;

	(void)state;
	mlt_pool_init(&p, 0);
	for (i = 0; i < NALLOC; i++) {
		n[i] = sizes[i % (sizeof(sizes) / sizeof(sizes[0]))];
		a[i] = mlt_pool_alloc(&p, n[i]);
		assert_non_null(a[i]);
		assert_int_equal((uintptr_t)a[i] % MLT_POOL_ALIGN, 0);
		for (k = 0; k < n[i]; k++)
			assert_int_equal(a[i][k], 0);
		memset(a[i], (int)(i & 0xff), n[i]);
	}
	/* no allocation was handed out twice, none overlaps another */
	for (i = 0; i < NALLOC; i++) {
		for (k = 0; k < n[i]; k++)
			assert_int_equal(a[i][k], (unsigned char)(i & 0xff));
		for (j = i + 1; j < NALLOC; j++)
			assert_true(a[i] + n[i] <= a[j] ||
				    a[j] + n[j] <= a[i] || n[i] == 0 ||
				    n[j] == 0);
	}
	mlt_pool_free(&p);
	assert_null(p.head);
	assert_int_equal(p.used, 0);
}

static void
small_allocations_share_blocks(void **state)
{
	struct mlt_pool p;
	struct mlt_pool_chunk *c;
	size_t i, chunks = 0;

	(void)state;
	mlt_pool_init(&p, 0);
	for (i = 0; i < 1000; i++)
		assert_non_null(mlt_pool_strdup(&p, "Received"));
	for (c = p.head; c != NULL; c = c->next)
		chunks++;
	/* 1000 x 16 bytes in 4 KiB blocks, not 1000 chunks */
	assert_in_range(chunks, 1, 1000 * 16 / MLT_POOL_BLOCK + 1);
	mlt_pool_free(&p);
}

static void
a_large_allocation_leaves_the_block_in_use(void **state)
{
	struct mlt_pool p;
	char *s1, *big, *s2;

	(void)state;
	mlt_pool_init(&p, 0);
	s1 = mlt_pool_strdup(&p, "first");
	big = mlt_pool_alloc(&p, 3 * MLT_POOL_BLOCK);
	s2 = mlt_pool_strdup(&p, "second");
	assert_non_null(s1);
	assert_non_null(big);
	assert_non_null(s2);
	/* the small ones are carved from the same block */
	assert_ptr_equal(s2, s1 + MLT_POOL_ALIGN);
	memset(big, 'x', 3 * MLT_POOL_BLOCK);
	assert_string_equal(s1, "first");
	assert_string_equal(s2, "second");
	mlt_pool_free(&p);
}

static void
the_ceiling_counts_bytes_handed_out(void **state)
{
	struct mlt_pool p;

	(void)state;
	mlt_pool_init(&p, 1000);
	assert_non_null(mlt_pool_alloc(&p, 600));
	assert_null(mlt_pool_alloc(&p, 401));
	assert_non_null(mlt_pool_alloc(&p, 400));
	assert_null(mlt_pool_alloc(&p, 1));
	assert_null(mlt_pool_alloc(&p, SIZE_MAX));
	assert_null(mlt_pool_strndup(&p, "x", SIZE_MAX));
	mlt_pool_free(&p);
	assert_non_null(mlt_pool_alloc(&p, 1000));
	mlt_pool_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(allocations_are_zeroed_aligned_and_apart),
	    cmocka_unit_test(small_allocations_share_blocks),
	    cmocka_unit_test(a_large_allocation_leaves_the_block_in_use),
	    cmocka_unit_test(the_ceiling_counts_bytes_handed_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
