/* lib/spam/received_line.c - one Received field into a relay: a port of
 * SpamAssassin 4.0.1's Message::Metadata::Received::parse_received_line,
 * step for step. Each regex below is Received.pm's, in Received.pm's
 * order (RL_* names follow its comments); ${IP_ADDRESS} and
 * ${LOCALHOST} are Constants.pm's. The code between them does what the
 * Perl does: the same captures into the same fields, the same "goto
 * enough" and "return 0" (SP_RCVD_IGNORE), undef (SP_RCVD_UNPARSEABLE).
 *
 * The patterns are compiled once per process (pthread_once) into a
 * table that is read-only afterwards; a parse allocates its own copy of
 * the field and its match data. */
#include "received.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* Constants.pm */
#define RL_O4 "(?:1\\d\\d|2[0-4]\\d|25[0-5]|[1-9]\\d|\\d)"
#define RL_H4 "[a-f0-9]{1,4}"
#define RL_IPA                                                                 \
	"(?i:\\b(?<!:)" RL_O4 "\\." RL_O4 "\\." RL_O4 "\\." RL_O4 "\\b"        \
	"|(?:IPv6:|(?<![a-f0-9:]))(?:(?:(?:" RL_H4 ":){6}|::(?:" RL_H4         \
	":){0,5}"                                                              \
	"|(?:" RL_H4 ":){1,5}:|" RL_H4 "::(?:" RL_H4 ":){1,4}|(?:" RL_H4       \
	":){2}:(?:" RL_H4 ":){1,3}|(?:" RL_H4 ":){3}:(?:" RL_H4                \
	":){1,2}|(?:" RL_H4 ":){4}:" RL_H4 ":)" RL_O4 "\\." RL_O4 "\\." RL_O4  \
	"\\." RL_O4 "|(?:" RL_H4 ":){7}" RL_H4 "|:(?::" RL_H4 "){1,7}"         \
	"|(?:" RL_H4 ":){1,7}:|" RL_H4 ":(?::" RL_H4 "){1,6}|(?:" RL_H4        \
	":){2}(?::" RL_H4 "){1,5}|(?:" RL_H4 ":){3}(?::" RL_H4                 \
	"){1,4}|(?:" RL_H4 ":){4}(?::" RL_H4 "){1,3}|(?:" RL_H4                \
	":){5}(?::" RL_H4 "){1,2}|(?:" RL_H4 ":){6}:" RL_H4 "|::)"             \
	"(?![a-f0-9:]))"
#define RL_Z4 "0{1,4}"
#define RL_LH                                                                  \
	"(?i:localhost(?:\\.localdomain)?|\\b(?<!:)127\\.0\\.0\\.1\\b"         \
	"|(?:IPv6:|(?<![a-f0-9:]))(?:(?:(?:" RL_Z4 ":){5}ffff:|::(?:" RL_Z4    \
	":){0,4}ffff:|(?:" RL_Z4 ":){1,4}:ffff:|" RL_Z4 "::(?:" RL_Z4          \
	":){1,3}ffff:"                                                         \
	"|(?:" RL_Z4 ":){2}:0{1,2}:ffff:|(?:" RL_Z4 ":){3}:0:ffff:|(?:" RL_Z4  \
	":){4}:ffff:)127\\.0\\.0\\.1|(?:" RL_Z4 ":){7}0{0,3}1|:(?::" RL_Z4     \
	"){0,6}:0{0,3}1|" RL_Z4 ":(?::" RL_Z4 "){0,5}:0{0,3}1|(?:" RL_Z4       \
	":){2}(?::" RL_Z4 "){0,4}:0{0,3}1|(?:" RL_Z4 ":){3}(?::" RL_Z4         \
	"){0,3}:0{0,3}1|(?:" RL_Z4 ":){4}(?::" RL_Z4                           \
	"){0,2}:0{0,3}1|(?:" RL_Z4 ":){5}(?::" RL_Z4                           \
	"){0,1}:0{0,3}1|(?:" RL_Z4 ":){6}:0{0,3}1)(?![a-f0-9:]))"
#define RL_PV4                                                                 \
	"(?:10|127|169\\.254|172\\.(?:1[6-9]|2[0-9]|3[01])|192\\.168"          \
	"|100\\.(?:6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7]))\\..*"
#define RL_HC "[-A-Za-z0-9\\.\\^+_&:=?!@%*\\$\\\\/]"
#define RL_NHC "[^-A-Za-z0-9\\.\\^+_&:=?!@%*\\$\\\\/]"
#define RL_I "(?i)"

