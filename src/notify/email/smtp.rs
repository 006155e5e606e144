//! One SMTP delivery, as Alertmanager 0.25 makes it (on lettre's connection): implicit TLS on port 465,
//! else STARTTLS when `require_tls`; AUTH with the first mechanism the server offers that the credentials
//! allow (CRAM-MD5, PLAIN, LOGIN); `MAIL FROM` with `BODY=8BITMIME` and `SMTPUTF8` where offered; one
//! `RCPT TO` per address; the message. Where Alertmanager ignores the answer to the message, Herald does not.

use std::fmt::Write as _;
use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, Identity, TlsParameters};
use lettre::transport::smtp::extension::{ClientId, Extension};

use super::{Auth, Mail};
use crate::notify::error::{Error, ErrorKind, Result};

/// Longest wait for the server at each step.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Delivers `mail`; the status is 0 (SMTP has no HTTP status).
pub(crate) async fn send(mail: Mail) -> Result<u16> {
    crate::notify::http::install_tls_provider();
    let hello = ClientId::Domain(mail.hello.clone());
    let implicit = mail.implicit_tls;
    let tls = if implicit || mail.require_tls { Some(tls_parameters(&mail)?) } else { None };
    let implicit_tls = if implicit { tls.clone() } else { None };
    let connect = if implicit { "establish TLS connection to server" } else { "establish connection to server" };
    let mut connection =
        AsyncSmtpConnection::connect_tokio1((mail.host.as_str(), mail.port), Some(TIMEOUT), &hello, implicit_tls, None)
            .await
            .map_err(|err| failure(connect, &err))?;
    match session(&mut connection, &mail, &hello, tls).await {
        Ok(()) => {
            let _ = connection.quit().await;
            Ok(0)
        }
        Err(err) => {
            connection.abort().await;
            Err(err)
        }
    }
}

async fn session(
    connection: &mut AsyncSmtpConnection,
    mail: &Mail,
    hello: &ClientId,
    tls: Option<TlsParameters>,
) -> Result<()> {
    if mail.require_tls && !connection.is_encrypted() {
        if !connection.can_starttls() {
            return Err(Error::config(format!(
                "'require_tls' is true (default) but \"{}:{}\" does not advertise the STARTTLS extension",
                mail.host, mail.port
            )));
        }
        let tls = tls.ok_or_else(|| Error::config("no TLS settings"))?;
        connection.starttls(tls, hello).await.map_err(|err| failure("send STARTTLS command", &err))?;
    }
    if let Some(auth) = &mail.auth {
        // lettre keeps only the mechanisms it knows, unordered: the server's own list, in its order, decides.
        let ehlo =
            connection.command(format!("EHLO {hello}\r\n")).await.map_err(|err| failure("send EHLO command", &err))?;
        let offered: Vec<String> = ehlo
            .message()
            .filter_map(|line| line.strip_prefix("AUTH "))
            .flat_map(|mechanisms| mechanisms.split(' ').map(str::to_string).collect::<Vec<_>>())
            .collect();
        if !offered.is_empty() {
            authenticate(connection, auth, &offered).await?;
        }
    }
    let info = connection.server_info();
    let mut options = String::new();
    if info.supports_feature(Extension::EightBitMime) {
        options.push_str(" BODY=8BITMIME");
    }
    if info.supports_feature(Extension::SmtpUtfEight) {
        options.push_str(" SMTPUTF8");
    }
    connection
        .command(format!("MAIL FROM:<{}>{options}\r\n", mail.from))
        .await
        .map_err(|err| failure("send MAIL command", &err))?;
    for to in &mail.to {
        connection.command(format!("RCPT TO:<{to}>\r\n")).await.map_err(|err| failure("send RCPT command", &err))?;
    }
    connection.command("DATA\r\n").await.map_err(|err| failure("send DATA command", &err))?;
    // lettre ends the data with CRLF . CRLF itself.
    let message = mail.message.strip_suffix(b"\r\n").unwrap_or(&mail.message);
    connection.message(message).await.map_err(|err| failure("send the message", &err))?;
    Ok(())
}

