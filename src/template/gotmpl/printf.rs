//! Go's `fmt.Sprint`, `Sprintln` and `Sprintf` over template values: the verbs templates use (`%s %d %v
//! %+v %q %x %X %o %b %c %e %f %g %t %T %%`), flags, width and precision, and Go's `%!verb(type=value)`
//! for a verb that does not fit its operand.

use std::fmt::Write as _;

use super::value::Value;

/// `fmt.Sprint`: operands side by side, a space between two that are both not strings.
pub(crate) fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    let mut previous_string = false;
    for (i, arg) in args.iter().enumerate() {
        let is_string = arg.as_str().is_some();
        if i > 0 && !is_string && !previous_string {
            out.push(' ');
        }
        arg.print(&mut out, false);
        previous_string = is_string;
    }
    out
}

/// `fmt.Sprintln`: operands separated by spaces, then a line break.
pub(crate) fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        arg.print(&mut out, false);
    }
    out.push('\n');
    out
}

/// Flags, width and precision of one verb.
#[derive(Debug, Default, Clone, Copy)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

/// `fmt.Sprintf`.
pub(crate) fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut next = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&flag) = chars.peek() {
            match flag {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '#' => spec.sharp = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                _ => break,
            }
            chars.next();
        }
        spec.width = number(&mut chars, args, &mut next);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.precision = Some(number(&mut chars, args, &mut next).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next) else {
            let _ = write!(out, "%!{verb}(MISSING)");
            continue;
        };
        next += 1;
        format_one(&mut out, verb, spec, arg);
    }
    if next < args.len() {
        out.push_str("%!(EXTRA ");
        for (i, arg) in args[next..].iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{}=", arg.type_name());
            arg.print(&mut out, false);
        }
        out.push(')');
    }
    out
}

/// A width or precision: digits, or `*` taking an int operand.
fn number(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, args: &[Value], next: &mut usize) -> Option<usize> {
    if chars.peek() == Some(&'*') {
        chars.next();
        let value = match args.get(*next) {
            Some(Value::Int(n)) => usize::try_from(*n).ok(),
            _ => None,
        };
        *next += 1;
        return value;
    }
    let mut value: Option<usize> = None;
    while let Some(digit) = chars.peek().and_then(|c| c.to_digit(10)) {
        chars.next();
        value = Some(value.unwrap_or(0).saturating_mul(10).saturating_add(digit as usize));
    }
    value
}

fn format_one(out: &mut String, verb: char, spec: Spec, arg: &Value) {
    if verb == 'T' {
        pad(out, arg.type_name(), spec, false);
        return;
    }
    let text = match arg {
        Value::Bool(value) if matches!(verb, 't' | 'v') => Some(value.to_string()),
        Value::Int(value) => integer(*value, verb, spec),
        Value::Float(value) => float(*value, verb, spec),
        Value::Str(text) | Value::Html(text) => string(text, verb, spec),
        Value::Duration(nanos) if matches!(verb, 'd' | 'x' | 'X' | 'o' | 'b') => integer(*nanos, verb, spec),
        // Types with a String method (`time.Time`, `time.Duration`) print it for %v %s %q %x %X.
        Value::Time(_) | Value::Duration(_) if matches!(verb, 'v' | 's' | 'q' | 'x' | 'X') => {
            string(&arg.to_text(), verb, spec)
        }
        Value::Missing | Value::Nil if verb == 'v' => Some("<nil>".into()),
        Value::Strings(list) if matches!(verb, 'v' | 's' | 'q' | 'x' | 'X') => {
            let items: Vec<String> =
                list.iter().map(|item| string(item, verb, Spec { width: None, ..spec }).unwrap_or_default()).collect();
            out.push('[');
            out.push_str(&items.join(" "));
            out.push(']');
            return;
        }
        _ if verb == 'v' || verb == 's' && is_composite(arg) => {
            let mut text = String::new();
            arg.print(&mut text, spec.plus);
            Some(text)
        }
        _ => None,
    };
    match text {
        Some(text) => {
            let numeric = matches!(arg, Value::Int(_) | Value::Float(_) | Value::Duration(_))
                && !matches!(verb, 'c' | 'q' | 'U' | 'v' | 's');
            pad(out, &text, spec, numeric || matches!(arg, Value::Int(_) | Value::Float(_)) && verb == 'v')
        }
        None => {
            let _ = write!(out, "%!{verb}(");
            if matches!(arg, Value::Missing | Value::Nil) {
                out.push_str("<nil>");
            } else {
                let _ = write!(out, "{}=", arg.type_name());
                arg.print(out, false);
            }
            out.push(')');
        }
    }
}