/* name, pattern; in Received.pm's order */
#define RL_LIST                                                                \
	RLX(FROM, RL_I "^\\(?from ")                                           \
	RLX(WITH_LOCAL_FOR, "\\bwith local for\\b")                            \
	RLX(FROM_BY_SEMI, RL_I "^from (\\S+) by [^\\s;]+ ?;")                  \
	RLX(BRACKET_V4, "^\\[[\\d.]+\\]$")                                     \
	RLX(DATE,                                                              \
	    "[\\s;]+(?:(?:Mon|T(?:ue|hu)|Wed|Fri|S(?:at|un)), )?\\d+ "         \
	    "(?:J(?:an|u[nl])|Feb|Ma[ry]|A(?:pr|ug)|Sep|Oct|Nov|Dec) \\d+ "    \
	    "\\d+:\\d+(?::\\d+)? \\S+$")                                       \
	RLX(PAREN_BY, "\\)by ")                                                \
	RLX(ID, " id <?([^\\s<>;]{3,})")                                       \
	RLX(HELO_EQ, "\\bhelo=(" RL_HC "+)(?:" RL_NHC "|$)")                   \
	RLX(HELO_WORD, "\\b(?:HELO|EHLO) (" RL_HC "+)(?:" RL_NHC "|$)")        \
	RLX(BY, " by (\\S+)(?:[^-A-Za-z0-9\\;\\.]|$)")                         \
	RLX(SP_BY_SP, " by ")                                                  \
	RLX(AUTH_WITH,                                                         \
	    RL_I " with ((?:ES|L|UTF8S|UTF8L)MTPS?A|ASMTP|HTTP[SU]?)"          \
		 "(?: |;|$)")                                                  \
	RLX(AUTH_GMAIL, " by mx\\.google\\.com with ESMTPS id "                \
			"[a-z0-9]{1,4}sm[0-9]{2,9}[a-z]{3}\\.[0-9]{1,3}\\."    \
			"[0-9]{4}\\.(?:[0-6][0-9]\\.){4}[0-6][0-9]")           \
	RLX(AUTH_GMAIL2, "\\(version=([^ ]+) cipher=([^\\)]+)\\)")             \
	RLX(AUTH_COURIER,                                                      \
	    "^from .*?(?:\\]\\)|\\)\\]) \\(AUTH: "                             \
	    "(LOGIN|PLAIN|DIGEST-MD5|CRAM-MD5) \\S+(?:, .*?)?\\) by ")         \
	RLX(AUTHENTICATED, "authenticated")                                    \
	RLX(AUTH_SENDMAIL,                                                     \
	    "^from .*?(?:\\](?: \\([^)]*\\))?\\)|\\)\\]) .*?\\("               \
	    ".*?authenticated.*?\\).*? by")                                    \
	RLX(AUTH_GMX,                                                          \
	    "from \\S* \\((?:HELO|EHLO) (\\S*)\\) \\[(" RL_IPA ")\\] by "      \
	    "(mail\\.gmx\\.(?:net|com)) \\([^\\)]+\\) with "                   \
	    "((?:ESMTP|SMTP))")                                                \
	RLX(AUTH_CP1, " \\(authenticated as ")                                 \
	RLX(AUTH_CP2,                                                          \
	    "\\) by .+ \\(\\d{1,2}\\.\\d\\.\\d{3}(?:\\.\\d{1,3})?\\) "         \
	    "\\(authenticated as .+\\) id ")                                   \
	RLX(AUTH_POSTFIX, "\\) \\(Authenticated sender: \\S+\\) by \\S+ "      \
			  "\\(([^\\)]+)\\) with ")                             \
	RLX(AUTH_CGP1, "CommuniGate Pro (HTTP|SMTP|XIMSS|IMAP)")               \
	RLX(AUTH_CGP2, " \\(account ")                                         \
	RLX(AUTH_DAV, " with Microsoft Exchange Server HTTP-DAV\\b")           \
	RLX(AUTH_VIA, RL_I " \\(via (HTTP.?)\\)(?: |;|$)")                     \
	RLX(FROM_SP, "^from ")                                                 \
	RLX(ENVFROM,                                                           \
	    RL_I "(?:return-path:? |envelope-(?:sender|from)[ =])(\\S+)\\b")   \
	RLX(SQUIRREL, " \\((?:SquirrelMail|NaSMail) authenticated user ")      \
	RLX(SQUIRREL2, "(" RL_IPA ")\\b(?![.-]).{10,80}by (\\S+) with HTTP")   \
	RLX(AOL, "aol\\.com")                                                  \
	RLX(AOL2, "with HTTP \\(WebMailUI\\)")                                 \
	RLX(AOL3, "(" RL_IPA ") by (\\S+) \\(" RL_IPA                          \
		  "\\) with HTTP \\(WebMailUI\\)")                             \
	RLX(SMTPSVC, " SMTPSVC")                                               \
	RLX(SMTPSVC1,                                                          \
	    "^(\\S*) \\(\\[(" RL_IPA ")\\][^\\)]{0,40}\\) by (\\S+) with "     \
	    "Microsoft SMTPSVC")                                               \
	RLX(SMTPSVC2,                                                          \
	    "^mail pickup service by (\\S+) with Microsoft SMTPSVC$")          \
	RLX(MSSMTP,                                                            \
	    " with (?:Microsoft SMTP Server|mapi id) (?:\\([^\\)]+\\) )?"      \
	    "\\d+\\.\\d+\\.\\d+\\.\\d+(?:$| )")                                \
	RLX(MSSMTP1,                                                           \
	    "^(\\S+) \\(\\[?(" RL_IPA ")(?:%[A-Z0-9._~-]*)?\\]?\\) by "        \
	    "(\\S+) ")                                                         \
	RLX(XMAIL, "\\[XMail ")                                                \
	RLX(XMAIL1, "^(\\S+) \\((\\[?" RL_IPA "\\]?)(?::\\d+)\\) by (\\S+)"    \
		    "(?: \\(\\S+\\))? with \\[XMail")                          \
	RLX(XMAIL_ID, " id <(\\S+)>")                                          \
	RLX(XMAIL_FROM, " from <(\\S+)>")                                      \
	RLX(ECEL, "\\(ecelerity\\b")                                           \
	RLX(ECEL1, "^\\(\\[(" RL_IPA "):\\d+\\] helo=(\\S+)\\) by (\\S+) ")    \
	RLX(ECEL2, "^\\S+ \\(\\[(" RL_IPA "):\\d+\\]\\) by (\\S+) ")           \
	RLX(EXIM, "Exim")                                                      \
	RLX(EXIM_LOCAL, "\\bwith local(?:-\\S+)? ")                            \
	RLX(EXIM1, "^\\[(" RL_IPA ")\\] \\((.*?)\\) by (\\S+) ")               \
	RLX(EXIM2, "^(\\S+) \\(\\[(" RL_IPA ")\\](.*?)\\) by (\\S+) ")         \
	RLX(EXIM3, "^(\\S+) \\[(" RL_IPA ")\\](:\\d+)? by (\\S+) ")            \
	RLX(EXIM4, "^(\\S+) ")                                                 \
	RLX(EXIM5, " \\((\\S+)\\) ")                                           \
	RLX(EXIM6, " \\[(" RL_IPA ")(?:\\.\\d+)?\\] ")                         \
	RLX(EXIM7, "by (\\S+) ")                                               \
	RLX(SUB_HELO, "helo=(\\S+)")                                           \
	RLX(SUB_IDENT, "ident=(\\S*)")                                         \
	RLX(POSTFIX, " \\(Postfix\\) with")                                    \
	RLX(POSTFIX1, "^(\\S+) \\((\\S+) \\[(" RL_IPA ")\\]\\) by (\\S+) ")    \
	RLX(POSTFIX2, "^(\\S+) \\((\\S+)\\[(" RL_IPA ")\\]\\) by (\\S+) ")     \
	RLX(SCALIX, "\\(Scalix SMTP Relay")                                    \
	RLX(SCALIX1, "^(\\S+) \\( ?(" RL_IPA ")\\) by (\\S+)")                 \
	RLX(DOMINO, " \\(Lotus Domino ")                                       \
	RLX(DOMINO1, "^(\\S+) \\(\\[(" RL_IPA ")\\]\\) by (\\S+) \\(Lotus")    \
	RLX(WITH_HTTP, "\\bwith HTTP\\b")                                      \
	RLX(HTTP1, "^(" RL_IPA ") \\(\\[" RL_IPA "\\]\\) by (\\S+)")           \
	RLX(QMAIL_LDAP, " by \\S+ \\(qmail-\\S+\\) with ")                     \
	RLX(SENDMAIL1,                                                         \
	    "^(\\S+) \\((\\S+) \\[(" RL_IPA ")\\].*\\) by (\\S+) \\(")         \
	RLX(IDENT_PFX, "^IDENT:([^\\@]*)\\@")                                  \
	RLX(AT_PFX, "^([^\\@]*)\\@")                                           \
	RLX(EXCH1,                                                             \
	    "^(\\S+) \\((\\S+) \\[(" RL_IPA ")\\]\\) by (\\S+) with \\S+ \\(") \
	RLX(HELO_EQ1,                                                          \
	    "^(\\S+) \\(\\[(" RL_IPA ")\\] helo=(\\S+)\\) by (\\S+) with ")    \
	RLX(ATTBI1,                                                            \
	    "^(\\S+) \\(<unknown\\S*>\\[(" RL_IPA ")\\]\\) by (\\S+) ")        \
	RLX(ATTBI2,                                                            \
	    "^(\\S+) \\((\\S+\\.\\S+)\\[(" RL_IPA ")\\]\\) by (\\S+) ")        \
	RLX(KGB, "^(\\S+) \\((\\S*)\\@\\[(" RL_IPA ")\\].*\\) by (\\S+) \\(")  \
	RLX(HOTMAIL, "by (\\S+\\.hotmail\\.msn\\.com) ")                       \
	RLX(IP_SP, "^(" RL_IPA ") ")                                           \
	RLX(QPSMTPD,                                                           \
	    "^(\\S+) \\((?:HELO|EHLO) (\\S*)\\) \\((" RL_IPA ")\\) by "        \
	    "(\\S+) \\(qpsmtpd/\\S+\\) with (?:ESMTP|SMTP)")                   \
	RLX(LHLO, "^(\\S+) \\(LHLO (\\S*)\\) \\((" RL_IPA                      \
		  ")\\) by (\\S+) with LMTP")                                  \
	RLX(GMX1,                                                              \
	    "^(\\S+) \\((?:HELO|EHLO) (\\S*)\\) \\[(" RL_IPA ")\\] by (\\S+) " \
	    "\\([^\\)]+\\) with (?:ESMTP|SMTP)")                               \
	RLX(SMTPD_FOR, "^(\\S+) \\(\\[(" RL_IPA ")\\]\\) by (\\S+) via smtpd " \
		       "\\(for \\S+\\) with SMTP\\(")                          \
	RLX(QMAIL,                                                             \
	    "^\\S+( \\((?:HELO|EHLO) \\S*\\))? \\((\\S+\\@)?\\[?" RL_IPA       \
	    "\\]?\\)( \\(envelope-sender <\\S+>\\))? by \\S+( \\(.+\\))* "     \
	    "with (.* )?(SMTP|QMQP)(?! id )")                                  \
	RLX(QMAIL1, "^(\\S+) \\((?:HELO|EHLO) ([^ \\(\\)]*)\\) "               \
		    "\\((\\S*)\\@\\[?(" RL_IPA                                 \
		    ")\\]?\\)( \\(envelope-sender <\\S+>\\))? by (\\S+)")      \
	RLX(QMAIL2,                                                            \
	    "^(\\S+) \\((?:HELO|EHLO) ([^ \\(\\)]*)\\) \\(\\[?(" RL_IPA        \
	    ")\\]?\\)( \\(envelope-sender <\\S+>\\))? by (\\S+)")              \
	RLX(QMAIL3,                                                            \
	    "^(\\S+) \\((\\S*)\\@\\[?(" RL_IPA ")\\]?\\)( \\(envelope-"        \
	    "sender <\\S+>\\))? by (\\S+)")                                    \
	RLX(QMAIL4, "^(\\S+) \\(\\[?(" RL_IPA ")\\]?\\)( \\(envelope-sender "  \
		    "<\\S+>\\))? by (\\S+)")                                   \
	RLX(VIA_HTTP, " via HTTP$")                                            \
	RLX(VIA_HTTP1, "^\\[(" RL_IPA ")\\] by (\\S+) via HTTP$")              \
	RLX(AS_USER, "^(\\S+) \\( \\[(" RL_IPA ")\\]\\).*? by (\\S+) ")        \
	RLX(PAREN_IP_BR, "^\\((\\S+) \\[(" RL_IPA ")\\]\\) by (\\S+) ")        \
	RLX(BR_IP_BY, "^\\[(" RL_IPA ")\\] by (\\S+) ")                        \
	RLX(PAREN_IP, "^\\(\\[?(" RL_IPA ")\\]?\\) by (\\S+) ")                \
	RLX(MDAEMON1,                                                          \
	    "^(\\S+) \\[(" RL_IPA ")\\] by (\\S+) \\[" RL_IPA "\\] with ")     \
	RLX(MDAEMON2,                                                          \
	    "^(\\S+) \\[\\((" RL_IPA ")\\)\\] by (\\S+) \\(" RL_IPA "\\) ")    \
	RLX(SENDMAIL2, "^(\\S+) \\(\\[(" RL_IPA ")\\]\\) by (\\S+) \\(")       \
	RLX(SENDMAIL3,                                                         \
	    "^(\\S+) \\((\\S+) \\[(" RL_IPA ")\\]\\).*? by (\\S+)\\b")         \
	RLX(SENDMAIL4,                                                         \
	    "^(\\S+) \\(\\[(" RL_IPA ")(?:[.:]\\d+)?\\]\\).*? by (\\S+) ")     \
	RLX(SENDMAIL5,                                                         \
	    "^(\\S+) \\((\\S+) \\[(" RL_IPA ")\\]\\)(?: \\(authenticated "     \
	    "bits=\\d+\\))? by (\\S+) \\(")                                    \
	RLX(WITH_FETCH, "with (?:POP3|IMAP)")                                  \
	RLX(QMAILISH1,                                                         \
	    "^(\\S+) \\((?:HELO|EHLO) ([^\\)]*)\\) \\((\\S*@)?\\[?(" RL_IPA    \
	    ")\\]?\\).* by (\\S+) ")                                           \
	RLX(QMAILISH2,                                                         \
	    "^(\\S+) \\((\\S*@)?\\[?(" RL_IPA ")\\]?\\).* by (\\S+) ")         \
	RLX(HTTP_FOR, " with http for ")                                       \
	RLX(HTTP_FOR1, "^\\[(" RL_IPA ")\\] by (\\S+) with http for ")         \
	RLX(SMAP, " via smap ")                                                \
	RLX(SMAP1, "^(\\S+)\\((" RL_IPA ")\\) by (\\S+) via smap ")            \
	RLX(SMAP2,                                                             \
	    "^(\\S+)\\((" RL_IPA "), (?:HELO|EHLO) (\\S*)\\) by (\\S+) via "   \
	    "smap ")                                                           \
	RLX(POST, " \\(Post")                                                  \
	RLX(POST1, "^\\[(" RL_IPA ")\\] by (\\S+) \\(Post")                    \
	RLX(ARGO, " \\(ArGoSoft")                                              \
	RLX(ARGO1, "^\\[(" RL_IPA ")\\] by (\\S+) \\(ArGoSoft")                \
	RLX(SMTPL, "^(" RL_IPA ") by (\\S+) \\((?:SMTPL|InterScan)\\b")        \
	RLX(BSMTP, " with BSMTP")                                              \
	RLX(BSMTP1, "^\\S+ by \\S+ with BSMTP")                                \
	RLX(SPIKE, "^(\\S+) \\((\\S+) \\[(" RL_IPA ")\\]\\) by (\\S+) with ")  \
	RLX(YAHOO1,                                                            \
	    "^(\\S+) \\((?:HELO|EHLO) (\\S*)\\) \\((?:(\\S+)\\@)?(" RL_IPA     \
	    ").*?\\) by (\\S+) with ")                                         \
	RLX(CGP1, "^\\[(" RL_IPA                                               \
		  ")\\] \\((?:account \\S+ )?(?:HELO|EHLO) (\\S*)\\) "         \
		  "by (\\S+) \\(")                                             \
	RLX(CGP2, " \\(CommuniGate Pro")                                       \
	RLX(CGP3, "^(\\S+) \\(\\[(" RL_IPA ")\\] verified\\) by (\\S+) \\(")   \
	RLX(CIPHERTRUST, "^\\(\\[(" RL_IPA ")\\]\\) by (\\S+) with ")          \
	RLX(IRONPORT, "^([^\\d]\\S+) \\((" RL_IPA ")\\) by (\\S+) ")           \
	RLX(CONTENT_TECH, "^\\S+ \\(\\S+\\) by \\S+ \\(Content Technologies ") \
	RLX(BLS,                                                               \
	    "^(\\S+) \\(\\[(" RL_IPA ")\\] \\[(\\S+)\\]\\) by (\\S+) with ")   \
	RLX(TUMBLEWEED, "^(" RL_IPA ") by (\\S+) with ")                       \
	RLX(POBOX, "^(\\S+) \\((\\S+)\\[(" RL_IPA ")\\]\\) by (\\S+) ")        \
	RLX(FSECURE,                                                           \
	    "^\\[(" RL_IPA ")\\]\\S+ \\((?:HELO|EHLO) (\\S*)\\) by (\\S+) ")   \
	RLX(ALTAVISTA, "^(" RL_IPA ") \\((?:HELO|EHLO) (\\S*)\\) by (\\S+) ")  \
	RLX(SMTPD32, "^(\\S+) \\[(" RL_IPA ")\\] by (\\S+) ")                  \
	RLX(NODNS, "^(\\S+)\\((" RL_IPA ")\\) by (\\S+) ")                     \
	RLX(MAILGATE, "^\\[(" RL_IPA ")\\] by (\\S+) \\(MailGate ")            \
	RLX(UNVERIFIED,                                                        \
	    "^(\\S+) \\(unverified \\[(" RL_IPA ")\\]\\) by (\\S+) ")          \
	RLX(PROXY, "^(" RL_IPA ") \\([A-Za-z][^\\)]+\\) by (\\S+) with ")      \
	RLX(BR_IP_SUB, "^\\[(" RL_IPA ")\\] \\(([^\\)]+)\\) by (\\S+) ")       \
	RLX(KDE, "^(\\S+) \\((?:\\S+\\@)?(" RL_IPA ")\\) by (\\S+) with ")     \
	RLX(OBTUSE,                                                            \
	    "^(\\S+)\\((" RL_IPA ")\\)(?:, claiming to be \"(\\S+)\")? via "   \
	    "\\S+ by (\\S+),")                                                 \
	RLX(YAHOO_LOGIN, "^(\\S+) \\((\\S+)@(" RL_IPA ") with login\\) by "    \
			 "(\\S+\\.yahoo\\.com) with SMTP")                     \
	RLX(XORIG, "^X-Originating-IP: (" RL_IPA ")$")                         \
	RLX(IGN_USER_LH, "^\\S+ \\([^\\s\\@]+\\@" RL_LH "\\) by \\S+ \\(")     \
	RLX(IGN_LOCAL_ESMTP, "^\\S+ \\S+ by \\S+ with local-e?smtp ")          \
	RLX(IGN_AVG, "^127\\.0\\.0\\.1 \\(AVG SMTP \\S+ \\[\\S+\\]\\)")        \
	RLX(IGN_UID, "^\\S+\\@\\S+ by \\S+ by uid \\S+ ")                      \
	RLX(IGN_ADDR_BY, "^\\S+\\@\\S+ by \\S+ ")                              \
	RLX(IGN_UNKNOWN_LOCAL, "^Unknown/Local \\(")                           \
	RLX(IGN_LH_LH, "^" RL_LH " \\((?:\\S+\\@)?" RL_LH "[\\)\\[]")          \
	RLX(IGN_X_LH, "^\\S+ \\((?:\\S+\\@)?" RL_LH "\\) ")                    \
	RLX(IGN_X_AT_LH, "^\\S+ \\(\\S+\\@\\S+ \\[" RL_LH "\\]\\) ")           \
	RLX(IGN_AUTH, "^\\(AUTH: \\S+\\) by \\S+ with ")                       \
	RLX(IGN_UNIX,                                                          \
	    "^localhost \\(localhost \\[\\[UNIX: localhost\\]\\]\\) "          \
	    "by ")                                                             \
	RLX(IGN_AMAZON,                                                        \
	    "^\\S+\\.amazon\\.com by \\S+\\.amazon\\.com with ESMTP "          \
	    "\\(peer crosscheck: ")                                            \
	RLX(IGN_GROUPWISE, "^[^\\.]+ by \\S+ with Novell_GroupWise")           \
	RLX(IGN_RAPTOR, "^no\\.name\\.available by \\S+ via smtpd \\(for ")    \
	RLX(IGN_QMS, "^\\S+ by \\S+ \\(.{0,100}\\) with qmail-scanner")        \
	RLX(IGN_WITH_LOCAL, "^\\S+ by \\S+ with local")                        \
	RLX(IGN_CYRUS, "^\\S+ \\(\\[unix socket\\]\\) by \\S+ \\(Cyrus "       \
		       "v[0-9]*?\\.[0-9]*?\\.[0-9]*?\\) with LMTPA")           \
	RLX(IGN_BY_WITH, "^\\S+ by \\S+ (?:with|via|for|\\()")                 \
	RLX(IGN_UNVERIFIED,                                                    \
	    "^\\S+ (?:(?:with|via|for) \\S+|\\(unverified\\)) "                \
	    "by\\b")                                                           \
	RLX(IGN_SENDGRID, "^\\S+ \\(unknown\\) by \\S+ \\(SG\\) with \\b")     \
	RLX(IGN_OPENSMTPD,                                                     \
	    "^\\S+ \\(\\S+ \\[local\\]\\) by \\S+ \\(OpenSMTPD\\)"             \
	    " with \\b")                                                       \
	RLX(IGN_LSMTP, "\\(LSMTP for")                                         \
	RLX(IGN_MAILENABLE, "^\\(\\[" RL_LH "\\]\\) with MailEnable ")         \
	RLX(IGN_FACEBOOK,                                                      \
	    "^facebook\\.com \\([^\\)]+\\) by facebook\\.com with "            \
	    "Thrift id \\S+$")                                                 \
	RLX(IGN_GMAILAPI, "^\\S+ named \\S+ by gmailapi\\.google\\.com with "  \
			  "HTTPREST$")                                         \
	RLX(IGN_ID, "^\\S+ id \\S+$")                                          \
	RLX(IGN_JETSEND, "^\\[<.*? \\(Jetsend")                                \
	RLX(GUESS_HELO, "^(\\S+)[^-A-Za-z0-9\\.]")                             \
	RLX(UFROM_SP, "^FROM ")                                                \
	RLX(SIMTA,                                                             \
	    "^(\\S+) \\((\\S+) \\[(" RL_IPA ")\\]\\) BY (\\S+) (?:\\([^\\)]+"  \
	    "\\) WITH SMTP )?ID <?(\\S+?)>?(?: FOR <[^>]+>)?$")                \
	RLX(PFROM_SP, "^\\(from ")                                             \
	RLX(NAVGW,                                                             \
	    "^(\\S*) \\[(" RL_IPA ")\\]\\) by (\\S+) \\(NAVGW .*?\\) with ")   \
	RLX(PFROM_LH, "^\\S+\\@localhost\\) by \\S+ ")                         \
	RLX(JQUEUE,                                                            \
	    "^[^\\s\\@]+\\@[^)]+\\) by \\S+\\(jqueuemail\\) id [^\\s;]+")      \
	RLX(ANY_BR_IP, "\\[(" RL_IPA ")\\]")                                   \
	RLX(ANY_IP, "(" RL_IPA ")")                                            \
	RLX(IPV4MAPPED,                                                        \
	    RL_I "^0*:0*:(?:0*:)*ffff:(\\d+\\.\\d+\\.\\d+\\.\\d+)$")           \
	RLX(PRIVATE,                                                           \
	    "^(?:" RL_PV4 "|(?:IPv6:|(?<![a-f0-9:]))(?:(?:(?:" RL_Z4           \
	    ":){5}ffff:|::(?:" RL_Z4 ":){0,4}ffff:|(?:" RL_Z4                  \
	    ":){1,4}:ffff:|" RL_Z4 "::(?:" RL_Z4 ":){1,3}ffff:|(?:" RL_Z4      \
	    ":){2}:0{1,2}:ffff:"                                               \
	    "|(?:" RL_Z4 ":){3}:0:ffff:|(?:" RL_Z4 ":){4}:ffff:)" RL_PV4       \
	    "|fe[89ab][0-9a-f]:.*|(?:" RL_Z4 ":){7}0{0,3}1|:(?::" RL_Z4        \
	    "){0,6}:0{0,3}1|" RL_Z4 ":(?::" RL_Z4 "){0,5}:0{0,3}1|(?:" RL_Z4   \
	    ":){2}(?::" RL_Z4 "){0,4}:0{0,3}1|(?:" RL_Z4 ":){3}(?::" RL_Z4     \
	    "){0,3}:0{0,3}1|(?:" RL_Z4 ":){4}(?::" RL_Z4 "){0,2}:0{0,3}1"      \
	    "|(?:" RL_Z4 ":){5}(?::" RL_Z4 "){0,1}:0{0,3}1|(?:" RL_Z4          \
	    ":){6}:0{0,3}1))")

