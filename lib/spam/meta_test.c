/* lib/spam/meta_test.c - meta expressions: && and || evaluated with
 * short-circuit jumps give what the full evaluation gives, a decided
 * left side does not read the right one, and a batch of metas stores
 * what each one evaluated alone gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "meta.h"

/* A..H are values[0..7]; X is an index far past any array the test
 * passes, so reading it is an out-of-bounds read ASan reports. */
static long
names(void *ctx, const char *n, size_t len)
{
	(void)ctx;
	if (len == 1 && n[0] >= 'A' && n[0] <= 'H')
		return n[0] - 'A';
	if (len == 1 && n[0] == 'X')
		return 1L << 20;
	return -1;
}

static double
eval(const char *e, const double *v)
{
	struct sp_meta *m;
	size_t off;
	double r;

	assert_int_equal(sp_meta_compile(e, names, NULL, &m, &off), SP_META_OK);
	r = sp_meta_eval(m, v);
	sp_meta_free(&m);
	return r;
}

/* The value each expression has in Perl, from the four inputs. */
static double
want(size_t k, const double *v)
{
	double a = v[0], b = v[1], c = v[2], d = v[3];

	switch (k) {
	case 0:
		return a != 0 && b != 0;
	case 1:
		return a != 0 || b != 0;
	case 2:
		return (a != 0 && b != 0) || (c != 0 && d != 0);
	case 3:
		return (a != 0 || b != 0) && !(c != 0 || d != 0);
	case 4:
		return a != 0 && b != 0 && c != 0 && d != 0;
	case 5:
		return a != 0 || b != 0 || c != 0 || d != 0;
	case 6:
		return (a != 0 || b != 0) && a + b + c + d > 2;
	case 7:
		return !(a != 0 && b != 0) + (c != 0 || d != 0) * 2;
	default:
		return ((a != 0 && (b != 0 || c != 0)) != 0) - d;
	}
}

static void
and_or_match_the_full_evaluation_on_every_input(void **state)
{
	static const char *const exprs[] = {
	    "A && B",
	    "A || B",
	    "A && B || C && D",
	    "(A || B) && !(C || D)",
	    "A && B && C && D",
	    "A || B || C || D",
	    "(A || B) && A + B + C + D > 2",
	    "!(A && B) + (C || D) * 2",
	    "(A && (B || C)) - D",
	};
	static const double vals[] = {0, 1, 2, -1, 0.5};
	double v[4];
	size_t k, i, j;

	(void)state;
	for (k = 0; k < sizeof(exprs) / sizeof(exprs[0]); k++)
		for (i = 0; i < 5 * 5 * 5 * 5; i++) {
			size_t r = i;

			for (j = 0; j < 4; j++, r /= 5)
				v[j] = vals[r % 5];
			if (eval(exprs[k], v) != want(k, v))
				fail_msg("%s with %g %g %g %g: got %g, want %g",
					 exprs[k], v[0], v[1], v[2], v[3],
					 eval(exprs[k], v), want(k, v));
		}
}

static void
a_decided_left_side_does_not_read_the_right(void **state)
{
	const double v[4] = {0, 1, 0, 0};

	(void)state;
	assert_true(eval("A && X", v) == 0);
	assert_true(eval("B || X", v) == 1);
	assert_true(eval("A && (X + X > 1) || B", v) == 1);
	assert_true(eval("(B || X) && (A && X)", v) == 0);
	assert_true(eval("B + (A && X) * 3", v) == 1);
}

/* "A + B * (A + B * (... A ...))": a stack `levels` * 2 deep. */
static void
deep(char *out, size_t len, int levels)
{
	size_t n = 0;
	int i;

	for (i = 0; i < levels; i++)
		n += (size_t)snprintf(out + n, len - n, "A + B * (");
	n += (size_t)snprintf(out + n, len - n, "A");
	for (i = 0; i < levels; i++)
		n += (size_t)snprintf(out + n, len - n, ")");
}

static void
a_batch_stores_each_meta_before_the_next_reads_it(void **state)
{
	/* E..H are the metas' outputs; a later one reads an earlier one */
	static const struct {
		const char *e;
		long dst;
	} metas[] = {
	    {"A && B", 4},
	    {"E || C * 2 > 1", 5},
	    {"(E + F + D) / 2", 6},
	    {"!G && (A || D)", 7},
	};
	static const double vals[] = {0, 1, 3, -1};
	char big[4096];
	struct sp_meta_batch *b = NULL;
	struct sp_meta *m;
	double v[8], w[8];
	size_t i, k, off;

	(void)state;
	for (k = 0; k < sizeof(metas) / sizeof(metas[0]); k++) {
		assert_int_equal(
		    sp_meta_compile(metas[k].e, names, NULL, &m, &off),
		    SP_META_OK);
		assert_int_equal(sp_meta_batch_add(&b, m, metas[k].dst), 0);
		sp_meta_free(&m);
	}
	for (i = 0; i < 4 * 4 * 4 * 4; i++) {
		size_t r = i;

		memset(v, 0, sizeof(v));
		for (k = 0; k < 4; k++, r /= 4)
			v[k] = vals[r % 4];
		memcpy(w, v, sizeof(v));
		for (k = 0; k < sizeof(metas) / sizeof(metas[0]); k++)
			w[metas[k].dst] = eval(metas[k].e, w) != 0;
		sp_meta_batch_run(b, v);
		for (k = 4; k < 8; k++)
			if (v[k] != w[k])
				fail_msg("input %zu, meta %zu: got %g, want %g",
					 i, k, v[k], w[k]);
	}
	/* a program deeper than the 64 doubles on the C stack */
	deep(big, sizeof(big), 50);
	assert_int_equal(sp_meta_compile(big, names, NULL, &m, &off),
			 SP_META_OK);
	assert_int_equal(sp_meta_batch_add(&b, m, 4), 0);
	sp_meta_free(&m);
	v[0] = 1;
	v[1] = 2;
	sp_meta_batch_run(b, v);
	assert_true(v[4] == 1);
	assert_true(eval(big, v) == (double)(1L << 51) - 1);
	sp_meta_batch_free(&b);
	assert_null(b);
	sp_meta_batch_run(NULL, v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(and_or_match_the_full_evaluation_on_every_input),
	    cmocka_unit_test(a_decided_left_side_does_not_read_the_right),
	    cmocka_unit_test(a_batch_stores_each_meta_before_the_next_reads_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