fn is_composite(value: &Value) -> bool {
    matches!(
        value,
        Value::List(_)
            | Value::Kv(_)
            | Value::Map(_)
            | Value::Pairs(_)
            | Value::Pair(_)
            | Value::Alerts(..)
            | Value::Alert(_)
            | Value::Data(_)
    )
}

/// Pads `text` to the width: spaces on the left (right with `-`), zeros after the sign for numbers with `0`.
fn pad(out: &mut String, text: &str, spec: Spec, numeric: bool) {
    let length = text.chars().count();
    let Some(width) = spec.width.filter(|&width| width > length) else {
        out.push_str(text);
        return;
    };
    let fill = width - length;
    if spec.minus {
        out.push_str(text);
        out.extend(std::iter::repeat_n(' ', fill));
    } else if spec.zero {
        let sign_length = if numeric && text.starts_with(['+', '-', ' ']) { 1 } else { 0 };
        out.push_str(&text[..sign_length]);
        out.extend(std::iter::repeat_n('0', fill));
        out.push_str(&text[sign_length..]);
    } else {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(text);
    }
}

fn sign(negative: bool, spec: Spec) -> &'static str {
    if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    }
}

fn integer(value: i64, verb: char, spec: Spec) -> Option<String> {
    let abs = value.unsigned_abs();
    let (digits, prefix) = match verb {
        'd' | 'v' => (abs.to_string(), ""),
        'x' => (format!("{abs:x}"), if spec.sharp { "0x" } else { "" }),
        'X' => (format!("{abs:X}"), if spec.sharp { "0X" } else { "" }),
        'o' => (format!("{abs:o}"), if spec.sharp { "0" } else { "" }),
        'O' => (format!("{abs:o}"), "0o"),
        'b' => (format!("{abs:b}"), ""),
        'c' => return Some(u32::try_from(value).ok().and_then(char::from_u32).unwrap_or('\u{fffd}').to_string()),
        'q' => {
            let c = u32::try_from(value).ok().and_then(char::from_u32).unwrap_or('\u{fffd}');
            return Some(format!("'{}'", quote_char(c, '\'')));
        }
        'U' => {
            let text = format!("U+{abs:04X}");
            let c = u32::try_from(value).ok().and_then(char::from_u32);
            return Some(match c {
                Some(c) if spec.sharp && !c.is_control() => format!("{text} '{c}'"),
                _ => text,
            });
        }
        _ => return None,
    };
    let digits = match spec.precision {
        Some(0) if value == 0 => String::new(),
        Some(precision) if precision > digits.len() => format!("{}{digits}", "0".repeat(precision - digits.len())),
        _ => digits,
    };
    Some(format!("{}{prefix}{digits}", sign(value < 0, spec)))
}

fn float(value: f64, verb: char, spec: Spec) -> Option<String> {
    if value.is_nan() {
        return Some(
            if spec.plus {
                "+NaN"
            } else if spec.space {
                " NaN"
            } else {
                "NaN"
            }
            .into(),
        );
    }
    if value.is_infinite() {
        return Some(format!(
            "{}Inf",
            if value < 0.0 {
                "-"
            } else if spec.plus {
                "+"
            } else if spec.space {
                " "
            } else {
                ""
            }
        ));
    }
    let body = match verb {
        'v' | 'g' => format_float_g(value.abs(), spec.precision, false),
        'G' => format_float_g(value.abs(), spec.precision, true),
        'e' | 'E' => exponent(&format!("{:.*e}", spec.precision.unwrap_or(6), value.abs()), verb == 'E'),
        'f' | 'F' => format!("{:.*}", spec.precision.unwrap_or(6), value.abs()),
        _ => return None,
    };
    Some(format!("{}{body}", sign(value.is_sign_negative(), spec)))
}