enum {
#define RLX(n, p) RL_##n,
	RL_LIST
#undef RLX
	    RL_COUNT
};

static const char *const rl_pat[RL_COUNT] = {
#define RLX(n, p) p,
    RL_LIST
#undef RLX
};

static pcre2_code *rl_code[RL_COUNT];
static int rl_failed;
static pthread_once_t rl_once = PTHREAD_ONCE_INIT;

static void
rl_compile(void)
{
	int i, en;
	PCRE2_SIZE off;

	for (i = 0; i < RL_COUNT; i++) {
		rl_code[i] =
		    pcre2_compile((PCRE2_SPTR)rl_pat[i], PCRE2_ZERO_TERMINATED,
				  0, &en, &off, NULL);
		if (rl_code[i] == NULL)
			rl_failed++;
		else
			(void)pcre2_jit_compile(rl_code[i], PCRE2_JIT_COMPLETE);
	}
}

int
sp_received_init(void)
{
	pthread_once(&rl_once, rl_compile);
	return rl_failed ? -1 : 0;
}

/* The line being parsed ($_) and the last match's captures. */
struct rl {
	char *s;
	size_t n;
	pcre2_match_data *md;
	const char *subj; /* what the last rl_m() matched against */
	char ip[64], helo[256], rdns[256], by[256], id[128], ident[64];
	char envfrom[256], auth[128];
	int have_envfrom, dns;
};

