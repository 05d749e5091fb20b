/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Types of the SIP parser (see dataplane/sip_parse.h for the algorithm).
 *
 * Everything is zero copy: a `struct sip_str` points into the datagram, which must
 * outlive the parsed structures. Every structure has a fixed size (no allocation);
 * the bounds are the SIP_MAX_* constants. A `sip_str` whose `p` is NULL is absent;
 * present but empty has `p` set and `len` 0. The enums are X-macros so that names
 * and tables are generated from one list.
 */
#ifndef SIPSHARD_DATAPLANE_SIP_SIP_TYPES_H
#define SIPSHARD_DATAPLANE_SIP_SIP_TYPES_H

#include <stdint.h>

#define SIP_MAX_MSG   65535u   /* largest datagram accepted (UDP payload limit) */
#define SIP_MAX_HDRS  64       /* header fields per message; more is an error */
#define SIP_HDR_NONE  0xffu    /* "no header" in the index and in sip_hdr.next */

/* A counted string into the message buffer. */
struct sip_str {
	const char *p;
	uint16_t len;
};

/* Methods the dataplane knows by id; any other token is SIP_METHOD_OTHER. */
#define SIP_FOREACH_METHOD(_) \
	_(OTHER,     "")          \
	_(INVITE,    "INVITE")    \
	_(ACK,       "ACK")       \
	_(BYE,       "BYE")       \
	_(CANCEL,    "CANCEL")    \
	_(REGISTER,  "REGISTER")  \
	_(OPTIONS,   "OPTIONS")   \
	_(INFO,      "INFO")      \
	_(PRACK,     "PRACK")     \
	_(UPDATE,    "UPDATE")    \
	_(SUBSCRIBE, "SUBSCRIBE") \
	_(NOTIFY,    "NOTIFY")    \
	_(REFER,     "REFER")     \
	_(MESSAGE,   "MESSAGE")   \
	_(PUBLISH,   "PUBLISH")

enum sip_method {
#define SIP_METHOD_ENUM(n, s) SIP_METHOD_##n,
	SIP_FOREACH_METHOD(SIP_METHOD_ENUM)
#undef SIP_METHOD_ENUM
	SIP_METHOD__COUNT
};

/*
 * Header fields indexed by id: (ID, canonical name, compact form or 0, flags).
 * Flags: S = single-valued and a second occurrence makes the message invalid
 * (those routing or framing depend on; informational ones such as User-Agent,
 * Server, Subject or Date are not rejected for repeating), Q = mandatory in
 * every request and response.
 */
