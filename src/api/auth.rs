//! API tokens: when one is configured, every write needs `Authorization: Bearer <token>` (and, with a read
//! token, every read needs one of the two). Tokens are kept only as SHA-256 digests and compared in constant
//! time; they are never logged. Health and readiness probes stay open.

use std::path::Path;

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::error::ApiError;

/// The tokens in force, as digests.
#[derive(Clone, Default)]
pub(crate) struct ApiTokens {
    write: Option<[u8; 32]>,
    read: Option<[u8; 32]>,
    alerts_need_token: bool,
    /// Per team, the token that reads and replaces its sub-tree (`/api/herald/config/teams/{team}`).
    teams: Vec<(String, [u8; 32])>,
}

impl std::fmt::Debug for ApiTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiTokens")
            .field("write", &self.write.map(|_| crate::config::REDACTED))
            .field("read", &self.read.map(|_| crate::config::REDACTED))
            .field("alerts_need_token", &self.alerts_need_token)
            .field("teams", &self.teams.iter().map(|(team, _)| team).collect::<Vec<_>>())
            .finish()
    }
}

/// What a request needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Open,
    Read,
    Write,
}

impl ApiTokens {
    /// The tokens from their files, else from `HERALD_API_TOKEN` / `HERALD_READ_TOKEN`; team tokens from a
    /// YAML mapping of team names to tokens.
    pub(crate) fn load(
        write_file: Option<&Path>,
        read_file: Option<&Path>,
        teams_file: Option<&Path>,
        alerts_need_token: bool,
    ) -> Result<ApiTokens, String> {
        let write = token(write_file, "HERALD_API_TOKEN")?;
        let read = token(read_file, "HERALD_READ_TOKEN")?;
        if alerts_need_token && write.is_none() {
            return Err(
                "--web.api-token-for-alerts needs an API token (--web.api-token-file or HERALD_API_TOKEN)".into()
            );
        }
        let mut teams = Vec::new();
        if let Some(file) = teams_file {
            if write.is_none() {
                return Err("team tokens need an API token too (--web.api-token-file or HERALD_API_TOKEN): \
                            without one, every write is open"
                    .into());
            }
            let text = std::fs::read_to_string(file).map_err(|err| format!("reading {}: {err}", file.display()))?;
            let map: std::collections::BTreeMap<String, String> = serde_yaml_ng::from_str(&text)
                .map_err(|err| format!("{}: a mapping of team names to tokens is expected: {err}", file.display()))?;
            for (team, token) in map {
                if token.trim().is_empty() {
                    return Err(format!("{}: the token of team {team:?} is empty", file.display()));
                }
                teams.push((team, digest(token.trim())));
            }
        }
        Ok(ApiTokens { write, read, alerts_need_token, teams })
    }

    /// Whether any token is configured.
    pub(crate) fn any(&self) -> bool {
        self.write.is_some() || self.read.is_some() || !self.teams.is_empty()
    }

    /// Whether `presented` is the token of the team whose sub-tree `path` addresses.
    fn team_allows(&self, path: &str, presented: Option<&[u8; 32]>) -> bool {
        let Some(rest) = path.strip_prefix("/api/herald/config/teams/") else { return false };
        let team = rest.split('/').next().unwrap_or_default();
        let Some(presented) = presented else { return false };
        self.teams.iter().any(|(name, expected)| name == team && constant_time_eq(expected, presented))
    }

    fn access(&self, method: &Method, path: &str) -> Access {
        match (method, path) {
            (_, "/-/healthy" | "/-/ready") => Access::Open,
            // The UI's page and files hold no data; what it reads and writes goes through the token.
            (&Method::GET | &Method::HEAD, "/" | "/ui/app.js" | "/ui/app.css") => Access::Open,
            (&Method::POST, "/api/v2/alerts") if !self.alerts_need_token => Access::Open,
            // A profile costs CPU for its whole length and shows the code.
            (_, "/debug/pprof/profile") => Access::Write,
            (&Method::GET | &Method::HEAD, _) => Access::Read,
            // Requests that only compute an answer.
            (&Method::POST, "/api/herald/config/check" | "/api/herald/routes/test") => Access::Read,
            (&Method::POST, path) if path.starts_with("/api/herald/receivers/") && path.ends_with("/preview") => {
                Access::Read
            }
            _ => Access::Write,
        }
    }

    fn allows(&self, access: Access, presented: Option<&[u8; 32]>) -> bool {
        let matches = |expected: &Option<[u8; 32]>| match (expected, presented) {
            (Some(expected), Some(presented)) => constant_time_eq(expected, presented),
            _ => false,
        };
        match access {
            Access::Open => true,
            Access::Write => self.write.is_none() || matches(&self.write),
            Access::Read => self.read.is_none() || matches(&self.read) || matches(&self.write),
        }
    }
}

