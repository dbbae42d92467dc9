//! Glob patterns with pathlib's syntax, parsed into components, and the matching of one file
//! name against one component.
//!
//! Names are matched as the system gives them (`OsStr`), not converted to `String`s first:
//! a name that is not valid Unicode still matches `*` or `?` as much of it as is text, and
//! its other bytes count as one character each.

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Component, Path};

/// A parsed pattern: its components, and whether it must end at a directory (a trailing `/`).
pub(super) struct Pattern {
    parts: Vec<Part>,
    dirs_only: bool,
}

/// One component of a pattern.
pub(super) enum Part {
    /// A name without wildcards: looked up, or (ignoring case) matched with `exact`.
    Literal {
        name: OsString,
        exact: Wildcard,
    },
    Wildcard(Wildcard),
    /// `**`: any number of directories, none included.
    Recursive,
}

impl Pattern {
    /// Parses `text`, with `**/` before it when `recursive` (`rglob`); an error of kind
    /// `InvalidInput` naming `text` says what is wrong.
    pub(super) fn parse(text: &str, recursive: bool) -> io::Result<Pattern> {
        let invalid = |reason: &str| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid pattern {text:?}: {reason}"),
            )
        };
        if text.is_empty() && !recursive {
            return Err(invalid("it is empty"));
        }
        if let Some(Component::Prefix(_) | Component::RootDir) = Path::new(text).components().next()
        {
            return Err(invalid(
                "it is absolute, where a pattern is relative to the directory searched",
            ));
        }
        let mut parts = Vec::new();
        if recursive {
            parts.push(Part::Recursive);
        }
        for component in text.split(std::path::is_separator) {
            // `a//b` and `./a` mean `a/b` and `a`, as in a path.
            if component.is_empty() || component == "." {
                continue;
            }
            if component == "**" {
                // `**/**` matches what `**` does; one is enough.
                if !matches!(parts.last(), Some(Part::Recursive)) {
                    parts.push(Part::Recursive);
                }
                continue;
            }
            if component.contains("**") {
                return Err(invalid("`**` can only be a whole path component"));
            }
            let wildcard = Wildcard::parse(component).map_err(invalid)?;
            parts.push(if wildcard.is_literal() {
                Part::Literal {
                    name: component.into(),
                    exact: wildcard,
                }
            } else {
                Part::Wildcard(wildcard)
            });
        }
        if parts.is_empty() {
            return Err(invalid("it names no path component"));
        }
        Ok(Pattern {
            parts,
            dirs_only: (recursive && text.is_empty()) || text.ends_with(std::path::is_separator),
        })
    }

    /// The state that stands for a match of the whole pattern.
    pub(super) fn end(&self) -> usize {
        self.parts.len()
    }

    /// The part at `state`; `None` at the end.
    pub(super) fn part(&self, state: usize) -> Option<&Part> {
        self.parts.get(state)
    }

    /// Whether a match must be a directory.
    pub(super) fn dirs_only(&self) -> bool {
        self.dirs_only
    }

    /// Adds `state` to `states`, and the states after it that a `**` matching no directory
    /// reaches.
    pub(super) fn enter(&self, mut state: usize, states: &mut Vec<usize>) {
        loop {
            if let Err(at) = states.binary_search(&state) {
                states.insert(at, state);
            }
            match self.parts.get(state) {
                Some(Part::Recursive) => state += 1,
                _ => return,
            }
        }
    }
}

/// One component's pattern: what each character of a name must be.
pub(super) struct Wildcard {
    tokens: Vec<Token>,
}