/// Rust's `1.5e6` as Go writes it: `1.5e+06`.
fn exponent(rust: &str, upper: bool) -> String {
    let Some((mantissa, exp)) = rust.split_once('e') else { return rust.to_string() };
    let exp: i32 = exp.parse().unwrap_or(0);
    let e = if upper { 'E' } else { 'e' };
    format!("{mantissa}{e}{}{:02}", if exp < 0 { '-' } else { '+' }, exp.unsigned_abs())
}

/// Go's `%g` of a non-negative finite number (`%v` when `precision` is `None`): shortest digits, in
/// exponent form when the exponent is below -4 or at least the precision (6 for the shortest).
pub(crate) fn format_float_g(value: f64, precision: Option<usize>, upper: bool) -> String {
    if value < 0.0 {
        return format!("-{}", format_float_g(-value, precision, upper));
    }
    // Significant digits (trailing zeros dropped) and the decimal point's position.
    let scientific = match precision {
        None => format!("{value:e}"),
        Some(p) => format!("{:.*e}", p.max(1) - 1, value),
    };
    let (mantissa, exp) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    let zero = digits == [b'0'];
    if zero {
        digits.clear();
    }
    let nd = digits.len() as i32;
    let dp = if zero { 0 } else { exp + 1 };
    let mut prec = match precision {
        None => nd,
        Some(p) => p.max(1) as i32,
    };
    let mut eprec = prec;
    if eprec > nd && nd >= dp {
        eprec = nd;
    }
    if precision.is_none() {
        eprec = 6;
    }
    let exponent = dp - 1;
    let digit = |i: i32| if i >= 0 && i < nd { digits[i as usize] as char } else { '0' };
    let mut out = String::new();
    if exponent < -4 || exponent >= eprec {
        if prec > nd {
            prec = nd;
        }
        out.push(digit(0));
        if prec > 1 {
            out.push('.');
            for i in 1..prec {
                out.push(digit(i));
            }
        }
        let shown = if zero { 0 } else { exponent };
        let _ = write!(
            out,
            "{}{}{:02}",
            if upper { 'E' } else { 'e' },
            if shown < 0 { '-' } else { '+' },
            shown.unsigned_abs()
        );
        return out;
    }
    if prec > dp {
        prec = nd;
    }
    let decimals = (prec - dp).max(0);
    if dp > 0 {
        for i in 0..dp {
            out.push(digit(i));
        }
    } else {
        out.push('0');
    }
    if decimals > 0 {
        out.push('.');
        for i in 0..decimals {
            out.push(digit(dp + i));
        }
    }
    out
}

fn string(text: &str, verb: char, spec: Spec) -> Option<String> {
    let text: String = match spec.precision {
        Some(precision) => text.chars().take(precision).collect(),
        None => text.to_string(),
    };
    Some(match verb {
        's' | 'v' => text,
        'q' => {
            if spec.sharp && !text.contains('`') && text.chars().all(|c| c == '\t' || !c.is_control()) {
                format!("`{text}`")
            } else {
                quote(&text, spec.plus)
            }
        }
        'x' | 'X' => {
            let mut out = String::new();
            for (i, byte) in text.bytes().enumerate() {
                if spec.space && i > 0 {
                    out.push(' ');
                }
                if spec.sharp && (spec.space || i == 0) {
                    out.push_str(if verb == 'x' { "0x" } else { "0X" });
                }
                let _ = if verb == 'x' { write!(out, "{byte:02x}") } else { write!(out, "{byte:02X}") };
            }
            out
        }
        _ => return None,
    })
}

/// Go's `strconv.Quote` (`QuoteToASCII` with `ascii`).
pub(crate) fn quote(text: &str, ascii: bool) -> String {
    if !ascii {
        return crate::labels::go_quote(text);
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c.is_ascii() {
            out.push_str(&quote_char(c, '"'));
        } else {
            let code = u32::from(c);
            let _ = if code < 0x10000 { write!(out, "\\u{code:04x}") } else { write!(out, "\\U{code:08x}") };
        }
    }
    out.push('"');
    out
}

