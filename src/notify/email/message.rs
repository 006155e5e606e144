//! The message Alertmanager 0.25 writes: its header lines (values Q-encoded when not plain ASCII), a
//! `multipart/alternative` body with a quoted-printable text part and HTML part, all CRLF; and the address
//! lists its headers hold.

use std::fmt::Write as _;

/// A header's key as Go's `textproto.CanonicalMIMEHeaderKey` writes it: the first letter and each letter
/// after `-` upper case, the others lower case; a key with a character outside a token is left as it is.
pub(crate) fn canonical_header_key(key: &str) -> String {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if !key.chars().all(token) {
        return key.to_string();
    }
    let mut out = String::with_capacity(key.len());
    let mut upper = true;
    for c in key.chars() {
        out.push(if upper { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() });
        upper = c == '-';
    }
    out
}

/// A header value as Go's `mime.QEncoding.Encode("utf-8", …)` writes it: as it is when every character is
/// printable ASCII (or a tab), else whole as `=?utf-8?q?…?=` words of at most 63 encoded characters.
pub(crate) fn encode_header_value(value: &str) -> String {
    if value.chars().all(|c| c == '\t' || (' '..='~').contains(&c)) {
        return value.to_string();
    }
    const MAX_ENCODED: usize = 75 - "=?utf-8?q?".len() - "?=".len();
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in value.chars() {
        let mut encoded = String::new();
        if c == ' ' {
            encoded.push('_');
        } else if ('!'..='~').contains(&c) && c != '=' && c != '?' && c != '_' {
            encoded.push(c);
        } else {
            let mut bytes = [0u8; 4];
            for byte in c.encode_utf8(&mut bytes).bytes() {
                let _ = write!(encoded, "={byte:02X}");
            }
        }
        if current.len() + encoded.len() > MAX_ENCODED {
            words.push(std::mem::take(&mut current));
        }
        current.push_str(&encoded);
    }
    words.push(current);
    words.iter().map(|word| format!("=?utf-8?q?{word}?=")).collect::<Vec<_>>().join(" ")
}

/// Go's `mime/quotedprintable.Writer`: lines of at most 76 characters with soft breaks, `=XX` for `=` and
/// every byte outside printable ASCII, a trailing space or tab of a line encoded, line breaks as CRLF.
pub(crate) fn quoted_printable(text: &str) -> String {
    const LINE: usize = 76;
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut line = String::new();
    let bytes = text.as_bytes();
    let flush_line = |out: &mut String, line: &mut String, hard: bool| {
        // Only the last byte of a line is checked for trailing whitespace.
        if let Some(last) = line.pop() {
            match last {
                ' ' => line.push_str("=20"),
                '\t' => line.push_str("=09"),
                c => line.push(c),
            }
        }
        out.push_str(line);
        if hard {
            out.push_str("\r\n");
        }
        line.clear();
    };
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'\r' || byte == b'\n' {
            flush_line(&mut out, &mut line, true);
            i += if byte == b'\r' && bytes.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
            continue;
        }
        let literal = (b'!'..=b'~').contains(&byte) && byte != b'=' || byte == b' ' || byte == b'\t';
        if literal {
            if line.len() + 1 >= LINE {
                out.push_str(&line);
                out.push_str("=\r\n");
                line.clear();
            }
            line.push(byte as char);
        } else {
            if LINE - 1 < line.len() + 3 {
                out.push_str(&line);
                out.push_str("=\r\n");
                line.clear();
            }
            let _ = write!(line, "={byte:02X}");
        }
        i += 1;
    }
    flush_line(&mut out, &mut line, false);
    out
}

/// The addresses of an address list (`a@x, Bob <b@x>`, group syntax `team: a@x, b@x;` too), as Go's
/// `mail.ParseAddressList` finds them; the error names what is wrong, in Go's words.
pub(crate) fn parse_address_list(text: &str) -> Result<Vec<String>, String> {
    let mut addresses = Vec::new();
    let mut items = Vec::new();
    let (mut depth_quote, mut in_angle, mut start) = (false, false, 0);
    for (i, c) in text.char_indices() {
        match c {
            '"' => depth_quote = !depth_quote,
            '<' if !depth_quote => in_angle = true,
            '>' if !depth_quote => in_angle = false,
            ',' | ';' if !depth_quote && !in_angle => {
                items.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&text[start..]);
    for item in items {
        let mut item = item.trim();
        // A group's name (`team: a@x, …;`) is not an address.
        if let Some((name, rest)) = item.split_once(':')
            && !name.contains(['<', '@', '"'])
        {
            item = rest.trim();
        }
        if item.is_empty() {
            continue;
        }
        addresses.push(parse_address(item)?);
    }
    if addresses.is_empty() {
        return Err("mail: no address".into());
    }
    Ok(addresses)
}

fn parse_address(item: &str) -> Result<String, String> {
    let address = match (item.rfind('<'), item.rfind('>')) {
        (Some(open), Some(close)) if open < close => item[open + 1..close].trim(),
        (Some(_), _) | (_, Some(_)) => return Err("mail: unclosed angle-addr".into()),
        (None, None) if item.contains(char::is_whitespace) => return Err("mail: no angle-addr".into()),
        (None, None) => item,
    };
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err("mail: missing '@' or angle-addr".into());
    };
    if local.is_empty() || domain.is_empty() {
        return Err("mail: missing '@' or angle-addr".into());
    }
    // A quoted local part is given unquoted, as Go gives it.
    Ok(format!("{}@{domain}", local.trim_matches('"')))
}

/// One part of the body.
#[derive(Debug)]
pub(crate) struct Part<'a> {
    /// `text/plain` or `text/html`.
    pub content_type: &'static str,
    /// The text.
    pub body: &'a str,
}