enum Token {
    Char(char),
    /// `?`
    Any,
    /// `*`
    Star,
    /// `[…]`: inclusive ranges (a single character is a range of one).
    Set {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// One character of a name: a `char`, or a byte that is not part of valid UTF-8.
#[derive(Clone, Copy)]
enum Unit {
    Char(char),
    Byte,
}

impl Wildcard {
    fn parse(text: &str) -> Result<Wildcard, &'static str> {
        let mut tokens = Vec::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            tokens.push(match c {
                '*' => Token::Star,
                '?' => Token::Any,
                '[' => {
                    let negated = chars.next_if_eq(&'!').is_some();
                    let mut ranges = Vec::new();
                    loop {
                        let Some(low) = chars.next() else {
                            return Err(
                                "a `[` has no matching `]` (write `[[]` for a literal `[`)",
                            );
                        };
                        // A `]` first in the set is one of its characters, not its end.
                        if low == ']' && !ranges.is_empty() {
                            break;
                        }
                        let mut ahead = chars.clone();
                        let high = match (ahead.next(), ahead.next()) {
                            (Some('-'), Some(high)) if high != ']' => {
                                chars.next();
                                chars.next();
                                high
                            }
                            _ => low,
                        };
                        // A range backwards (`[z-a]`) matches nothing, as in Python.
                        ranges.push((low, high));
                    }
                    Token::Set { negated, ranges }
                }
                c => Token::Char(c),
            });
        }
        Ok(Wildcard { tokens })
    }

    fn is_literal(&self) -> bool {
        self.tokens
            .iter()
            .all(|token| matches!(token, Token::Char(_)))
    }

    /// Whether `name` matches, every character of it.
    pub(super) fn matches(&self, name: &OsStr, case_sensitive: bool) -> bool {
        let text = name.as_encoded_bytes();
        let tokens = &self.tokens;
        let (mut token, mut at) = (0, 0);
        // After a `*`: the token after it, and where in the name it is tried next, should
        // what follows fail to match. One such point is enough: a later `*` supersedes it,
        // since whatever a later `*` cannot make match, moving an earlier one cannot either.
        let mut star: Option<(usize, usize)> = None;
        loop {
            match tokens.get(token) {
                Some(Token::Star) => {
                    star = Some((token + 1, at));
                    token += 1;
                    continue;
                }
                Some(one) if at < text.len() => {
                    let (unit, len) = unit_at(text, at);
                    if one_matches(one, unit, case_sensitive) {
                        token += 1;
                        at += len;
                        continue;
                    }
                }
                Some(_) => {}
                None if at == text.len() => return true,
                None => {}
            }
            // No match here: let the last `*` take one more character, if there is one.
            match star {
                Some((after, from)) if from < text.len() => {
                    let next = from + unit_at(text, from).1;
                    star = Some((after, next));
                    token = after;
                    at = next;
                }
                _ => return false,
            }
        }
    }
}

/// The character of `text` at byte `at` (which is below its length), and its length in bytes.
fn unit_at(text: &[u8], at: usize) -> (Unit, usize) {
    // A character is at most 4 bytes: decoding them is enough to tell the one at `at`.
    let window = &text[at..text.len().min(at + 4)];
    match window
        .utf8_chunks()
        .next()
        .and_then(|chunk| chunk.valid().chars().next())
    {
        Some(c) => (Unit::Char(c), c.len_utf8()),
        None => (Unit::Byte, 1),
    }
}

fn one_matches(token: &Token, unit: Unit, case_sensitive: bool) -> bool {
    match (token, unit) {
        (Token::Any, _) => true,
        (Token::Char(want), Unit::Char(c)) => {
            *want == c || (!case_sensitive && lower(*want) == lower(c))
        }
        (Token::Char(_), Unit::Byte) => false,
        (Token::Set { negated, ranges }, unit) => {
            let within = |c: char| ranges.iter().any(|&(low, high)| low <= c && c <= high);
            let inside = match unit {
                Unit::Char(c) => {
                    within(c) || (!case_sensitive && (within(lower(c)) || within(upper(c))))
                }
                Unit::Byte => false,
            };
            inside != *negated
        }
        // Stars are handled by the caller.
        (Token::Star, _) => true,
    }
}