/* Does pattern k match s[0..n)? The captures stay in p->md. */
static int
rl_ms(struct rl *p, int k, const char *s, size_t n)
{
	if (rl_code[k] == NULL)
		return 0;
	p->subj = s;
	return pcre2_match(rl_code[k], (PCRE2_SPTR)s, n, 0, 0, p->md, NULL) >=
	       0;
}

static int
rl_m(struct rl *p, int k)
{
	return rl_ms(p, k, p->s, p->n);
}

/* Was group g of the last match set? */
static int
rl_def(const struct rl *p, int g)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);

	return (uint32_t)g < pcre2_get_ovector_count(p->md) &&
	       ov[2 * g] != PCRE2_UNSET;
}

/* Group g of the last match into out ("" when unset), truncated. */
static void
rl_cap(const struct rl *p, int g, char *out, size_t outlen)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
	size_t n = 0;

	if (rl_def(p, g)) {
		n = ov[2 * g + 1] - ov[2 * g];
		if (n >= outlen)
			n = outlen - 1;
		memcpy(out, p->subj + ov[2 * g], n);
	}
	out[n] = '\0';
}

/* Replaces the whole of the last match (against p->s) with rep. */
static void
rl_splice(struct rl *p, const char *rep)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
	size_t a = ov[0], b = ov[1], rl = strlen(rep);

	/* rep is never longer than what it replaces but for ") by " */
	memmove(p->s + a + rl, p->s + b, p->n - b + 1);
	memcpy(p->s + a, rep, rl);
	p->n = p->n - (b - a) + rl;
}

