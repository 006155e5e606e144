//! An HTTP proxy that answers `CONNECT` itself and terminates TLS with a certificate of a throw-away CA, then
//! hands the requests to a [`Sink`]: to test integrations whose URL cannot be changed (Pushover), through
//! `http_config.proxy_url` and `tls_config.ca_file`, as Alertmanager's requests were recorded.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::Sink;

/// A running proxy.
pub struct TlsProxy {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The CA that signed the certificate it shows.
    pub ca_file: PathBuf,
    _folder: tempfile::TempDir,
}

/// A TLS server configuration with a certificate for `host` signed by a throw-away CA, the CA's file, and the
/// folder holding them; `None` without `openssl`.
pub fn server_config(host: &str) -> Option<(rustls::ServerConfig, PathBuf, tempfile::TempDir)> {
    if !crate::helpers::tool_available("openssl", "openssl") {
        return None;
    }
    let folder = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str]| {
        let output = Command::new("openssl").args(args).current_dir(folder.path()).output().expect("openssl runs");
        assert!(output.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=test-ca",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "host.key",
        "-out",
        "host.csr",
        "-subj",
        &format!("/CN={host}"),
    ]);
    let san = if host.parse::<std::net::IpAddr>().is_ok() { format!("IP:{host}") } else { format!("DNS:{host}") };
    std::fs::write(folder.path().join("san.ext"), format!("subjectAltName={san}\n")).expect("written");
    run(&[
        "x509",
        "-req",
        "-in",
        "host.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "host.pem",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    ]);
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(folder.path().join("host.pem"))
        .expect("certificate file")
        .collect::<Result<_, _>>()
        .expect("certificates");
    let key = PrivateKeyDer::from_pem_file(folder.path().join("host.key")).expect("key");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocols")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
    let ca = folder.path().join("ca.pem");
    Some((config, ca, folder))
}

impl TlsProxy {
    /// Starts a proxy in front of `sink` presenting a certificate for `host`; `None` without `openssl`.
    pub async fn start(sink: &Sink, host: &str) -> Option<TlsProxy> {
        let (config, ca_file, folder) = server_config(host)?;
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let url = format!("http://{}", listener.local_addr().expect("bound"));
        let router = sink.router();
        tokio::spawn(async move {
            while let Ok((mut tcp, _)) = listener.accept().await {
                let (acceptor, router) = (acceptor.clone(), router.clone());
                tokio::spawn(async move {
                    // The CONNECT request: read to its blank line, then the tunnel is ours.
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
                        if tcp.read_exact(&mut byte).await.is_err() {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    if tcp.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await.is_err() {
                        return;
                    }
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    let service = hyper_util::service::TowerToHyperService::new(router);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        Some(TlsProxy { url, ca_file, _folder: folder })
    }
}