/// AUTH with the first mechanism the server offers that the credentials allow, as Alertmanager chooses.
async fn authenticate(connection: &mut AsyncSmtpConnection, auth: &Auth, offered: &[String]) -> Result<()> {
    let mut missing = Vec::new();
    for mechanism in offered {
        match mechanism.as_str() {
            "CRAM-MD5" => match auth.secret.as_deref().filter(|s| !s.is_empty()) {
                Some(secret) => return cram_md5(connection, &auth.username, secret).await,
                None => missing.push("missing secret for CRAM-MD5 auth mechanism"),
            },
            "PLAIN" | "LOGIN" => match auth.password.as_deref().filter(|p| !p.is_empty()) {
                Some(password) => {
                    let kind = if mechanism == "PLAIN" { Mechanism::Plain } else { Mechanism::Login };
                    let identity = if mechanism == "PLAIN" && !auth.identity.is_empty() {
                        // lettre's PLAIN has no authorization identity: written here as Go writes it.
                        let response = base64(&format!("{}\0{}\0{}", auth.identity, auth.username, password));
                        return connection
                            .command(format!("AUTH PLAIN {response}\r\n"))
                            .await
                            .map(drop)
                            .map_err(|err| failure("*smtp.plainAuth auth", &err));
                    } else {
                        Credentials::new(auth.username.clone(), password.to_string())
                    };
                    return connection
                        .auth(&[kind], &identity)
                        .await
                        .map(drop)
                        .map_err(|err| failure(&format!("{mechanism} auth"), &err));
                }
                None if mechanism == "PLAIN" => missing.push("missing password for PLAIN auth mechanism"),
                None => missing.push("missing password for LOGIN auth mechanism"),
            },
            _ => {}
        }
    }
    let detail =
        if missing.is_empty() { format!("unknown auth mechanism: {}", offered.join(" ")) } else { missing.join("; ") };
    Err(Error::config(format!("find auth mechanism: {detail}")))
}

/// CRAM-MD5: the server's challenge answered with the user and the HMAC-MD5 of it under the secret.
async fn cram_md5(connection: &mut AsyncSmtpConnection, username: &str, secret: &str) -> Result<()> {
    use hmac::{Hmac, Mac};
    let challenge =
        connection.command("AUTH CRAM-MD5\r\n").await.map_err(|err| failure("*smtp.cramMD5Auth auth", &err))?;
    let encoded = challenge.message().next().unwrap_or_default().trim().to_string();
    let decoded =
        base64_decode(&encoded).ok_or_else(|| Error::config("CRAM-MD5: the server's challenge is not base64"))?;
    let mut mac = <Hmac<md5::Md5> as Mac>::new_from_slice(secret.as_bytes())
        .map_err(|err| Error::config(format!("CRAM-MD5: {err}")))?;
    mac.update(&decoded);
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(32);
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    connection
        .command(format!("{}\r\n", base64(&format!("{username} {hex}"))))
        .await
        .map(drop)
        .map_err(|err| failure("*smtp.cramMD5Auth auth", &err))
}

/// The TLS settings: the server name (`tls_config.server_name`, else the host), the CA, a client
/// certificate, and `insecure_skip_verify`.
fn tls_parameters(mail: &Mail) -> Result<TlsParameters> {
    let tls = &mail.tls;
    let name = tls.server_name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| mail.host.clone());
    let mut builder = TlsParameters::builder(name);
    let read = |path: &str| {
        std::fs::read(path).map_err(|err| Error::config(format!("parse TLS configuration: {path}: {err}")))
    };
    let ca = match (&tls.ca, &tls.ca_file) {
        (Some(pem), _) => Some(pem.as_bytes().to_vec()),
        (None, Some(file)) => Some(read(file)?),
        (None, None) => None,
    };
    if let Some(ca) = ca {
        let certificate =
            Certificate::from_pem(&ca).map_err(|err| Error::config(format!("parse TLS configuration: {err}")))?;
        builder = builder.add_root_certificate(certificate);
    }
    let cert = match (&tls.cert, &tls.cert_file) {
        (Some(pem), _) => Some(pem.as_bytes().to_vec()),
        (None, Some(file)) => Some(read(file)?),
        (None, None) => None,
    };
    let key = match (&tls.key, &tls.key_file) {
        (Some(pem), _) => Some(pem.expose().as_bytes().to_vec()),
        (None, Some(file)) => Some(read(file)?),
        (None, None) => None,
    };
    if let (Some(cert), Some(key)) = (cert, key) {
        let identity =
            Identity::from_pem(&cert, &key).map_err(|err| Error::config(format!("parse TLS configuration: {err}")))?;
        builder = builder.identify_with(identity);
    }
    if tls.insecure_skip_verify == Some(true) {
        builder = builder.dangerous_accept_invalid_certs(true);
    }
    builder.build_rustls().map_err(|err| Error::config(format!("parse TLS configuration: {err}")))
}

/// An SMTP failure: a 4xx answer or a broken connection is worth retrying, a 5xx answer is final.
fn failure(what: &str, err: &lettre::transport::smtp::Error) -> Error {
    let message = format!("{what}: {err}");
    let code = err.status().map(u16::from);
    match code {
        Some(code) if err.is_permanent() => Error::new(ErrorKind::ClientError { status: code }, message),
        Some(code) => Error::new(ErrorKind::ServerError { status: code }, message),
        None if err.is_timeout() => Error::new(ErrorKind::Timeout, message),
        None => Error::new(ErrorKind::Connection, message),
    }
}

fn base64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}
