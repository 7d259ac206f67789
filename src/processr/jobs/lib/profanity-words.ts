// A small built-in list of English profanities, matched as whole words (lower case). Words that are
// also common names or surnames ("Dick", "Cox", "Willy") are left out on purpose; a campaign adds
// to it with extra_words and allows words with allowed_words. Inflections ("fucking", "wankers")
// and obfuscations ("f*ck", "sh1t") are matched from these (profanity-match.ts).
export const PROFANITY_EN: readonly string[] = [
  "arse",
  "arsehole",
  "asshole",
  "bastard",
  "bellend",
  "bitch",
  "bollocks",
  "bullshit",
  "crap",
  "cunt",
  "dickhead",
  "fuck",
  "fucked",
  "fucker",
  "fucking",
  "fuckoff",
  "motherfucker",
  "piss",
  "pissed",
  "shit",
  "shite",
  "slut",
  "tosser",
  "twat",
  "wank",
  "wanker",
  "whore",
];