/// One character inside Go quotes.
fn quote_char(c: char, quote: char) -> String {
    match c {
        '\u{7}' => "\\a".into(),
        '\u{8}' => "\\b".into(),
        '\u{c}' => "\\f".into(),
        '\n' => "\\n".into(),
        '\r' => "\\r".into(),
        '\t' => "\\t".into(),
        '\u{b}' => "\\v".into(),
        '\\' => "\\\\".into(),
        c if c == quote => format!("\\{c}"),
        '\u{fffd}' => "\u{fffd}".into(),
        c if (c as u32) < 0x20 || c == '\u{7f}' => format!("\\x{:02x}", c as u32),
        c if crate::labels::is_go_printable(c) => c.to_string(),
        c if (c as u32) < 0x10000 => format!("\\u{:04x}", c as u32),
        c => format!("\\U{:08x}", c as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(format: &str, args: &[Value]) -> String {
        sprintf(format, args)
    }

    #[test]
    fn verbs_print_as_go_prints_them() {
        let s = Value::str("héllo");
        assert_eq!(
            f(
                "%s|%5s|%-7s|%.2s|%q|%x|% x|%X",
                &[
                    s.clone(),
                    Value::str("ab"),
                    Value::str("ab"),
                    s.clone(),
                    Value::str("a\"b\n"),
                    Value::str("hi"),
                    Value::str("hi"),
                    Value::str("hi")
                ]
            ),
            "héllo|   ab|ab     |hé|\"a\\\"b\\n\"|6869|68 69|6869"
        );
        assert_eq!(
            f(
                "%d|%5d|%-5d|%05d|%+d|%x|%X|%#x|%o|%b|%c|%q|%U",
                &[
                    Value::Int(42),
                    Value::Int(42),
                    Value::Int(42),
                    Value::Int(-42),
                    Value::Int(42),
                    Value::Int(255),
                    Value::Int(255),
                    Value::Int(255),
                    Value::Int(8),
                    Value::Int(5),
                    Value::Int(65),
                    Value::Int(65),
                    Value::Int(65)
                ]
            ),
            "42|   42|42   |-0042|+42|ff|FF|0xff|10|101|A|'A'|U+0041"
        );
        assert_eq!(
            f(
                "%f|%.2f|%8.3f|%e|%.3E|%g|%.3g|%v|%v|%v",
                &[
                    Value::Float(3.25159),
                    Value::Float(2.675),
                    Value::Float(-1.5),
                    Value::Float(1234.5678),
                    Value::Float(0.000123),
                    Value::Float(100000.0),
                    Value::Float(1234.5678),
                    Value::Float(1e6),
                    Value::Float(123456789.0),
                    Value::Float(0.5)
                ]
            ),
            "3.251590|2.67|  -1.500|1.234568e+03|1.230E-04|100000|1.23e+03|1e+06|1.23456789e+08|0.5"
        );
        assert_eq!(
            f("%t|%v|%T|%T|%%", &[Value::Bool(true), Value::Bool(false), Value::str("x"), Value::Int(1)]),
            "true|false|string|int|%"
        );
        assert_eq!(f("%d|%s", &[Value::str("x"), Value::Int(3)]), "%!d(string=x)|%!s(int=3)");
        assert_eq!(f("%s %s", &[Value::str("x")]), "x %!s(MISSING)");
        assert_eq!(f("%s", &[Value::str("x"), Value::Int(3)]), "x%!(EXTRA int=3)");
        assert_eq!(f("%v|%s", &[Value::Nil, Value::Nil]), "<nil>|%!s(<nil>)");
    }

    #[test]
    fn print_spaces_operands_as_go_does() {
        assert_eq!(sprint(&[Value::str("a"), Value::Int(1), Value::Int(2), Value::str("b")]), "a1 2b");
        assert_eq!(sprintln(&[Value::str("a"), Value::Int(1)]), "a 1\n");
    }

    #[test]
    fn floats_take_gos_shortest_form() {
        for (value, expected) in [
            (0.0, "0"),
            (1.0, "1"),
            (0.1, "0.1"),
            (1e21, "1e+21"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
        ] {
            assert_eq!(format_float_g(value, None, false), expected, "{value}");
        }
    }
}
