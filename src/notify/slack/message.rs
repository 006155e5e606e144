//! The message Slack's incoming webhooks take, as Alertmanager builds it (one attachment), rendered from the
//! config's templates or Herald's defaults.

use serde::Serialize;

use super::config::{SlackAction, SlackConfig, SlackConfirmation, SlackField};
use crate::notify::error::Result;
use crate::notify::integration::Notification;
use crate::notify::payload::truncate;

/// Longest attachment title Slack shows, in characters.
const MAX_TITLE_CHARS: usize = 1024;

const DEFAULT_COLOR: &str = r#"{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}"#;
const DEFAULT_USERNAME: &str = r#"{{ template "slack.default.username" . }}"#;
const DEFAULT_TITLE: &str = r#"{{ template "slack.default.title" . }}"#;
const DEFAULT_TITLE_LINK: &str = r#"{{ template "slack.default.titlelink" . }}"#;
const DEFAULT_ICON_EMOJI: &str = r#"{{ template "slack.default.iconemoji" . }}"#;
const DEFAULT_ICON_URL: &str = r#"{{ template "slack.default.iconurl" . }}"#;
const DEFAULT_PRETEXT: &str = r#"{{ template "slack.default.pretext" . }}"#;
const DEFAULT_TEXT: &str = r#"{{ template "slack.default.text" . }}"#;
const DEFAULT_FALLBACK: &str = r#"{{ template "slack.default.fallback" . }}"#;
const DEFAULT_CALLBACK_ID: &str = r#"{{ template "slack.default.callbackid" . }}"#;
const DEFAULT_FOOTER: &str = r#"{{ template "slack.default.footer" . }}"#;

/// The defaults of unset fields, compiled with the config's templates.
pub(super) const DEFAULT_TEMPLATES: [&str; 11] = [
    DEFAULT_COLOR,
    DEFAULT_USERNAME,
    DEFAULT_TITLE,
    DEFAULT_TITLE_LINK,
    DEFAULT_ICON_EMOJI,
    DEFAULT_ICON_URL,
    DEFAULT_PRETEXT,
    DEFAULT_TEXT,
    DEFAULT_FALLBACK,
    DEFAULT_CALLBACK_ID,
    DEFAULT_FOOTER,
];

/// The message, field for field (and in the order) Alertmanager sends it.
#[derive(Debug, Serialize, PartialEq)]
pub(super) struct SlackMessage {
    /// Channel override.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub channel: String,
    /// Bot name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub username: String,
    /// Bot icon emoji.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub icon_emoji: String,
    /// Bot icon URL.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub icon_url: String,
    /// Link channel and user names.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub link_names: bool,
    /// Exactly one attachment.
    pub attachments: Vec<Attachment>,
}

/// The attachment.
#[derive(Debug, Serialize, PartialEq)]
pub(super) struct Attachment {
    /// Title (at most 1024 characters).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Link of the title.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub title_link: String,
    /// Text above the attachment.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pretext: String,
    /// Body.
    pub text: String,
    /// Plain-text summary.
    pub fallback: String,
    /// Callback id.
    pub callback_id: String,
    /// Fields.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldPayload>,
    /// Buttons.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<ActionPayload>,
    /// Image.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub image_url: String,
    /// Thumbnail.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub thumb_url: String,
    /// Footer.
    pub footer: String,
    /// Colour.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub color: String,
    /// Fields rendered as markdown.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mrkdwn_in: Vec<String>,
}

/// A rendered field.
#[derive(Debug, Serialize, PartialEq)]
pub(super) struct FieldPayload {
    /// Title.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Value.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub value: String,
    /// Side by side.
    pub short: bool,
}

/// A rendered action.
#[derive(Debug, Serialize, PartialEq)]
pub(super) struct ActionPayload {
    /// Type.
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Text.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// Link.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// Style.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub style: String,
    /// Name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Value.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub value: String,
    /// Confirmation dialog.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirm: Option<ConfirmPayload>,
}

/// A rendered confirmation.
#[derive(Debug, Serialize, PartialEq)]
pub(super) struct ConfirmPayload {
    /// Text.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// Title.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Confirm button.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ok_text: String,
    /// Dismiss button.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub dismiss_text: String,
}

/// Renders the message of a notification.
pub(super) fn render(config: &SlackConfig, notification: &Notification<'_>) -> Result<SlackMessage> {
    let text = |value: &Option<String>, default: &str| notification.field(value, default);
    let plain = |value: &str| notification.render(value);
    let fields = config
        .fields
        .iter()
        .flatten()
        .map(|field: &SlackField| {
            Ok(FieldPayload {
                title: plain(&field.title)?,
                value: plain(&field.value)?,
                short: field.short.unwrap_or(config.short_fields),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let actions = config
        .actions
        .iter()
        .flatten()
        .map(|action: &SlackAction| {
            let confirm = action
                .confirm
                .as_ref()
                .map(|c: &SlackConfirmation| {
                    Ok::<_, crate::notify::Error>(ConfirmPayload {
                        text: plain(&c.text)?,
                        title: plain(&c.title)?,
                        ok_text: plain(&c.ok_text)?,
                        dismiss_text: plain(&c.dismiss_text)?,
                    })
                })
                .transpose()?;
            Ok(ActionPayload {
                kind: plain(&action.kind)?,
                text: plain(&action.text)?,
                url: plain(&action.url)?,
                style: plain(&action.style)?,
                name: plain(&action.name)?,
                value: plain(&action.value)?,
                confirm,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let attachment = Attachment {
        title: truncate(&text(&config.title, DEFAULT_TITLE)?, MAX_TITLE_CHARS),
        title_link: text(&config.title_link, DEFAULT_TITLE_LINK)?,
        pretext: text(&config.pretext, DEFAULT_PRETEXT)?,
        text: text(&config.text, DEFAULT_TEXT)?,
        fallback: text(&config.fallback, DEFAULT_FALLBACK)?,
        callback_id: text(&config.callback_id, DEFAULT_CALLBACK_ID)?,
        fields,
        actions,
        image_url: text(&config.image_url, "")?,
        thumb_url: text(&config.thumb_url, "")?,
        footer: text(&config.footer, DEFAULT_FOOTER)?,
        color: text(&config.color, DEFAULT_COLOR)?,
        mrkdwn_in: config
            .mrkdwn_in
            .clone()
            .filter(|list| !list.is_empty())
            .unwrap_or_else(|| ["fallback", "pretext", "text"].map(String::from).to_vec()),
    };
    Ok(SlackMessage {
        channel: text(&config.channel, "")?,
        username: text(&config.username, DEFAULT_USERNAME)?,
        icon_emoji: text(&config.icon_emoji, DEFAULT_ICON_EMOJI)?,
        icon_url: text(&config.icon_url, DEFAULT_ICON_URL)?,
        link_names: config.link_names,
        attachments: vec![attachment],
    })
}
