//! `escalation` on a route, Herald's extension to the format: who is notified next when nobody acknowledges
//! a group. Written either as a list of levels or as a policy with `levels`, `repeat` and `ack_timeout`.

use std::fmt;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// A route's escalation policy as written. An empty list switches off the policy the route would inherit.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct EscalationConfig {
    /// The levels, in the order they fire.
    pub levels: Vec<EscalationLevelConfig>,
    /// How many more times the levels are climbed after the last one fired.
    pub repeat: Option<u32>,
    /// How long an acknowledgement lasts before the climb starts again.
    pub ack_timeout: Option<String>,
    /// Written as a plain list of levels (their paths are `escalation[i]`, not `escalation.levels[i]`).
    pub list_form: bool,
}

impl Serialize for EscalationConfig {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        if self.list_form {
            return self.levels.serialize(serializer);
        }
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("levels", &self.levels)?;
        if let Some(repeat) = self.repeat {
            map.serialize_entry("repeat", &repeat)?;
        }
        if let Some(timeout) = &self.ack_timeout {
            map.serialize_entry("ack_timeout", timeout)?;
        }
        map.end()
    }
}

/// One level as written.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EscalationLevelConfig {
    /// How long the group has fired, unacknowledged, before this level is notified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// The receiver notified at this level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver: Option<String>,
}

/// The mapping form, with the same fields as [`EscalationConfig`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyForm {
    #[serde(default)]
    levels: Vec<EscalationLevelConfig>,
    #[serde(default)]
    repeat: Option<u32>,
    #[serde(default)]
    ack_timeout: Option<String>,
}

impl<'de> Deserialize<'de> for EscalationConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A hand-written visitor rather than an untagged enum: the errors inside either form (an unknown
        // key in a level) keep their own message and position.
        struct Form;
        impl<'de> Visitor<'de> for Form {
            type Value = EscalationConfig;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of escalation levels, or a mapping with levels, repeat and ack_timeout")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                let levels = Vec::deserialize(SeqAccessDeserializer::new(seq))?;
                Ok(EscalationConfig { levels, list_form: true, ..EscalationConfig::default() })
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let form = PolicyForm::deserialize(MapAccessDeserializer::new(map))?;
                Ok(EscalationConfig {
                    levels: form.levels,
                    repeat: form.repeat,
                    ack_timeout: form.ack_timeout,
                    list_form: false,
                })
            }
        }
        deserializer.deserialize_any(Form)
    }
}