/// `c` in lower case, where that is one character (Unicode's simple mapping).
fn lower(c: char) -> char {
    let mut lowered = c.to_lowercase();
    match (lowered.next(), lowered.next()) {
        (Some(one), None) => one,
        _ => c,
    }
}

/// `c` in upper case, where that is one character.
fn upper(c: char) -> char {
    let mut raised = c.to_uppercase();
    match (raised.next(), raised.next()) {
        (Some(one), None) => one,
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, name: &str) -> bool {
        match Wildcard::parse(pattern) {
            Ok(wildcard) => wildcard.matches(OsStr::new(name), true),
            Err(reason) => panic!("{pattern}: {reason}"),
        }
    }

    #[test]
    fn wildcards_match_as_fnmatch_does() {
        assert!(matches("*", ""));
        assert!(matches("*", ".hidden"));
        assert!(matches("*.txt", "a.txt"));
        assert!(matches("*.txt", ".txt"));
        assert!(!matches("*.txt", "a.txt.gz"));
        assert!(matches("a*b*c", "aXbYbZc"));
        assert!(!matches("a*b*c", "aXbYbZ"));
        assert!(matches("a?c", "abc"));
        assert!(matches("a?c", "aéc"));
        assert!(!matches("a?c", "ac"));
        assert!(matches("[ab]*", "bob"));
        assert!(!matches("[ab]*", "cab"));
        assert!(matches("[!a]*", "cab"));
        assert!(!matches("[!a]*", "abc"));
        assert!(matches("[a-c]x", "bx"));
        assert!(!matches("[z-a]x", "bx"));
        assert!(matches("[]a]", "]"));
        assert!(matches("[!]]", "a"));
        assert!(!matches("[!]]", "]"));
        assert!(matches("[a-]", "-"));
        assert!(matches("[[]", "["));
        assert!(matches("[!a]", "é"));
        assert!(matches("*[0-9]", "file7"));
        assert!(!matches("*[0-9]", "file"));
    }

    #[test]
    fn case_folding_reaches_sets_and_ranges() {
        let folded = |pattern: &str, name: &str| match Wildcard::parse(pattern) {
            Ok(wildcard) => wildcard.matches(OsStr::new(name), false),
            Err(reason) => panic!("{pattern}: {reason}"),
        };
        assert!(folded("*.txt", "A.TXT"));
        assert!(folded("[a-c]", "B"));
        assert!(folded("[A-C]", "b"));
        assert!(folded("É", "é"));
        assert!(!folded("[!a]", "A"));
    }

    #[cfg(unix)]
    #[test]
    fn bytes_that_are_not_utf8_are_one_character_each() {
        use std::os::unix::ffi::OsStrExt;
        let name = OsStr::from_bytes(b"a\xffb");
        let matches = |pattern: &str| match Wildcard::parse(pattern) {
            Ok(wildcard) => wildcard.matches(name, true),
            Err(reason) => panic!("{pattern}: {reason}"),
        };
        assert!(matches("a?b"));
        assert!(matches("a*"));
        assert!(matches("a[!x]b"));
        assert!(!matches("a[x]b"));
        assert!(!matches("a??b"));
    }

    #[test]
    fn invalid_patterns_say_why() {
        let reason = |text: &str| match Pattern::parse(text, false) {
            Ok(_) => String::from("valid"),
            Err(error) => error.to_string(),
        };
        assert!(reason("").contains("empty"));
        assert!(reason("/etc/*").contains("absolute"));
        assert!(reason("a**").contains("whole path component"));
        assert!(reason("x/**b/y").contains("whole path component"));
        assert!(reason("[ab").contains("no matching `]`"));
        assert!(reason("[]").contains("no matching `]`"));
        assert!(reason(".").contains("no path component"));
        assert_eq!(reason("./a//b/"), "valid");
        assert_eq!(reason("**/**/x"), "valid");
    }
}