/* s/PATTERN// on p->s: 1 if it matched. */
static int
rl_sub(struct rl *p, int k)
{
	if (!rl_m(p, k))
		return 0;
	rl_splice(p, "");
	return 1;
}

/* $sub =~ s/helo=(\S+)// and $helo = $1; $sub =~ s/ident=(\S*)// and
 * $ident = $1; over group g of the last match. */
static void
rl_exim_sub(struct rl *p, int g)
{
	char sub[512];
	PCRE2_SIZE *ov;
	size_t n;

	rl_cap(p, g, sub, sizeof(sub));
	n = strlen(sub);
	if (rl_ms(p, RL_SUB_HELO, sub, n)) {
		rl_cap(p, 1, p->helo, sizeof(p->helo));
		ov = pcre2_get_ovector_pointer(p->md);
		memmove(sub + ov[0], sub + ov[1], n - ov[1] + 1);
		n -= ov[1] - ov[0];
	}
	if (rl_ms(p, RL_SUB_IDENT, sub, n))
		rl_cap(p, 1, p->ident, sizeof(p->ident));
}

enum rl_st { RL_CONT, RL_ENOUGH, RL_IGNORE, RL_QMS, RL_FETCH };

#define RLC(f, g) rl_cap(p, (g), p->f, sizeof(p->f))

/* The normalisation, the fields every form shares (id, helo, by) and
 * the authentication tokens. */
static enum rl_st
rl_prologue(struct rl *p)
{
	char w[256];

	if (!rl_m(p, RL_FROM) || rl_m(p, RL_WITH_LOCAL_FOR))
		return RL_IGNORE;
	if (rl_m(p, RL_FROM_BY_SEMI)) {
		rl_cap(p, 1, w, sizeof(w));
		if (!rl_ms(p, RL_BRACKET_V4, w, strlen(w)))
			return RL_IGNORE;
	}
	(void)rl_sub(p, RL_DATE);
	if (rl_m(p, RL_PAREN_BY))
		rl_splice(p, ") by ");
	if (rl_m(p, RL_ID))
		RLC(id, 1);
	if (rl_m(p, RL_HELO_EQ) || rl_m(p, RL_HELO_WORD))
		RLC(helo, 1);
	if (rl_m(p, RL_BY))
		RLC(by, 1);
	if (rl_m(p, RL_SP_BY_SP) && rl_m(p, RL_AUTH_WITH))
		RLC(auth, 1);
	else if (rl_m(p, RL_AUTH_GMAIL) && rl_m(p, RL_AUTH_GMAIL2)) {
		char v[48], c[48];

		rl_cap(p, 1, v, sizeof(v));
		rl_cap(p, 2, c, sizeof(c));
		snprintf(p->auth, sizeof(p->auth),
			 "GMail - transport=%s cipher=%s", v, c);
	} else if (rl_m(p, RL_AUTH_COURIER))
		RLC(auth, 1);
	else if (rl_m(p, RL_AUTHENTICATED) && rl_m(p, RL_AUTH_SENDMAIL))
		snprintf(p->auth, sizeof(p->auth), "Sendmail");
	else if (rl_m(p, RL_AUTH_GMX)) {
		char a[32], b[64];

		rl_cap(p, 4, a, sizeof(a));
		rl_cap(p, 3, b, sizeof(b));
		snprintf(p->auth, sizeof(p->auth), "GMX (%s / %s)", a, b);
	} else if (rl_m(p, RL_AUTH_CP1) && rl_m(p, RL_AUTH_CP2))
		snprintf(p->auth, sizeof(p->auth), "CriticalPath");
	else if (rl_m(p, RL_AUTH_POSTFIX)) {
		rl_cap(p, 1, w, sizeof(w));
		if (strcmp(w, "Postfix") == 0)
			snprintf(p->auth, sizeof(p->auth), "Postfix");
		else
			snprintf(p->auth, sizeof(p->auth), "Postfix (%s)", w);
	} else if (rl_m(p, RL_AUTH_CGP1) && rl_m(p, RL_AUTH_CGP2))
		snprintf(p->auth, sizeof(p->auth), "Communigate");
	else if (rl_m(p, RL_AUTH_DAV))
		snprintf(p->auth, sizeof(p->auth), "HTTP-DAV");
	else if (rl_m(p, RL_SP_BY_SP) && rl_m(p, RL_AUTH_VIA))
		RLC(auth, 1);
	return RL_CONT;
}

/* Exim's many forms. */
static enum rl_st
rl_exim(struct rl *p)
{
	if (rl_m(p, RL_EXIM_LOCAL))
		return RL_IGNORE;
	if (rl_m(p, RL_EXIM1)) {
		RLC(ip, 1);
		RLC(by, 3);
		rl_exim_sub(p, 2);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_EXIM2)) {
		RLC(rdns, 1);
		RLC(ip, 2);
		RLC(by, 4);
		RLC(helo, 1); /* bug 5112 */
		rl_exim_sub(p, 3);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_EXIM3)) {
		RLC(rdns, 1);
		RLC(ip, 2);
		RLC(helo, 1);
		RLC(by, 4);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_EXIM4))
		RLC(rdns, 1);
	if (rl_m(p, RL_EXIM5))
		RLC(helo, 1);
	if (rl_m(p, RL_EXIM6))
		RLC(ip, 1);
	if (rl_m(p, RL_EXIM7)) {
		RLC(by, 1);
		if (p->ip[0] != '\0')
			return RL_ENOUGH;
	}
	return RL_CONT;
}

