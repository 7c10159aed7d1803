/* lib/milter/seam.c - the libmilter seam; see seam.h. The casts drop const
 * because mfapi.h predates it; libmilter copies and never writes through
 * these pointers. */
#include "seam.h"

#include <stdbool.h>
#include <stddef.h>
#include <libmilter/mfapi.h>

static int
seam_rc(int r)
{
	return r == MI_SUCCESS ? 0 : -1;
}

static int
seam_addheader(void *h, const char *name, const char *value)
{
	return seam_rc(smfi_addheader(h, (char *)name, (char *)value));
}

static int
seam_insheader(void *h, int pos, const char *name, const char *value)
{
	return seam_rc(smfi_insheader(h, pos, (char *)name, (char *)value));
}

static int
seam_chgheader(void *h, const char *name, int index, const char *value)
{
	return seam_rc(smfi_chgheader(h, (char *)name, index, (char *)value));
}

static int
seam_setreply(void *h, const char *code, const char *xcode, const char *text)
{
	return seam_rc(smfi_setreply(h, (char *)code,
				     xcode && *xcode ? (char *)xcode : NULL,
				     (char *)text));
}

static const char *
seam_getsymval(void *h, const char *name)
{
	return smfi_getsymval(h, (char *)name);
}

static int
seam_setpriv(void *h, void *priv)
{
	return seam_rc(smfi_setpriv(h, priv));
}

static void *
seam_getpriv(void *h)
{
	return smfi_getpriv(h);
}

static int
seam_quarantine(void *h, const char *reason)
{
	return seam_rc(smfi_quarantine(h, (char *)reason));
}

const struct mlt_seam mlt_seam_libmilter = {
    .addheader = seam_addheader,
    .insheader = seam_insheader,
    .chgheader = seam_chgheader,
    .setreply = seam_setreply,
    .getsymval = seam_getsymval,
    .setpriv = seam_setpriv,
    .getpriv = seam_getpriv,
    .quarantine = seam_quarantine,
};
