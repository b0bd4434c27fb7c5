//! Which on-screen keyboard suits a text question, read from the form's own checks.
//!
//! A tablet shows its full keyboard for a text input. A text question whose error check
//! requires `matches(., 'pattern')`, with a pattern that accepts nothing but digits (a mobile
//! number), gets the numeric keypad; one that also accepts `-`, `+` or spaces (a landline
//! written "0571-12345678") gets the telephone keypad. Nothing in the form asks for it, so a
//! form cannot ask for a keypad that cannot type a valid answer.

use crate::expr::{BinaryOp, Node};

/// A keyboard smaller than the full one, as the HTML `inputmode` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keypad {
    /// Digits only.
    Numeric,
    /// Digits with the signs of a telephone number.
    Telephone,
}

impl Keypad {
    /// The value of the input's `inputmode` attribute.
    pub fn input_mode(self) -> &'static str {
        match self {
            Keypad::Numeric => "numeric",
            Keypad::Telephone => "tel",
        }
    }
}

/// The keypad for an answer that must meet every one of `checks` (compiled expressions over
/// `.`), if one of them pins the answer down to digits.
pub fn for_checks<'a>(checks: impl IntoIterator<Item = &'a Node>) -> Option<Keypad> {
    checks.into_iter().find_map(required_pattern)
}

/// The keypad of a pattern the answer must match for `check` to hold.
fn required_pattern(check: &Node) -> Option<Keypad> {
    match check {
        Node::Matches(text, _, pattern) if **text == Node::Current => for_pattern(pattern),
        Node::Binary(BinaryOp::And, left, right) => {
            required_pattern(left).or_else(|| required_pattern(right))
        }
        _ => None,
    }
}

/// The keypad that can type every text `pattern` accepts, if a small one can.
///
/// Only a plain shape is read: digits, `\d`, classes of digits and digit ranges, groups
/// (`(...)`, `(?:...)`), alternatives, anchors and quantifiers. A literal `-`, `+` or space asks
/// for the telephone keypad. Anything else (letters, `.`, other escapes, negated classes,
/// flags) leaves the full keyboard.
pub fn for_pattern(pattern: &str) -> Option<Keypad> {
    let mut digits = false;
    let mut telephone = false;
    let mut chars = pattern.chars().peekable();
    // Where the scan is inside `[...]`, if it is inside one.
    let mut class: Option<ClassPlace> = None;
    let mut in_count = false;
    while let Some(c) = chars.next() {
        if let Some(place) = class {
            class = Some(match c {
                ']' if place != ClassPlace::Start => {
                    class = None;
                    continue;
                }
                '^' if place == ClassPlace::Start => return None,
                '0'..='9' => {
                    digits = true;
                    ClassPlace::AfterDigit
                }
                // A `-` first, last or after a range is itself; between two characters it is a
                // range, which only digits may bound here.
                '-' if place == ClassPlace::Start
                    || place == ClassPlace::AfterRange
                    || chars.peek() == Some(&']') =>
                {
                    telephone = true;
                    ClassPlace::AfterOther
                }
                '-' => match (place, chars.next()?) {
                    (ClassPlace::AfterDigit, '0'..='9') => ClassPlace::AfterRange,
                    _ => return None,
                },
                '+' | ' ' => {
                    telephone = true;
                    ClassPlace::AfterOther
                }
                '\\' => match chars.next()? {
                    'd' => {
                        digits = true;
                        ClassPlace::AfterRange
                    }
                    '-' | '+' | ' ' => {
                        telephone = true;
                        ClassPlace::AfterOther
                    }
                    _ => return None,
                },
                _ => return None,
            });
            continue;
        }
        if in_count {
            match c {
                '0'..='9' | ',' => {}
                '}' => in_count = false,
                _ => return None,
            }
            continue;
        }
        match c {
            '0'..='9' => digits = true,
            '[' => class = Some(ClassPlace::Start),
            '{' => in_count = true,
            '(' if chars.peek() == Some(&'?') => {
                chars.next();
                if chars.next()? != ':' {
                    return None;
                }
            }
            '(' | ')' | '|' | '?' | '*' | '+' | '^' | '$' => {}
            '-' | ' ' => telephone = true,
            '\\' => match chars.next()? {
                'd' => digits = true,
                '-' | '+' | ' ' => telephone = true,
                _ => return None,
            },
            _ => return None,
        }
    }
    if !digits || class.is_some() || in_count {
        return None;
    }
    Some(if telephone {
        Keypad::Telephone
    } else {
        Keypad::Numeric
    })
}

/// Where a scan is inside a character class, which decides what a `-` means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClassPlace {
    /// Just after `[`.
    Start,
    /// After a digit, which a `-` and another digit make a range.
    AfterDigit,
    /// After another single character: a `-` then would make a range it bounds.
    AfterOther,
    /// After a range or a class escape such as `\d`: a `-` then is itself.
    AfterRange,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_of_digits_get_the_numeric_keypad() {
        for pattern in [
            "1[3-9][0-9]{9}",
            "[0-9]{6}",
            "\\d+",
            "^(?:0|[1-9][0-9]*)$",
            "[0-9]{2,3}",
        ] {
            assert_eq!(for_pattern(pattern), Some(Keypad::Numeric), "{pattern}");
        }
    }

    #[test]
    fn digits_with_a_dash_plus_or_space_get_the_telephone_keypad() {
        for pattern in [
            "0[0-9]{2,3}-[0-9]{7,8}",
            "\\+86 1[3-9]\\d{9}",
            "[-0-9]+",
            "[0-9-]+",
            "[0-9 ]+",
            // After a range, a `-` is itself: this accepts "1-2".
            "[0-9-5]+",
        ] {
            assert_eq!(for_pattern(pattern), Some(Keypad::Telephone), "{pattern}");
        }
    }

    #[test]
    fn anything_else_keeps_the_full_keyboard() {
        for pattern in [
            // An identity number may end in X.
            "[0-9]{17}[0-9Xx][0-9]{2}",
            "[一-鿿]{2,30}",
            "[^a-z]+",
            ".+",
            "\\w+",
            "(?i)[0-9]+",
            "(?P<n>[0-9])",
            "a|[0-9]",
            "[0-9",
            // Ranges bounded by other characters take punctuation no keypad has.
            "[ -9]+",
            "[+-9]+",
            "[\\--9]+",
            "[]0-9]",
            "",
        ] {
            assert_eq!(for_pattern(pattern), None, "{pattern}");
        }
    }
}
