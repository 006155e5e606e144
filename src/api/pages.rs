//! Herald's own paginated listings, `GET /api/herald/alerts` and `GET /api/herald/groups`: the same alerts
//! and filters as Alertmanager's listings, a page at a time, so that a client never has to take tens of
//! megabytes at once. Pages are ordered by fingerprint (alerts) or group id (groups); `after` is the cursor
//! (the last item of the previous page) and `next` in the answer is the one to pass for the following page.

use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use serde::Serialize;

use super::AppState;
use super::acks::GroupStateJson;
use super::alerts::{GettableAlert, matching_alerts, receivers_of, routed_listing};
use super::error::ApiError;
use super::filter::AlertQuery;
use super::groups::group_listing;
use crate::dispatch::{GroupView, sort_alerts};
use crate::engine::Engine;
use crate::labels::LabelSet;

/// Items per page unless `limit` says otherwise.
pub(super) const DEFAULT_LIMIT: usize = 100;

/// The largest `limit` accepted.
pub(super) const MAX_LIMIT: usize = 1000;

/// A page of alerts.
#[derive(Debug, Serialize)]
pub(super) struct AlertPage<'a> {
    /// The alerts, by fingerprint.
    pub alerts: Vec<GettableAlert<'a>>,
    /// The cursor for the next page; absent on the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// A page of groups.
#[derive(Debug, Serialize)]
pub(super) struct GroupPage<'a> {
    /// The groups, by id.
    pub groups: Vec<PagedGroup<'a>>,
    /// The cursor for the next page; absent on the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// A group in a page: Alertmanager's `alertGroup` with Herald's stable group id, its acknowledgement and
/// its escalation.
#[derive(Debug, Serialize)]
pub(super) struct PagedGroup<'a> {
    /// Stable id (16 hex digits).
    pub id: String,
    /// Group labels.
    pub labels: &'a LabelSet,
    /// The group's receiver.
    pub receiver: &'a str,
    /// Its alerts that pass the filters, in Alertmanager's order.
    pub alerts: Vec<GettableAlert<'a>>,
    /// Its acknowledgement and escalation.
    #[serde(flatten)]
    pub state: GroupStateJson,
}

/// `limit` and `after`, with the filters of the Alertmanager listings.
#[derive(Debug)]
struct PageQuery {
    filters: AlertQuery,
    limit: usize,
    after: Option<u64>,
}

impl PageQuery {
    fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let filters = AlertQuery::parse(raw).map_err(|err| match err {
            ApiError::Handler { status, message } => ApiError::herald(status, "bad_query", message),
            other => other,
        })?;
        let mut query = PageQuery { filters, limit: DEFAULT_LIMIT, after: None };
        for (name, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            match name.as_ref() {
                "limit" => {
                    query.limit = value.parse().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                        ApiError::herald(
                            StatusCode::BAD_REQUEST,
                            "bad_limit",
                            format!("limit: {value:?} is not a whole number from 1 to {MAX_LIMIT}"),
                        )
                    })?;
                }
                "after" => {
                    let cursor = (value.len() == 16).then(|| u64::from_str_radix(&value, 16).ok()).flatten();
                    query.after = Some(cursor.ok_or_else(|| {
                        ApiError::herald(
                            StatusCode::BAD_REQUEST,
                            "bad_cursor",
                            format!("after: {value:?} is not a 16-hex-digit cursor from a previous page"),
                        )
                    })?);
                }
                _ => {}
            }
        }
        Ok(query)
    }
}

/// Takes items in order until `limit` are kept, and says whether any item after them would be kept too.
fn take_page<T, U>(
    items: impl IntoIterator<Item = T>,
    limit: usize,
    mut keep: impl FnMut(T) -> Option<U>,
) -> (Vec<U>, bool) {
    let mut page = Vec::new();
    for item in items {
        if let Some(kept) = keep(item) {
            if page.len() == limit {
                return (page, true);
            }
            page.push(kept);
        }
    }
    (page, false)
}