/* helo rdns ip by, groups 1-4, the MTA looked the name up */
static enum rl_st
rl_hrib(struct rl *p)
{
	p->dns = 1;
	RLC(helo, 1);
	RLC(rdns, 2);
	RLC(ip, 3);
	RLC(by, 4);
	return RL_ENOUGH;
}

/* The vendor branches: Received.pm's if/elsif chain on the MTA's name. */
static enum rl_st
rl_vendor(struct rl *p)
{
	if (rl_m(p, RL_SMTPSVC)) {
		if (rl_m(p, RL_SMTPSVC1)) {
			RLC(helo, 1);
			RLC(ip, 2);
			RLC(by, 3);
			return RL_ENOUGH;
		}
		if (rl_m(p, RL_SMTPSVC2))
			return RL_IGNORE;
	} else if (rl_m(p, RL_MSSMTP)) {
		if (rl_m(p, RL_MSSMTP1)) {
			RLC(helo, 1);
			RLC(ip, 2);
			RLC(by, 3);
			p->id[0] = '\0';
			return RL_ENOUGH;
		}
	} else if (rl_m(p, RL_XMAIL)) {
		if (rl_m(p, RL_XMAIL1)) {
			RLC(helo, 1);
			RLC(ip, 2);
			RLC(by, 3);
			if (rl_m(p, RL_XMAIL_ID))
				RLC(id, 1);
			if (rl_m(p, RL_XMAIL_FROM)) {
				RLC(envfrom, 1);
				p->have_envfrom = 1;
			}
			return RL_ENOUGH;
		}
	} else if (rl_m(p, RL_ECEL)) {
		if (rl_m(p, RL_ECEL1)) {
			RLC(ip, 1);
			RLC(helo, 2);
			RLC(by, 3);
			return RL_ENOUGH;
		}
		if (rl_m(p, RL_ECEL2)) {
			RLC(ip, 1);
			RLC(by, 2);
			return RL_ENOUGH;
		}
	} else if (rl_m(p, RL_EXIM))
		return rl_exim(p);
	else if (rl_m(p, RL_POSTFIX)) {
		if (rl_m(p, RL_POSTFIX1) || rl_m(p, RL_POSTFIX2)) {
			(void)rl_hrib(p);
			if (strcmp(p->rdns, "unknown") == 0)
				p->rdns[0] = '\0';
			return RL_ENOUGH;
		}
	} else if (rl_m(p, RL_SCALIX)) {
		if (rl_m(p, RL_SCALIX1)) {
			RLC(helo, 1);
			RLC(ip, 2);
			RLC(by, 3);
			return RL_ENOUGH;
		}
	} else if (rl_m(p, RL_DOMINO)) {
		if (rl_m(p, RL_DOMINO1)) {
			p->dns = 0;
			RLC(helo, 1);
			RLC(ip, 2);
			RLC(by, 3);
			return RL_ENOUGH;
		}
	}
	return RL_CONT;
}

/* ip by, groups a and b */
static enum rl_st
rl_ib(struct rl *p, int a, int b)
{
	RLC(ip, a);
	RLC(by, b);
	return RL_ENOUGH;
}

/* helo ip by, groups 1-3 */
static enum rl_st
rl_hib(struct rl *p)
{
	RLC(helo, 1);
	RLC(ip, 2);
	RLC(by, 3);
	return RL_ENOUGH;
}

/* rdns helo ip by, groups 1-4 */
static enum rl_st
rl_rhib(struct rl *p)
{
	RLC(rdns, 1);
	RLC(helo, 2);
	RLC(ip, 3);
	RLC(by, 4);
	return RL_ENOUGH;
}

/* qmail's forms (MiB's block), once RL_QMAIL matched */
static enum rl_st
rl_qmail(struct rl *p)
{
	if (rl_m(p, RL_QMAIL1)) {
		RLC(rdns, 1);
		RLC(helo, 2);
		RLC(ident, 3);
		RLC(ip, 4);
		RLC(by, 6);
	} else if (rl_m(p, RL_QMAIL2)) {
		RLC(rdns, 1);
		RLC(helo, 2);
		RLC(ip, 3);
		RLC(by, 5);
	} else if (rl_m(p, RL_QMAIL3)) {
		RLC(rdns, 1);
		RLC(helo, 1);
		RLC(ident, 2);
		RLC(ip, 3);
		RLC(by, 5);
	} else if (rl_m(p, RL_QMAIL4)) {
		RLC(rdns, 1);
		RLC(helo, 1);
		RLC(ip, 2);
		RLC(by, 4);
	}
	if (strcmp(p->rdns, "unknown") != 0)
		p->dns = 1;
	else
		p->rdns[0] = '\0';
	return RL_ENOUGH;
}

/* s/PATTERN// and $ident = $1, on r (the rDNS) */
static void
rl_strip_ident(struct rl *p, char *r, int k)
{
	PCRE2_SIZE *ov;

	if (!rl_ms(p, k, r, strlen(r)))
		return;
	ov = pcre2_get_ovector_pointer(p->md);
	RLC(ident, 1);
	memmove(r, r + ov[1], strlen(r + ov[1]) + 1);
}

/* From "with HTTP" to the qmail forms. */
static enum rl_st
rl_general1(struct rl *p)
{
	if (rl_m(p, RL_WITH_HTTP) && rl_m(p, RL_HTTP1))
		return rl_ib(p, 1, 2);
	if (!rl_m(p, RL_QMAIL_LDAP) && rl_m(p, RL_SENDMAIL1)) {
		char *r = p->rdns;

		(void)rl_hrib(p);
		/* $rdns =~ s/^IDENT:([^\@]*)\@// and $ident = $1, then
		 * the same without "IDENT:" */
		rl_strip_ident(p, r, RL_IDENT_PFX);
		rl_strip_ident(p, r, RL_AT_PFX);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_EXCH1)) {
		p->dns = 1;
		RLC(rdns, 2);
		RLC(ip, 3);
		RLC(helo, 1);
		RLC(by, 4);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_HELO_EQ1)) {
		RLC(rdns, 1);
		RLC(ip, 2);
		RLC(helo, 3);
		RLC(by, 4);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_ATTBI1))
		return rl_hib(p);
	if (rl_m(p, RL_ATTBI2))
		return rl_hrib(p);
	if (rl_m(p, RL_KGB)) {
		p->dns = 1;
		RLC(helo, 1);
		RLC(ip, 3);
		RLC(by, 4);
		RLC(ident, 2);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_HOTMAIL)) {
		RLC(by, 1);
		if (rl_m(p, RL_IP_SP))
			RLC(ip, 1);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_QPSMTPD) || rl_m(p, RL_LHLO) || rl_m(p, RL_GMX1))
		return rl_rhib(p);
	if (rl_m(p, RL_SMTPD_FOR))
		return rl_hib(p);
	if (rl_m(p, RL_QMAIL))
		return rl_qmail(p);
	return RL_CONT;
}

