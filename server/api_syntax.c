/*
 * api_syntax.c - the small parsers of the request's syntax that every
 * handler file shares: percent-decoding, Java's integer and boolean
 * rules, version segments, and the media types of Content-Type and Accept.
 * Kept apart from api.c (the routes) so api_ui.c and api.c can both use
 * them without depending on each other.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "registry/registry.h"
#include "server/api.h"

static int api_hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

long regit_api_percent_decode(char *out, const char *in, size_t len, int plus_space)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		char ch = in[i];

		if (ch == '%') {
			int hi, lo;

			if (len - i < 3)
				return -1;
			hi = api_hexval((unsigned char)in[i + 1]);
			lo = api_hexval((unsigned char)in[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (ch == '+' && plus_space) {
			out[o++] = ' ';
		} else {
			out[o++] = ch;
		}
	}
	out[o] = '\0';
	return (long)o;
}

int regit_api_parse_int(const char *s, int *out)
{
	long long v = 0;
	int neg = 0;
	const char *p = s;

	if (!s || !*s)
		return -1;
	if (*p == '+' || *p == '-') {
		neg = *p == '-';
		p++;
	}
	if (!*p)
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
		if (v > 2147483648LL)
			return -1;
	}
	if (neg)
		v = -v;
	if (v > 2147483647LL || v < -2147483648LL)
		return -1;
	*out = (int)v;
	return 0;
}

int regit_api_parse_version(const char *s, int *out)
{
	char tmp[64];
	size_t len;
	int v;

	if (!s)
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (strcasecmp(tmp, "latest") == 0) {
		*out = REGIT_VERSION_LATEST;
		return 0;
	}
	if (regit_api_parse_int(tmp, &v) < 0)
		return -1;
	if (v == -1) {
		*out = REGIT_VERSION_LATEST;
		return 0;
	}
	if (v < 1)
		return -1;
	*out = v;
	return 0;
}

int regit_api_parse_bool(const char *s)
{
	return s && strcasecmp(s, "true") == 0;
}

/* Media type of a header value: the part before ';', trimmed. */
static size_t api_media(const char *s, const char **start)
{
	const char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s;
	while (*e && *e != ';' && *e != ',')
		e++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*start = s;
	return (size_t)(e - s);
}

static int api_media_is(const char *s, size_t len, const char *type)
{
	return strlen(type) == len && strncasecmp(s, type, len) == 0;
}

int regit_api_content_type_ok(const char *ct)
{
	const char *m;
	size_t len;

	if (!ct)
		return 1;
	len = api_media(ct, &m);
	if (len == 0)
		return 1;
	return api_media_is(m, len, REGIT_API_CT_V1) || api_media_is(m, len, REGIT_API_CT_SR) ||
		api_media_is(m, len, REGIT_API_CT_JSON) ||
		api_media_is(m, len, "application/octet-stream");
}

/*
 * JAX-RS 2.0 §3.8 selection among our three types: for each candidate the
 * best matching Accept range decides, ordered by specificity (type/sub >
 * type/x > x/x), then the client's q, then our qs (1, 0.9, 0.5).
 */
const char *regit_api_negotiate(const char *accept)
{
	static const char *const cands[] = { REGIT_API_CT_V1, REGIT_API_CT_SR, REGIT_API_CT_JSON };
	int best = 0, best_spec = -1, best_q = -1;
	size_t i;

	if (!accept || !*accept)
		return REGIT_API_CT_V1;
	for (i = 0; i < 3; i++) {
		const char *p = accept;
		int spec = -1, q = -1;

		while (*p) {
			const char *m, *e;
			size_t len;
			int s = -1, qv = 1000;

			len = api_media(p, &m);
			/* parameters: look for q= */
			e = m + len;
			while (*e && *e != ',') {
				if (*e == ';') {
					const char *k = e + 1;

					while (*k == ' ')
						k++;
					if ((k[0] == 'q' || k[0] == 'Q') && k[1] == '=') {
						double d = strtod(k + 2, NULL);

						/* Clamp before converting: a huge q (or nan)
						 * does not fit an int (fuzzer finding). */
						if (!(d > 0))
							qv = 0;
						else if (d >= 1)
							qv = 1000;
						else
							qv = (int)(d * 1000 + 0.5);
					}
				}
				e++;
			}
			if (api_media_is(m, len, cands[i]))
				s = 2;
			else if (api_media_is(m, len, "application/*"))
				s = 1;
			else if (api_media_is(m, len, "*/*") || api_media_is(m, len, "*"))
				s = 0;
			if (s >= 0 && qv > 0 && (s > spec || (s == spec && qv > q))) {
				spec = s;
				q = qv;
			}
			p = *e ? e + 1 : e;
		}
		/* Candidates are in qs order, so strict '>' keeps the higher qs. */
		if (spec > best_spec || (spec == best_spec && q > best_q)) {
			best = (int)i;
			best_spec = spec;
			best_q = q;
		}
	}
	/* Nothing acceptable: answer JSON anyway rather than 406. */
	return best_spec < 0 ? REGIT_API_CT_V1 : cands[best];
}