/// `GET /api/herald/alerts`.
pub(super) async fn get_alert_page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<serde_json::Value>, ApiError> {
    let query = PageQuery::parse(raw.as_deref())?;
    // Off the async workers: a filter that matches little walks every alert.
    tokio::task::spawn_blocking(move || {
        let engine = &state.engine;
        let tree = Arc::clone(&engine.runtime().tree);
        let now = engine.now();
        let keyed = matching_alerts(engine, &query.filters, query.after, now);
        let (alerts, more) =
            take_page(&keyed, query.limit, |(_, alert)| routed_listing(engine, &tree, &query.filters, alert, now));
        let next = more.then(|| alerts.last().map(|alert| alert.fingerprint.to_string())).flatten();
        to_value(&AlertPage { alerts, next })
    })
    .await
    .map_err(|err| ApiError::Internal(format!("listing a page of alerts: {err}")))?
}

/// `GET /api/herald/groups`.
pub(super) async fn get_group_page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<serde_json::Value>, ApiError> {
    let query = PageQuery::parse(raw.as_deref())?;
    let groups = state.engine.dispatcher().groups().await;
    // Off the async workers: sorting and filtering every group's alerts.
    tokio::task::spawn_blocking(move || group_page(&state.engine, groups, &query))
        .await
        .map_err(|err| ApiError::Internal(format!("listing a page of groups: {err}")))?
}

fn group_page(engine: &Engine, groups: Vec<GroupView>, query: &PageQuery) -> Result<Json<serde_json::Value>, ApiError> {
    let tree = Arc::clone(&engine.runtime().tree);
    let now = engine.now();
    let mut groups: Vec<GroupView> = groups
        .into_iter()
        .filter(|group| query.after.is_none_or(|after| group.id.0 > after))
        .filter(|group| query.filters.matches_receivers(std::iter::once(group.receiver.as_str())))
        .collect();
    groups.sort_unstable_by_key(|group| group.id);
    for group in &mut groups {
        sort_alerts(&mut group.alerts);
    }
    let (page, more) = take_page(&groups, query.limit, |group| {
        let alerts =
            group_listing(engine, &query.filters, &group.alerts, now, |alert| receivers_of(&tree, &alert.labels));
        (!alerts.is_empty()).then(|| PagedGroup {
            id: group.id.to_string(),
            labels: &group.labels,
            receiver: &group.receiver,
            alerts,
            state: GroupStateJson::of(group),
        })
    });
    let next = more.then(|| page.last().map(|group| group.id.clone())).flatten();
    to_value(&GroupPage { groups: page, next })
}

fn to_value<T: Serialize>(page: &T) -> Result<Json<serde_json::Value>, ApiError> {
    serde_json::to_value(page).map(Json).map_err(|err| ApiError::Internal(format!("encoding a page: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_knows_whether_more_would_follow() {
        let keep_even = |n: u32| n.is_multiple_of(2).then_some(n);
        assert_eq!(take_page(0..10, 2, keep_even), (vec![0, 2], true));
        assert_eq!(take_page(0..5, 3, keep_even), (vec![0, 2, 4], false));
        assert_eq!(take_page(0..5, 2, keep_even), (vec![0, 2], true));
        assert_eq!(take_page(1..2, 2, keep_even), (vec![], false));
    }

    #[test]
    fn limits_and_cursors_are_checked() {
        let parse = |raw: &str| PageQuery::parse(Some(raw));
        let query = parse("limit=5&after=00000000000000ff&filter=a%3D%22b%22").expect("valid");
        assert_eq!((query.limit, query.after, query.filters.filter.len()), (5, Some(255), 1));
        assert_eq!(parse("").expect("defaults").limit, DEFAULT_LIMIT);
        for (raw, code) in [
            ("limit=0", "bad_limit"),
            ("limit=1001", "bad_limit"),
            ("limit=ten", "bad_limit"),
            ("after=xyz", "bad_cursor"),
            ("after=00000000000000fg", "bad_cursor"),
            ("filter=foo", "bad_query"),
        ] {
            match parse(raw) {
                Err(ApiError::Herald { status, code: got, .. }) => {
                    assert_eq!((status, got), (StatusCode::BAD_REQUEST, code), "{raw}");
                }
                other => panic!("{raw}: {other:?}"),
            }
        }
    }
}
