//! The web UI: one page and its script and style, built into the binary (nothing is loaded from elsewhere),
//! served at the route prefix. Its links use the URL's fragment, as Alertmanager's do, so the links in
//! notifications (`…/#/alerts?receiver=…`) open the matching page.

use axum::extract::OriginalUri;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION};
use axum::response::{IntoResponse, Response};

const INDEX: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("app.js");
const STYLE: &str = include_str!("app.css");

/// Scripts and styles from this origin only: the page carries no inline code and loads nothing else.
const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'self'; frame-ancestors 'none'";

/// `GET /`: the page (at the prefix with a trailing `/`, so that its relative links resolve under it).
pub(super) async fn index(OriginalUri(uri): OriginalUri) -> Response {
    if !uri.path().ends_with('/') {
        let target = format!("{}/", uri.path());
        return (StatusCode::MOVED_PERMANENTLY, [(LOCATION, target)]).into_response();
    }
    (
        [(CONTENT_TYPE, "text/html; charset=utf-8"), (CONTENT_SECURITY_POLICY, POLICY), (CACHE_CONTROL, "no-cache")],
        INDEX,
    )
        .into_response()
}

/// `GET /ui/app.js`.
pub(super) async fn script() -> Response {
    ([(CONTENT_TYPE, "text/javascript; charset=utf-8"), (CACHE_CONTROL, "no-cache")], SCRIPT).into_response()
}

/// `GET /ui/app.css`.
pub(super) async fn style() -> Response {
    ([(CONTENT_TYPE, "text/css; charset=utf-8"), (CACHE_CONTROL, "no-cache")], STYLE).into_response()
}