#define SIP_HF_S 1u
#define SIP_HF_Q 2u
#define SIP_FOREACH_HDR(_)                                              \
	_(OTHER,               "",                    0,   0)           \
	_(VIA,                 "Via",                 'v', SIP_HF_Q)    \
	_(FROM,                "From",                'f', SIP_HF_S | SIP_HF_Q) \
	_(TO,                  "To",                  't', SIP_HF_S | SIP_HF_Q) \
	_(CALL_ID,             "Call-ID",             'i', SIP_HF_S | SIP_HF_Q) \
	_(CSEQ,                "CSeq",                0,   SIP_HF_S | SIP_HF_Q) \
	_(MAX_FORWARDS,        "Max-Forwards",        0,   SIP_HF_S)    \
	_(CONTACT,             "Contact",             'm', 0)           \
	_(EXPIRES,             "Expires",             0,   SIP_HF_S)    \
	_(MIN_EXPIRES,         "Min-Expires",         0,   SIP_HF_S)    \
	_(CONTENT_LENGTH,      "Content-Length",      'l', SIP_HF_S)    \
	_(CONTENT_TYPE,        "Content-Type",        'c', SIP_HF_S)    \
	_(CONTENT_ENCODING,    "Content-Encoding",    'e', 0)           \
	_(CONTENT_DISPOSITION, "Content-Disposition", 0,   SIP_HF_S)    \
	_(ROUTE,               "Route",               0,   0)           \
	_(RECORD_ROUTE,        "Record-Route",        0,   0)           \
	_(PATH,                "Path",                0,   0)           \
	_(AUTHORIZATION,       "Authorization",       0,   0)           \
	_(PROXY_AUTHORIZATION, "Proxy-Authorization", 0,   0)           \
	_(WWW_AUTHENTICATE,    "WWW-Authenticate",    0,   0)           \
	_(PROXY_AUTHENTICATE,  "Proxy-Authenticate",  0,   0)           \
	_(SUPPORTED,           "Supported",           'k', 0)           \
	_(REQUIRE,             "Require",             0,   0)           \
	_(PROXY_REQUIRE,       "Proxy-Require",       0,   0)           \
	_(UNSUPPORTED,         "Unsupported",         0,   0)           \
	_(ALLOW,               "Allow",               0,   0)           \
	_(ACCEPT,              "Accept",              0,   0)           \
	_(DATE,                "Date",                0,   0)           \
	_(SUBJECT,             "Subject",             's', 0)           \
	_(USER_AGENT,          "User-Agent",          0,   0)           \
	_(SERVER,              "Server",              0,   0)           \
	_(EVENT,               "Event",               'o', SIP_HF_S)    \
	_(ALLOW_EVENTS,        "Allow-Events",        'u', 0)           \
	_(REFER_TO,            "Refer-To",            'r', SIP_HF_S)    \
	_(REFERRED_BY,         "Referred-By",         'b', 0)           \
	_(SESSION_EXPIRES,     "Session-Expires",     'x', SIP_HF_S)    \
	_(IDENTITY,            "Identity",            'y', 0)           \
	_(IDENTITY_INFO,       "Identity-Info",       'n', 0)           \
	_(ACCEPT_CONTACT,      "Accept-Contact",      'a', 0)           \
	_(REJECT_CONTACT,      "Reject-Contact",      'j', 0)           \
	_(REQUEST_DISPOSITION, "Request-Disposition", 'd', 0)           \
	_(RETRY_AFTER,         "Retry-After",         0,   0)           \
	_(RSEQ,                "RSeq",                0,   SIP_HF_S)    \
	_(RACK,                "RAck",                0,   SIP_HF_S)    \
	_(P_ASSERTED_IDENTITY, "P-Asserted-Identity", 0,   0)           \
	_(P_PREFERRED_IDENTITY,"P-Preferred-Identity",0,   0)           \
	_(PRIVACY,             "Privacy",             0,   0)           \
	_(REASON,              "Reason",              0,   0)           \
	_(WARNING,             "Warning",             0,   0)

enum sip_hdr_id {
#define SIP_HDR_ENUM(id, name, compact, flags) SIP_HDR_##id,
	SIP_FOREACH_HDR(SIP_HDR_ENUM)
#undef SIP_HDR_ENUM
	SIP_HDR__COUNT
};

/*
 * Verdicts: (ID, status code a reply should carry, reason phrase). The reason of a
 * failed message is the phrase, followed by ": Header-Name" when one header is at
 * fault (sip_msg_reason()). Status 0: not a reply-worthy condition.
 */