/// Refuses with 401 a request without the token its endpoint needs.
pub(crate) async fn require_token(State(tokens): State<ApiTokens>, request: Request, next: Next) -> Response {
    if !tokens.any() {
        return next.run(request).await;
    }
    let access = tokens.access(request.method(), request.uri().path());
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
        .map(|token| digest(token.trim()));
    if tokens.allows(access, presented.as_ref()) || tokens.team_allows(request.uri().path(), presented.as_ref()) {
        return next.run(request).await;
    }
    let what = if access == Access::Write { "an API token" } else { "a read or API token" };
    let detail = match presented {
        None => {
            format!("{} {} needs {what}: send Authorization: Bearer <token>", request.method(), request.uri().path())
        }
        Some(_) => format!("the token does not allow {} {}", request.method(), request.uri().path()),
    };
    let error = if request.uri().path().starts_with("/api/v2/") {
        ApiError::schema(StatusCode::UNAUTHORIZED, detail)
    } else {
        ApiError::herald(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    };
    let mut response = error.into_response();
    response.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"herald\""));
    response
}

fn token(file: Option<&Path>, variable: &str) -> Result<Option<[u8; 32]>, String> {
    let text = match file {
        Some(file) => std::fs::read_to_string(file).map_err(|err| format!("reading {}: {err}", file.display()))?,
        None => match std::env::var(variable) {
            Ok(text) => text,
            Err(_) => return Ok(None),
        },
    };
    let text = text.trim();
    if text.is_empty() {
        let source = file.map_or_else(|| variable.to_string(), |file| file.display().to_string());
        return Err(format!("the token in {source} is empty"));
    }
    Ok(Some(digest(text)))
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Compares two digests in time independent of where they differ.
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(write: Option<&str>, read: Option<&str>, alerts: bool) -> ApiTokens {
        ApiTokens { write: write.map(digest), read: read.map(digest), alerts_need_token: alerts, teams: Vec::new() }
    }

    #[test]
    fn each_endpoint_needs_what_it_should() {
        let t = tokens(Some("w"), Some("r"), false);
        let (w, r, x) = (digest("w"), digest("r"), digest("x"));
        for (method, path, none, read, write, wrong) in [
            (Method::GET, "/-/ready", true, true, true, true),
            (Method::GET, "/", true, true, true, true),
            (Method::GET, "/ui/app.js", true, true, true, true),
            (Method::POST, "/api/v2/alerts", true, true, true, true),
            (Method::GET, "/api/v2/alerts", false, true, true, false),
            (Method::POST, "/api/herald/routes/test", false, true, true, false),
            (Method::POST, "/api/v2/silences", false, false, true, false),
            (Method::PUT, "/api/herald/config", false, false, true, false),
            (Method::POST, "/-/reload", false, false, true, false),
            (Method::GET, "/debug/pprof/profile", false, false, true, false),
            (Method::DELETE, "/api/herald/groups/00000000000000aa/ack", false, false, true, false),
        ] {
            let access = t.access(&method, path);
            assert_eq!(t.allows(access, None), none, "{method} {path} without a token");
            assert_eq!(t.allows(access, Some(&r)), read, "{method} {path} with the read token");
            assert_eq!(t.allows(access, Some(&w)), write, "{method} {path} with the API token");
            assert_eq!(t.allows(access, Some(&x)), wrong, "{method} {path} with a wrong token");
        }
        let writes_only = tokens(Some("w"), None, true);
        assert!(writes_only.allows(writes_only.access(&Method::GET, "/api/v2/alerts"), None), "reads stay open");
        assert!(!writes_only.allows(writes_only.access(&Method::POST, "/api/v2/alerts"), None), "alerts need it");
    }

    #[test]
    fn a_team_token_opens_its_own_sub_tree_only() {
        let t = ApiTokens { teams: vec![("pay".to_string(), digest("p"))], ..tokens(Some("w"), None, false) };
        let p = digest("p");
        assert!(t.team_allows("/api/herald/config/teams/pay", Some(&p)));
        assert!(t.team_allows("/api/herald/config/teams/pay/versions/3/rollback", Some(&p)));
        assert!(!t.team_allows("/api/herald/config/teams/search", Some(&p)));
        assert!(!t.team_allows("/api/herald/config", Some(&p)));
        assert!(!t.allows(t.access(&Method::PUT, "/api/herald/config"), Some(&p)));
    }

    #[test]
    fn tokens_never_show_in_debug_output() {
        let shown = format!("{:?}", tokens(Some("hunter2"), None, false));
        assert!(!shown.contains("hunter2") && shown.contains("<secret>"), "{shown}");
    }
}
