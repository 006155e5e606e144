//! `herald serve`: starts on a loopback port, answers its health endpoints, stops cleanly on SIGTERM, and
//! refuses to start on an invalid config.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::helpers::{herald, repo_root, stderr};

const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// A running `herald serve` and the address it bound.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(data_dir: &std::path::Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_herald"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .current_dir(repo_root())
            .stderr(Stdio::piped())
            .spawn()
            .expect("herald starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("address=").nth(1) {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or_default().to_string());
                }
            }
        });
        let address = rx.recv_timeout(STARTUP_TIMEOUT).expect("herald logs the address it listens on");
        Server { child, address }
    }

    fn get(&self, path: &str) -> String {
        let mut stream = TcpStream::connect(&self.address).expect("connects");
        stream.set_read_timeout(Some(STARTUP_TIMEOUT)).expect("timeout set");
        write!(stream, "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.address)
            .expect("request sent");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("response read");
        response
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        self.child.wait().expect("herald exits")
    }
}

#[test]
fn serve_answers_health_checks_and_stops_on_sigterm() {
    let data = tempfile::tempdir().expect("temp dir");
    let server = Server::start(data.path());
    for path in ["/-/healthy", "/-/ready"] {
        let response = server.get(path);
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{path}: {response}");
        assert!(response.ends_with("\r\n\r\nOK"), "{path}: {response}");
    }
    assert!(server.get("/nope").starts_with("HTTP/1.1 404"));
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
}

#[test]
fn serve_refuses_an_invalid_config_and_says_why() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("bad.yml");
    std::fs::write(&config, "route:\n  receiver: nope\nreceivers:\n- name: a\n").expect("written");
    let output = herald(&["serve", "--listen", "127.0.0.1:0", "--config", config.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert_eq!(
        text,
        format!(
            "herald: error: loading config from {}: line 2: route.receiver: undefined receiver \"nope\" used in route\n",
            config.display()
        )
    );
}