#define SIP_FOREACH_ERR(_)                                                    \
	_(OK,                   0,   "Valid")                                    \
	_(EMPTY,                400, "Empty message")                            \
	_(TOO_LARGE,            513, "Message too large")                        \
	_(BAD_REQUEST_LINE,     400, "Bad Request-Line")                         \
	_(BAD_STATUS_LINE,      400, "Bad Status-Line")                          \
	_(BAD_METHOD,           400, "Bad method")                               \
	_(VERSION_NOT_SUPPORTED, 505, "Version Not Supported")                   \
	_(BAD_STATUS_CODE,      400, "Bad Status-Code")                          \
	_(BAD_REASON_PHRASE,    400, "Bad Reason-Phrase")                        \
	_(BAD_REQUEST_URI,      400, "Bad Request-URI")                          \
	_(BAD_LINE_END,         400, "Bare CR in header section")                \
	_(BAD_HEADER_NAME,      400, "Bad header name")                          \
	_(NO_COLON,             400, "Header line without colon")                \
	_(BAD_FOLDING,          400, "Continuation line without header")         \
	_(TOO_MANY_HEADERS,     400, "Too many headers")                         \
	_(NO_END_OF_HEADERS,    400, "Header section not terminated")            \
	_(DUP_HEADER,           400, "Duplicate header")                         \
	_(MISSING_HEADER,       400, "Missing header")                           \
	_(SHORT_BODY,           400, "Body shorter than Content-Length")         \
	_(EMPTY_VALUE,          400, "Empty header value")                       \
	_(BAD_CHAR,             400, "Illegal character")                        \
	_(BAD_NUMBER,           400, "Bad number")                               \
	_(NUM_RANGE,            400, "Number out of range")                      \
	_(BAD_URI,              400, "Bad URI")                                  \
	_(BAD_SCHEME,           400, "Bad URI scheme")                           \
	_(BAD_USERINFO,         400, "Bad URI user part")                        \
	_(BAD_HOST,             400, "Bad host")                                 \
	_(BAD_IPV6,             400, "Bad IPv6 reference")                       \
	_(BAD_PORT,             400, "Bad port")                                 \
	_(BAD_ESCAPE,           400, "Bad %-escape")                             \
	_(BAD_URI_PARAM,        400, "Bad URI parameter")                        \
	_(BAD_URI_HEADER,       400, "Bad URI header")                           \
	_(URI_HEADERS_FORBIDDEN, 400, "URI headers not allowed in Request-URI")  \
	_(URI_NEEDS_BRACKETS,   400, "URI with ; ? or , outside <>")             \
	_(BAD_DISPLAY_NAME,     400, "Bad display name")                         \
	_(UNTERMINATED_QUOTE,   400, "Unterminated quoted string")               \
	_(LWS_IN_BRACKETS,      400, "Whitespace inside <>")                     \
	_(MISSING_RAQUOT,       400, "Missing >")                                \
	_(NEEDS_NAME_ADDR,      400, "URI must be in <>")                        \
	_(BAD_PARAM,            400, "Bad parameter")                            \
	_(EMPTY_PARAM,          400, "Empty parameter")                          \
	_(EMPTY_ELEMENT,        400, "Empty list element")                       \
	_(TRAILING_JUNK,        400, "Unexpected characters")                    \
	_(BAD_PROTOCOL,         400, "Bad sent-protocol")                        \
	_(BAD_CALL_ID,          400, "Bad Call-ID")                              \
	_(CSEQ_MISMATCH,        400, "CSeq method does not match Request-Line")  \
	_(BAD_STAR,             400, "Contact * mixed with addresses")           \
	_(BAD_QVALUE,           400, "Bad q value")                              \
	_(BAD_MEDIA_TYPE,       400, "Bad media type")                           \
	_(BAD_DATE,             400, "Bad date")                                 \
	_(BAD_CREDENTIALS,      400, "Bad credentials")                          \
	_(BAD_TOKEN,            400, "Bad token")

enum sip_err {
#define SIP_ERR_ENUM(id, status, text) SIP_ERR_##id,
	SIP_FOREACH_ERR(SIP_ERR_ENUM)
#undef SIP_ERR_ENUM
	SIP_ERR__COUNT
};

/* One header field. `value` has leading and trailing LWS removed; a folded value
 * keeps its CRLF + WS inside (the sub-parsers treat it as LWS). */
struct sip_hdr {
	struct sip_str name;
	struct sip_str value;
	uint8_t id;             /* enum sip_hdr_id */
	uint8_t next;           /* next header with the same id, or SIP_HDR_NONE */
};

/* A message after sip_msg_parse(). */
struct sip_msg {
	const char *buf;
	uint16_t len;           /* datagram length */
	uint16_t body_off;      /* offset of the first body octet */
	uint8_t is_request;
	uint8_t method;         /* enum sip_method (requests) */
	uint16_t status;        /* status code (responses) */
	uint8_t n_hdrs;
	uint8_t err;            /* enum sip_err of the first failure, SIP_ERR_OK if none */
	uint8_t err_hdr;        /* enum sip_hdr_id at fault, SIP_HDR_OTHER if none */
	uint8_t has_body_len;   /* Content-Length present */
	uint8_t err_sub;        /* finer enum sip_err behind err, SIP_ERR_OK if none */
	uint16_t err_off;       /* offset where the failure was detected */
	struct sip_str method_str;  /* requests: the method token */
	struct sip_str ruri;        /* requests: the Request-URI, undecoded */
	struct sip_str reason;      /* responses: the Reason-Phrase */
	struct sip_str body;        /* Content-Length octets, or the datagram rest */
	uint64_t seen;              /* bit (1 << id) per header id present */
	uint8_t first[SIP_HDR__COUNT];  /* first header of each id, or SIP_HDR_NONE */
	uint8_t last[SIP_HDR__COUNT];   /* last one (valid only when seen) */
	struct sip_hdr hdrs[SIP_MAX_HDRS];
};

/* ---- sub-parser results ---- */

