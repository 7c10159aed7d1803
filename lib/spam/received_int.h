/* lib/spam/received_int.h - what received_re.c and received_line.c
 * share: Received.pm's regexes (RL_LIST, in Received.pm's order; the
 * pattern of RL_X is rl_pat[RL_X]), the parse's state and the helpers
 * that match them. Internal to those two files. */
#ifndef FACTEUR_SPAM_RECEIVED_INT_H
#define FACTEUR_SPAM_RECEIVED_INT_H

#include <stddef.h>

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
	RLX(IS_IPV4, "^\\b" RL_O4 "\\." RL_O4 "\\." RL_O4 "\\." RL_O4 "\\b$")  \
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

enum rl_st { RL_CONT, RL_ENOUGH, RL_IGNORE, RL_QMS, RL_FETCH };

#define RLC(f, g) rl_cap(p, (g), p->f, sizeof(p->f))

/* Does pattern k match s[0..n) (rl_m: the line)? The captures stay in
 * p->md. */
int rl_ms(struct rl *p, int k, const char *s, size_t n);
int rl_m(struct rl *p, int k);
/* Was group g of the last match set? Group g into out ("" when unset). */
int rl_def(const struct rl *p, int g);
void rl_cap(const struct rl *p, int g, char *out, size_t outlen);
/* s/PATTERN// on the line: 1 if it matched; the whole of the last
 * match replaced with rep. */
int rl_sub(struct rl *p, int k);
void rl_splice(struct rl *p, const char *rep);
/* Exim's $sub: helo= and ident= out of group g */
void rl_exim_sub(struct rl *p, int g);
/* Groups into fields: ip by (groups a, b); helo ip by (1-3); rdns helo
 * ip by (1-4); helo rdns ip by (1-4, the MTA looked the name up). Each
 * returns RL_ENOUGH. */
enum rl_st rl_ib(struct rl *p, int a, int b);
enum rl_st rl_hib(struct rl *p);
enum rl_st rl_rhib(struct rl *p);
enum rl_st rl_hrib(struct rl *p);
/* Received.pm's vendor if/elsif chain (received_re.c). */
enum rl_st rl_vendor(struct rl *p);

#endif
