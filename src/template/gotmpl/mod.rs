//! Alertmanager's Go `text/template` syntax, read and rewritten as Handlebars so that config strings
//! written for Alertmanager keep working on Herald's Handlebars engine.

mod lex;
mod parse;
mod translate;

pub(crate) use parse::parse;
pub(crate) use translate::translate;

/// Translates one Go template string into Handlebars source.
pub(crate) fn to_handlebars(source: &str) -> Result<String, String> {
    let parsed = parse(source)?;
    if !parsed.defines.is_empty() {
        return Err("define is only allowed in template files".into());
    }
    translate(&parsed.body)
}