/* From Yahoo's "via HTTP" to the fetchers. */
static enum rl_st
rl_general2(struct rl *p)
{
	if (rl_m(p, RL_VIA_HTTP) && rl_m(p, RL_VIA_HTTP1))
		return rl_ib(p, 1, 2);
	if (rl_m(p, RL_AS_USER))
		return rl_ib(p, 2, 3);
	if (rl_m(p, RL_PAREN_IP_BR))
		return rl_hib(p);
	if (rl_m(p, RL_BR_IP_BY) || rl_m(p, RL_PAREN_IP))
		return rl_ib(p, 1, 2);
	if (rl_m(p, RL_MDAEMON1)) {
		p->dns = 1;
		return rl_hib(p);
	}
	if (rl_m(p, RL_MDAEMON2))
		return rl_hib(p);
	if (rl_m(p, RL_SENDMAIL2)) {
		p->dns = 1;
		return rl_hib(p);
	}
	if (rl_m(p, RL_SENDMAIL3)) {
		char r[256];

		rl_cap(p, 2, r, sizeof(r));
		if (strcmp(r, "softdnserr") == 0)
			p->dns = 0; /* bug 2326: couriertcpd */
		else {
			p->dns = 1;
			RLC(rdns, 2);
		}
		RLC(helo, 1);
		RLC(ip, 3);
		RLC(by, 4);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_SENDMAIL4)) {
		p->dns = 1;
		return rl_hib(p);
	}
	if (rl_m(p, RL_SENDMAIL5))
		return rl_hrib(p);
	if (rl_m(p, RL_WITH_FETCH))
		return RL_FETCH;
	return RL_CONT;
}

/* qmail-ish forms to Yahoo's authenticated SMTP. */
static enum rl_st
rl_general3(struct rl *p)
{
	if (rl_m(p, RL_QMAILISH1)) {
		p->dns = 1;
		RLC(rdns, 1);
		RLC(helo, 2);
		RLC(ident, 3);
		RLC(ip, 4);
		RLC(by, 5);
		if (p->ident[0] != '\0' &&
		    p->ident[strlen(p->ident) - 1] == '@')
			p->ident[strlen(p->ident) - 1] = '\0';
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_QMAILISH2)) {
		p->dns = 1;
		RLC(rdns, 1);
		RLC(helo, 1);
		RLC(ident, 2);
		RLC(ip, 3);
		RLC(by, 4);
		if (p->ident[0] != '\0' &&
		    p->ident[strlen(p->ident) - 1] == '@')
			p->ident[strlen(p->ident) - 1] = '\0';
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_HTTP_FOR) && rl_m(p, RL_HTTP_FOR1))
		return rl_ib(p, 1, 2);
	if (rl_m(p, RL_SMAP) && rl_m(p, RL_SMAP1)) {
		p->dns = 1;
		RLC(rdns, 1);
		return rl_ib(p, 2, 3);
	}
	if (rl_m(p, RL_SMAP2)) {
		p->dns = 1;
		RLC(rdns, 1);
		RLC(ip, 2);
		RLC(helo, 3);
		RLC(by, 4);
		return RL_ENOUGH;
	}
	if ((rl_m(p, RL_POST) && rl_m(p, RL_POST1)) ||
	    (rl_m(p, RL_ARGO) && rl_m(p, RL_ARGO1)) || rl_m(p, RL_SMTPL))
		return rl_ib(p, 1, 2);
	if (rl_m(p, RL_BSMTP) && rl_m(p, RL_BSMTP1))
		return RL_IGNORE;
	if (rl_m(p, RL_SPIKE))
		return rl_hrib(p);
	if (rl_m(p, RL_YAHOO1)) {
		p->dns = 1;
		RLC(rdns, 1);
		RLC(helo, 2);
		RLC(ip, 4);
		RLC(by, 5);
		if (rl_def(p, 3))
			RLC(ident, 3);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_CGP1)) {
		RLC(helo, 2);
		return rl_ib(p, 1, 3);
	}
	if (rl_m(p, RL_CGP2) && rl_m(p, RL_CGP3)) {
		p->dns = 1;
		RLC(rdns, 1);
		return rl_hib(p);
	}
	if (rl_m(p, RL_CIPHERTRUST))
		return rl_ib(p, 1, 2);
	if (rl_m(p, RL_IRONPORT))
		return rl_hib(p);
	if (rl_m(p, RL_CONTENT_TECH))
		return RL_IGNORE; /* useless without the $ip anyway */
	return RL_CONT;
}

/* From the Bell Canada forms to the synthetic X-Originating-IP. */
static enum rl_st
rl_general4(struct rl *p)
{
	if (rl_m(p, RL_BLS)) {
		RLC(helo, 1);
		RLC(ip, 2);
		RLC(by, 4);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_TUMBLEWEED))
		return rl_ib(p, 1, 2);
	if (rl_m(p, RL_POBOX))
		return rl_hrib(p);
	if (rl_m(p, RL_FSECURE) || rl_m(p, RL_ALTAVISTA)) {
		RLC(ip, 1);
		RLC(helo, 2);
		RLC(by, 3);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_SMTPD32))
		return rl_hib(p);
	if (rl_m(p, RL_NODNS)) {
		RLC(rdns, 1);
		return rl_ib(p, 2, 3);
	}
	if (rl_m(p, RL_MAILGATE))
		return rl_ib(p, 1, 2);
	if (rl_m(p, RL_UNVERIFIED))
		return rl_hib(p);
	if (rl_m(p, RL_PROXY))
		return rl_ib(p, 1, 2);
	if (rl_m(p, RL_BR_IP_SUB)) {
		RLC(ip, 1);
		RLC(by, 3);
		rl_exim_sub(p, 2);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_KDE)) {
		RLC(rdns, 1);
		return rl_ib(p, 2, 3);
	}
	if (rl_m(p, RL_OBTUSE)) {
		char r[256];

		RLC(rdns, 1);
		RLC(ip, 2);
		RLC(helo, 3);
		RLC(by, 4);
		rl_cap(p, 1, r, sizeof(r));
		if (strcmp(r, "UNKNOWN") != 0)
			p->dns = 1;
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_YAHOO_LOGIN)) {
		RLC(helo, 1);
		RLC(ip, 3);
		RLC(by, 4);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_XORIG)) {
		RLC(ip, 1);
		p->by[0] = '\0';
		return RL_ENOUGH;
	}
	return RL_CONT;
}

/* "STUFF TO IGNORE" and the handovers Received.pm knows it cannot use. */
static enum rl_st
rl_ignore(struct rl *p)
{
	static const int ign[] = {
	    RL_IGN_USER_LH,   RL_IGN_LOCAL_ESMTP,   RL_IGN_AVG,	  RL_IGN_UID,
	    RL_IGN_ADDR_BY,   RL_IGN_UNKNOWN_LOCAL, RL_IGN_LH_LH, RL_IGN_X_LH,
	    RL_IGN_X_AT_LH,   RL_IGN_AUTH,	    RL_IGN_UNIX,  RL_IGN_AMAZON,
	    RL_IGN_GROUPWISE, RL_IGN_RAPTOR};
	static const int ign2[] = {
	    RL_IGN_WITH_LOCAL, RL_IGN_CYRUS,	  RL_IGN_BY_WITH,
	    RL_IGN_UNVERIFIED, RL_IGN_SENDGRID,	  RL_IGN_OPENSMTPD,
	    RL_IGN_LSMTP,      RL_IGN_MAILENABLE, RL_IGN_FACEBOOK,
	    RL_IGN_GMAILAPI,   RL_IGN_ID,	  RL_IGN_JETSEND};
	size_t i;

	for (i = 0; i < sizeof(ign) / sizeof(ign[0]); i++)
		if (rl_m(p, ign[i]))
			return RL_IGNORE;
	if (rl_m(p, RL_IGN_QMS))
		return RL_QMS;
	for (i = 0; i < sizeof(ign2) / sizeof(ign2[0]); i++)
		if (rl_m(p, ign2[i]))
			return RL_IGNORE;
	if (p->helo[0] == '\0' && rl_m(p, RL_GUESS_HELO))
		RLC(helo, 1);
	return RL_CONT;
}

