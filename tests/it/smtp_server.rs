//! A small SMTP server on a loopback port that records each session: the commands the client sent and
//! the message. It offers the extensions it is given (`8BITMIME`, `AUTH PLAIN LOGIN CRAM-MD5`, ...), accepts
//! any AUTH, and answers everything else with 250 (DATA with 354).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

/// A connection, plain or TLS.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// How the server speaks TLS, if at all.
#[derive(Clone)]
pub enum Tls {
    /// Plain text only.
    None,
    /// Offers STARTTLS (the EHLO after it offers the extensions given).
    Starttls(Arc<rustls::ServerConfig>),
    /// TLS from the first byte.
    Implicit(Arc<rustls::ServerConfig>),
}

/// One SMTP session.
#[derive(Debug, Clone, Default)]
pub struct Session {
    /// The client's command lines, without their CRLF (AUTH answers included).
    pub commands: Vec<String>,
    /// The message as sent after DATA, dot-stuffing undone, CRLF kept.
    pub data: Option<String>,
}

/// A running server.
pub struct SmtpServer {
    /// `127.0.0.1:PORT`.
    pub address: String,
    sessions: Arc<Mutex<Vec<Session>>>,
}

impl SmtpServer {
    /// Starts a plain server offering `extensions`.
    pub async fn start(extensions: &[&str]) -> SmtpServer {
        SmtpServer::start_with(extensions, Tls::None).await
    }

    /// Starts a server offering `extensions`, with `tls`.
    pub async fn start_with(extensions: &[&str], tls: Tls) -> SmtpServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("smtp binds");
        let address = listener.local_addr().expect("bound").to_string();
        let sessions: Arc<Mutex<Vec<Session>>> = Arc::default();
        let ehlo_with = |extensions: Vec<String>| -> String {
            let count = extensions.len();
            std::iter::once("recorder".to_string())
                .chain(extensions)
                .enumerate()
                .map(|(i, line)| format!("250{}{line}\r\n", if i == count { " " } else { "-" }))
                .collect()
        };
        let extensions: Vec<String> = extensions.iter().map(|e| e.to_string()).collect();
        let before_tls = match &tls {
            Tls::Starttls(_) => ehlo_with(vec!["STARTTLS".to_string()]),
            _ => ehlo_with(extensions.clone()),
        };
        let after_tls = ehlo_with(extensions);
        let recorded = Arc::clone(&sessions);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (recorded, tls) = (Arc::clone(&recorded), tls.clone());
                let (before_tls, after_tls) = (before_tls.clone(), after_tls.clone());
                tokio::spawn(async move {
                    let stream: Box<dyn Stream> = match &tls {
                        Tls::Implicit(config) => {
                            match tokio_rustls::TlsAcceptor::from(Arc::clone(config)).accept(socket).await {
                                Ok(tls) => Box::new(tls),
                                Err(_) => return,
                            }
                        }
                        _ => Box::new(socket),
                    };
                    let mut lines = BufReader::new(stream);
                    let mut session = Session::default();
                    let mut encrypted = matches!(tls, Tls::Implicit(_));
                    let _ = lines.get_mut().write_all(b"220 recorder ESMTP\r\n").await;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                            break;
                        }
                        let command = line.trim_end_matches(['\r', '\n']).to_string();
                        session.commands.push(command.clone());
                        let verb = command.split(' ').next().unwrap_or_default().to_ascii_uppercase();
                        let answer: String = match verb.as_str() {
                            "EHLO" if encrypted => after_tls.clone(),
                            "EHLO" => before_tls.clone(),
                            "STARTTLS" => {
                                let Tls::Starttls(config) = &tls else { break };
                                let _ = lines.get_mut().write_all(b"220 ready\r\n").await;
                                let plain = lines.into_inner();
                                let Ok(upgraded) =
                                    tokio_rustls::TlsAcceptor::from(Arc::clone(config)).accept(plain).await
                                else {
                                    recorded.lock().expect("sessions").push(session);
                                    return;
                                };
                                lines = BufReader::new(Box::new(upgraded) as Box<dyn Stream>);
                                encrypted = true;
                                continue;
                            }
                            "AUTH" if command.starts_with("AUTH PLAIN ") => "235 ok\r\n".into(),
                            "AUTH" if command.contains("CRAM-MD5") => "334 PDEyMzQ1Ljk4NzZAcmVjb3JkZXI+\r\n".into(),
                            "AUTH" => "334 VXNlcm5hbWU6\r\n".into(),
                            "DATA" => {
                                let _ = lines.get_mut().write_all(b"354 go ahead\r\n").await;
                                let mut data = String::new();
                                loop {
                                    line.clear();
                                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 || line == ".\r\n" {
                                        break;
                                    }
                                    data.push_str(
                                        line.strip_prefix('.').filter(|_| line.starts_with("..")).unwrap_or(&line),
                                    );
                                }
                                session.data = Some(data);
                                "250 queued\r\n".into()
                            }
                            "QUIT" => {
                                let _ = lines.get_mut().write_all(b"221 bye\r\n").await;
                                break;
                            }
                            // The answers of a LOGIN or CRAM-MD5 exchange.
                            _ if session.commands.iter().rev().nth(1).is_some_and(|c| c == "AUTH LOGIN") => {
                                "334 UGFzc3dvcmQ6\r\n".into()
                            }
                            _ if session.commands.iter().rev().nth(2).is_some_and(|c| c == "AUTH LOGIN") => {
                                "235 ok\r\n".into()
                            }
                            _ if session.commands.iter().rev().nth(1).is_some_and(|c| c == "AUTH CRAM-MD5") => {
                                "235 ok\r\n".into()
                            }
                            _ => "250 ok\r\n".into(),
                        };
                        if lines.get_mut().write_all(answer.as_bytes()).await.is_err() {
                            break;
                        }
                    }
                    recorded.lock().expect("sessions").push(session);
                });
            }
        });
        SmtpServer { address, sessions }
    }

    /// Waits for `count` finished sessions (at most `timeout` of real time) and returns them all.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Session> {
        let deadline = std::time::Instant::now() + timeout;
        while self.sessions.lock().expect("sessions").len() < count && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.sessions.lock().expect("sessions").clone()
    }
}