/// The message: `headers` as given (already rendered), then Alertmanager's `Message-Id` (unless given),
/// `Date`, `Content-Type` and `MIME-Version`, then the parts.
pub(crate) fn build(
    headers: &[(String, String)],
    message_id: &str,
    date: &str,
    boundary: &str,
    parts: &[Part<'_>],
) -> Vec<u8> {
    let mut out = String::new();
    for (key, value) in headers {
        let _ = write!(out, "{key}: {}\r\n", encode_header_value(value));
    }
    if !headers.iter().any(|(key, _)| key == "Message-Id") {
        let _ = write!(out, "Message-Id: {message_id}\r\n");
    }
    let _ = write!(
        out,
        "Date: {date}\r\nContent-Type: multipart/alternative;  boundary={boundary}\r\nMIME-Version: 1.0\r\n\r\n"
    );
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        let _ = write!(
            out,
            "--{boundary}\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Type: {}; charset=UTF-8\r\n\r\n{}",
            part.content_type,
            quoted_printable(part.body)
        );
    }
    let _ = write!(out, "\r\n--{boundary}--\r\n");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_keys_and_values_are_written_as_go_writes_them() {
        for (key, canonical) in [
            ("subject", "Subject"),
            ("MESSAGE-ID", "Message-Id"),
            ("reply-to", "Reply-To"),
            ("X-MyHeader", "X-Myheader"),
            ("reply to", "reply to"),
        ] {
            assert_eq!(canonical_header_key(key), canonical);
        }
        assert_eq!(encode_header_value("a=b?c_d"), "a=b?c_d");
        assert_eq!(encode_header_value("line\nbreak"), "=?utf-8?q?line=0Abreak?=");
        assert_eq!(
            encode_header_value(
                "Ünïcode ✓ firing TestAlert — a deliberately long subject line that needs several encoded words"
            ),
            "=?utf-8?q?=C3=9Cn=C3=AFcode_=E2=9C=93_firing_TestAlert_=E2=80=94_a_delibe?= =?utf-8?q?rately_long_subject_line_that_needs_several_encoded_words?="
        );
    }

    #[test]
    fn quoted_printable_wraps_and_escapes_as_go_does() {
        assert_eq!(
            quoted_printable("Plain text line with trailing space \n"),
            "Plain text line with trailing space=20\r\n"
        );
        assert_eq!(quoted_printable("a=b and non-ascii é and tab\tend"), "a=3Db and non-ascii =C3=A9 and tab\tend");
        let digits = "0123456789".repeat(10);
        assert_eq!(quoted_printable(&digits), format!("{}=\r\n{}", &digits[..75], &digits[75..]));
        assert_eq!(quoted_printable(&format!("{}é", "a".repeat(72))), format!("{}=C3=\r\n=A9", "a".repeat(72)));
        assert_eq!(quoted_printable(&format!("{}=", "a".repeat(73))), format!("{}=\r\n=3D", "a".repeat(73)));
        assert_eq!(quoted_printable("trail\t"), "trail=09");
    }

    #[test]
    fn address_lists_parse_as_go_parses_them() {
        assert_eq!(
            parse_address_list("a@example.com, Bob <b@example.com>"),
            Ok(vec!["a@example.com".into(), "b@example.com".into()])
        );
        assert_eq!(parse_address_list("a@x,,b@x, "), Ok(vec!["a@x".into(), "b@x".into()]));
        assert_eq!(parse_address_list("team: a@x, b@x;"), Ok(vec!["a@x".into(), "b@x".into()]));
        assert_eq!(parse_address_list(""), Err("mail: no address".into()));
        assert_eq!(parse_address_list("not an address"), Err("mail: no angle-addr".into()));
        assert_eq!(parse_address_list("Alertmanager"), Err("mail: missing '@' or angle-addr".into()));
    }
}