/* Everything after "from ". */
static enum rl_st
rl_from(struct rl *p)
{
	enum rl_st st;

	if (rl_m(p, RL_ENVFROM)) {
		RLC(envfrom, 1);
		p->have_envfrom = 1;
	}
	if (rl_m(p, RL_SQUIRREL) && rl_m(p, RL_SQUIRREL2))
		return rl_ib(p, 1, 2);
	if (rl_m(p, RL_AOL) && rl_m(p, RL_AOL2) && rl_m(p, RL_AOL3))
		return rl_ib(p, 1, 2);
	if ((st = rl_vendor(p)) != RL_CONT ||
	    (st = rl_general1(p)) != RL_CONT ||
	    (st = rl_general2(p)) != RL_CONT ||
	    (st = rl_general3(p)) != RL_CONT ||
	    (st = rl_general4(p)) != RL_CONT)
		return st;
	return rl_ignore(p);
}

/* simta's "FROM ... BY ... ID" and the "(from ...)" forms. */
static enum rl_st
rl_other(struct rl *p)
{
	if (rl_sub(p, RL_UFROM_SP)) {
		if (rl_m(p, RL_SIMTA)) {
			(void)rl_hrib(p);
			RLC(id, 5);
			if (strcmp(p->rdns, "unverified") == 0)
				p->rdns[0] = '\0';
			return RL_ENOUGH;
		}
	} else if (rl_sub(p, RL_PFROM_SP)) {
		if (rl_m(p, RL_NAVGW))
			return rl_hib(p);
		if (rl_m(p, RL_PFROM_LH) || rl_m(p, RL_JQUEUE))
			return RL_IGNORE;
	}
	return RL_CONT;
}

/* s/[\s\000\#\[\]\(\)\<\>\|]/!/g */
static void
rl_bang(char *s)
{
	for (; *s != '\0'; s++)
		if (strchr(" \t\r\n\f\v#[]()<>|", *s) != NULL)
			*s = '!';
}

/* envfrom: leading blanks and "<", trailing ">" and blanks off, then
 * the strip characters */
static void
rl_envfrom(char *e)
{
	size_t a = 0, n = strlen(e);

	while (e[a] == ' ' || e[a] == '\t')
		a++;
	while (e[a] == '<')
		a++;
	memmove(e, e + a, n - a + 1);
	n -= a;
	while (n > 0 && (e[n - 1] == ' ' || e[n - 1] == '\t'))
		n--;
	while (n > 0 && e[n - 1] == '>')
		n--;
	e[n] = '\0';
	rl_bang(e);
}

/* Received.pm's "enough:" over a parsed line, into out. */
static void
rl_enough(struct rl *p, struct sp_relay *out)
{
	size_t n = strlen(p->rdns);
	char *ip = p->ip, *pct;

	while (n > 0 && p->rdns[n - 1] == '.')
		p->rdns[--n] = '\0';
	if (strcasecmp(p->rdns, "unknown") == 0 || p->rdns[0] == '[')
		p->rdns[0] = '\0';
	if (strncasecmp(ip, "ipv6:", 5) == 0)
		memmove(ip, ip + 5, strlen(ip + 5) + 1);
	if (ip[0] == '[')
		memmove(ip, ip + 1, strlen(ip));
	if ((n = strlen(ip)) > 0 && ip[n - 1] == ']')
		ip[n - 1] = '\0';
	if ((pct = strrchr(ip, '%')) != NULL &&
	    strspn(pct + 1,
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789._~-") == strlen(pct + 1))
		*pct = '\0';
	if (rl_ms(p, RL_IPV4MAPPED, ip, strlen(ip))) {
		char v4[64];

		rl_cap(p, 1, v4, sizeof(v4));
		snprintf(ip, sizeof(p->ip), "%s", v4);
	}
	if ((n = strlen(p->by)) > 0 && p->by[n - 1] == ';')
		p->by[n - 1] = '\0';
	rl_bang(ip);
	rl_bang(p->rdns);
	rl_bang(p->helo);
	rl_bang(p->by);
	rl_bang(p->ident);
	if (p->have_envfrom)
		rl_envfrom(p->envfrom);
#define CP(f) snprintf(out->f, sizeof(out->f), "%s", p->f)
	CP(ip);
	CP(rdns);
	CP(helo);
	CP(by);
	CP(id);
	CP(ident);
	CP(envfrom);
	CP(auth);
#undef CP
	out->ip_private = rl_ms(p, RL_PRIVATE, ip, strlen(ip));
	out->no_rdns = p->rdns[0] == '\0' && p->dns;
}

/* The whole of parse_received_line over p->s. */
static enum sp_rcvd
rl_parse(struct rl *p, struct sp_relay *out)
{
	enum rl_st st = rl_prologue(p);

	if (st == RL_CONT) {
		if (rl_sub(p, RL_FROM_SP))
			st = rl_from(p);
		else
			st = rl_other(p);
	}
	switch (st) {
	case RL_IGNORE:
		return SP_RCVD_IGNORE;
	case RL_FETCH:
		return SP_RCVD_FETCH;
	case RL_QMS:
		if (!p->have_envfrom)
			return SP_RCVD_IGNORE;
		rl_envfrom(p->envfrom);
		snprintf(out->envfrom, sizeof(out->envfrom), "%s", p->envfrom);
		return SP_RCVD_QMS;
	case RL_CONT:
		if (p->ip[0] == '\0' && rl_m(p, RL_ANY_BR_IP))
			RLC(ip, 1);
		if (p->ip[0] == '\0' || p->by[0] == '\0')
			return SP_RCVD_UNPARSEABLE;
		break;
	case RL_ENOUGH:
		break;
	}
	rl_enough(p, out);
	return SP_RCVD_OK;
}

enum sp_rcvd
sp_received_parse(const char *v, size_t len, struct sp_relay *out)
{
	struct rl *p;
	enum sp_rcvd st = SP_RCVD_UNPARSEABLE;
	size_t i, n = 0;

	memset(out, 0, sizeof(*out));
	if (sp_received_init() < 0 || (p = calloc(1, sizeof(*p))) == NULL)
		return SP_RCVD_UNPARSEABLE;
	if ((p->s = malloc(len + 8)) == NULL ||
	    (p->md = pcre2_match_data_create(16, NULL)) == NULL)
		goto out;
	/* s/\s+/ /g; s/^ //; s/ $//; 1 while s/\s?;$//; */
	for (i = 0; i < len; i++) {
		int sp = v[i] == ' ' || (v[i] >= '\t' && v[i] <= '\r');

		if (!sp)
			p->s[n++] = v[i];
		else if (n > 0 && p->s[n - 1] != ' ')
			p->s[n++] = ' ';
	}
	if (n > 0 && p->s[n - 1] == ' ')
		n--;
	while (n > 0 && p->s[n - 1] == ';') {
		n--;
		if (n > 0 && p->s[n - 1] == ' ')
			n--;
	}
	p->s[n] = '\0';
	p->n = n;
	st = rl_parse(p, out);
out:
	pcre2_match_data_free(p->md);
	free(p->s);
	free(p);
	return st;
}

int
sp_received_find_ip(const char *s, char *out, size_t outlen)
{
	struct rl p;
	int rc = -1;

	memset(&p, 0, sizeof(p));
	if (sp_received_init() < 0 ||
	    (p.md = pcre2_match_data_create(4, NULL)) == NULL)
		return -1;
	if (rl_ms(&p, RL_ANY_IP, s, strlen(s))) {
		rl_cap(&p, 1, out, outlen);
		rc = 0;
	}
	pcre2_match_data_free(p.md);
	return rc;
}
