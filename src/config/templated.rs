//! Which config strings are templates: every text field of the Slack, PagerDuty and Opsgenie configs that
//! Alertmanager renders with its template engine (keys included, as in the example config).

use super::model::Receiver;

/// Collects `(path, template)` pairs under one integration's path.
struct Fields<'a, 'f> {
    path: String,
    out: &'f mut Vec<(String, &'a str)>,
}

impl<'a> Fields<'a, '_> {
    fn add(&mut self, name: &str, value: Option<&'a str>) {
        if let Some(value) = value {
            self.out.push((format!("{}.{name}", self.path), value));
        }
    }
}

/// Every templated string of the receivers, with its field path.
pub fn templated_fields<'a>(receivers: &'a [Receiver]) -> Vec<(String, &'a str)> {
    let mut fields = Vec::new();
    for (r, receiver) in receivers.iter().enumerate() {
        let base = format!("receivers[{r}]");
        for (i, slack) in receiver.slack_configs.iter().enumerate() {
            let mut out = Fields { path: format!("{base}.slack_configs[{i}]"), out: &mut fields };
            let mut add = |name: &str, value: Option<&'a str>| out.add(name, value);
            for (name, value) in [
                ("channel", &slack.channel),
                ("username", &slack.username),
                ("color", &slack.color),
                ("title", &slack.title),
                ("title_link", &slack.title_link),
                ("pretext", &slack.pretext),
                ("text", &slack.text),
                ("footer", &slack.footer),
                ("fallback", &slack.fallback),
                ("callback_id", &slack.callback_id),
                ("icon_emoji", &slack.icon_emoji),
                ("icon_url", &slack.icon_url),
                ("image_url", &slack.image_url),
                ("thumb_url", &slack.thumb_url),
            ] {
                add(name, value.as_deref());
            }
            for (j, field) in slack.fields.iter().flatten().enumerate() {
                add(&format!("fields[{j}].title"), Some(&field.title));
                add(&format!("fields[{j}].value"), Some(&field.value));
            }
            for (j, action) in slack.actions.iter().flatten().enumerate() {
                for (name, value) in [
                    ("type", &action.kind),
                    ("text", &action.text),
                    ("url", &action.url),
                    ("style", &action.style),
                    ("name", &action.name),
                    ("value", &action.value),
                ] {
                    add(&format!("actions[{j}].{name}"), Some(value));
                }
                if let Some(confirm) = &action.confirm {
                    for (name, value) in [
                        ("text", &confirm.text),
                        ("title", &confirm.title),
                        ("ok_text", &confirm.ok_text),
                        ("dismiss_text", &confirm.dismiss_text),
                    ] {
                        add(&format!("actions[{j}].confirm.{name}"), Some(value));
                    }
                }
            }
        }
        for (i, pagerduty) in receiver.pagerduty_configs.iter().enumerate() {
            let mut out = Fields { path: format!("{base}.pagerduty_configs[{i}]"), out: &mut fields };
            let mut add = |name: &str, value: Option<&'a str>| out.add(name, value);
            add("service_key", pagerduty.service_key.as_ref().map(|s| s.expose()));
            add("routing_key", pagerduty.routing_key.as_ref().map(|s| s.expose()));
            for (name, value) in [
                ("client", &pagerduty.client),
                ("client_url", &pagerduty.client_url),
                ("description", &pagerduty.description),
                ("source", &pagerduty.source),
                ("severity", &pagerduty.severity),
                ("class", &pagerduty.class),
                ("component", &pagerduty.component),
                ("group", &pagerduty.group),
            ] {
                add(name, value.as_deref());
            }
            for (key, value) in pagerduty.details.iter().flatten() {
                add(&format!("details.{key}"), Some(value));
            }
            for (j, image) in pagerduty.images.iter().flatten().enumerate() {
                add(&format!("images[{j}].src"), Some(&image.src));
                add(&format!("images[{j}].alt"), Some(&image.alt));
                add(&format!("images[{j}].href"), Some(&image.href));
            }
            for (j, link) in pagerduty.links.iter().flatten().enumerate() {
                add(&format!("links[{j}].href"), Some(&link.href));
                add(&format!("links[{j}].text"), Some(&link.text));
            }
        }
        for (i, opsgenie) in receiver.opsgenie_configs.iter().enumerate() {
            let mut out = Fields { path: format!("{base}.opsgenie_configs[{i}]"), out: &mut fields };
            let mut add = |name: &str, value: Option<&'a str>| out.add(name, value);
            add("api_key", opsgenie.api_key.as_ref().map(|s| s.expose()));
            for (name, value) in [
                ("message", &opsgenie.message),
                ("description", &opsgenie.description),
                ("source", &opsgenie.source),
                ("entity", &opsgenie.entity),
                ("actions", &opsgenie.actions),
                ("tags", &opsgenie.tags),
                ("note", &opsgenie.note),
                ("priority", &opsgenie.priority),
            ] {
                add(name, value.as_deref());
            }
            for (key, value) in opsgenie.details.iter().flatten() {
                add(&format!("details.{key}"), Some(value));
            }
            for (j, responder) in opsgenie.responders.iter().flatten().enumerate() {
                for (name, value) in [
                    ("id", &responder.id),
                    ("name", &responder.name),
                    ("username", &responder.username),
                    ("type", &responder.kind),
                ] {
                    add(&format!("responders[{j}].{name}"), Some(value));
                }
            }
        }
    }
    fields
}
