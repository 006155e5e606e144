//! Which config strings are templates: every text field of an integration that Alertmanager renders with
//! its template engine (keys included, as in the example config), as each integration lists them.

use super::model::Receiver;

/// Every templated string of the receivers, with its field path.
pub(crate) fn templated_fields(receivers: &[Receiver]) -> Vec<(String, &str)> {
    let mut fields = Vec::new();
    for (r, receiver) in receivers.iter().enumerate() {
        for (i, integration) in receiver.integrations() {
            let base = format!("receivers[{r}].{}_configs[{i}]", integration.kind());
            fields.extend(
                integration.templated_fields().into_iter().map(|(name, source)| (format!("{base}.{name}"), source)),
            );
        }
    }
    fields
}
