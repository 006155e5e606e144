//! `receivers`: a name and any number of integrations. The integrations Herald delivers are registered in
//! the one list below; each is a module of `notify` whose config type implements
//! [`crate::notify::Integration`]. Every receiver type of Alertmanager is delivered; an unknown key is
//! refused by name and line, as any unknown field.

use serde::{Deserialize, Serialize};

use crate::notify::Integration;
use crate::notify::discord::DiscordConfig;
use crate::notify::email::EmailConfig;
use crate::notify::msteams::MsteamsConfig;
use crate::notify::opsgenie::OpsgenieConfig;
use crate::notify::pagerduty::PagerdutyConfig;
use crate::notify::pushover::PushoverConfig;
use crate::notify::slack::SlackConfig;
use crate::notify::sns::SnsConfig;
use crate::notify::telegram::TelegramConfig;
use crate::notify::victorops::VictoropsConfig;
use crate::notify::webex::WebexConfig;
use crate::notify::webhook::WebhookConfig;
use crate::notify::wechat::WechatConfig;

/// Declares [`Receiver`] with one `*_configs` list per integration, and the accessors that walk every
/// integration.
macro_rules! receiver {
    (delivered { $($key:ident: $config:ty,)* }) => {
        /// A named receiver with any number of integrations.
        #[derive(Debug, Clone, Default, Deserialize, Serialize)]
        #[serde(deny_unknown_fields)]
        pub(crate) struct Receiver {
            /// Unique name that routes refer to.
            #[serde(default)]
            pub(crate) name: String,
            $(
                #[doc = concat!("`", stringify!($key), "` entries.")]
                #[serde(default, deserialize_with = "crate::config::model::yaml11::list", skip_serializing_if = "Vec::is_empty")]
                pub(crate) $key: Vec<$config>,
            )*
        }

        impl Receiver {
            /// Every integration, in registration order, each with its position in its own list.
            pub(crate) fn integrations(&self) -> Vec<(usize, &dyn Integration)> {
                let mut all: Vec<(usize, &dyn Integration)> = Vec::new();
                $( all.extend(self.$key.iter().enumerate().map(|(i, c)| (i, c as &dyn Integration))); )*
                all
            }

            /// Every integration, mutable (for validation, which completes them from `global`).
            pub(crate) fn integrations_mut(&mut self) -> Vec<(usize, &mut dyn Integration)> {
                let mut all: Vec<(usize, &mut dyn Integration)> = Vec::new();
                $( all.extend(self.$key.iter_mut().enumerate().map(|(i, c)| (i, c as &mut dyn Integration))); )*
                all
            }

            /// Every integration, owned and shareable (for delivery).
            pub(crate) fn into_integrations(self) -> Vec<(usize, std::sync::Arc<dyn Integration>)> {
                let mut all: Vec<(usize, std::sync::Arc<dyn Integration>)> = Vec::new();
                $(
                    all.extend(
                        self.$key.into_iter().enumerate().map(|(i, c)| (i, std::sync::Arc::new(c) as std::sync::Arc<dyn Integration>)),
                    );
                )*
                all
            }

        }
    };
}

receiver! {
    delivered {
        webhook_configs: WebhookConfig,
        slack_configs: SlackConfig,
        pagerduty_configs: PagerdutyConfig,
        opsgenie_configs: OpsgenieConfig,
        discord_configs: DiscordConfig,
        telegram_configs: TelegramConfig,
        webex_configs: WebexConfig,
        msteams_configs: MsteamsConfig,
        victorops_configs: VictoropsConfig,
        wechat_configs: WechatConfig,
        sns_configs: SnsConfig,
        pushover_configs: PushoverConfig,
        email_configs: EmailConfig,
    }
}