enum sip_uri_type { SIP_URI_OTHER, SIP_URI_SIP, SIP_URI_SIPS, SIP_URI_TEL };
enum sip_host_type { SIP_HOST_NONE, SIP_HOST_NAME, SIP_HOST_IPV4, SIP_HOST_IPV6 };
enum sip_transport {
	SIP_TP_OTHER, SIP_TP_UDP, SIP_TP_TCP, SIP_TP_TLS, SIP_TP_SCTP, SIP_TP_WS, SIP_TP_WSS
};

/* A URI. sip/sips: user, password, host, port, params, headers; tel: user is the
 * number and params its parameters; other schemes: only `opaque`. Escapes are
 * validated, never decoded. An IPv6 host keeps its brackets. */
struct sip_uri {
	struct sip_str scheme;
	struct sip_str user;
	struct sip_str password;
	struct sip_str host;
	struct sip_str params;      /* after the first ';', raw */
	struct sip_str headers;     /* after '?', raw */
	struct sip_str opaque;      /* after "scheme:" */
	struct sip_str transport;   /* values of well-known uri-parameters */
	struct sip_str maddr;
	struct sip_str user_param;
	struct sip_str method;
	uint16_t port;              /* 0: absent */
	uint8_t type;               /* enum sip_uri_type */
	uint8_t host_type;          /* enum sip_host_type */
	uint8_t lr;                 /* ;lr present */
	int16_t ttl;                /* -1: absent */
};

/* One via-parm. */
struct sip_via {
	struct sip_str protocol;    /* "SIP" */
	struct sip_str version;     /* "2.0" */
	struct sip_str transport;   /* "UDP", ... */
	struct sip_str host;        /* sent-by host; IPv6 with brackets */
	struct sip_str params;      /* from the first ';' to the end of the via-parm */
	struct sip_str branch;
	struct sip_str received;
	struct sip_str maddr;
	struct sip_str rport_str;   /* present (maybe empty) when ;rport is there */
	uint16_t port;              /* 0: absent */
	uint16_t rport;             /* value of ;rport=N, 0 if none */
	uint8_t tp;                 /* enum sip_transport */
	uint8_t host_type;          /* enum sip_host_type */
	int16_t ttl;                /* -1: absent */
};

/* One parameter of a raw parameter string, as sip_param_next() cuts it. */
struct sip_param {
	struct sip_str text;        /* the whole parameter, LWS around it removed */
	struct sip_str name;        /* up to '=' or LWS */
	struct sip_str value;       /* after '=', LWS removed, quotes kept; p NULL: no '=' */
};

/* name-addr / addr-spec with header parameters (From, To, Contact, Route, ...). */
struct sip_nameaddr {
	struct sip_str display;     /* raw display name (quotes included), or absent */
	struct sip_str uri;         /* the URI, without <> */
	struct sip_str params;      /* header parameters after the first ';', raw */
	struct sip_str tag;         /* ;tag= (From/To) */
	uint32_t expires;           /* ;expires= (Contact) */
	uint16_t q;                 /* ;q= in thousandths (Contact), 1000 if absent */
	uint8_t bracketed;          /* the URI was inside <> */
	uint8_t has_expires;        /* 0 absent, 1 present, 2 > 2^32-1 (saturated) */
	uint8_t has_q;
	uint8_t star;               /* Contact: * */
};

struct sip_cseq {
	uint32_t seq;
	struct sip_str method;
	uint8_t method_id;          /* enum sip_method */
};

/* Authorization / Proxy-Authorization credentials. Quoted values are given
 * without their quotes (escapes not decoded). */
struct sip_auth {
	struct sip_str scheme;
	struct sip_str params;      /* everything after the scheme */
	struct sip_str username, realm, nonce, uri, response, algorithm;
	struct sip_str cnonce, opaque, qop, nc;
	uint8_t digest;             /* scheme is Digest */
};

struct sip_ctype {
	struct sip_str type;
	struct sip_str subtype;
	struct sip_str params;      /* after the first ';', raw */
};

/* Iterator over the values of every header field of one id, in message order
 * (comma-separated lists across repeated header fields). */
struct sip_iter {
	const struct sip_msg *m;
	const char *p;
	const char *end;
	uint8_t hdr;                /* current header index, SIP_HDR_NONE at the end */
	uint8_t id;
	uint8_t more;               /* a ',' was consumed: an element must follow */
};

/* Where the header-section splitter may use SIMD. */
enum sip_isa { SIP_ISA_SCALAR, SIP_ISA_SSE2, SIP_ISA_AVX2, SIP_ISA_AVX512 };

#endif /* SIPSHARD_DATAPLANE_SIP_SIP_TYPES_H */
