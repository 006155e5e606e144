//! What Go's `html/template` does to a printed value, by where it lands: text (and RCDATA such as
//! `<title>`), an attribute value, or a URL attribute — at its start (an unsafe scheme becomes `#ZgotmplZ`),
//! in its path, or in its query. The place is read from the output written so far, so a value printed by a
//! called template is escaped where it lands too.

/// Where a value is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Text between tags.
    Text,
    /// A non-URL attribute value, or inside a tag.
    Attribute,
    /// The very start of a URL attribute's value.
    UrlStart,
    /// A URL attribute's path, after its start.
    UrlPath,
    /// A URL attribute's query or fragment.
    UrlQuery,
}

/// Attributes whose value is a URL (Go's `attrType` table).
const URL_ATTRIBUTES: [&str; 17] = [
    "action",
    "archive",
    "background",
    "cite",
    "classid",
    "codebase",
    "data",
    "formaction",
    "href",
    "icon",
    "longdesc",
    "manifest",
    "poster",
    "profile",
    "src",
    "usemap",
    "code",
];

/// Escapes `value` for where it lands after `written`; `query_escaped` says the pipeline ended with
/// `urlquery`, which in a URL's query stands for the escaping `html/template` would do there.
pub(crate) fn escape(written: &str, value: &str, query_escaped: bool) -> String {
    match place(written) {
        Place::Text | Place::Attribute => text(value),
        Place::UrlStart => {
            if has_unsafe_scheme(value) {
                "#ZgotmplZ".to_string()
            } else {
                text(&normalize_url(value))
            }
        }
        Place::UrlPath => text(&normalize_url(value)),
        Place::UrlQuery if query_escaped => text(&normalize_url(value)),
        Place::UrlQuery => text(&escape_url(value)),
    }
}

/// Go's `html/template` escaping of text and of quoted attribute values.
pub(crate) fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\0' => out.push('\u{fffd}'),
            '"' => out.push_str("&#34;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '+' => out.push_str("&#43;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Reads where the next byte of `written` lands.
fn place(written: &str) -> Place {
    let Some(open) = written.rfind('<') else { return Place::Text };
    if written[open..].contains('>') {
        return Place::Text;
    }
    // Inside a tag: find whether an attribute value is open, and which.
    let tag = &written[open + 1..];
    let mut quote: Option<char> = None;
    let mut value_start = 0;
    let mut name = String::new();
    let mut last_word = String::new();
    for (i, c) in tag.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                value_start = i + 1;
                name = last_word.clone();
            }
            None if c.is_whitespace() => last_word.clear(),
            None if c == '=' => {}
            None => last_word.push(c.to_ascii_lowercase()),
        }
    }
    if quote.is_none() {
        return Place::Attribute;
    }
    let name = name.trim_end_matches('=');
    if !URL_ATTRIBUTES.contains(&name) {
        return Place::Attribute;
    }
    let value = &tag[value_start..];
    if value.is_empty() {
        Place::UrlStart
    } else if value.contains('?') || value.contains('#') {
        Place::UrlQuery
    } else {
        Place::UrlPath
    }
}

/// A scheme other than `http`, `https` or `mailto` (text before the first `:` with no `/` in it).
fn has_unsafe_scheme(value: &str) -> bool {
    match value.split_once(':') {
        Some((scheme, _)) if !scheme.contains('/') => {
            !["http", "https", "mailto"].iter().any(|safe| scheme.eq_ignore_ascii_case(safe))
        }
        _ => false,
    }
}

/// Go's URL normalizer: unreserved and reserved characters and existing `%XX` stay, every other byte
/// becomes `%xx` (lower-case hex).
fn normalize_url(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = String::with_capacity(value.len());
    for (i, &byte) in bytes.iter().enumerate() {
        let keep = byte.is_ascii_alphanumeric()
            || b"-._~!#$&*+,/:;=?@[]".contains(&byte)
            || byte == b'%' && bytes.get(i + 1..i + 3).is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit));
        if keep {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02x}"));
        }
    }
    out
}

/// Go's URL escaper for a query: only unreserved characters stay, every other byte becomes `%xx`.
fn escape_url(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02x}"));
        }
    }
    out
}
